import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runEvaluations, runs, workflows } from "../../src/db/schema";
import { claimRun, failRuns, finishRun, releaseRun, requeueRuns } from "../../src/runs/lifecycle";
import { env } from "cloudflare:workers";
import { callJson, createOrg, db, testContext } from "../helpers";
import { createRun, createWorkflow } from "./fixtures";

const stored = async (id: string) => (await db.select().from(runs).where(eq(runs.id, id)).get())!;

const span = {
  id: "s1",
  parentId: null,
  name: "run",
  kind: "run",
  startedAt: new Date().toISOString(),
  endedAt: new Date().toISOString(),
  attributes: { answer: "hi" },
};
const toolCall = (seq: number, toolName = "echo") => ({
  id: crypto.randomUUID(),
  seq,
  toolName,
  arguments: { text: "hi" },
  result: { content: [{ type: "text", text: "hi" }] },
  isError: false,
  policyRefused: false,
  durationMs: 5,
  startedAt: new Date().toISOString(),
});
const outcome = {
  status: "pass" as const,
  classification: "all_criteria_met" as const,
  evidence: {
    spans: [span],
    toolCalls: [toolCall(0)],
    evaluation: {
      verdict: "pass" as const,
      judgeModelId: "armature/scripted",
      summary: "All met.",
      criteria: [{ criterionText: "Says hi", isRequired: true, verdict: "pass" as const }],
    },
    mcp: { protocolVersion: "2026-07-28", era: "2026" as const },
  },
};

describe("run lifecycle: every change is conditional on the status it starts from", () => {
  it("claims a queued run once; a second claim does nothing", async () => {
    const org = await createOrg();
    const run = await createRun(org.id, await createWorkflow(org.id), { status: "queued" });
    const ctx = testContext();
    expect(await claimRun(ctx, { runId: run.id, orgId: org.id })).toMatchObject({ run: { id: run.id, status: "running" }, workflowActive: true });
    expect(await claimRun(ctx, { runId: run.id, orgId: org.id })).toBeNull();
    // Another organization's id never claims it.
    expect(await claimRun(ctx, { runId: run.id, orgId: crypto.randomUUID() })).toBeNull();
  });

  it("the sweep's timeout wins over a later finish: the finish changes nothing and writes no evaluation", async () => {
    const org = await createOrg();
    const run = await createRun(org.id, await createWorkflow(org.id), { status: "running" });
    const ctx = testContext();
    expect(await failRuns(ctx, [run.id], { classification: "run_timeout", error: "too slow" }, ["running"])).toEqual([run.id]);
    expect(await finishRun(ctx, run.id, outcome)).toBe(false);
    expect(await stored(run.id)).toMatchObject({ status: "fail", classification: "run_timeout", error: "too slow" });
    expect(await db.select().from(runEvaluations).where(eq(runEvaluations.runId, run.id)).all()).toEqual([]);
  });

  it("a finish wins over a later timeout: the timeout changes nothing", async () => {
    const org = await createOrg();
    const run = await createRun(org.id, await createWorkflow(org.id), { status: "running" });
    const ctx = testContext();
    expect(await finishRun(ctx, run.id, outcome)).toBe(true);
    expect(await failRuns(ctx, [run.id], { classification: "run_timeout", error: "late" }, ["running"])).toEqual([]);
    expect(await stored(run.id)).toMatchObject({ status: "pass", classification: "all_criteria_met", error: null });
    const evaluation = await callJson<{ evaluation: { criteria: unknown[] } }>(`/runs/${run.id}/evaluation`, { key: org.ownerKey });
    // Defaults filled on write by the one criterion schema.
    expect(evaluation.body.evaluation.criteria).toEqual([
      { criterionText: "Says hi", isRequired: true, verdict: "pass", reasoning: null, excerpts: [] },
    ]);
  });

  it("releases only a running run, and requeues only runs still queued", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const queued = await createRun(org.id, wf, { status: "queued", queueAttempts: 1 });
    const done = await createRun(org.id, wf, { status: "pass" });
    const ctx = testContext();
    expect(await releaseRun(ctx, done.id)).toBe(false);
    expect(await requeueRuns(ctx, [queued.id, done.id])).toEqual([queued.id]);
    expect(await stored(queued.id)).toMatchObject({ status: "queued", queueAttempts: 2 });
    expect(await stored(done.id)).toMatchObject({ status: "pass" });
  });

  it("writes the trace, every tool call and the evaluation in the batch that ends the run, through the shared schemas", async () => {
    const org = await createOrg();
    const run = await createRun(org.id, await createWorkflow(org.id), { status: "running" });
    const ctx = testContext();
    const calls = Array.from({ length: 20 }, (_, i) => toolCall(i, `tool-${i}`));
    // A malformed record refuses the whole finish: nothing is written, the run stays running.
    await expect(finishRun(ctx, run.id, { ...outcome, evidence: { ...outcome.evidence, spans: [{ id: "x" }] } })).rejects.toThrow();
    expect(await stored(run.id)).toMatchObject({ status: "running" });
    expect(await finishRun(ctx, run.id, { ...outcome, evidence: { ...outcome.evidence, toolCalls: calls } })).toBe(true);
    expect(await stored(run.id)).toMatchObject({ status: "pass", mcpProtocolVersion: "2026-07-28", mcpProtocolEra: "2026" });
    const trace = await callJson<{ spans: unknown[] }>(`/runs/${run.id}/trace`, { key: org.ownerKey });
    expect(trace.body.spans).toEqual([span]);
    const listed = await callJson<{ toolCalls: Array<{ toolName: string; seq: number }> }>(`/runs/${run.id}/tool-calls`, { key: org.ownerKey });
    expect(listed.body.toolCalls.map((c) => c.toolName)).toEqual(calls.map((c) => c.toolName));
  });

  it("answers the claimed run as drizzle reads the stored row, every column decoded, started now", async () => {
    const org = await createOrg();
    const now = new Date("2026-12-07T06:00:00.123Z");
    const run = await createRun(org.id, await createWorkflow(org.id), {
      status: "queued",
      reason: "nightly",
      activeFingerprint: "fp-1",
      queueAttempts: 2,
      scheduleDueAt: new Date("2026-12-07T05:59:00.000Z"),
      // Not a queued run's, but a JSON column decoded like every other.
      evaluatorOutput: { carried: [1, "two"] },
    });
    const claimed = await claimRun(testContext({ now }), { runId: run.id, orgId: org.id });
    const row = await stored(run.id);
    expect(row).toMatchObject({ status: "running", startedAt: now, queueAttempts: 2, activeFingerprint: "fp-1", evaluatorOutput: { carried: [1, "two"] } });
    expect(claimed).toEqual({ run: row, workflowActive: true });
  });

  it("says in the claim whether the run's workflow is still active: archived since the dispatch, it is not", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const before = await createRun(org.id, wf, { status: "queued" });
    const after = await createRun(org.id, wf, { status: "queued" });
    const ctx = testContext();
    expect(await claimRun(ctx, { runId: before.id, orgId: org.id })).toMatchObject({ workflowActive: true });
    await db.update(workflows).set({ archivedAt: new Date() }).where(eq(workflows.id, wf.id)).run();
    expect(await claimRun(ctx, { runId: after.id, orgId: org.id })).toMatchObject({ run: { id: after.id, status: "running" }, workflowActive: false });
  });

  it("a finish writes each value as its column stores it: the evaluator's output as JSON, or NULL; the duration from the start", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const startedAt = new Date("2026-12-07T06:00:00.000Z");
    const now = new Date("2026-12-07T06:00:02.500Z");
    const judged = await createRun(org.id, wf, { status: "running", startedAt, activeFingerprint: "fp-2" });
    const ctx = testContext({ now });
    const full = {
      ...outcome,
      status: "partial" as const,
      classification: "optional_criteria_failed" as const,
      evaluatorOutput: { notes: ["a", "b"], score: 0.5 },
      cost: { usd: 0.0123, inputTokens: 10, outputTokens: 5 },
      error: "one optional criterion failed",
      evidence: { ...outcome.evidence, skillDigest: "sha256:abc" },
    };
    expect(await finishRun(ctx, judged.id, full)).toBe(true);
    expect(await stored(judged.id)).toMatchObject({
      status: "partial",
      classification: "optional_criteria_failed",
      evaluatorOutput: { notes: ["a", "b"], score: 0.5 },
      costUsd: 0.0123,
      inputTokens: 10,
      outputTokens: 5,
      error: "one optional criterion failed",
      mcpProtocolVersion: "2026-07-28",
      mcpProtocolEra: "2026",
      skillDigest: "sha256:abc",
      activeFingerprint: null,
      finishedAt: now,
      durationMs: 2_500,
    });
    const bare = await createRun(org.id, wf, { status: "running", startedAt });
    expect(await finishRun(ctx, bare.id, { status: "fail", classification: "run_timeout" })).toBe(true);
    const [columns] = await env.DB.prepare("SELECT evaluator_output IS NULL, cost_usd IS NULL, error IS NULL, skill_digest IS NULL, mcp_protocol_version IS NULL FROM runs WHERE id = ?")
      .bind(bare.id)
      .raw();
    expect(columns).toEqual([1, 1, 1, 1, 1]);
  });
});
