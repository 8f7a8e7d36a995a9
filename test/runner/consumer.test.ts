import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runs } from "../../src/db/schema";
import type { RunMessage } from "../../src/env";
import { DEAD_LETTER_QUEUE, processDeadLetters, processRunBatch, RUN_CONCURRENCY } from "../../src/runner/consumer";
import { createOrg, db, testContext } from "../helpers";
import { createRun, createWorkflow } from "../runs/fixtures";

const batchOf = (queue: string, bodies: RunMessage[]) =>
  createMessageBatch<RunMessage>(
    queue,
    bodies.map((body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body })),
  );

describe("the run consumer", () => {
  it(`executes the runs of a batch concurrently, at most ${RUN_CONCURRENCY} at once, each acked on its own`, async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const queued = await Promise.all(Array.from({ length: 7 }, () => createRun(org.id, wf, { status: "queued" })));
    let active = 0;
    let peak = 0;
    const executed: string[] = [];
    const batch = batchOf("armature-runs", queued.map((r) => ({ runId: r.id, orgId: org.id })));
    const exec = createExecutionContext();
    await processRunBatch(batch, testContext(), async (_ctx, run) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 20));
      executed.push(run.id);
      active--;
    });
    const result = await getQueueResult(batch, exec);
    expect(result.explicitAcks).toHaveLength(7);
    expect(executed.sort()).toEqual(queued.map((r) => r.id).sort());
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(RUN_CONCURRENCY);
  });

  it("ends the run of a dead-lettered message as fail / internal_error, and leaves a finished run alone", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const stuck = await createRun(org.id, wf, { status: "queued" });
    const done = await createRun(org.id, wf, { status: "pass" });
    const batch = batchOf(DEAD_LETTER_QUEUE, [
      { runId: stuck.id, orgId: org.id },
      { runId: done.id, orgId: org.id },
    ]);
    const exec = createExecutionContext();
    await processDeadLetters(batch, testContext());
    expect((await getQueueResult(batch, exec)).explicitAcks).toHaveLength(2);
    const ended = await db.select().from(runs).where(eq(runs.id, stuck.id)).get();
    expect(ended).toMatchObject({ status: "fail", classification: "internal_error" });
    expect(ended!.error).toContain("dead-lettered");
    expect((await db.select().from(runs).where(eq(runs.id, done.id)).get())!.status).toBe("pass");
  });
});
