import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runEvaluations, runs } from "../../src/db/schema";
import { claimRun, failRuns, finishRun, releaseRun, requeueRuns } from "../../src/runs/lifecycle";
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
    expect(await claimRun(ctx, { runId: run.id, orgId: org.id })).toMatchObject({ id: run.id, status: "running" });
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
});
