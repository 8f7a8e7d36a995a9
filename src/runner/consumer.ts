import { createContext, type AppContext } from "../context";
import type { Env, RunMessage } from "../env";
import { errorFields } from "../lib/logger";
import { claimRun, failRuns, releaseRun, type RunRow } from "../runs/lifecycle";
import { executeRun } from "./execute-run";

/** The queue a message that failed every delivery lands in (wrangler.toml `dead_letter_queue`). */
export const DEAD_LETTER_QUEUE = "armature-runs-dlq";

/** Runs of one batch executed at once: enough to overlap the waiting on sources and models, few enough for one isolate. */
export const RUN_CONCURRENCY = 4;

/**
 * The queue consumer: each message is acked or retried on its own, up to RUN_CONCURRENCY at once. A failure
 * before the run's execution starts releases the claim and retries the message; a failure inside the
 * execution ends the run as `internal_error`, since running it again could repeat its tool calls. Messages
 * of the dead-letter queue end their runs.
 */
export function handleRunBatch(batch: MessageBatch<RunMessage>, env: Env, exec: ExecutionContext): Promise<void> {
  const ctx = createContext(env, exec, { logFields: { queue: batch.queue } });
  if (batch.queue === DEAD_LETTER_QUEUE) return processDeadLetters(batch, ctx);
  return processRunBatch(batch, ctx, executeRun);
}

/** `work` over `items`, at most `limit` at a time. */
async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

const isRunMessage = (body: unknown): body is RunMessage =>
  typeof body === "object" && body !== null && typeof (body as RunMessage).runId === "string" && typeof (body as RunMessage).orgId === "string";

/** handleRunBatch with the context and executor passed in, so its failure handling can be exercised. */
export async function processRunBatch(batch: MessageBatch<RunMessage>, base: AppContext, execute: typeof executeRun): Promise<void> {
  await eachBounded(batch.messages, RUN_CONCURRENCY, (message) => processMessage(message, base, execute));
}

async function processMessage(message: Message<RunMessage>, base: AppContext, execute: typeof executeRun): Promise<void> {
  const body = message.body;
  if (!isRunMessage(body)) {
    base.log.error("malformed run message dropped", { messageId: message.id });
    message.ack();
    return;
  }
  const ctx: AppContext = { ...base, log: base.log.child({ runId: body.runId, orgId: body.orgId, messageId: message.id }) };
  let run: RunRow | null = null;
  let executing = false;
  try {
    const claimed = await claimRun(ctx, body);
    if (!claimed) {
      ctx.log.info("run message acked without work: unknown run or not queued");
      message.ack();
      return;
    }
    run = claimed.run;
    if (!claimed.workflowActive) {
      await failRuns(ctx, [run.id], { classification: "workflow_archived", error: "The workflow was archived before the run started" }, ["running"]);
      message.ack();
      return;
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
        return;
      }
      if (run) await releaseRun(ctx, run.id);
    } catch (cleanupErr) {
      ctx.log.error("run cleanup failed", { error: errorFields(cleanupErr) });
    }
    message.retry({ delaySeconds: Math.min(60, 5 * 2 ** message.attempts) });
  }
}

/** The dead-letter queue: each message's run, if still queued or running, ends as `fail` / `internal_error`. */
export async function processDeadLetters(batch: MessageBatch<RunMessage>, ctx: AppContext): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    if (isRunMessage(body)) {
      const cause = { classification: "internal_error" as const, error: "The run's queue message failed every delivery and was dead-lettered" };
      const failed = await failRuns(ctx, [body.runId], cause, ["queued", "running"]);
      ctx.log.error("run message dead-lettered", { runId: body.runId, orgId: body.orgId, ended: failed.length === 1 });
    }
    message.ack();
  }
}
