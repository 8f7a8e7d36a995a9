import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runs } from "../../src/db/schema";
import type { RunEvaluationView, RunToolCallsView, RunView } from "../../src/runs/schemas";
import { call, callJson, createOrg, db, errorFields, expectError } from "../helpers";
import { addEvaluation, addToolCalls, addTrace, createRun, createWorkflow } from "./fixtures";

const GITHUB_TOKEN = `ghp_${"a1B2c3D4e5".repeat(4)}`;
const BEARER = "Bearer abcdefghijklmnopqrstuvwxyz0123456789";

const criteria = [
  { criterionText: "Finds the open bug", isRequired: true, verdict: "pass", reasoning: "Called search_issues with label:bug.", excerpts: ["3 issues"] },
  { criterionText: "Mentions the assignee", isRequired: false, verdict: "fail", reasoning: `Leaked ${BEARER} instead.`, excerpts: [`Authorization: ${BEARER}`] },
];

async function setup() {
  const org = await createOrg();
  const key = await org.keyFor("viewer");
  const wf = await createWorkflow(org.id, "Issue triage");
  return { org, key, wf };
}

const spans = [
  { id: "s1", parentId: null, name: "agent", kind: "agent", startedAt: "2030-01-01T00:00:00.000Z", endedAt: "2030-01-01T00:00:05.000Z", attributes: { model: "claude-sonnet-4-5" } },
  {
    id: "s2",
    parentId: "s1",
    name: "tools/call search_issues",
    kind: "tool",
    startedAt: "2030-01-01T00:00:01.000Z",
    endedAt: "2030-01-01T00:00:02.000Z",
    attributes: { "http.request.header.authorization": BEARER, query: "is:open" },
    events: [{ name: "output", at: "2030-01-01T00:00:02.000Z", text: `token is ${GITHUB_TOKEN}` }],
  },
];

describe("GET /runs/{id}", () => {
  it("answers the docs' example with the run summary", async () => {
    const { org, key, wf } = await setup();
    const baseline = await createRun(org.id, wf);
    const run = await createRun(org.id, wf, {
      status: "partial",
      classification: "optional_criteria_failed",
      trigger: "schedule",
      reason: "Nightly check",
      skillMode: "skill",
      skillVersionId: "skill-v3",
      baselineRunId: baseline.id,
      evaluatorOutput: { score: 0.8, notes: ["one optional criterion missed"] },
      costUsd: 0.42,
      inputTokens: 5000,
      outputTokens: 900,
    });
    const r = await callJson(`/runs/${run.id}`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: run.id,
      workflow: { id: wf.id, name: "Issue triage" },
      workflowVersion: { id: wf.versionId, version: 1 },
      status: "partial",
      classification: "optional_criteria_failed",
      trigger: "schedule",
      reason: "Nightly check",
      modelId: "claude-sonnet-4-5",
      skillMode: "skill",
      skillVersionId: "skill-v3",
      baselineRunId: baseline.id,
      createdAt: run.createdAt!.toISOString(),
      enqueuedAt: run.enqueuedAt!.toISOString(),
      startedAt: run.startedAt!.toISOString(),
      finishedAt: run.finishedAt!.toISOString(),
      durationMs: 2000,
      evaluatorOutput: { score: 0.8, notes: ["one optional criterion missed"] },
      cost: { usd: 0.42, inputTokens: 5000, outputTokens: 900 },
      error: null,
      mcp: null,
      skillDigest: null,
      attempt: 1,
      retryOfRunId: null,
    });
  });

  it("answers a queued run with null timestamps, classification, cost and evaluator output", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf, { status: "queued", enqueuedAt: null });
    const r = await callJson(`/runs/${run.id}`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: "queued",
      classification: null,
      enqueuedAt: null,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      evaluatorOutput: null,
      cost: { usd: null, inputTokens: null, outputTokens: null },
    });
  });

  it("redacts secrets in the error, reason and evaluator output", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf, {
      status: "fail",
      classification: "mcp_connection_failed",
      reason: `rotate ${GITHUB_TOKEN}`,
      error: `401 from MCP source with header ${BEARER}`,
      evaluatorOutput: { apiKey: "plain-secret-value", note: `saw ${GITHUB_TOKEN}` },
    });
    const r = await callJson<RunView>(`/runs/${run.id}`, { key });
    expect(r.status).toBe(200);
    expect(r.body.reason).toBe("rotate [REDACTED]");
    expect(r.body.error).toBe("401 from MCP source with header [REDACTED]");
    expect(r.body.evaluatorOutput).toEqual({ apiKey: "[REDACTED]", note: "saw [REDACTED]" });
    expect(JSON.stringify(r.body)).not.toContain(GITHUB_TOKEN.slice(4));
  });
});

describe("GET /runs/{id}/trace", () => {
  it("answers the recorded spans, redacted", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf);
    await addTrace(run.id, spans);
    const r = await callJson(`/runs/${run.id}/trace`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      runId: run.id,
      status: "pass",
      complete: true,
      spans: [
        spans[0],
        {
          ...spans[1],
          attributes: { "http.request.header.authorization": "[REDACTED]", query: "is:open" },
          events: [{ name: "output", at: "2030-01-01T00:00:02.000Z", text: "token is [REDACTED]" }],
        },
      ],
    });
  });

  it("answers a running run's partial trace with complete: false", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf, { status: "running" });
    await addTrace(run.id, [spans[0]!]);
    const r = await callJson(`/runs/${run.id}/trace`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ runId: run.id, status: "running", complete: false, spans: [spans[0]] });
  });

  it("answers empty spans for a queued run and for a run that failed before it started", async () => {
    const { org, key, wf } = await setup();
    const queued = await createRun(org.id, wf, { status: "queued" });
    const failed = await createRun(org.id, wf, { status: "fail", classification: "dispatch_failed", startedAt: null });
    expect((await callJson(`/runs/${queued.id}/trace`, { key })).body).toEqual({
      runId: queued.id,
      status: "queued",
      complete: false,
      spans: [],
    });
    const r = await callJson(`/runs/${failed.id}/trace`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ runId: failed.id, status: "fail", complete: true, spans: [] });
  });
});

describe("GET /runs/{id}/tool-calls", () => {
  it("answers the docs' example: the calls in order with arguments, result and duration", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf);
    // Inserted out of order: the answer follows seq.
    const rows = await addToolCalls(run.id, [
      { seq: 1, toolName: "get_issue", arguments: { number: 7 }, result: { isError: true, content: [{ type: "text", text: "not found" }] }, isError: true, durationMs: 80 },
      { seq: 0, toolName: "search_issues", arguments: { q: "is:open label:bug" }, result: { content: [{ type: "text", text: "3 issues" }] }, durationMs: 120 },
    ]);
    const r = await callJson(`/runs/${run.id}/tool-calls`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      runId: run.id,
      status: "pass",
      complete: true,
      toolCalls: [
        {
          id: rows[1]!.id,
          seq: 0,
          toolName: "search_issues",
          arguments: { q: "is:open label:bug" },
          result: { content: [{ type: "text", text: "3 issues" }] },
          isError: false,
          policyRefused: false,
          durationMs: 120,
          startedAt: rows[1]!.startedAt.toISOString(),
        },
        {
          id: rows[0]!.id,
          seq: 1,
          toolName: "get_issue",
          arguments: { number: 7 },
          result: { isError: true, content: [{ type: "text", text: "not found" }] },
          isError: true,
          policyRefused: false,
          durationMs: 80,
          startedAt: rows[0]!.startedAt.toISOString(),
        },
      ],
    });
  });

  it("redacts a secret stored in a tool call's result and arguments", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf);
    await addToolCalls(run.id, [
      {
        toolName: "read_config",
        arguments: { path: ".env", token: "short-but-sensitive" },
        result: { content: [{ type: "text", text: `GITHUB_TOKEN=${GITHUB_TOKEN}\nDEBUG=1` }], headers: { authorization: "anything" } },
      },
    ]);
    const r = await callJson<RunToolCallsView>(`/runs/${run.id}/tool-calls`, { key });
    expect(r.status).toBe(200);
    expect(r.body.toolCalls[0]?.arguments).toEqual({ path: ".env", token: "[REDACTED]" });
    expect(r.body.toolCalls[0]?.result).toEqual({
      content: [{ type: "text", text: "GITHUB_TOKEN=[REDACTED]\nDEBUG=1" }],
      headers: { authorization: "[REDACTED]" },
    });
    const raw = JSON.stringify(r.body);
    expect(raw).not.toContain(GITHUB_TOKEN);
    expect(raw).not.toContain("short-but-sensitive");
  });

  it("answers the calls recorded so far for a running run, and none for a queued one", async () => {
    const { org, key, wf } = await setup();
    const running = await createRun(org.id, wf, { status: "running" });
    await addToolCalls(running.id, [{ toolName: "search_issues" }]);
    const r = await callJson<RunToolCallsView>(`/runs/${running.id}/tool-calls`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ runId: running.id, status: "running", complete: false });
    expect(r.body.toolCalls.map((c) => c.toolName)).toEqual(["search_issues"]);

    const queued = await createRun(org.id, wf, { status: "queued" });
    expect((await callJson(`/runs/${queued.id}/tool-calls`, { key })).body).toEqual({
      runId: queued.id,
      status: "queued",
      complete: false,
      toolCalls: [],
    });
  });
});

describe("GET /runs/{id}/evaluation", () => {
  it("answers the per-criterion results, the judge's verdict and excerpts, redacted", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf, { status: "partial" });
    const stored = await addEvaluation(run.id, { verdict: "partial", summary: "One optional criterion failed.", criteria });
    const r = await callJson(`/runs/${run.id}/evaluation`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      runId: run.id,
      status: "partial",
      complete: true,
      evaluation: {
        verdict: "partial",
        judgeModelId: "claude-opus-4-1",
        summary: "One optional criterion failed.",
        criteria: [
          criteria[0],
          { ...criteria[1], reasoning: "Leaked [REDACTED] instead.", excerpts: ["Authorization: [REDACTED]"] },
        ],
        createdAt: stored.createdAt.toISOString(),
      },
    });
  });

  it("fills criterion fields the record lacks", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf, { status: "fail" });
    await addEvaluation(run.id, { verdict: "fail", criteria: [{ criterionText: "Replies", verdict: "fail" }] });
    const r = await callJson<RunEvaluationView>(`/runs/${run.id}/evaluation`, { key });
    expect(r.body.evaluation?.criteria).toEqual([
      { criterionText: "Replies", isRequired: false, verdict: "fail", reasoning: null, excerpts: [] },
    ]);
  });

  it("answers evaluation null with complete: false while the run is queued or running", async () => {
    const { org, key, wf } = await setup();
    for (const status of ["queued", "running"] as const) {
      const run = await createRun(org.id, wf, { status });
      // Even if a judgement were already stored, it is not evidence until the run is terminal.
      if (status === "running") await addEvaluation(run.id, { criteria });
      const r = await callJson(`/runs/${run.id}/evaluation`, { key });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ runId: run.id, status, complete: false, evaluation: null });
    }
  });

  it("answers evaluation null with complete: true for a terminal run that was never judged", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf, { status: "fail", classification: "queue_timeout", startedAt: null });
    const r = await callJson(`/runs/${run.id}/evaluation`, { key });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ runId: run.id, status: "fail", complete: true, evaluation: null });
  });
});

describe("the docs' polling loop", () => {
  it("polls the run until it is terminal, then fetches the evaluation", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf, { status: "queued" });
    const poll = () => callJson<RunView>(`/runs/${run.id}`, { key });

    expect((await poll()).body.status).toBe("queued");
    expect((await callJson(`/runs/${run.id}/evaluation`, { key })).body).toMatchObject({ complete: false, evaluation: null });

    await db.update(runs).set({ status: "running", startedAt: new Date() }).where(eq(runs.id, run.id)).run();
    expect((await poll()).body.status).toBe("running");

    const finishedAt = new Date();
    await db
      .update(runs)
      .set({ status: "fail", classification: "required_criteria_failed", finishedAt, durationMs: 1500 })
      .where(eq(runs.id, run.id))
      .run();
    await addEvaluation(run.id, { verdict: "fail", criteria: [criteria[0]!] });
    const done = await poll();
    expect(done.body).toMatchObject({ status: "fail", classification: "required_criteria_failed", finishedAt: finishedAt.toISOString(), durationMs: 1500 });

    const evaluation = await callJson(`/runs/${run.id}/evaluation`, { key });
    expect(evaluation.status).toBe(200);
    expect(evaluation.body).toMatchObject({ status: "fail", complete: true, evaluation: { verdict: "fail", criteria: [criteria[0]] } });
  });
});

describe("errors on /runs/{id} routes", () => {
  const suffixes = ["", "/trace", "/evaluation", "/tool-calls"];

  it("answers another organization's run with 404 not_found on every route", async () => {
    const { org: owner, wf } = await setup();
    const run = await createRun(owner.id, wf);
    await addTrace(run.id, spans);
    await addToolCalls(run.id, [{ toolName: "search_issues", result: "secret stuff" }]);
    await addEvaluation(run.id, { criteria: [] });
    const stranger = await createOrg();
    const strangerKey = await stranger.keyFor("owner");
    for (const suffix of suffixes) {
      const r = await callJson(`/runs/${run.id}${suffix}`, { key: strangerKey });
      expect(expectError(r, 404, "not_found").message, suffix).toBe("Run not found");
      // The owner still sees it.
      expect((await call(`/runs/${run.id}${suffix}`, { key: owner.ownerKey })).status, suffix).toBe(200);
    }
  });

  it("answers an unknown run id with 404 not_found on every route", async () => {
    const { key } = await setup();
    for (const suffix of suffixes) {
      expectError(await callJson(`/runs/${crypto.randomUUID()}${suffix}`, { key }), 404, "not_found");
    }
  });

  it("answers a malformed id with a 400 naming path.id on every route", async () => {
    const { key } = await setup();
    for (const suffix of suffixes) {
      const error = expectError(await callJson(`/runs/run_123${suffix}`, { key }), 400, "validation_failed");
      expect(errorFields(error), suffix).toEqual(["path.id"]);
    }
  });

  it("answers 401 without a key on every route", async () => {
    const { org, wf } = await setup();
    const run = await createRun(org.id, wf);
    for (const suffix of suffixes) {
      const r = await callJson(`/runs/${run.id}${suffix}`);
      expectError(r, 401, "unauthorized");
    }
  });

  it("answers 405 for writes to the read-only run routes", async () => {
    const { org, key, wf } = await setup();
    const run = await createRun(org.id, wf);
    const r = await callJson(`/runs/${run.id}`, { key, method: "DELETE" });
    expectError(r, 405, "method_not_allowed");
    expect(r.res.headers.get("allow")).toBe("GET");
    expect((await callJson(`/runs/${run.id}`, { key: org.ownerKey })).status).toBe(200);
  });
});
