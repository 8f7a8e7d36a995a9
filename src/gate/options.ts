import { splitArgs } from "../lib/cli-args";
import { GateFailure } from "./failure";

/** Everything a gate invocation needs, validated. */
export interface GateOptions {
  workflowId: string;
  /** The REST API base, e.g. `http://127.0.0.1:8787/api/armature/v1`, without a trailing slash. */
  apiBase: string;
  apiKey: string;
  reason: string;
  baselineRunId: string | null;
  /** Tester models overriding the workflow's targets, or null for the workflow's own. */
  models: string[] | null;
  /** What the dispatch's idempotency keys are derived from, or null to dispatch without one. */
  idempotency: { base: string; from: "--idempotency-key" | "GITHUB_SHA" | "CI_COMMIT_SHA" } | null;
  timeoutMs: number;
  repeat: number;
  /** The share (0–1) of each target's runs that must pass. */
  minPassRate: number;
  allowPartial: boolean;
  junitPath: string | null;
}

export type GateInvocation = { kind: "help" } | { kind: "gate"; options: GateOptions };

/** The environment variables the gate reads. */
export type GateEnv = Record<string, string | undefined>;

export const API_PATH = "/api/armature/v1";
export const DEFAULT_URL = "http://127.0.0.1:8787";
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
export const MAX_REPEAT = 20;
const MAX_TIMEOUT_MS = 24 * 3600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Printable ASCII without spaces, as the API wants idempotency keys; short enough to derive keys from. */
const KEY_BASE = /^[\x21-\x7e]{1,128}$/;

const VALUE_OPTIONS = ["url", "reason", "baseline", "models", "idempotency-key", "timeout", "repeat", "min-pass-rate", "junit"] as const;
const FLAGS = ["allow-partial", "help"] as const;

/** `npm run armature -- gate --help`. */
export function gateUsage(program = "npm run armature --"): string {
  return [
    `Usage: ${program} gate <workflow-id> [options]`,
    "",
    "Runs a workflow as a CI gate through the REST API only: dispatches its runs, polls them until every one",
    "is terminal, prints each run's verdict, classification, criteria with their reasoning, cost and URL, and",
    "exits 0 when every target passed.",
    "",
    "Options:",
    "  --url <url>              The API: a host (https://acme.armature.app) or the full base ending in",
    `                           ${API_PATH}. Default: $ARMATURE_URL, else ${DEFAULT_URL} (npm run dev)`,
    '  --reason <text>          The runs\' reason (default "CI gate", and the commit when there is one)',
    "  --baseline <run-id>      Compare each run's criteria with this run of the workflow",
    "  --models <id,id,...>     Tester models for these runs instead of the workflow's targets",
    `  --repeat <n>             Runs per target, 1-${MAX_REPEAT} (default 1): testers are not deterministic`,
    "  --min-pass-rate <share>  Share of each target's runs that must pass: 0-1 or a percentage (default 1)",
    "  --allow-partial          A partial run (only optional criteria failed) counts as a pass",
    "  --timeout <duration>     Give up after this long: 600, 90s, 10m, 1h (default 10m)",
    "  --idempotency-key <key>  What the dispatch's idempotency keys derive from (default $GITHUB_SHA, else",
    "                           $CI_COMMIT_SHA): a retried CI job with the same value reports the same runs",
    "  --junit <file>           Also write a JUnit XML report (one testsuite per run, one testcase per criterion)",
    "  -h, --help               Show this help",
    "",
    "Environment: ARMATURE_API_KEY (required; an editor, admin or owner key), ARMATURE_URL, GITHUB_SHA,",
    "CI_COMMIT_SHA.",
    "",
    "Exit codes:",
    "  0  every target passed (each run pass, or partial with --allow-partial, at --min-pass-rate)",
    "  1  a run failed, infrastructure failures included, or a target is under --min-pass-rate",
    "  2  no answer: bad arguments, unreachable host, refused key, unknown workflow, or the timeout;",
    "     the reason is on stderr",
    "",
    "See docs/ci.md.",
  ].join("\n");
}

/**
 * Parses `gate`'s arguments (after the word `gate`) and environment. Throws GateFailure `usage` (exit 2).
 *
 * @example
 * parseGateInvocation(["3f1c…", "--repeat", "3"], { ARMATURE_API_KEY: "amt_…", GITHUB_SHA: "9fceb02…" })
 * // { kind: "gate", options: { repeat: 3, idempotency: { base: "9fceb02…", from: "GITHUB_SHA" }, … } }
 */
export function parseGateInvocation(argv: readonly string[], env: GateEnv): GateInvocation {
  const { positionals, flags, values: given } = splitArgs(argv, {
    flags: FLAGS,
    isValueOption: (name) => (VALUE_OPTIONS as readonly string[]).includes(name),
    fail: (message) => {
      throw usage(message);
    },
  });
  const values = new Map<string, string>();
  for (const { name, value } of given) {
    if (values.has(name)) throw usage(`--${name} given more than once`);
    values.set(name, value);
  }
  if (flags.has("help")) return { kind: "help" };

  if (positionals.length === 0) throw usage("Missing <workflow-id>");
  if (positionals.length > 1) throw usage(`Unexpected argument '${positionals[1]}'`);
  const workflowId = positionals[0]!;
  if (!UUID.test(workflowId)) throw usage(`<workflow-id> must be a workflow's UUID, not '${workflowId}'`);

  const apiKey = env.ARMATURE_API_KEY?.trim();
  if (!apiKey) throw usage("ARMATURE_API_KEY is not set: export an API key of the workflow's organization (editor or higher)");

  const baselineRunId = values.get("baseline") ?? null;
  if (baselineRunId !== null && !UUID.test(baselineRunId)) throw usage(`--baseline must be a run's UUID, not '${baselineRunId}'`);

  const idempotency = idempotencyBase(values.get("idempotency-key"), env);
  const reason = values.get("reason") ?? `CI gate${idempotency && idempotency.from !== "--idempotency-key" ? ` for ${idempotency.base.slice(0, 12)}` : ""}`;
  if (reason.trim() === "") throw usage("--reason must not be empty");
  if (reason.length > 500) throw usage("--reason is at most 500 characters");

  return {
    kind: "gate",
    options: {
      workflowId: workflowId.toLowerCase(),
      apiBase: apiBase(values.get("url") ?? (env.ARMATURE_URL?.trim() || DEFAULT_URL)),
      apiKey,
      reason,
      baselineRunId: baselineRunId?.toLowerCase() ?? null,
      models: values.has("models") ? parseModels(values.get("models")!) : null,
      idempotency,
      timeoutMs: values.has("timeout") ? parseDuration(values.get("timeout")!) : DEFAULT_TIMEOUT_MS,
      repeat: values.has("repeat") ? parseRepeat(values.get("repeat")!) : 1,
      minPassRate: values.has("min-pass-rate") ? parseShare(values.get("min-pass-rate")!) : 1,
      allowPartial: flags.has("allow-partial"),
      junitPath: values.has("junit") ? nonEmpty("junit", values.get("junit")!) : null,
    },
  };
}

/**
 * The REST API base for `--url`: a host (`https://acme.armature.app`, any path prefix kept) gets
 * `/api/armature/v1` appended; a URL that already ends in it is taken as it is.
 *
 * @example
 * apiBase("http://127.0.0.1:8787/") // "http://127.0.0.1:8787/api/armature/v1"
 * apiBase("https://acme.armature.app/api/armature/v1/") // "https://acme.armature.app/api/armature/v1"
 */
export function apiBase(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw usage(`--url '${raw}' is not a URL: give the scheme and host, e.g. ${DEFAULT_URL} or https://acme.armature.app`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw usage(`--url must be http or https, not ${url.protocol}`);
  if (url.search || url.hash) throw usage("--url takes no query or fragment");
  if (url.username || url.password) throw usage("--url must not hold credentials; the key comes from ARMATURE_API_KEY");
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.origin}${path.endsWith(API_PATH) ? path : path + API_PATH}`;
}

function idempotencyBase(explicit: string | undefined, env: GateEnv): GateOptions["idempotency"] {
  if (explicit !== undefined) {
    if (!KEY_BASE.test(explicit)) throw usage("--idempotency-key must be 1 to 128 printable ASCII characters without spaces");
    return { base: explicit, from: "--idempotency-key" };
  }
  for (const name of ["GITHUB_SHA", "CI_COMMIT_SHA"] as const) {
    const value = env[name]?.trim();
    if (!value) continue;
    if (!KEY_BASE.test(value)) throw usage(`${name} is not a commit id ('${value.slice(0, 40)}'); pass --idempotency-key instead`);
    return { base: value, from: name };
  }
  return null;
}

function parseModels(raw: string): string[] {
  const models = raw.split(",").map((m) => m.trim());
  if (models.some((m) => m === "")) throw usage("--models is a comma-separated list of model ids, with no empty entry");
  if (new Set(models).size !== models.length) throw usage("--models names a model more than once");
  if (models.length > 10) throw usage("--models takes at most 10 models");
  return models;
}

/** `600` (seconds), `90s`, `10m`, `1h`, `1m30s`. */
function parseDuration(raw: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(raw.trim());
  const ms = match && raw.trim() !== "" ? (Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0)) * 1000 : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMEOUT_MS) {
    throw usage(`--timeout must be a duration from 1s to 24h, e.g. 600, 90s, 10m or 1h; not '${raw}'`);
  }
  return ms;
}

function parseRepeat(raw: string): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPEAT) throw usage(`--repeat must be a whole number from 1 to ${MAX_REPEAT}, not '${raw}'`);
  return n;
}

/** `0.8`, `80%`, `1`. */
function parseShare(raw: string): number {
  const text = raw.trim();
  const percent = text.endsWith("%");
  const number = /^\d+(\.\d+)?$|^\.\d+$/.test(percent ? text.slice(0, -1) : text) ? Number(percent ? text.slice(0, -1) : text) : NaN;
  const share = percent ? number / 100 : number;
  if (!Number.isFinite(share) || share < 0 || share > 1) throw usage(`--min-pass-rate must be a share from 0 to 1 or a percentage (0.8, 80%), not '${raw}'`);
  return share;
}

function nonEmpty(name: string, value: string): string {
  if (value.trim() === "") throw usage(`--${name} needs a value`);
  return value;
}

function usage(message: string): GateFailure {
  return new GateFailure("usage", message);
}
