import type { Clock } from "./clock";
import { GateFailure } from "./failure";
import { formatJunit } from "./junit";
import { type GateEnv, gateUsage, parseGateInvocation } from "./options";
import { gateOutcome } from "./outcome";
import { runGate } from "./run-gate";
import { formatSummary } from "./summary";

/**
 * What the gate needs from its host. The CLI (scripts/armature.ts) passes Node's; the tests pass the
 * Worker's own fetch, a virtual clock whose sleep runs the queued runs, and in-memory files and streams.
 */
export interface GateIo {
  fetch: (request: Request) => Promise<Response>;
  env: GateEnv;
  clock: Clock;
  writeFile(path: string, contents: string): Promise<void>;
  stdout(text: string): void;
  stderr(text: string): void;
}

const SHORT_USAGE = "Usage: npm run armature -- gate <workflow-id> [options]   (--help for the options)";

/**
 * `npm run armature -- gate <workflow-id> [options]`: the summary on stdout, progress and the reason of a
 * non-zero exit on stderr, the JUnit report where --junit says. Returns the exit code: 0 every target
 * passed, 1 one did not, 2 no answer (bad invocation, unreachable host, refused key, timeout).
 *
 * @example
 * const code = await runGateCli(["5b3f…", "--junit", "armature.xml"], io);
 */
export async function runGateCli(argv: readonly string[], io: GateIo): Promise<number> {
  try {
    return await gate(argv, io);
  } catch (err) {
    // A defect of the gate rather than an answer of the API: still exit 2, with what it was.
    io.stderr(`error: the gate failed unexpectedly: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

async function gate(argv: readonly string[], io: GateIo): Promise<number> {
  let invocation;
  try {
    invocation = parseGateInvocation(argv, io.env);
  } catch (err) {
    if (!(err instanceof GateFailure)) throw err;
    io.stderr(`error: ${err.message}\n${SHORT_USAGE}\n`);
    return 2;
  }
  if (invocation.kind === "help") {
    io.stdout(`${gateUsage()}\n`);
    return 0;
  }
  const { options } = invocation;

  const report = await runGate(options, { fetch: io.fetch, clock: io.clock, progress: (line) => io.stderr(`gate: ${line}\n`) });
  const outcome = gateOutcome(report);
  io.stdout(formatSummary(report, outcome));

  let exitCode: number = outcome.exitCode;
  if (options.junitPath) {
    const xml = formatJunit(report, outcome);
    try {
      await io.writeFile(options.junitPath, xml);
      io.stderr(`gate: wrote the JUnit report to ${options.junitPath}\n`);
    } catch (err) {
      io.stderr(`error: could not write the JUnit report to ${options.junitPath}: ${err instanceof Error ? err.message : String(err)}\n`);
      exitCode = 2;
    }
  }
  if (outcome.exitCode === 2) io.stderr(`error: ${outcome.reason}\n`);
  else if (outcome.exitCode === 1) io.stderr(`${outcome.reason}\n`);
  return exitCode;
}
