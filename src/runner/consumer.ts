import { eq } from "drizzle-orm";
import { createContext, type AppContext } from "../context";
import { workflows } from "../db/schema";
import type { Env, RunMessage } from "../env";
import { errorFields } from "../lib/logger";
import { claimRun, failRuns, releaseRun, type RunRow } from "../runs/lifecycle";
import { executeRun } from "./execute-run";

/**
 * The queue consumer: each message is acked or retried on its own. A failure before the run's execution
 * starts releases the claim and retries the message; a failure inside the execution ends the run as
 * `internal_error`, since running it again could repeat its tool calls.
 */
export function handleRunBatch(batch: MessageBatch<RunMessage>, env: Env, exec: ExecutionContext): Promise<void> {
  return processRunBatch(batch, createContext(env, exec, { logFields: { queue: batch.queue } }), executeRun);
}

/** handleRunBatch with the context and executor passed in, so its failure handling can be exercised. */
export async function processRunBatch(
  batch: MessageBatch<RunMessage>,
  base: AppContext,
  execute: typeof executeRun,
): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    if (!body || typeof body.runId !== "string" || typeof body.orgId !== "string") {
      base.log.error("malformed run message dropped", { messageId: message.id });
      message.ack();
      continue;
    }
    const ctx: AppContext = { ...base, log: base.log.child({ runId: body.runId, orgId: body.orgId, messageId: message.id }) };
    let run: RunRow | null = null;
    let executing = false;
    try {
      run = await claimRun(ctx, body);
      if (!run) {
        ctx.log.info("run message acked without work: unknown run or not queued");
        message.ack();
        continue;
      }
      const workflow = await ctx.db
        .select({ archivedAt: workflows.archivedAt })
        .from(workflows)
        .where(eq(workflows.id, run.workflowId))
        .get();
      if (!workflow || workflow.archivedAt) {
        await failRuns(ctx, [run.id], { classification: "workflow_archived", error: "The workflow was archived before the run started" }, [
          "running",
        ]);
        message.ack();
        continue;
      }
      executing = true;
      await execute(ctx, run);
      message.ack();
    } catch (err) {
      ctx.log.error("run message failed", { executing, error: errorFields(err) });
      try {
        if (run && executing) {
          await failRuns(ctx, [run.id], { classification: "internal_error", error: `The run failed: ${String(err)}` }, ["running"]);
          message.ack();
          continue;
        }
        if (run) await releaseRun(ctx, run.id);
      } catch (cleanupErr) {
        ctx.log.error("run cleanup failed", { error: errorFields(cleanupErr) });
      }
      message.retry({ delaySeconds: Math.min(60, 5 * 2 ** message.attempts) });
    }
  }
}
