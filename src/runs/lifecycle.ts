import { and, eq, inArray, sql } from "drizzle-orm";
import type { AppContext } from "../context";
import type { Database } from "../db/client";
import { runEvaluations, runs, runToolCalls, runTraces } from "../db/schema";
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

/** queued → running, once: a second delivery of the same message finds the run no longer queued. */
export async function claimRun(ctx: LifecycleContext, ref: { runId: string; orgId: string }): Promise<RunRow | null> {
  const claimed = await ctx.db
    .update(runs)
    .set({ status: "running", startedAt: ctx.now() })
    .where(and(eq(runs.id, ref.runId), eq(runs.orgId, ref.orgId), eq(runs.status, "queued")))
    .returning()
    .get();
  return claimed ?? null;
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

/** What the engine knows when a run ends with a verdict. */
export interface RunOutcome {
  status: Extract<RunStatus, "pass" | "fail" | "partial">;
  classification: RunClassification;
  evaluatorOutput?: Record<string, unknown> | null;
  evaluation?: StoredEvaluation | null;
  cost?: { usd: number | null; inputTokens: number | null; outputTokens: number | null };
  error?: string | null;
}

/**
 * running → pass | fail | partial with the evaluation, in one batch: the evaluation row is written only when
 * the status change won (a run the sweep already timed out keeps its timeout and gets no evaluation).
 */
export async function finishRun(ctx: LifecycleContext, runId: string, outcome: RunOutcome): Promise<boolean> {
  const now = ctx.now();
  const statements = [
    ctx.db
      .update(runs)
      .set({
        status: outcome.status,
        classification: outcome.classification,
        evaluatorOutput: outcome.evaluatorOutput ?? null,
        costUsd: outcome.cost?.usd ?? null,
        inputTokens: outcome.cost?.inputTokens ?? null,
        outputTokens: outcome.cost?.outputTokens ?? null,
        error: outcome.error ?? null,
        activeFingerprint: null,
        finishedAt: now,
        durationMs: sql`${now.getTime()} - ${runs.startedAt}`,
      })
      .where(and(eq(runs.id, runId), eq(runs.status, "running"))),
  ] as const;
  const [moved] = await ctx.db.batch(statements);
  const won = (moved as D1Result).meta.changes === 1;
  if (won && outcome.evaluation) await saveEvaluation(ctx.db, runId, outcome.evaluation, now);
  return won;
}

/** Records (or replaces) the run's trace; spans are checked against the one span schema. */
export async function saveTrace(ctx: LifecycleContext, runId: string, spans: unknown): Promise<void> {
  const parsed = StoredSpans.parse(spans);
  await ctx.db
    .insert(runTraces)
    .values({ runId, spans: parsed, createdAt: ctx.now() })
    .onConflictDoUpdate({ target: runTraces.runId, set: { spans: parsed } })
    .run();
}

/** Records one tool call at its position `seq`; recording the same position twice keeps the first. */
export async function recordToolCall(db: Database, runId: string, call: unknown): Promise<void> {
  const c = StoredToolCall.parse(call);
  await db
    .insert(runToolCalls)
    .values({ id: c.id, runId, seq: c.seq, toolName: c.toolName, arguments: c.arguments, result: c.result, isError: c.isError, durationMs: c.durationMs, startedAt: new Date(c.startedAt) })
    .onConflictDoNothing()
    .run();
}

async function saveEvaluation(db: Database, runId: string, evaluation: StoredEvaluation, now: Date): Promise<void> {
  await db
    .insert(runEvaluations)
    .values({
      runId,
      verdict: evaluation.verdict,
      judgeModelId: evaluation.judgeModelId,
      summary: evaluation.summary,
      criteria: StoredCriterionResults.parse(evaluation.criteria),
      createdAt: now,
    })
    .onConflictDoNothing()
    .run();
}
