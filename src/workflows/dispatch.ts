import { and, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { AppContext } from "../context";
import { d1Statement, rowWriter, type Database, type Renderable } from "../db/client";
import { dispatchIdempotency, runs } from "../db/schema";
import type { RunMessage } from "../env";
import { chunk, isUniqueViolation } from "../lib/d1";
import { sha256Hex } from "../lib/encoding";
import { ApiError } from "../lib/errors";
import { errorFields } from "../lib/logger";
import { failRuns, type RunRow } from "../runs/lifecycle";
import { toRunSummary } from "../runs/queries";
import type { RunTrigger } from "../runs/status";
import { LIMIT_BOUNDS, type DispatchedRun, type WorkflowConfig } from "./schemas";
import type { WorkflowWithVersion } from "./store";

export type { RunRow };
type Target = WorkflowConfig["testerTargets"][number];

/** How long an idempotency key replays its first dispatch. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** What dispatching needs from the context. */
export type DispatchDeps = Pick<AppContext, "db" | "queue" | "now" | "log">;

export interface DispatchRequest {
  orgId: string;
  current: WorkflowWithVersion;
  targets: Target[];
  trigger: RunTrigger;
  reason?: string | null;
  baselineRunId?: string | null;
  forceNewRun?: boolean;
  idempotency?: { key: string; requestHash: string };
  /** Statements that must commit with the runs or not at all (the new workflow, a schedule claim): drizzle queries. */
  with?: Renderable[];
  scheduleDueAt?: Date;
  /** Set when these runs retry an infrastructure failure of `ofRunId` (the workflow's retryPolicy). */
  retry?: { ofRunId: string; attempt: number };
  /** Deliver the messages this many seconds from now (a retry's backoff). */
  delaySeconds?: number;
}

export interface DispatchResult {
  runs: DispatchedRun[];
  /** True when an idempotency key replayed an earlier dispatch. */
  replayed: boolean;
  queued: number;
  failed: number;
}

/** A dispatched run: the fields of the run view every read answers (redacted the same way), and `reused`. */
export function toDispatchedRun(row: RunRow, reused: boolean): DispatchedRun {
  const { id, status, classification, trigger, reason, modelId, skillMode, skillVersionId, baselineRunId, createdAt } =
    toRunSummary(row);
  return {
    id,
    workflowId: row.workflowId,
    workflowVersion: row.workflowVersion,
    status,
    classification,
    trigger,
    reason,
    modelId,
    skillMode,
    skillVersionId,
    baselineRunId,
    reused,
    createdAt,
  };
}

/**
 * A new run's insert. A concurrent identical dispatch may have inserted its run since the look-up: the unique
 * index on the active fingerprint makes this insert do nothing (a no-op update rather than DO NOTHING: drizzle
 * renders DO NOTHING's target WHERE after the action), and dispatchRuns returns the other run instead. Rendered
 * once per isolate (rowWriter): drizzle building it per request was a tenth of a dispatch's CPU.
 */
const insertRun = rowWriter(runs, (db, values) =>
  db
    .insert(runs)
    .values(values)
    .onConflictDoUpdate({
      target: [runs.orgId, runs.activeFingerprint],
      targetWhere: sql`active_fingerprint IS NOT NULL`,
      set: { activeFingerprint: sql`active_fingerprint` },
    }),
);

/** What makes two dispatches "the same run": the version executed, the target, and the baseline. */
async function fingerprint(versionId: string, target: Target, baselineRunId: string | null | undefined) {
  return sha256Hex(JSON.stringify([versionId, target.modelId, target.skillMode, target.skillVersionId, baselineRunId ?? null]));
}

function activeRun(db: Database, orgId: string, fp: string): Promise<RunRow | undefined> {
  return db
    .select()
    .from(runs)
    .where(and(eq(runs.orgId, orgId), eq(runs.activeFingerprint, fp)))
    .get();
}

/** The active runs of these fingerprints, by fingerprint (at most one each: a unique index). */
async function activeRuns(db: Database, orgId: string, fps: string[]): Promise<Map<string, RunRow>> {
  const rows = (
    await Promise.all(
      chunk([...new Set(fps)], 90).map((part) =>
        db.select().from(runs).where(and(eq(runs.orgId, orgId), inArray(runs.activeFingerprint, part))).all(),
      ),
    )
  ).flat();
  return new Map(rows.map((r) => [r.activeFingerprint!, r]));
}

async function runsByIds(db: Database, orgId: string, ids: string[]): Promise<RunRow[]> {
  const rows = (
    await Promise.all(chunk(ids, 90).map((part) => db.select().from(runs).where(and(eq(runs.orgId, orgId), inArray(runs.id, part))).all()))
  ).flat();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)).filter((r): r is RunRow => Boolean(r));
}

/** The dispatch an idempotency key already made, or null; a different body under the same key is a 422. */
export async function replayDispatch(deps: DispatchDeps, orgId: string, key: string, requestHash: string): Promise<DispatchResult | null> {
  const existing = await deps.db
    .select()
    .from(dispatchIdempotency)
    .where(
      and(
        eq(dispatchIdempotency.orgId, orgId),
        eq(dispatchIdempotency.key, key),
        gt(dispatchIdempotency.createdAt, new Date(deps.now().getTime() - IDEMPOTENCY_WINDOW_MS)),
      ),
    )
    .get();
  if (!existing) return null;
  if (existing.requestHash !== requestHash) {
    throw new ApiError(
      "idempotency_key_reused",
      "This idempotency key was already used with a different request; use a new key for a different dispatch",
      { idempotencyKey: key, firstUsedAt: existing.createdAt.toISOString() },
    );
  }
  const rows = await runsByIds(deps.db, orgId, existing.runIds);
  return {
    runs: rows.map((r) => toDispatchedRun(r, false)),
    replayed: true,
    queued: rows.filter((r) => r.classification !== "dispatch_failed").length,
    failed: rows.filter((r) => r.classification === "dispatch_failed").length,
  };
}

/**
 * Creates one run per target and puts one message per run on the queue. Runs are written to D1 first (with
 * anything in `req.with`, in one batch); a run whose message cannot be sent is failed at once with
 * classification `dispatch_failed`, so nothing waits in `queued` for a message that never comes.
 *
 * With an idempotency key the caller has already asked replayDispatch; a concurrent first use of the same key
 * is settled here by the key's primary key, and the loser answers with the winner's runs.
 */
export async function dispatchRuns(deps: DispatchDeps, req: DispatchRequest): Promise<DispatchResult> {
  const { db } = deps;
  const now = deps.now();
  const { workflow, version } = req.current;

  // Runs dispatched with an idempotency key or forceNewRun are explicit: they neither fold into an identical
  // active run nor carry a fingerprint that later dispatches fold into, so they skip computing one.
  const foldable = !req.forceNewRun && !req.idempotency;
  const fingerprints = foldable
    ? await Promise.all(req.targets.map((target) => fingerprint(version.id, target, req.baselineRunId)))
    : null;
  // A new workflow version has no runs yet; otherwise look for the identical active runs, in one read.
  const active = fingerprints && req.trigger !== "initial" ? await activeRuns(db, req.orgId, fingerprints) : new Map<string, RunRow>();
  const reusedRows: RunRow[] = [];
  const newRows: RunRow[] = [];
  for (const [i, target] of req.targets.entries()) {
    const fp = fingerprints ? fingerprints[i]! : null;
    const existing = fp === null ? undefined : active.get(fp);
    if (existing) {
      reusedRows.push(existing);
      continue;
    }
    newRows.push({
      id: crypto.randomUUID(),
      orgId: req.orgId,
      workflowId: workflow.id,
      workflowVersionId: version.id,
      workflowVersion: version.version,
      workflowName: workflow.name,
      status: "queued",
      classification: null,
      trigger: req.trigger,
      reason: req.reason ?? null,
      modelId: target.modelId,
      skillMode: target.skillMode,
      skillVersionId: target.skillVersionId,
      baselineRunId: req.baselineRunId ?? null,
      activeFingerprint: fp,
      scheduleDueAt: req.scheduleDueAt ?? null,
      queueAttempts: 1,
      timeoutSeconds: Math.min(version.config.limits.timeoutSeconds, LIMIT_BOUNDS.timeoutSeconds.max),
      createdAt: now,
      enqueuedAt: now,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      evaluatorOutput: null,
      costUsd: null,
      inputTokens: null,
      outputTokens: null,
      error: null,
      mcpProtocolVersion: null,
      mcpProtocolEra: null,
      skillDigest: null,
      attempt: req.retry?.attempt ?? 1,
      retryOfRunId: req.retry?.ofRunId ?? null,
    });
  }

  const statements: D1PreparedStatement[] = (req.with ?? []).map((q) => d1Statement(db, q));
  if (req.idempotency) {
    // Expired claims of this key are cleared first; a live one makes the insert fail and the batch with it.
    statements.push(
      d1Statement(
        db,
        db
          .delete(dispatchIdempotency)
          .where(
            and(
              eq(dispatchIdempotency.orgId, req.orgId),
              eq(dispatchIdempotency.key, req.idempotency.key),
              lt(dispatchIdempotency.createdAt, new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS)),
            ),
          ),
      ),
      d1Statement(
        db,
        db.insert(dispatchIdempotency).values({
          orgId: req.orgId,
          key: req.idempotency.key,
          workflowId: workflow.id,
          requestHash: req.idempotency.requestHash,
          runIds: [...reusedRows, ...newRows].map((r) => r.id),
          createdAt: now,
        }),
      ),
    );
  }
  statements.push(...newRows.map((r) => insertRun(db, r)));
  if (statements.length) {
    try {
      // D1's own batch (one transaction, like drizzle's): the runs' insert is rendered once per isolate.
      await db.$client.batch(statements);
    } catch (err) {
      if (req.idempotency && isUniqueViolation(err)) {
        // A concurrent request with the same key committed first: answer with its runs.
        const earlier = await replayDispatch(deps, req.orgId, req.idempotency.key, req.idempotency.requestHash);
        if (earlier) return earlier;
      }
      throw err;
    }
  }

  if (foldable && newRows.length) {
    const stored = new Set((await runsByIds(db, req.orgId, newRows.map((r) => r.id))).map((r) => r.id));
    for (const row of newRows.filter((r) => !stored.has(r.id))) {
      const winner = await activeRun(db, req.orgId, row.activeFingerprint!);
      if (winner) reusedRows.push(winner);
    }
    newRows.splice(0, newRows.length, ...newRows.filter((r) => stored.has(r.id)));
  }

  const failed = await enqueueRuns(deps, newRows, req.delaySeconds);
  const failedIds = new Set(failed.map((r) => r.id));
  const finalNew = newRows.map((r) => (failedIds.has(r.id) ? failed.find((f) => f.id === r.id)! : r));
  return {
    runs: [...reusedRows.map((r) => toDispatchedRun(r, true)), ...finalNew.map((r) => toDispatchedRun(r, false))],
    replayed: false,
    queued: newRows.length - failed.length,
    failed: failed.length,
  };
}

/** Sends one message per run; returns the runs that could not be sent, already failed in D1. */
export async function enqueueRuns(deps: DispatchDeps, rows: RunRow[], delaySeconds?: number): Promise<RunRow[]> {
  const failed: RunRow[] = [];
  for (const part of chunk(rows, 100)) {
    try {
      await deps.queue.sendBatch(
        part.map((r) => ({ body: { runId: r.id, orgId: r.orgId } satisfies RunMessage, contentType: "json" as const })),
        delaySeconds ? { delaySeconds } : undefined,
      );
    } catch (err) {
      deps.log.error("queue send failed", { runIds: part.map((r) => r.id), error: errorFields(err) });
      const cause = { classification: "dispatch_failed" as const, error: `The run could not be queued: ${String(err)}` };
      const ids = new Set(await failRuns(deps, part.map((r) => r.id), cause, ["queued"]));
      const finishedAt = deps.now();
      failed.push(...part.filter((r) => ids.has(r.id)).map((r) => ({ ...r, ...cause, status: "fail" as const, activeFingerprint: null, finishedAt })));
    }
  }
  return failed;
}

/**
 * The request hash an idempotency key is bound to: the workflow and the canonical JSON of the body without
 * the key itself.
 */
export async function dispatchRequestHash(workflowId: string, body: Record<string, unknown>): Promise<string> {
  const { idempotencyKey: _k, ...rest } = body;
  return sha256Hex(JSON.stringify([workflowId, canonical(rest)]));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
