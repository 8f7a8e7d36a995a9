import { and, eq } from "drizzle-orm";
import { createDb, type Database } from "../db/client";
import { runs, workflows } from "../db/schema";
import type { Env, RunMessage } from "../env";
import { failRuns, type RunRow } from "../workflows/dispatch";
import { executeRun } from "./execute-run";

/**
 * Claims a queued run for execution: queued → running, once. A second delivery of the same message finds the
 * run no longer queued and does nothing, so a run is never executed twice.
 */
export async function claimRun(db: Database, msg: RunMessage, now: Date): Promise<RunRow | null> {
  const claimed = await db
    .update(runs)
    .set({ status: "running", startedAt: now })
    .where(and(eq(runs.id, msg.runId), eq(runs.orgId, msg.orgId), eq(runs.status, "queued")))
    .returning()
    .get();
  return claimed ?? null;
}

/** Gives a claimed run back to the queue's next delivery (the claim failed before execution began). */
async function releaseRun(db: Database, run: RunRow): Promise<void> {
  await db
    .update(runs)
    .set({ status: "queued", startedAt: null })
    .where(and(eq(runs.id, run.id), eq(runs.status, "running")))
    .run();
}

const log = (fields: Record<string, unknown>) => console.log(JSON.stringify(fields));

/**
 * The queue consumer: each message is acked or retried on its own. A failure before the run's execution
 * starts releases the claim and retries the message; a failure inside the execution ends the run as
 * `internal_error`, since running it again could repeat its tool calls.
 */
export function handleRunBatch(batch: MessageBatch<RunMessage>, env: Env, ctx: ExecutionContext): Promise<void> {
  return processRunBatch(batch, env, ctx, executeRun);
}

/** handleRunBatch with the executor passed in, so its failure handling can be exercised. */
export async function processRunBatch(
  batch: MessageBatch<RunMessage>,
  env: Env,
  ctx: ExecutionContext,
  execute: typeof executeRun,
): Promise<void> {
  const db = createDb(env.DB);
  for (const message of batch.messages) {
    const body = message.body;
    if (!body || typeof body.runId !== "string" || typeof body.orgId !== "string") {
      log({ level: "error", msg: "malformed run message dropped", messageId: message.id });
      message.ack();
      continue;
    }
    let run: RunRow | null = null;
    let executing = false;
    try {
      run = await claimRun(db, body, new Date());
      if (!run) {
        log({ level: "info", msg: "run message acked without work: unknown run or not queued", messageId: message.id, ...body });
        message.ack();
        continue;
      }
      const workflow = await db
        .select({ archivedAt: workflows.archivedAt })
        .from(workflows)
        .where(eq(workflows.id, run.workflowId))
        .get();
      if (!workflow || workflow.archivedAt) {
        await failRuns({ db, now: new Date() }, [run], "workflow_archived", "The workflow was archived before the run started", [
          "running",
        ]);
        message.ack();
        continue;
      }
      executing = true;
      await execute({ env, db, ctx }, run);
      message.ack();
    } catch (err) {
      log({ level: "error", msg: "run message failed", messageId: message.id, runId: body.runId, executing, error: String(err) });
      try {
        if (run && executing) {
          await failRuns({ db, now: new Date() }, [run], "internal_error", `The run failed: ${String(err)}`, ["running"]);
          message.ack();
          continue;
        }
        if (run) await releaseRun(db, run);
      } catch (cleanupErr) {
        log({ level: "error", msg: "run cleanup failed", runId: body.runId, error: String(cleanupErr) });
      }
      message.retry({ delaySeconds: Math.min(60, 5 * 2 ** message.attempts) });
    }
  }
}
