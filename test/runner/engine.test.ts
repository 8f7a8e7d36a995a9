/**
 * The run engine end to end: a workflow created over the API, its initial dispatch through the real Queue
 * binding to the consumer, a real MCP server (test/fixtures/mcp-server.ts, built with the official SDK)
 * answering every tool call, and the run read back over REST.
 */
import { describe, expect, it } from "vitest";
import { callJson, createOrg, db } from "../helpers";
import { createMcpFixture, FIXTURE_URL, PLANTED_SECRETS } from "../fixtures/mcp-server";
import { captureQueue, createMcpSource, createWorkflow } from "../workflows/fixtures";
import { downSource, engineHarness } from "./engine-harness";

const queue = captureQueue();
const { runWorkflow, deliverQueued, read } = engineHarness(queue);

describe("a run against a real MCP server", () => {
  it("passes: the scripted tester makes the calls, deterministic checks and the judge decide, the evidence is readable", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(org, {
      testerPrompt: 'call echo {"text": "hello armature"}\ncall add {"a": 2, "b": 3}',
      criteria: [
        { criterionText: "Echo was called with the greeting", check: { type: "tool_called", tool: "echo", arguments: { text: "hello armature" } } },
        { criterionText: "The sum is reported", check: { type: "answer_matches", pattern: "2\\+3=5" } },
        { criterionText: "No tool failed", check: { type: "no_tool_errors" } },
        { criterionText: "The answer says hello armature" },
      ],
    });
    expect(runIds).toHaveLength(1);
    const { run, toolCalls, evaluation, spans, bodies } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "pass", classification: "all_criteria_met", error: null, attempt: 1 });
    expect(run.mcp).toEqual({ protocolVersion: "2026-07-28", era: "2026" });
    expect(run.cost).toEqual({ usd: 0, inputTokens: 0, outputTokens: 0 });
    expect(bodies.toolCalls.complete).toBe(true);
    expect(toolCalls.map((c) => [c.toolName, c.arguments, c.isError])).toEqual([
      ["echo", { text: "hello armature" }, false],
      ["add", { a: 2, b: 3 }, false],
    ]);
    expect(evaluation!.verdict).toBe("pass");
    expect(evaluation!.criteria.map((c) => [c.method, c.passed])).toEqual([
      ["check", true],
      ["check", true],
      ["check", true],
      ["judge", true],
    ]);
    expect(evaluation!.criteria[1]!.excerpts.join(" ")).toContain("2+3=5");
    const kinds = new Set(spans.map((s) => s.kind));
    for (const kind of ["run", "mcp.connect", "model", "tool", "judge"]) expect(kinds).toContain(kind);
    expect(spans.find((s) => s.kind === "run")!.attributes.answer).toContain("2+3=5");
  });

  it("fails a required criterion, and a later run where it passes is compared with it as the baseline", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const { wf, runIds } = await runWorkflow(
      org,
      {
        testerPrompt: 'call fail {}',
        criteria: [{ criterionText: "No tool failed", check: { type: "no_tool_errors" } }],
      },
      fixture,
    );
    const first = await read(org, runIds[0]!);
    expect(first.run).toMatchObject({ status: "fail", classification: "required_criteria_failed" });
    expect(first.toolCalls).toMatchObject([{ toolName: "fail", isError: true }]);

    await callJson(`/workflows/${wf.workflow.id}`, { key: org.ownerKey, method: "PATCH", body: { testerPrompt: 'call echo {"text": "ok"}' } });
    const dispatched = await callJson<{ runs: Array<{ id: string }> }>(`/workflows/${wf.workflow.id}/runs`, { key: org.ownerKey, body: {} });
    await deliverQueued(org, fixture);
    const second = await read(org, dispatched.body.runs[0]!.id);
    expect(second.run).toMatchObject({ status: "pass" });
    expect(second.evaluation!.criteria[0]).toMatchObject({ passed: true, baseline: "fixed" });
  });

  it("refuses a destructive tool by the default policy before it reaches the source", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const { runIds } = await runWorkflow(
      org,
      {
        testerPrompt: "call delete_everything {}",
        criteria: [{ criterionText: "Deleted", check: { type: "tool_called", tool: "delete_everything" } }],
      },
      fixture,
    );
    const { run, toolCalls } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "tool_policy_refused" });
    expect(toolCalls).toMatchObject([{ toolName: "delete_everything", isError: true, policyRefused: true }]);
    expect(JSON.stringify(toolCalls[0]!.result)).toContain("allowDestructive");
    expect(fixture.requests.some((r) => r.rpcMethods.includes("tools/call"))).toBe(false);
  });

  it("never lets a planted secret or the auth profile's value out through any endpoint", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const profileSecret = "profile-secret-value-0123456789";
    const { runIds } = await runWorkflow(
      org,
      { testerPrompt: "call dump_env {}", criteria: [{ criterionText: "Environment dumped", check: { type: "tool_called", tool: "dump_env" } }] },
      fixture,
      { authProfiles: [{ name: "token", type: "bearer", value: profileSecret }] },
    );
    const { run, bodies } = await read(org, runIds[0]!);
    const raw = JSON.stringify(bodies);
    expect(run.status).toBe("pass");
    for (const secret of [...PLANTED_SECRETS, profileSecret]) expect(raw).not.toContain(secret);
    expect(raw).toContain("[REDACTED]");
    // The profile did reach the source, as its header.
    expect(fixture.requests.some((r) => r.headers.authorization === `Bearer ${profileSecret}`)).toBe(true);
  });

  it("connects with the workflow's own auth profile over the source's default, as its header", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const source = await createMcpSource(org, {
      url: FIXTURE_URL,
      authProfiles: [
        { name: "default token", type: "bearer", value: "default-token-value-0123456789", isDefault: true },
        { name: "api key", type: "header", headerName: "X-Api-Key", value: "workflow-key-value-0123456789" },
      ],
    });
    const apiKey = source.authProfiles.find((p) => p.name === "api key")!;
    expect(source.defaultMcpAuthProfileId).not.toBe(apiKey.id);
    await createWorkflow(org, {
      mcpServerId: source.id,
      defaultMcpAuthProfileId: apiKey.id,
      testerModelIds: ["armature/scripted"],
      testerPrompt: 'call echo {"text": "hi"}',
      criteria: [],
    });
    const [runId] = await deliverQueued(org, fixture);
    expect((await read(org, runId!)).run.status).toBe("pass");
    const toSource = fixture.requests.filter((r) => r.rpcMethods.length > 0);
    expect(toSource.length).toBeGreaterThan(0);
    for (const r of toSource) {
      expect(r.headers["x-api-key"]).toBe("workflow-key-value-0123456789");
      expect(r.headers.authorization).toBeUndefined();
    }
  });

  it("ends mcp_connection_failed, naming it, when the workflow's source is gone before the run", async () => {
    const org = await createOrg();
    const fixture = createMcpFixture();
    const source = await createMcpSource(org, { url: FIXTURE_URL });
    await createWorkflow(org, { mcpServerId: source.id, testerModelIds: ["armature/scripted"], criteria: [] });
    await db.$client.prepare("DELETE FROM mcp_servers WHERE id = ?").bind(source.id).run();
    const [runId] = await deliverQueued(org, fixture);
    const { run } = await read(org, runId!);
    expect(run).toMatchObject({ status: "fail", classification: "mcp_connection_failed", error: "The workflow's MCP source no longer exists" });
    expect(fixture.requests).toHaveLength(0);
  });

  it("ends model_not_configured at once when the tester model's provider has no key", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(org, { testerModelIds: ["claude-sonnet-4"], criteria: [] });
    const { run } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "model_not_configured" });
    expect(run.error).toContain("ANTHROPIC_API_KEY");
  });

  it("ends mcp_address_refused for a source on a private address", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(org, { criteria: [] }, createMcpFixture(), { url: "http://10.0.0.8/mcp" });
    const { run } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "mcp_address_refused" });
  });

  it("ends mcp_connection_failed when the source is down, keeping the evidence", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(org, { criteria: [] }, downSource());
    const { run, spans } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "mcp_connection_failed" });
    expect(spans.some((s) => s.kind === "mcp.connect")).toBe(true);
  });

  it("ends limit_exceeded when maxToolCalls stops the tester, naming the limit and keeping the calls", async () => {
    const org = await createOrg();
    const { runIds } = await runWorkflow(org, {
      testerPrompt: 'call echo {"text": "1"}\ncall echo {"text": "2"}\ncall echo {"text": "3"}',
      limits: { maxToolCalls: 2 },
      criteria: [],
    });
    const { run, toolCalls } = await read(org, runIds[0]!);
    expect(run).toMatchObject({ status: "fail", classification: "limit_exceeded" });
    expect(run.error).toContain("maxToolCalls");
    expect(toolCalls).toHaveLength(2);
  });
});
