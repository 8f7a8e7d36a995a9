import { and, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { AppContext } from "../context";
import { rowDecoder, statementOnce } from "../db/client";
import { runs, workflows } from "../db/schema";
import { chunk } from "../lib/d1";
import { StoredCriterionResults, StoredSpans, StoredToolCall, type StoredEvaluation } from "./records";
import type { RunClassification, RunStatus } from "./status";

/**
 * Every change of a run's status, in one place. Each is one conditional update on the status it starts
 * from, so when two actors race (the engine finishing a run while the sweep times it out, two deliveries of
 * one message) exactly one wins and the loser changes nothing; each says whether it won.
 *
 *   queued ──claim──▶ running ──finish──▶ pass | fail | partial
 *     ▲  └─requeue─┘    │ └────fail─────▶ fail
 *     └────release──────┘
 *   queued ──fail──▶ fail            (dispatch_failed, queue_timeout)
 */

type LifecycleContext = Pick<AppContext, "db" | "now">;
export type RunRow = typeof runs.$inferSelect;

/** `sql.placeholder(name)` where drizzle's types want a column's value (drizzle encodes it as that column's value). */
const value = (name: string) => sql.placeholder(name) as never;

// The run's two writes of every execution, rendered once per client (statementOnce): drizzle built and rendered
// each per run, and mapped the claimed row with its per-column checks (the consumer's profile, docs/benchmarks.md).
const claim = statementOnce<"id" | "orgId" | "startedAt">((db) =>
  db
    .update(runs)
    .set({ status: "running", startedAt: value("startedAt") })
    .where(and(eq(runs.id, sql.placeholder("id")), eq(runs.orgId, sql.placeholder("orgId")), eq(runs.status, "queued")))
    .returning({
      ...getTableColumns(runs),
      // 0 active, 1 archived, NULL when the workflow row is gone.
      workflowArchived: sql<number | null>`(SELECT ${workflows.archivedAt} IS NOT NULL FROM ${workflows} WHERE ${workflows.id} = ${runs.workflowId})`,
    }),
);
const claimedRow = rowDecoder({ run: runs });

/** A claimed run, and whether its workflow may still run it. */
export interface Claimed {
  run: RunRow;
  /** False when the workflow was archived (or is gone) since the dispatch: the run must not execute. */
  workflowActive: boolean;
}

/**
 * queued → running, once: a second delivery of the same message finds the run no longer queued. The same
 * statement answers whether the run's workflow is still active, so the consumer needs no second round trip.
 */
export async function claimRun(ctx: LifecycleContext, ref: { runId: string; orgId: string }): Promise<Claimed | null> {
  const [row] = await claim(ctx.db, { id: ref.runId, orgId: ref.orgId, startedAt: ctx.now() }).raw();
  if (!row) return null;
  return { run: claimedRow(row).run, workflowActive: row[row.length - 1] === 0 };
}

/** running → queued: gives a claim back when execution never began, for the queue's next delivery. */
export async function releaseRun(ctx: Pick<AppContext, "db">, runId: string): Promise<boolean> {
  const res = await ctx.db
    .update(runs)
    .set({ status: "queued", startedAt: null })
    .where(and(eq(runs.id, runId), eq(runs.status, "running")))
    .run();
  return res.meta.changes === 1;
}

/** queued → queued with a new enqueue time and one more attempt: the message is sent again. Returns the ids that won. */
export async function requeueRuns(ctx: LifecycleContext, ids: string[]): Promise<string[]> {
  const now = ctx.now();
  const won: string[] = [];
  for (const part of chunk(ids, 90)) {
    const rows = await ctx.db
      .update(runs)
      .set({ enqueuedAt: now, queueAttempts: sql`${runs.queueAttempts} + 1` })
      .where(and(inArray(runs.id, part), eq(runs.status, "queued")))
      .returning({ id: runs.id })
      .all();
    won.push(...rows.map((r) => r.id));
  }
  return won;
}

/**
 * Ends runs as `fail` with a classification, but only those still in one of the `from` statuses (a run the
 * consumer claimed meanwhile is not failed for a queue problem). Returns the ids that were failed.
 */
export async function failRuns(
  ctx: LifecycleContext,
  ids: string[],
  cause: { classification: RunClassification; error: string },
  from: ReadonlyArray<"queued" | "running">,
): Promise<string[]> {
  const now = ctx.now();
  const failed: string[] = [];
  for (const part of chunk(ids, 90)) {
    const rows = await ctx.db
      .update(runs)
      .set({
        status: "fail",
        classification: cause.classification,
        error: cause.error,
        activeFingerprint: null,
        finishedAt: now,
        durationMs: sql`CASE WHEN ${runs.startedAt} IS NULL THEN NULL ELSE ${now.getTime()} - ${runs.startedAt} END`,
      })
      .where(and(inArray(runs.id, part), inArray(runs.status, [...from])))
      .returning({ id: runs.id })
      .all();
    failed.push(...rows.map((r) => r.id));
  }
  return failed;
}

/** Everything a run gathered, written with its terminal status. */
export interface RunEvidence {
  spans: unknown[];
  toolCalls: unknown[];
  evaluation?: StoredEvaluation | null;
  mcp?: { protocolVersion: string; era: "2025" | "2026" } | null;
  skillDigest?: string | null;
}

/** How a run ends: its terminal status and why, with what the engine gathered. */
export interface RunOutcome {
  status: Extract<RunStatus, "pass" | "fail" | "partial">;
  classification: RunClassification;
  evaluatorOutput?: Record<string, unknown> | null;
  cost?: { usd: number | null; inputTokens: number | null; outputTokens: number | null };
  error?: string | null;
  evidence?: RunEvidence;
}

/** finishRun's status change: every value a placeholder, each encoded as its column encodes it. */
const finish = statementOnce<
  "id" | "status" | "classification" | "evaluatorOutput" | "costUsd" | "inputTokens" | "outputTokens" | "error" | "mcpProtocolVersion" | "mcpProtocolEra" | "skillDigest" | "finishedAt" | "nowMs"
>((db) =>
  db
    .update(runs)
    .set({
      status: value("status"),
      classification: value("classification"),
      evaluatorOutput: value("evaluatorOutput"),
      costUsd: value("costUsd"),
      inputTokens: value("inputTokens"),
      outputTokens: value("outputTokens"),
      error: value("error"),
      mcpProtocolVersion: value("mcpProtocolVersion"),
      mcpProtocolEra: value("mcpProtocolEra"),
      skillDigest: value("skillDigest"),
      activeFingerprint: null,
      finishedAt: value("finishedAt"),
      durationMs: sql`${sql.placeholder("nowMs")} - ${runs.startedAt}`,
    })
    .where(and(eq(runs.id, sql.placeholder("id")), eq(runs.status, "running"))),
);

/** Tool-call rows per INSERT: 10 values each, under D1's 100 bound parameters with the guard's 4. */
const TOOL_CALL_ROWS_PER_INSERT = 8;

/**
 * running → pass | fail | partial, with all the run's evidence (trace, tool calls, evaluation) in the same
 * D1 batch: a reader never sees a finished run without its evidence. Each evidence insert is guarded by
 * the status change having happened (the run now has this status, classification and finish time), so when
 * the sweep timed the run out first, the finish changes nothing and writes nothing. Says whether it won.
 */
export async function finishRun(ctx: LifecycleContext, runId: string, outcome: RunOutcome): Promise<boolean> {
  const now = ctx.now();
  const ev = outcome.evidence;
  const spans = ev ? StoredSpans.parse(ev.spans) : null;
  const calls = ev ? ev.toolCalls.map((c) => StoredToolCall.parse(c)) : [];
  const criteria = ev?.evaluation ? StoredCriterionResults.parse(ev.evaluation.criteria) : null;
  const d1 = ctx.db.$client;
  // The evidence inserts are plain D1 statements (drizzle's batch takes no raw INSERT … SELECT … WHERE);
  // each ends with this guard and its four parameters.
  const won = "EXISTS (SELECT 1 FROM runs WHERE id = ? AND status = ? AND classification = ? AND finished_at = ?)";
  const wonParams = [runId, outcome.status, outcome.classification, now.getTime()];

  const update = finish(ctx.db, {
    id: runId,
    status: outcome.status,
    classification: outcome.classification,
    evaluatorOutput: outcome.evaluatorOutput ?? null,
    costUsd: outcome.cost?.usd ?? null,
    inputTokens: outcome.cost?.inputTokens ?? null,
    outputTokens: outcome.cost?.outputTokens ?? null,
    error: outcome.error ?? null,
    mcpProtocolVersion: ev?.mcp?.protocolVersion ?? null,
    mcpProtocolEra: ev?.mcp?.era ?? null,
    skillDigest: ev?.skillDigest ?? null,
    finishedAt: now,
    nowMs: now.getTime(),
  });
  const statements: D1PreparedStatement[] = [update];
  if (spans) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO run_traces (run_id, spans, created_at) SELECT ?, ?, ? WHERE ${won} ON CONFLICT (run_id) DO UPDATE SET spans = excluded.spans`,
        )
        .bind(runId, JSON.stringify(spans), now.getTime(), ...wonParams),
    );
  }
  for (const part of chunk(calls, TOOL_CALL_ROWS_PER_INSERT)) {
    const values = part.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
    const params = part.flatMap((c) => [
      c.id,
      runId,
      c.seq,
      c.toolName,
      JSON.stringify(c.arguments ?? null),
      JSON.stringify(c.result ?? null),
      c.isError ? 1 : 0,
      c.policyRefused ? 1 : 0,
      c.durationMs,
      Date.parse(c.startedAt),
    ]);
    statements.push(
      d1
        .prepare(
          `INSERT OR IGNORE INTO run_tool_calls (id, run_id, seq, tool_name, arguments, result, is_error, policy_refused, duration_ms, started_at) SELECT * FROM (VALUES ${values}) WHERE ${won}`,
        )
        .bind(...params, ...wonParams),
    );
  }
  if (ev?.evaluation && criteria) {
    const e = ev.evaluation;
    statements.push(
      d1
        .prepare(
          `INSERT OR IGNORE INTO run_evaluations (run_id, verdict, judge_model_id, summary, criteria, baseline_run_id, created_at) SELECT ?, ?, ?, ?, ?, ?, ? WHERE ${won}`,
        )
        .bind(runId, e.verdict, e.judgeModelId, e.summary, JSON.stringify(criteria), e.baselineRunId ?? null, now.getTime(), ...wonParams),
    );
  }
  const [moved] = await d1.batch(statements);
  return moved!.meta.changes === 1;
}
