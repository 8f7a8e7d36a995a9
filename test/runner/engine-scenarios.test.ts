/**
 * The run engine end to end, scenario by scenario: each workflow is created over the API, its runs go
 * through the real Queue binding (captured) to the consumer, a real MCP server (test/fixtures/mcp-server.ts)
 * answers, and every outcome is read back over REST as a user would: the run's status and classification,
 * its error, its tool calls, its evaluation and its trace.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runs } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { parseSkillVersionId } from "../../src/runner/skill";
import { callJson, createOrg, db, errorFields, expectError } from "../helpers";
import {
  createMcpFixture,
  FIXTURE_SSE_URL,
  FIXTURE_URL,
  PLANTED_AUTHORIZATION,
  PLANTED_SECRETS,
} from "../fixtures/mcp-server";
import { captureQueue, createMcpSource, createWorkflow, runsOfWorkflow } from "../workflows/fixtures";
import { downSource, engineHarness, watched, type Span } from "./engine-harness";

const queue = captureQueue();
const { deliver, deliverQueued, runWorkflow, dispatchAndRun, read } = engineHarness(queue);

const rootAnswer = (spans: Span[]) => spans.find((s) => s.kind === "run")!.attributes.answer;

describe("sources of the 2025 era", () => {
  it("passes over the deprecated HTTP+SSE transport, showing era 2025 and its protocol revision", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture({ transport: "sse" });
    try {
      const { runIds } = await runWorkflow(
        org,
        {
          testerPrompt: 'call echo {"text": "over sse"}',
          criteria: [{ criterionText: "Echo answered", check: { type: "tool_result_matches", tool: "echo", pattern: "^over sse$" } }],
        },
        fixture,
        { url: FIXTURE_SSE_URL, transport: "sse" },
      );
      const { run, toolCalls, spans } = await read(org, runIds[0]!);
      expect(run).toMatchObject({ status: "pass", classification: "all_criteria_met", error: null });
      expect(run.mcp).toEqual({ era: "2025", protocolVersion: "2025-11-25" });
      expect(toolCalls.map((c) => [c.toolName, c.arguments, c.isError])).toEqual([["echo", { text: "over sse" }, false]]);
      const connect = spans.find((s) => s.kind === "mcp.connect")!;
      expect(connect.attributes).toMatchObject({ transport: "sse", era: "2025", protocolVersion: run.mcp!.protocolVersion });
      // The event stream was opened, and the calls went to the endpoint it announced.
      expect(fixture.requests.some((r) => r.method === "GET" && r.url === FIXTURE_SSE_URL)).toBe(true);
      expect(fixture.requests.some((r) => r.method === "POST" && r.url.includes("/messages?sessionId=") && r.rpcMethods.includes("tools/call"))).toBe(true);
    } finally {
      await fixture.close();
    }
  });

  it("passes against a 2025-only Streamable HTTP server, showing era 2025 and the revision it answered in", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture({ protocol: "2025" });
    try {
      const { runIds } = await runWorkflow(
        org,
        {
          testerPrompt: 'call add {"a": 20, "b": 22}',
          criteria: [{ criterionText: "Adds", check: { type: "tool_result_matches", tool: "add", pattern: "=42" } }],
        },
        fixture,
      );
      const { run, toolCalls } = await read(org, runIds[0]!);
      expect(run).toMatchObject({ status: "pass", classification: "all_criteria_met" });
      expect(run.mcp).toEqual({ era: "2025", protocolVersion: "2025-11-25" });
      expect(toolCalls).toMatchObject([{ toolName: "add", isError: false, result: { structuredContent: { sum: 42 } } }]);
      // The initialize handshake, then a session.
      expect(fixture.requests.some((r) => r.rpcMethods.includes("initialize"))).toBe(true);
      expect(fixture.requests.some((r) => r.headers["mcp-session-id"])).toBe(true);
    } finally {
      await fixture.close();
    }
  });
});

describe("a source that redirects", () => {
  for (const target of ["http://127.0.0.1/mcp", "http://169.254.169.254/latest/meta-data/"]) {
    it(`ends mcp_address_refused for a 307 to ${target}, and the address is never fetched`, async () => {
      const org = await createOrg();
      const network = watched(
        createMcpFixture({ routes: { "/mcp": () => new Response(null, { status: 307, headers: { location: target } }) } }),
      );
      const { runIds } = await runWorkflow(org, { criteria: [] }, network);
      const { run, toolCalls, evaluation, spans } = await read(org, runIds[0]!);
      expect(run).toMatchObject({ status: "fail", classification: "mcp_address_refused", mcp: null });
      const host = new URL(target).hostname;
      expect(run.error).toContain(host);
      expect(toolCalls).toEqual([]);
      expect(evaluation).toBeNull();
      expect(spans.find((s) => s.kind === "mcp.connect")).toMatchObject({ attributes: { classification: "mcp_address_refused" } });
      expect(network.urls.length).toBeGreaterThan(0);
      expect(network.urls.every((u) => new URL(u).origin === new URL(FIXTURE_URL).origin)).toBe(true);
      expect(network.urls.some((u) => u.includes(host))).toBe(false);
    });
  }
});

describe("skills", () => {
  const skillTarget = (skillVersionId: string) => ({ testerTargets: [{ modelId: "armature/scripted", skillMode: "skill", skillVersionId }] });

  it("runs with the source's skill and records its digest; a pin to that digest passes, a wrong pin is skill_changed", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const { wf, runIds } = await runWorkflow(
      org,
      {
        ...skillTarget("fixture-skill"),
        testerPrompt: 'call echo {"text": "with a skill"}',
        criteria: [{ criterionText: "Echoed", check: { type: "tool_called", tool: "echo" } }],
      },
      fixture,
    );
    const first = await read(org, runIds[0]!);
    expect(first.run).toMatchObject({ status: "pass", skillMode: "skill", skillVersionId: "fixture-skill" });
    expect(first.run.skillDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const skillSpan = first.spans.find((s) => s.kind === "skill")!;
    expect(skillSpan).toMatchObject({ name: "skills/get fixture-skill", attributes: { digest: first.run.skillDigest } });
    expect(skillSpan.error).toBeUndefined();

    // Pinned to the digest the run recorded: the pin and the digest agree.
    const digest = first.run.skillDigest!;
    expect(parseSkillVersionId(`fixture-skill@${digest}`)).toEqual({ ref: "fixture-skill", digest: digest.slice("sha256:".length) });
    const pinned = await dispatchAndRun(org, wf.workflow.id, fixture, { testerTargets: [skillTarget(`fixture-skill@${digest}`).testerTargets[0]] });
    const ok = await read(org, pinned);
    expect(ok.run).toMatchObject({ status: "pass", classification: "all_criteria_met", skillDigest: digest });

    // Pinned to another digest: skill_changed, naming both.
    const zeros = "0".repeat(64);
    const wrong = await dispatchAndRun(org, wf.workflow.id, fixture, { testerTargets: [skillTarget(`fixture-skill@sha256:${zeros}`).testerTargets[0]] });
    const changed = await read(org, wrong);
    expect(changed.run).toMatchObject({ status: "fail", classification: "skill_changed" });
    expect(changed.run.error).toContain(`sha256:${zeros}`);
    expect(changed.run.error).toContain(digest);
    expect(changed.run.error).not.toContain("sha256:sha256:");
    expect(changed.toolCalls).toEqual([]);
  });

  it("ends skill_not_found for a skill the source does not publish, before any tool call", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const { runIds } = await runWorkflow(
      org,
      { ...skillTarget("no-such-skill"), testerPrompt: 'call echo {"text": "x"}', criteria: [] },
      fixture,
    );
    const { run, toolCalls, spans } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "skill_not_found", skillDigest: null });
    expect(run.error).toContain("no-such-skill");
    expect(toolCalls).toEqual([]);
    expect(spans.find((s) => s.kind === "skill")).toMatchObject({ name: "skills/get no-such-skill", error: "not published" });
    expect(fixture.requests.some((r) => r.rpcMethods.includes("tools/call"))).toBe(false);
  });
});

describe("regressions against a baseline", () => {
  it("a criterion that passed in the previous run and fails now is a regression naming the baseline; an explicit baselineRunId is honoured", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const criterion = { criterionText: "Echo was called", check: { type: "tool_called", tool: "echo" } };
    const { wf, runIds } = await runWorkflow(org, { testerPrompt: 'call echo {"text": "hi"}', criteria: [criterion] }, fixture);
    const first = await read(org, runIds[0]!);
    expect(first.run).toMatchObject({ status: "pass", classification: "all_criteria_met" });
    expect(first.evaluation!.criteria[0]!.baseline).toBeUndefined(); // the first run has no baseline
    expect(first.evaluation!.baselineRunId ?? null).toBeNull();

    // The workflow changes so that the criterion now fails.
    const patched = await callJson(`/workflows/${wf.workflow.id}`, { key: org.ownerKey, method: "PATCH", body: { testerPrompt: 'call add {"a": 1, "b": 1}' } });
    expect(patched.status).toBe(200);
    const secondId = await dispatchAndRun(org, wf.workflow.id, fixture);
    const second = await read(org, secondId);
    expect(second.run).toMatchObject({ status: "fail", classification: "regression", baselineRunId: null });
    expect(second.evaluation).toMatchObject({ verdict: "fail", baselineRunId: first.run.id });
    expect(second.evaluation!.criteria[0]).toMatchObject({ criterionText: "Echo was called", passed: false, baseline: "regressed" });
    expect(second.evaluation!.summary).toContain(`Compared with run ${first.run.id}, regressed: “Echo was called”`);

    // Without a baseline the next run compares with the last evaluated run (the failing second): unchanged.
    const thirdId = await dispatchAndRun(org, wf.workflow.id, fixture, { forceNewRun: true });
    const third = await read(org, thirdId);
    expect(third.run).toMatchObject({ status: "fail", classification: "required_criteria_failed" });
    expect(third.evaluation).toMatchObject({ baselineRunId: secondId, criteria: [{ baseline: "unchanged" }] });

    // With baselineRunId naming the first run, that run is the baseline: a regression again.
    const fourthId = await dispatchAndRun(org, wf.workflow.id, fixture, { baselineRunId: first.run.id });
    const fourth = await read(org, fourthId);
    expect(fourth.run).toMatchObject({ status: "fail", classification: "regression", baselineRunId: first.run.id });
    expect(fourth.evaluation).toMatchObject({ baselineRunId: first.run.id, criteria: [{ passed: false, baseline: "regressed" }] });
  });
});

describe("limits", () => {
  it("maxTurns: the tester still calling tools after that many model requests ends limit_exceeded, naming it and keeping the calls", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(org, {
      testerPrompt: 'call echo {"text": "1"}\ncall echo {"text": "2"}\ncall echo {"text": "3"}',
      limits: { maxTurns: 2 },
      criteria: [{ criterionText: "Echoed", check: { type: "tool_called", tool: "echo" } }],
    });
    const { run, toolCalls, evaluation, spans } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "limit_exceeded" });
    expect(run.error).toContain("maxTurns limit (2)");
    expect(toolCalls.map((c) => c.arguments)).toEqual([{ text: "1" }, { text: "2" }]);
    expect(evaluation).toBeNull();
    expect(spans.filter((s) => s.kind === "model")).toHaveLength(2);
    expect(spans.find((s) => s.kind === "run")!.events).toContainEqual(expect.objectContaining({ name: "limit.stopped", limit: "maxTurns", value: 2 }));
  });

  it("maxToolCalls: one call more than the limit is not sent and the run ends limit_exceeded, naming it", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const { runIds } = await runWorkflow(
      org,
      {
        testerPrompt: 'call echo {"text": "1"}\ncall add {"a": 1, "b": 2}\ncall echo {"text": "3"}',
        limits: { maxToolCalls: 1 },
        criteria: [],
      },
      fixture,
    );
    const { run, toolCalls, spans } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "limit_exceeded" });
    expect(run.error).toContain("maxToolCalls limit (1)");
    expect(toolCalls.map((c) => c.toolName)).toEqual(["echo"]);
    expect(fixture.requests.filter((r) => r.rpcMethods.includes("tools/call"))).toHaveLength(1);
    const events = spans.find((s) => s.kind === "run")!.events ?? [];
    expect(events).toContainEqual(expect.objectContaining({ name: "limit.maxToolCalls", toolName: "add", maxToolCalls: 1 }));
  });

  it("timeoutSeconds: a tool slower than the run's time limit ends the run run_timeout, keeping the calls made before", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const source = await createMcpSource(org, { url: FIXTURE_URL });
    // The schema's least timeout is 10 s, and the engine keeps 5 s of it to record the end: a real deadline
    // 5 s in. To keep this test fast, the queued run's copy of the limit (runs.timeout_seconds, which the
    // engine reads) is lowered to 1 s: the deadline is then the engine's floor of 1 s.
    const tooShort = await callJson("/workflows", {
      key: org.ownerKey,
      body: { name: "too short", mcpServerId: source.id, testerPrompt: "x", criteria: [], limits: { timeoutSeconds: 5 } },
    });
    expect(errorFields(expectError(tooShort, 400, "validation_failed"))).toEqual(["body.limits.timeoutSeconds"]);
    const wf = await createWorkflow(org, {
      mcpServerId: source.id,
      testerPrompt: 'call echo {"text": "before"}\ncall slow {"ms": 30000}\ncall echo {"text": "after"}',
      limits: { timeoutSeconds: 10 },
      // `slow` has no annotations, so the default policy would refuse it as possibly destructive.
      toolPolicy: { allowDestructive: true },
      criteria: [{ criterionText: "Echoed", check: { type: "tool_called", tool: "echo" } }],
    });
    await db.update(runs).set({ timeoutSeconds: 1 }).where(eq(runs.workflowId, wf.workflow.id)).run();
    const started = Date.now();
    const [runId] = await deliverQueued(org, fixture);
    const elapsed = Date.now() - started;

    const { run, toolCalls, evaluation, spans } = await read(org, runId!);
    expect(run).toMatchObject({ status: "fail", classification: "run_timeout" });
    expect(run.error).toBe("The run exceeded its time limit of 1 seconds; the evidence up to then is kept");
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(10_000);
    // The call made before the deadline is kept; the slow one was cut off and nothing ran after it.
    expect(toolCalls.map((c) => [c.toolName, c.arguments, c.isError])).toEqual([["echo", { text: "before" }, false]]);
    expect(evaluation).toBeNull();
    expect(spans.find((s) => s.name === "tools/call slow")!.error).toBeDefined();
    expect(spans.find((s) => s.kind === "run")!.error).toBe(run.error);
    expect(fixture.requests.filter((r) => r.rpcMethods.includes("tools/call"))).toHaveLength(2);
    await fixture.close();
  });
});

describe("the judge", () => {
  const judgeEnv = (): Env => ({ ...env, ARMATURE_DEFAULT_JUDGE_MODEL: "claude-sonnet-4" }) as Env;

  it("a judge whose provider is not configured ends a run with a judged criterion as judge_error naming the secret, tool calls kept", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(
      org,
      {
        testerPrompt: 'call echo {"text": "judge me"}',
        criteria: [
          { criterionText: "Echo was called", check: { type: "tool_called", tool: "echo" } },
          { criterionText: "The answer says judge me" },
        ],
      },
      createMcpFixture(),
      {},
      judgeEnv(),
    );
    const { run, toolCalls, evaluation, spans } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "judge_error" });
    expect(run.error).toBe("The judge model 'claude-sonnet-4' cannot run: the secret ANTHROPIC_API_KEY is not set in this deployment (criterion 2)");
    expect(toolCalls.map((c) => [c.toolName, c.arguments])).toEqual([["echo", { text: "judge me" }]]);
    expect(evaluation).toBeNull();
    expect(rootAnswer(spans)).toBe("judge me");
    expect(spans.find((s) => s.kind === "judge")).toMatchObject({ error: run.error });
  });

  it("the same deployment judge does not fail a run whose criteria are all checks", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(
      org,
      { testerPrompt: 'call echo {"text": "checks only"}', criteria: [{ criterionText: "Echo was called", check: { type: "tool_called", tool: "echo" } }] },
      createMcpFixture(),
      {},
      judgeEnv(),
    );
    const { run, evaluation } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "pass", classification: "all_criteria_met" });
    expect(evaluation!.judgeModelId).toBe("armature/checks");
  });
});

describe("retryPolicy", () => {
  it("retries an infrastructure failure as a linked run with attempt 2, and makes no third run after maxAttempts", async () => {
    const org = await createOrg();
    const down = downSource();
    const { wf, runIds } = await runWorkflow(
      org,
      { retryPolicy: { maxAttempts: 2, retryOn: ["infrastructure"], backoffSeconds: 0 }, criteria: [] },
      down,
    );
    const first = await read(org, runIds[0]!);
    expect(first.run).toMatchObject({ status: "fail", classification: "mcp_connection_failed", attempt: 1, retryOfRunId: null });
    expect(first.run.error).toContain("503");

    const afterFirst = await runsOfWorkflow(wf.workflow.id);
    expect(afterFirst).toHaveLength(2);
    const retry = afterFirst.find((r) => r.id !== first.run.id)!;
    expect(retry).toMatchObject({ status: "queued", attempt: 2, retryOfRunId: first.run.id, modelId: "armature/scripted" });
    // Its message went through the real Queue binding (backoffSeconds 0: no delay).
    expect(await queue.waitForRuns([retry.id])).toEqual([{ runId: retry.id, orgId: org.id }]);

    const delivered = await deliverQueued(org, down);
    expect(delivered).toEqual([retry.id]);
    const second = await read(org, retry.id);
    expect(second.run).toMatchObject({ status: "fail", classification: "mcp_connection_failed", attempt: 2, retryOfRunId: first.run.id });
    expect(second.run.reason).toContain(`retry 1 of run ${first.run.id}`);

    const all = await runsOfWorkflow(wf.workflow.id);
    expect(all).toHaveLength(2);
    expect(all.every((r) => r.status === "fail")).toBe(true);
  });
});

describe("queue delivery", () => {
  it("a message delivered twice (in one batch and again later) runs the run once", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const source = await createMcpSource(org, { url: FIXTURE_URL });
    await createWorkflow(org, { mcpServerId: source.id, testerPrompt: 'call echo {"text": "once"}', criteria: [] });
    const listed = await callJson<{ runs: Array<{ id: string }> }>("/runs?status=queued", { key: org.ownerKey });
    const [message] = await queue.waitForRuns(listed.body.runs.map((r) => r.id));
    const result = await deliver([message, { ...message! }], fixture);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toEqual([]);
    const again = await deliver([message], fixture);
    expect(again.explicitAcks).toHaveLength(1);

    const { run, toolCalls, spans } = await read(org, message!.runId);
    expect(run).toMatchObject({ status: "pass" });
    expect(toolCalls).toHaveLength(1);
    expect(spans.filter((s) => s.kind === "run")).toHaveLength(1);
    expect(fixture.requests.filter((r) => r.rpcMethods.includes("tools/call"))).toHaveLength(1);
  });

  it("malformed messages and a message for an unknown run are acked and dropped", async () => {
    const fixture = watched(createMcpFixture());
    const poison = ["not json", null, 42, { runId: 7, orgId: "x" }, { runId: "r" }, [], { runId: crypto.randomUUID(), orgId: crypto.randomUUID() }];
    const result = await deliver(poison, fixture);
    expect(result.explicitAcks).toHaveLength(poison.length);
    expect(result.retryMessages).toEqual([]);
    expect(fixture.urls).toEqual([]);
  });
});

describe("every check type, end to end", () => {
  it("each check passes", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(org, {
      testerPrompt: 'call echo {"text": "hello armature"}\ncall add {"a": 2, "b": 3}',
      criteria: [
        { criterionText: "Echo called with the greeting", check: { type: "tool_called", tool: "echo", arguments: { text: "hello armature" } } },
        { criterionText: "Nothing deleted", check: { type: "tool_not_called", tool: "delete_everything" } },
        { criterionText: "No tool failed", check: { type: "no_tool_errors" } },
        { criterionText: "Greets, any case", check: { type: "answer_matches", pattern: "HELLO\\s+ARMATURE", flags: "i" } },
        { criterionText: "Sum line", check: { type: "tool_result_matches", tool: "add", pattern: "^2\\+3=5$", flags: "m" } },
        { criterionText: "At most two calls", check: { type: "max_tool_calls", max: 2 } },
      ],
    });
    const { run, evaluation } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "pass", classification: "all_criteria_met" });
    expect(evaluation!.judgeModelId).toBe("armature/checks");
    expect(evaluation!.criteria.map((c) => [c.check!.type, c.method, c.passed, c.verdict])).toEqual([
      ["tool_called", "check", true, "pass"],
      ["tool_not_called", "check", true, "pass"],
      ["no_tool_errors", "check", true, "pass"],
      ["answer_matches", "check", true, "pass"],
      ["tool_result_matches", "check", true, "pass"],
      ["max_tool_calls", "check", true, "pass"],
    ]);
    expect(evaluation!.criteria[3]!.excerpts.join(" ")).toContain("hello armature");
    expect(evaluation!.criteria[4]!.excerpts.join(" ")).toContain("2+3=5");
  });

  it("each check fails", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(org, {
      testerPrompt: 'call echo {"text": "hello armature"}\ncall fail {}',
      criteria: [
        { criterionText: "Echo called with a farewell", check: { type: "tool_called", tool: "echo", arguments: { text: "goodbye" } } },
        { criterionText: "Echo not called", check: { type: "tool_not_called", tool: "echo" } },
        { criterionText: "No tool failed", check: { type: "no_tool_errors" } },
        // Matches only with the `i` flag, which it does not have.
        { criterionText: "Greets in capitals", check: { type: "answer_matches", pattern: "HELLO ARMATURE" } },
        { criterionText: "Echo says goodbye", check: { type: "tool_result_matches", tool: "echo", pattern: "^goodbye$", flags: "im" } },
        { criterionText: "At most one call", check: { type: "max_tool_calls", max: 1 } },
      ],
    });
    const { run, toolCalls, evaluation } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "required_criteria_failed" });
    expect(toolCalls.map((c) => [c.toolName, c.isError])).toEqual([
      ["echo", false],
      ["fail", true],
    ]);
    expect(evaluation!.criteria.map((c) => [c.check!.type, c.passed, c.verdict])).toEqual([
      ["tool_called", false, "fail"],
      ["tool_not_called", false, "fail"],
      ["no_tool_errors", false, "fail"],
      ["answer_matches", false, "fail"],
      ["tool_result_matches", false, "fail"],
      ["max_tool_calls", false, "fail"],
    ]);
    for (const c of evaluation!.criteria) expect(c.reasoning.length).toBeGreaterThan(0);
    expect(evaluation!.criteria[2]!.excerpts.join(" ")).toContain("this tool always fails");
    expect(evaluation!.summary).toContain("0 of 6 criteria passed.");
  });
});

describe("redaction of what the source returned", () => {
  it("the tester's answer and the tool results with planted secrets are redacted in /trace, /tool-calls, /evaluation and /runs/{id}", async () => {
    const org = await createOrg();
    const { wf } = await runWorkflow(
      org,
      {
        testerPrompt: "call dump_env {}",
        criteria: [
          // Quotes the key's surroundings as an excerpt; the heuristic judge quotes the answer as well.
          { criterionText: "The key is shown", check: { type: "answer_matches", pattern: "OPENAI_API_KEY=\\S+" } },
          { criterionText: "The result shows the authorization", check: { type: "tool_result_matches", tool: "dump_env", pattern: "Authorization: Bearer \\S+" } },
          { criterionText: "The environment shows HOME srv app" },
        ],
      },
      createMcpFixture(),
    );
    // A dispatch whose reason quotes what the source leaked: /runs/{id} shows it redacted too.
    const runId = await dispatchAndRun(org, wf.workflow.id, createMcpFixture(), { forceNewRun: true, reason: `leak: ${PLANTED_AUTHORIZATION}` });
    const { run, toolCalls, evaluation, spans, bodies } = await read(org, runId);
    expect(run).toMatchObject({ status: "pass", classification: "all_criteria_met" });
    // The evidence is there, with the secrets replaced.
    expect(String(rootAnswer(spans))).toContain("HOME=/srv/app");
    expect(String(rootAnswer(spans))).toContain("[REDACTED]");
    expect(JSON.stringify(toolCalls[0]!.result)).toContain("[REDACTED]");
    expect(evaluation!.criteria.map((c) => c.method)).toEqual(["check", "check", "judge"]);
    expect(evaluation!.criteria[0]!.excerpts.join(" ")).toContain("[REDACTED]");
    expect(run.reason).toContain("[REDACTED]");
    for (const [name, body] of Object.entries(bodies)) {
      const text = JSON.stringify(body);
      for (const secret of PLANTED_SECRETS) expect(text, `${name} leaks ${secret}`).not.toContain(secret);
    }
  });
});
