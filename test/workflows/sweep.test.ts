import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { runs, workflows } from "../../src/db/schema";
import type { RunMessage } from "../../src/env";
import { handleRunBatch } from "../../src/runner/consumer";
import { MAX_QUEUE_ATTEMPTS, QUEUE_STALE_MS, RUNNING_GRACE_MS, runSweep } from "../../src/scheduler/sweep";
import { callJson, createOrg, db, testContext } from "../helpers";
import { captureQueue, createWorkflow, runsOfWorkflow } from "./fixtures";

const queue = captureQueue();

async function scheduledWorkflow(cron = "0 * * * *", models = ["gpt-5", "claude-sonnet-4"]) {
  const org = await createOrg();
  const wf = await createWorkflow(org, { testerModelIds: models, schedule: { cron, timezone: "UTC" } });
  // End the initial runs so they do not count as identical active runs.
  await db.update(runs).set({ status: "pass", activeFingerprint: null }).where(eq(runs.workflowId, wf.workflow.id)).run();
  return { org, id: wf.workflow.id as string };
}

async function fireCron(at: Date) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), env, ctx);
  await getQueueResultless(ctx);
}

async function getQueueResultless(ctx: ExecutionContext) {
  const { waitOnExecutionContext } = await import("cloudflare:test");
  await waitOnExecutionContext(ctx);
}

describe("schedule sweep", () => {
  it("dispatches a due workflow exactly once per due time, even when the trigger fires twice or late", async () => {
    const { id } = await scheduledWorkflow();
    const due = new Date(Date.UTC(2026, 10, 22, 10, 0, 0));
    await db.update(workflows).set({ nextDueAt: due }).where(eq(workflows.id, id)).run();

    await fireCron(new Date(due.getTime() + 30_000));
    // A second trigger that read the workflow as due before the first moved it on, after the first runs
    // ended (so no identical active run folds it): only the claim of (workflow, due time) stops it.
    const replayDue = async () => {
      await db.update(runs).set({ status: "pass", activeFingerprint: null }).where(eq(runs.workflowId, id)).run();
      await db.update(workflows).set({ nextDueAt: due }).where(eq(workflows.id, id)).run();
    };
    await replayDue();
    await fireCron(new Date(due.getTime() + 30_000));
    await replayDue();
    await fireCron(new Date(due.getTime() + 5 * 60_000)); // and a late one
    const scheduled = (await runsOfWorkflow(id)).filter((r) => r.trigger === "schedule");
    expect(scheduled).toHaveLength(2); // one per tester target
    expect(scheduled.every((r) => r.scheduleDueAt?.getTime() === due.getTime())).toBe(true);
    const row = await db.select().from(workflows).where(eq(workflows.id, id)).get();
    expect(row!.nextDueAt!.getTime()).toBe(Date.UTC(2026, 10, 22, 11, 0, 0));
    expect(await queue.waitForRuns(scheduled.map((r) => r.id))).toHaveLength(2);
  });

  it("is exactly-once under concurrent sweeps", async () => {
    const { id } = await scheduledWorkflow("30 * * * *", ["gpt-5"]);
    const due = new Date(Date.UTC(2026, 10, 22, 9, 30, 0));
    await db.update(workflows).set({ nextDueAt: due }).where(eq(workflows.id, id)).run();
    const now = new Date(due.getTime() + 1000);
    await Promise.all(Array.from({ length: 4 }, () => runSweep(testContext({ now: now }))));
    expect((await runsOfWorkflow(id)).filter((r) => r.trigger === "schedule")).toHaveLength(1);
  });

  it("collapses missed due times into one dispatch and moves on to the next future time", async () => {
    const { id } = await scheduledWorkflow("0 * * * *", ["gpt-5"]);
    const due = new Date(Date.UTC(2026, 10, 20, 0, 0, 0));
    await db.update(workflows).set({ nextDueAt: due }).where(eq(workflows.id, id)).run();
    const now = new Date(Date.UTC(2026, 10, 22, 7, 15, 0));
    await runSweep(testContext({ now: now }));
    expect((await runsOfWorkflow(id)).filter((r) => r.trigger === "schedule")).toHaveLength(1);
    const row = await db.select().from(workflows).where(eq(workflows.id, id)).get();
    expect(row!.nextDueAt!.toISOString()).toBe("2026-11-22T08:00:00.000Z");
  });

  it("does not dispatch a workflow made manual-only", async () => {
    const { org, id } = await scheduledWorkflow();
    await callJson(`/workflows/${id}`, { key: org.ownerKey, method: "PATCH", body: { schedule: null } });
    // Even a stale next due time left on the row does not fire once the schedule is gone.
    await db.update(workflows).set({ nextDueAt: new Date(Date.UTC(2026, 10, 22, 10, 0, 0)) }).where(eq(workflows.id, id)).run();
    await runSweep(testContext({ now: new Date(Date.UTC(2026, 10, 22, 10, 0, 1)) }));
    expect((await runsOfWorkflow(id)).filter((r) => r.trigger === "schedule")).toHaveLength(0);
  });

  it("does not dispatch archived or manual-only workflows", async () => {
    const { org, id } = await scheduledWorkflow();
    const due = new Date(Date.UTC(2026, 10, 22, 10, 0, 0));
    await db.update(workflows).set({ nextDueAt: due }).where(eq(workflows.id, id)).run();
    await callJson(`/workflows/${id}`, { key: org.ownerKey, method: "DELETE" });
    await runSweep(testContext({ now: new Date(due.getTime() + 1000) }));
    expect((await runsOfWorkflow(id)).filter((r) => r.trigger === "schedule")).toHaveLength(0);
  });
});

describe("stuck runs", () => {
  it("re-queues a queued run whose message seems lost, then gives up as queue_timeout", async () => {
    const { org } = await scheduledWorkflow();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"] });
    const [run] = await runsOfWorkflow(wf.workflow.id);
    const now = new Date(run!.enqueuedAt!.getTime() + QUEUE_STALE_MS + 1000);
    const first = await runSweep(testContext({ now: now }));
    expect(first.requeued).toBeGreaterThanOrEqual(1);
    const after = await db.select().from(runs).where(eq(runs.id, run!.id)).get();
    expect(after).toMatchObject({ status: "queued", queueAttempts: 2 });
    expect(after!.enqueuedAt!.getTime()).toBe(now.getTime());
    expect((await queue.waitForRuns([run!.id], 2)).length).toBeGreaterThanOrEqual(2);

    await db.update(runs).set({ queueAttempts: MAX_QUEUE_ATTEMPTS }).where(eq(runs.id, run!.id)).run();
    await runSweep(testContext({ now: new Date(now.getTime() + QUEUE_STALE_MS + 1000) }));
    const ended = await db.select().from(runs).where(eq(runs.id, run!.id)).get();
    expect(ended).toMatchObject({ status: "fail", classification: "queue_timeout", activeFingerprint: null });
    expect(ended!.finishedAt).not.toBeNull();
  });

  it("ends a run stuck in running past its timeout as run_timeout, with its duration", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"], limits: { timeoutSeconds: 60 } });
    const [run] = await runsOfWorkflow(wf.workflow.id);
    const started = new Date(Date.now() - 10 * 60_000);
    await db.update(runs).set({ status: "running", startedAt: started }).where(eq(runs.id, run!.id)).run();
    // Within timeout + grace nothing happens.
    await runSweep(testContext({ now: new Date(started.getTime() + 60_000 + RUNNING_GRACE_MS - 1000) }));
    expect((await db.select().from(runs).where(eq(runs.id, run!.id)).get())!.status).toBe("running");
    const now = new Date(started.getTime() + 60_000 + RUNNING_GRACE_MS + 1000);
    const report = await runSweep(testContext({ now: now }));
    expect(report.timedOut).toBeGreaterThanOrEqual(1);
    const ended = await db.select().from(runs).where(eq(runs.id, run!.id)).get();
    expect(ended).toMatchObject({ status: "fail", classification: "run_timeout", durationMs: now.getTime() - started.getTime() });
  });
});

describe("queue consumer", () => {
  async function deliver(messages: RunMessage[], attempts = 1) {
    const batch = createMessageBatch<RunMessage>(
      "armature-runs",
      messages.map((body, i) => ({ id: `m-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body })),
    );
    const ctx = createExecutionContext();
    await handleRunBatch(batch, env, ctx);
    return getQueueResult(batch, ctx);
  }

  it("claims a queued run once and acks; a second delivery changes nothing", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"] });
    const [run] = await runsOfWorkflow(wf.workflow.id);
    const msg = { runId: run!.id, orgId: org.id };
    const result = await deliver([msg]);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(1);
    const once = await db.select().from(runs).where(eq(runs.id, run!.id)).get();
    expect(once!.startedAt).not.toBeNull();
    // Executed once: the test deployment has no OpenAI key, so the run ends at once and says why.
    expect(once).toMatchObject({ status: "fail", classification: "model_not_configured", activeFingerprint: null });
    expect(once!.error).toContain("OPENAI_API_KEY");

    const again = await deliver([msg], 2);
    expect(again.explicitAcks).toHaveLength(1);
    const twice = await db.select().from(runs).where(eq(runs.id, run!.id)).get();
    expect(twice).toEqual(once);
  });

  it("acks malformed messages and messages for unknown runs or another organization", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"] });
    const [run] = await runsOfWorkflow(wf.workflow.id);
    const result = await deliver([
      { runId: crypto.randomUUID(), orgId: org.id },
      { runId: run!.id, orgId: crypto.randomUUID() },
      {} as RunMessage,
    ]);
    expect(result.explicitAcks).toHaveLength(3);
    expect((await db.select().from(runs).where(eq(runs.id, run!.id)).get())!.status).toBe("queued");
  });

  it("ends a run of an archived workflow as workflow_archived", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"] });
    const [run] = await runsOfWorkflow(wf.workflow.id);
    await callJson(`/workflows/${wf.workflow.id}`, { key: org.ownerKey, method: "DELETE" });
    await deliver([{ runId: run!.id, orgId: org.id }]);
    expect(await db.select().from(runs).where(eq(runs.id, run!.id)).get()).toMatchObject({
      status: "fail",
      classification: "workflow_archived",
    });
  });
});
