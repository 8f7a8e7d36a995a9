// The admin CLI: `npm run armature -- <command>` (see --help). Works on the local D1 database of
// `npm run dev` by default and on the deployed one with --remote. The logic lives in src/admin/.
// `npm run armature -- gate <workflow-id>` is the CI gate instead: a client of the REST API only (no D1,
// no wrangler), its logic in src/gate/ (docs/ci.md).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type PepperSet, parsePeppers } from "../src/auth/api-key";
import type { GlobalOptions } from "../src/admin/args";
import { runCli } from "../src/admin/cli";
import { AdminError } from "../src/admin/errors";
import { runGateCli } from "../src/gate/cli";
import { DEV_VARS_PATH, readDevVars } from "./lib/dev-vars";
import { d1Executor } from "./lib/wrangler";

/** The peppers new keys are hashed with: .dev.vars locally, the API_KEY_PEPPERS environment variable remotely. */
function loadPeppers(options: GlobalOptions): PepperSet {
  let raw: string | undefined;
  if (options.remote) {
    raw = process.env.API_KEY_PEPPERS;
    if (!raw) {
      throw new AdminError(
        "configuration",
        "Creating a key with --remote needs API_KEY_PEPPERS in the environment, set to the same value as the " +
          "Worker's API_KEY_PEPPERS secret (see docs/operations.md). A key hashed with another pepper never authenticates.",
      );
    }
  } else {
    raw = readDevVars()?.API_KEY_PEPPERS;
    if (!raw) {
      throw new AdminError(
        "configuration",
        `No API_KEY_PEPPERS in ${DEV_VARS_PATH}: run \`npm run dev\` once to create the local secrets and database.`,
      );
    }
  }
  try {
    return parsePeppers(raw);
  } catch (err) {
    throw new AdminError("configuration", `API_KEY_PEPPERS is invalid: ${(err as Error).message}`);
  }
}

const argv = process.argv.slice(2);
if (argv[0] === "gate") {
  process.exitCode = await runGateCli(argv.slice(1), {
    fetch: (request) => fetch(request),
    env: process.env,
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    // A relative --junit path is relative to where npm was run from (npm runs scripts in the package root).
    writeFile: async (file, contents) => {
      const target = path.resolve(process.env.INIT_CWD ?? process.cwd(), file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, contents);
    },
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
} else {
  try {
    const result = await runCli(process.argv.slice(2), { executor: d1Executor, peppers: loadPeppers });
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    process.exitCode = result.exitCode;
  } catch (err) {
    // Not an error the CLI knows about: say what it was; the stack only on request.
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.ARMATURE_DEBUG) console.error(err);
    process.exitCode = 1;
  }
}
