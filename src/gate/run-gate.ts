import { BACKOFF_START_MS, type Clock, Deadline, nextBackoff } from "./clock";
import { createGateApi, type DispatchedRun, type DispatchRequest, type Evaluation, type GateApi, type Run } from "./client";
import { GateFailure } from "./failure";
import { dispatchKey } from "./idempotency";
import type { GateOptions } from "./options";
import { formatDuration } from "./format";

/** One dispatched run as the gate follows it: the run, or the last of its retries. */
export interface GateRun {
  /** Which of the --repeat dispatches made it (1-based). */
  repeat: number;
  /** The tester target: the model id, and the skill when it runs with one. */
  target: string;
  dispatched: DispatchedRun;
  /** The latest record read of the run (of its latest attempt); null until the first poll. */
  run: Run | null;
  /** The ids of its attempts, the dispatched run first. */
  attempts: string[];
  /** The run's evaluation once it is terminal; null when it ended without one (an infrastructure failure). */
  evaluation: Evaluation | null;
  done: boolean;
  /** When the gate saw an attempt end that the workflow's retryPolicy retries; null when not waiting. */
  retryAwaitedSince: number | null;
}

/** Everything the gate learnt: what the summary, the JUnit report and the exit code are made of. */
export interface GateReport {
  options: GateOptions;
  apiBase: string;
  runUrl: (id: string) => string;
  workflow: { id: string; name: string } | null;
  runs: GateRun[];
  /** The dispatches' idempotency keys, empty without any. */
  idempotencyKeys: string[];
  /** How many dispatches were answered from an earlier dispatch with the same idempotency key. */
  replayed: number;
  /** Why there is no answer (exit 2); null when every run was followed to its end. */
  failure: GateFailure | null;
  elapsedMs: number;
}

export interface GateDeps {
  fetch: (request: Request) => Promise<Response>;
  clock: Clock;
  /** A line of progress (the CLI writes it to stderr). */
  progress: (line: string) => void;
}

/** How long the gate waits for a retry the workflow's retryPolicy should make to show up. */
export const RETRY_GRACE_MS = 60_000;
/** How often a "still waiting" line is written. */
const NOTICE_EVERY_MS = 30_000;

/** Failures of the machinery rather than of the source under test (docs/workflows.md): `retryOn: infrastructure`. */
const INFRASTRUCTURE = new Set(["mcp_connection_failed", "mcp_protocol_error", "model_error", "judge_error", "run_timeout", "internal_error"]);
/** Endings that never reach the run engine, so its retryPolicy does not apply. */
const NEVER_RETRIED = new Set(["dispatch_failed", "queue_timeout", "workflow_archived"]);

export const isTerminal = (status: string): boolean => status === "pass" || status === "fail" || status === "partial";

/**
 * Dispatches the workflow (`--repeat` times), then polls every run with backoff (1 s doubling to 10 s,
 * Retry-After on 429) until each is terminal or the deadline passes, following the retries the workflow's
 * retryPolicy makes, and reads each terminal run's evaluation. Never throws for a failure of the API:
 * that is the report's `failure`, with whatever was learnt before it.
 */
export async function runGate(options: GateOptions, deps: GateDeps): Promise<GateReport> {
  const started = deps.clock.now();
  const deadline = new Deadline(deps.clock, options.timeoutMs);
  const api = createGateApi({ apiBase: options.apiBase, apiKey: options.apiKey, fetch: deps.fetch, deadline });
  const report: GateReport = {
    options,
    apiBase: api.apiBase,
    runUrl: api.runUrl,
    workflow: null,
    runs: [],
    idempotencyKeys: [],
    replayed: 0,
    failure: null,
    elapsedMs: 0,
  };
  try {
    const { workflow } = await api.getWorkflow(options.workflowId);
    report.workflow = { id: workflow.id, name: workflow.name };
    await dispatch(api, options, report, deps);
    await poll(api, workflow.retryPolicy, report, deadline, deps);
  } catch (err) {
    if (!(err instanceof GateFailure)) throw err;
    report.failure = err;
  }
  report.elapsedMs = deps.clock.now() - started;
  return report;
}

async function dispatch(api: GateApi, options: GateOptions, report: GateReport, deps: GateDeps): Promise<void> {
  const body: DispatchRequest = { reason: options.reason };
  if (options.baselineRunId) body.baselineRunId = options.baselineRunId;
  if (options.models) body.testerModelIds = options.models;
  // Without a key, ask for new runs: an identical run already queued or running (a scheduled one, one
  // started before the deploy under test) would otherwise be answered instead, and --repeat needs N runs.
  // Runs dispatched with a key are always new.
  if (!options.idempotency) body.forceNewRun = true;

  for (let repeat = 1; repeat <= options.repeat; repeat++) {
    const key = options.idempotency ? await dispatchKey(options.workflowId, options.idempotency.base, body, repeat) : null;
    if (key) report.idempotencyKeys.push(key);
    const answer = await api.dispatch(options.workflowId, body, key);
    if (answer.replayed) report.replayed++;
    for (const run of answer.runs) {
      report.runs.push({
        repeat,
        target: targetOf(run),
        dispatched: run,
        run: null,
        attempts: [run.id],
        evaluation: null,
        done: false,
        retryAwaitedSince: null,
      });
    }
  }
  const replayed =
    report.replayed === 0
      ? ""
      : ` (${report.replayed === options.repeat ? "all" : `${report.replayed} of ${options.repeat} dispatches`} replayed: the idempotency key was used before)`;
  deps.progress(`dispatched ${report.runs.length} run${report.runs.length === 1 ? "" : "s"} of "${report.workflow!.name}"${replayed}`);
}

async function poll(
  api: GateApi,
  policy: { maxAttempts: number; retryOn: string[] },
  report: GateReport,
  deadline: Deadline,
  deps: GateDeps,
): Promise<void> {
  let delay = BACKOFF_START_MS;
  let lastNotice = deps.clock.now();
  for (;;) {
    const pending = report.runs.filter((r) => !r.done);
    for (const r of pending) {
      if (r.retryAwaitedSince !== null) continue;
      const run = await api.getRun(r.attempts.at(-1)!);
      r.run = run;
      if (!isTerminal(run.status)) continue;
      if (retryExpected(run, policy)) {
        r.retryAwaitedSince = deps.clock.now();
        deps.progress(`run ${run.id} (${r.target}) ended ${run.status} (${run.classification}); waiting for its retry`);
        continue;
      }
      await finish(api, r, deps);
    }

    const awaiting = report.runs.filter((r) => !r.done && r.retryAwaitedSince !== null);
    if (awaiting.length > 0) {
      const newest = await api.newestRuns(report.workflow!.id);
      for (const r of awaiting) {
        const last = r.run!;
        const retry = newest.find((n) => n.retryOfRunId === (last.retryOfRunId ?? last.id) && n.attempt === last.attempt + 1);
        if (retry) {
          r.attempts.push(retry.id);
          r.run = { ...retry, evaluatorOutput: null };
          r.retryAwaitedSince = null;
          deps.progress(`run ${last.id} is retried as ${retry.id} (attempt ${retry.attempt})`);
        } else if (deps.clock.now() - r.retryAwaitedSince! >= RETRY_GRACE_MS) {
          await finish(api, r, deps);
        }
      }
    }

    const left = report.runs.filter((r) => !r.done);
    if (left.length === 0) return;
    if (deps.clock.now() - lastNotice >= NOTICE_EVERY_MS) {
      lastNotice = deps.clock.now();
      deps.progress(`waiting for ${left.length} run${left.length === 1 ? "" : "s"} (${statusCounts(left)}); ${formatDuration(deadline.remaining())} left`);
    }
    if (!(await deadline.wait(delay))) {
      throw new GateFailure(
        "timeout",
        `Timed out after ${formatDuration(deadline.timeoutMs)}: ${left.length} of ${report.runs.length} runs not finished (${statusCounts(left)}). ` +
          "Raise --timeout, or look at the runs' URLs.",
      );
    }
    delay = nextBackoff(delay);
  }
}

async function finish(api: GateApi, r: GateRun, deps: GateDeps): Promise<void> {
  const run = r.run!;
  r.evaluation = await api.getEvaluation(run.id);
  r.done = true;
  r.retryAwaitedSince = null;
  deps.progress(`run ${run.id} (${r.target}) finished: ${run.status}${run.classification ? ` (${run.classification})` : ""}`);
}

/** Whether the run engine will retry this terminal attempt under the workflow's retryPolicy. */
function retryExpected(run: Run, policy: { maxAttempts: number; retryOn: string[] }): boolean {
  if (run.attempt >= policy.maxAttempts || (run.classification && NEVER_RETRIED.has(run.classification))) return false;
  if (run.classification && INFRASTRUCTURE.has(run.classification)) return policy.retryOn.includes("infrastructure");
  return (run.status === "fail" && policy.retryOn.includes("fail")) || (run.status === "partial" && policy.retryOn.includes("partial"));
}

/** `1 queued, 2 running` of the runs not finished. */
function statusCounts(runs: GateRun[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) {
    const status = r.retryAwaitedSince !== null ? "awaiting a retry" : (r.run?.status ?? r.dispatched.status);
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
}

/** The tester target a run belongs to: its model, and its skill when it has one. */
export function targetOf(run: { modelId: string; skillMode: string; skillVersionId: string | null }): string {
  return run.skillMode === "skill" ? `${run.modelId} + skill ${run.skillVersionId}` : run.modelId;
}
