import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { dispatchIdempotency, runs, scheduleTicks, workflows } from "../db/schema";
import type { RunMessage } from "../env";
import { chunk, isUniqueViolation } from "../lib/d1";
import { dispatchRuns, enqueueRuns, IDEMPOTENCY_WINDOW_MS } from "../workflows/dispatch";
import { failRuns, requeueRuns } from "../runs/lifecycle";
import { errorFields } from "../lib/logger";
import type { AppContext } from "../context";
import { nextDueAt } from "../workflows/schedule";
import { getWorkflow } from "../workflows/store";
import { INSIGHT_EVENT_RETENTION_MS, pruneInsightEvents, recomputeEndedDay, rollupPendingSessions } from "../insights/rollup";

/** A queued run whose message has not been picked up for this long is sent again. */
export const QUEUE_STALE_MS = 10 * 60_000;
/** How many times a run is put on the queue before it is given up as `queue_timeout`. */
export const MAX_QUEUE_ATTEMPTS = 3;
/** Grace past a run's own timeout before the sweep ends it as `run_timeout`. */
export const RUNNING_GRACE_MS = 2 * 60_000;
/** Workflows dispatched per sweep; the rest wait for the next minute. */
const DUE_BATCH = 50;

/** What the sweep needs from the context. */
export type SweepDeps = Pick<AppContext, "db" | "queue" | "now" | "log">;

export interface SweepReport {
  scheduled: number;
  requeued: number;
  timedOut: number;
}

/** The Cron Trigger's work: due schedules, stuck runs, expired bookkeeping. */
export async function runSweep(deps: SweepDeps): Promise<SweepReport> {
  const scheduled = await dispatchDueSchedules(deps);
  const { requeued, timedOut } = await repairStuckRuns(deps);
  await purgeExpired(deps);
  // Insights rollups cut off with their request (docs/insights.md, "Durability of the rollups").
  await rollupPendingSessions(deps).catch((err: unknown) => deps.log.error("insights rollup repair failed", errorFields(err)));
  // After midnight (UTC), the day just ended rebuilt exactly from its rows (docs/insights.md, "How the aggregates stay exact").
  await recomputeEndedDay(deps).catch((err: unknown) => deps.log.error("insights day rebuild failed", errorFields(err)));
  return { scheduled, requeued, timedOut };
}

/**
 * Dispatches every workflow whose schedule is due, exactly once per due time: the claim of (workflow, due
 * time) and the move of next_due_at commit in the same batch as the runs, so a second or late trigger finds
 * the claim taken and does nothing. Missed due times collapse into one dispatch.
 */
export async function dispatchDueSchedules(deps: SweepDeps): Promise<number> {
  const { db } = deps;
  const now = deps.now();
  const due = await db
    .select({ id: workflows.id, orgId: workflows.orgId })
    .from(workflows)
    .where(and(isNotNull(workflows.nextDueAt), lte(workflows.nextDueAt, now), eq(workflows.scheduleEnabled, true), isNull(workflows.archivedAt)))
    .orderBy(asc(workflows.nextDueAt))
    .limit(DUE_BATCH)
    .all();
  let dispatched = 0;
  for (const { id, orgId } of due) {
    let claim: { dueAt: Date; next: Date | null } | undefined;
    try {
      const current = await getWorkflow(db, orgId, id);
      const { workflow, version } = current;
      const schedule = version.config.schedule;
      const dueAt = workflow.nextDueAt;
      if (!schedule || !dueAt) continue;
      const next = nextDueAt(schedule.cron, schedule.timezone, now);
      claim = { dueAt, next };
      const result = await dispatchRuns(deps, {
        orgId,
        current,
        targets: version.config.testerTargets,
        trigger: "schedule",
        reason: `schedule ${schedule.cron} (${schedule.timezone})`,
        scheduleDueAt: dueAt,
        with: [
          db.insert(scheduleTicks).values({ workflowId: id, dueAt, createdAt: now }),
          db
            .update(workflows)
            .set({ nextDueAt: next })
            .where(and(eq(workflows.id, id), eq(workflows.nextDueAt, dueAt))),
        ],
      });
      dispatched += result.queued;
    } catch (err) {
      if (isUniqueViolation(err) && claim) {
        // This due time was dispatched already (by a concurrent sweep, or before a stale write moved
        // next_due_at back): only move the schedule on, so the workflow is never stuck on a claimed time.
        await db
          .update(workflows)
          .set({ nextDueAt: claim.next })
          .where(and(eq(workflows.id, id), eq(workflows.nextDueAt, claim.dueAt)))
          .run();
        continue;
      }
      deps.log.error("scheduled dispatch failed", { workflowId: id, error: errorFields(err) });
    }
  }
  return dispatched;
}

/** Re-queues runs whose message seems lost, and ends runs stuck in queued or running past their limits. */
export async function repairStuckRuns(deps: SweepDeps): Promise<{ requeued: number; timedOut: number }> {
  const { db } = deps;
  const now = deps.now();
  const staleBefore = new Date(now.getTime() - QUEUE_STALE_MS);
  const stale = await db
    .select()
    .from(runs)
    .where(and(eq(runs.status, "queued"), lt(runs.enqueuedAt, staleBefore)))
    .limit(200)
    .all();
  const giveUp = stale.filter((r) => r.queueAttempts >= MAX_QUEUE_ATTEMPTS);
  const retry = stale.filter((r) => r.queueAttempts < MAX_QUEUE_ATTEMPTS);
  if (giveUp.length) {
    const cause = { classification: "queue_timeout" as const, error: `Not picked up from the queue after ${MAX_QUEUE_ATTEMPTS} attempts` };
    await failRuns(deps, giveUp.map((r) => r.id), cause, ["queued"]);
  }
  // Only the runs still queued when re-queued are sent again: one the consumer claimed meanwhile is not.
  const requeued = new Set(await requeueRuns(deps, retry.map((r) => r.id)));
  await enqueueRuns(deps, retry.filter((r) => requeued.has(r.id)));

  const overdue = await db
    .select()
    .from(runs)
    .where(
      and(
        eq(runs.status, "running"),
        sql`${runs.startedAt} + ${runs.timeoutSeconds} * 1000 + ${RUNNING_GRACE_MS} < ${now.getTime()}`,
      ),
    )
    .limit(200)
    .all();
  if (overdue.length) {
    const cause = { classification: "run_timeout" as const, error: "The run exceeded its time limit and was ended by the sweep" };
    await failRuns(deps, overdue.map((r) => r.id), cause, ["running"]);
  }
  return { requeued: requeued.size, timedOut: overdue.length };
}

async function purgeExpired({ db, now: clock }: SweepDeps) {
  const now = clock();
  await db
    .delete(dispatchIdempotency)
    .where(lt(dispatchIdempotency.createdAt, new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS)))
    .run();
  await db
    .delete(scheduleTicks)
    .where(lt(scheduleTicks.createdAt, new Date(now.getTime() - 7 * IDEMPOTENCY_WINDOW_MS)))
    .run();
  // Raw insight events past their retention (docs/insights.md); the aggregates built from them stay.
  await pruneInsightEvents({ db }, new Date(now.getTime() - INSIGHT_EVENT_RETENTION_MS));
}
