// Command-line options of `npm run bench` (docs/benchmarks.md).
import path from "node:path";
import { ROOT } from "../lib/project";

export interface BenchOptions {
  /** Seconds per measurement window. */
  duration: number;
  /** Seconds of unrecorded load per target before the first round. */
  warmup: number;
  connections: number;
  rounds: number;
  /** Slices each round's window of an endpoint and of its reference is split into, taken in turns (measureInterleaved). */
  slices: number;
  /** Scenario names to run (hello-world always runs: every ratio needs it); empty = all. */
  only: string[];
  out: string;
  quick: boolean;
  /** Runs seeded into the benchmark organization. */
  runs: number;
  /** Write a CPU profile of each profiled scenario (workerd's inspector) to this directory. */
  profileDir: string | null;
  /** Seconds of load per profile. */
  profileSeconds: number;
  /** With profileDir: also profile each replayed bare reference's isolate (workers/bare.js). */
  profileBare: boolean;
  /** Keep the temporary state directory (the seeded D1) instead of deleting it at the end. */
  keepState: boolean;
  /** Runs the consumer scenario dispatches and waits for. */
  consumerRuns: number;
  /** MCP usage events seeded through the ingestion endpoint before the insights overview is measured. */
  events: number;
  /**
   * A wrangler configuration to build the bundle from instead of the project's (to measure a build variant,
   * e.g. `keep_names = false`); the bindings still come from the project's wrangler.toml.
   */
  bundleConfig: string | null;
  /** Trace V8's collections (workerd --trace-gc-nvp) and report them per endpoint and reference (gc.ts). */
  gc: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

  --duration <s>       seconds per measurement window (default 10; --quick: 1.5)
  --warmup <s>         seconds of unrecorded load per target before round 1 (default 3; --quick: 0.5)
  --connections <n>    concurrent connections of the load generator (default 10)
  --rounds <n>         rounds; each visits every scenario, endpoint and reference (default 3; --quick: 2)
  --slices <n>         each round's window of an endpoint and of its reference is taken in n slices, in turns
                       (A B, B A, ...), so both see the same stretch of the machine's time (default 5; --quick: 1)
  --only <a,b,...>     only these scenarios (hello-world always runs); see the list below
  --out <file>         the JSON result (default bench-results/latest.json; a .md table is written beside it)
  --runs <n>           runs seeded into the benchmark organization (default 10000)
  --consumer-runs <n>  runs the consumer scenario dispatches and times to the last one finished (default 200)
  --events <n>         MCP usage events ingested (through the real endpoint and rollup) before the insights
                       overview is measured, when it is (default 1000000; --quick: 20000; 0: no overview)
  --profile [dir]      also take a CPU profile of each scenario through workerd's inspector
                       (default dir bench-results/profiles)
  --profile-seconds <s> seconds of load per profile (default 5)
  --profile-bare       with --profile, also profile each scenario's bare reference (the bare Worker's isolate,
                       <scenario>.bare.cpuprofile), to compare the two isolates' time side by side
  --keep-state         keep the temporary D1 state directory and print where it is
  --bundle-config <f>  build the bundle from this wrangler configuration instead of wrangler.toml (a build
                       variant, e.g. keep_names = false; bindings still come from wrangler.toml)
  --gc                 trace V8's garbage collections (workerd --trace-gc-nvp) and report, per endpoint and
                       reference, the bytes promoted to the old generation, the collections' pauses and the
                       full collections, per request (the endpoint's isolate and the local D1's together)
  --quick              a short smoke run (the defaults marked --quick above)
  --help`;

function fail(message: string): never {
  console.error(`npm run bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

export function parseOptions(argv: string[]): BenchOptions {
  const values = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) fail(`unexpected argument '${arg}'`);
    const eq = arg.indexOf("=");
    if (eq > 0) {
      values.set(arg.slice(2, eq), arg.slice(eq + 1));
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) {
      values.set(arg.slice(2), argv[++i]!);
    } else {
      values.set(arg.slice(2), true);
    }
  }
  if (values.has("help")) {
    console.log(USAGE);
    process.exit(0);
  }
  const known = ["duration", "warmup", "connections", "rounds", "slices", "only", "out", "quick", "runs", "consumer-runs", "events", "profile", "profile-seconds", "profile-bare", "keep-state", "bundle-config", "gc"];
  for (const key of values.keys()) if (!known.includes(key)) fail(`unknown option --${key}`);

  const quick = values.get("quick") === true;
  const number = (name: string, fallback: number, min: number) => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw === true || !Number.isFinite(n) || n < min) fail(`--${name} must be a number of at least ${min}`);
    return n;
  };
  const text = (name: string): string | undefined => {
    const raw = values.get(name);
    if (raw === true) fail(`--${name} needs a value`);
    return raw;
  };
  const profile = values.get("profile");
  return {
    duration: number("duration", quick ? 1.5 : 10, 0.5),
    warmup: number("warmup", quick ? 0.5 : 3, 0),
    connections: Math.round(number("connections", 10, 1)),
    rounds: Math.round(number("rounds", quick ? 2 : 3, 1)),
    slices: Math.round(number("slices", quick ? 1 : 5, 1)),
    only: (text("only") ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    out: path.resolve(process.cwd(), text("out") ?? path.join(ROOT, "bench-results", "latest.json")),
    quick,
    runs: Math.round(number("runs", 10_000, 100)),
    events: Math.round(number("events", quick ? 20_000 : 1_000_000, 0)),
    consumerRuns: Math.round(number("consumer-runs", quick ? 50 : 200, 1)),
    profileDir:
      profile === undefined ? null : path.resolve(process.cwd(), profile === true ? path.join(ROOT, "bench-results", "profiles") : profile),
    profileSeconds: number("profile-seconds", 5, 1),
    profileBare: values.get("profile-bare") === true,
    keepState: values.get("keep-state") === true,
    bundleConfig: text("bundle-config") ? path.resolve(process.cwd(), text("bundle-config")!) : null,
    gc: values.get("gc") === true,
  };
}
