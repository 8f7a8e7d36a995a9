import type { PepperSet } from "../auth/api-key";
import { type GlobalOptions, parseInvocation, usageText } from "./args";
import { runCommand } from "./commands";
import { AdminError } from "./errors";
import type { SqlExecutor } from "./executor";

/** What the CLI needs from its host: a database for the chosen target, and the peppers to hash new keys. */
export interface CliDeps {
  executor: (options: GlobalOptions) => SqlExecutor;
  peppers: (options: GlobalOptions) => PepperSet | Promise<PepperSet>;
  now?: () => Date;
}

/** Everything the user sees: the exit code and both output streams. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * The admin CLI from arguments to output. Errors the user can act on become a message (and the usage, for
 * bad invocations) on stderr with a non-zero exit code; with --json, a `{ "error": { code, message } }`
 * envelope. Exit codes: 0 done, 1 failed, 2 bad invocation.
 *
 * @example
 * const { exitCode, stdout } = await runCli(["org", "list", "--json"], deps);
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<CliResult> {
  let json = argv.includes("--json");
  try {
    const { options, command } = parseInvocation(argv);
    json = options.json;
    if (command.kind === "help") return { exitCode: 0, stdout: `${usageText()}\n`, stderr: "" };
    const output = await runCommand(command, {
      execute: deps.executor(options),
      peppers: () => deps.peppers(options),
      now: deps.now,
    });
    return { exitCode: 0, stdout: `${json ? JSON.stringify(output.json, null, 2) : output.text}\n`, stderr: "" };
  } catch (err) {
    if (!(err instanceof AdminError)) throw err;
    const stderr = json
      ? `${JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2)}\n`
      : `error: ${err.message}\n${err.usage ? `\n${err.usage}\n` : ""}`;
    return { exitCode: err.exitCode, stdout: "", stderr };
  }
}
