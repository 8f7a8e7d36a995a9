import { and, eq } from "drizzle-orm";
import { createDb, type Database } from "../db/client";
import { runs, workflows } from "../db/schema";
import type { Env, RunMessage } from "../env";
import { failRuns, type RunRow } from "../services/dispatch";
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

/** The queue consumer: each message is acked or retried on its own. */
export async function handleRunBatch(batch: MessageBatch<RunMessage>, env: Env, ctx: ExecutionContext): Promise<void> {
  const db = createDb(env.DB);
  for (const message of batch.messages) {
    try {
      const body = message.body;
      if (!body || typeof body.runId !== "string" || typeof body.orgId !== "string") {
        console.error(JSON.stringify({ level: "error", msg: "malformed run message dropped", id: message.id }));
        message.ack();
        continue;
      }
      const run = await claimRun(db, body, new Date());
      if (!run) {
        message.ack();
        continue;
      }
      const workflow = await db
        .select({ archivedAt: workflows.archivedAt })
        .from(workflows)
        .where(eq(workflows.id, run.workflowId))
        .get();
      if (!workflow || workflow.archivedAt) {
        await failRuns({ db, now: new Date() }, [run], "workflow_archived", "The workflow was archived before the run started");
        message.ack();
        continue;
      }
      await executeRun({ env, db, ctx }, run);
      message.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "run message failed", id: message.id, error: String(err) }));
      message.retry({ delaySeconds: Math.min(60, 5 * 2 ** message.attempts) });
    }
  }
}
