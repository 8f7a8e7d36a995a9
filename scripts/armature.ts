// The admin CLI: `npm run armature -- <command>` (see --help). Works on the local D1 database of
// `npm run dev` by default and on the deployed one with --remote. The logic lives in src/admin/.
import { type PepperSet, parsePeppers } from "../src/auth/api-key";
import type { GlobalOptions } from "../src/admin/args";
import { runCli } from "../src/admin/cli";
import { AdminError } from "../src/admin/errors";
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
