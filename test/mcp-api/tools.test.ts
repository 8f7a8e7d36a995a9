/**
 * Every tool, called through the official client: its structured content is the REST answer to the same request,
 * byte for byte as JSON, and what a write tool stores is what REST then reads. The client validates each answer
 * against the tool's advertised output schema (with its workerd validator), so a schema that does not describe
 * the answer fails here too.
 */
import type { Client } from "@modelcontextprotocol/client";
import { beforeAll, describe, expect, it } from "vitest";
import { MCP_TOOLS } from "../../src/mcp-api/tools";
import { createOrg, type TestOrg } from "../helpers";
import { addEvaluation, addToolCalls, addTrace, createRun, createWorkflow as insertWorkflow } from "../runs/fixtures";
import { captureQueue } from "../workflows/fixtures";
import { connect, rest, settle, structured } from "./fixtures";

// Creating and dispatching workflows reaches the queue: record it for the whole file, never restore.
const queue = captureQueue();

let org: TestOrg;
let client: Client;
/** Ids of what the organization holds. */
const ids = { source: "", workflow: "", run: "", session: "sess-checkout-1", topic: "", cluster: "" };
const called = new Set<string>();

async function callTool(name: string, args: Record<string, unknown> = {}) {
  called.add(name);
  return client.callTool({ name, arguments: args });
}

/** The tool's answer equals REST's answer to the same request (settled first, so both read the same state). */
async function sameAsRest(name: string, args: Record<string, unknown>, path: string) {
  await settle();
  const r = await rest(path, { key: org.ownerKey });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const result = await callTool(name, args);
  expect(structured(result)).toEqual(r.body);
  expect(result.content).toEqual([{ type: "text", text: expect.stringMatching(/\(The full answer is the structured content\.\)$/) }]);
  return r.body;
}

beforeAll(async () => {
  org = await createOrg({ features: ["mcp-analytics"] });
  client = await connect({ key: org.ownerKey });
  // As clients do: the listed output schemas are what the client validates each answer against.
  await client.listTools();
  const source = await rest<{ id: string }>("/mcp-servers", { key: org.ownerKey, body: { name: "Issues", url: "https://mcp.example.com/mcp" } });
  ids.source = source.body.id;
  const wf = await rest<{ workflow: { id: string } }>("/workflows", {
    key: org.ownerKey,
    body: {
      name: "Checkout search",
      mcpServerId: ids.source,
      testerPrompt: "Find the open checkout bugs.",
      testerModelIds: ["armature/scripted"],
      criteria: [{ criterionText: "Finds a bug", isRequired: true }],
    },
  });
  ids.workflow = wf.body.workflow.id;

  const runWorkflow = await insertWorkflow(org.id, "Nightly checkout");
  const run = await createRun(org.id, runWorkflow, { status: "partial", classification: "optional_criteria_failed", reason: "checkout nightly" });
  ids.run = run.id;
  await addTrace(run.id, [
    { id: "s1", parentId: null, name: "agent", kind: "agent", startedAt: "2030-01-01T00:00:00.000Z", endedAt: "2030-01-01T00:00:05.000Z", attributes: {} },
  ]);
  await addToolCalls(run.id, [{ toolName: "search_issues", arguments: { q: "checkout" }, result: { content: [{ type: "text", text: "2 issues" }] } }]);
  await addEvaluation(run.id, {
    verdict: "partial",
    criteria: [{ criterionText: "Finds a bug", isRequired: true, verdict: "pass", reasoning: "It did.", excerpts: [] }],
  });

  // MCP usage of a source, through the real ingestion and rollup: a topic (the intent) and a failed search.
  const at = new Date(Date.now() - 10 * 60_000);
  const ev = (n: number, e: Record<string, unknown>) => ({
    id: `${ids.session}-${n}`,
    sessionId: ids.session,
    mcpServerId: ids.source,
    timestamp: new Date(at.getTime() + n * 1000).toISOString(),
    intent: "find checkout bugs",
    client: { name: "claude-desktop", version: "1.0" },
    ...e,
  });
  const ingested = await rest("/insights/events", {
    key: org.ownerKey,
    body: {
      events: [
        ev(0, { type: "session_start" }),
        ev(1, { type: "tools_list", toolNames: ["search_issues", "get_issue"] }),
        ev(2, { type: "tool_call", toolName: "search_issues", arguments: { q: "checkout" }, isError: true, durationMs: 40 }),
        ev(3, { type: "search", query: "checkout bug", resultCount: 0 }),
        ev(4, { type: "session_end" }),
      ],
    },
  });
  expect(ingested.status, JSON.stringify(ingested.body)).toBe(202);
  await settle();
  ids.topic = (await rest<{ topics: Array<{ id: string }> }>("/insights/topics", { key: org.ownerKey })).body.topics[0]!.id;
  ids.cluster = (await rest<{ searches: Array<{ id: string }> }>("/insights/searches", { key: org.ownerKey })).body.searches[0]!.id;
});

describe("read tools answer what REST answers", () => {
  it("get_org", () => sameAsRest("get_org", {}, "/org"));
  it("list_mcp_servers, with paging", () => sameAsRest("list_mcp_servers", { page: 1, pageSize: 10 }, "/mcp-servers?page=1&pageSize=10"));
  it("get_mcp_server", () => sameAsRest("get_mcp_server", { id: ids.source }, `/mcp-servers/${ids.source}`));
  it("list_workflows", () => sameAsRest("list_workflows", { categorySlug: "none", pageSize: 5 }, "/workflows?categorySlug=none&pageSize=5"));
  it("get_workflow (an upper-case id folded as REST folds it)", () =>
    sameAsRest("get_workflow", { id: ids.workflow.toUpperCase() }, `/workflows/${ids.workflow}`));
  it("search_runs, with filters as REST's query takes them", async () => {
    const body = await sameAsRest("search_runs", { range: "7d", status: "partial,fail", search: "nightly" }, "/runs?range=7d&status=partial,fail&search=nightly");
    expect((body as { runs: Array<{ id: string }> }).runs.map((r) => r.id)).toEqual([ids.run]);
  });
  it("get_run", () => sameAsRest("get_run", { id: ids.run }, `/runs/${ids.run}`));
  it("get_run_trace", () => sameAsRest("get_run_trace", { id: ids.run }, `/runs/${ids.run}/trace`));
  it("get_run_evaluation", () => sameAsRest("get_run_evaluation", { id: ids.run }, `/runs/${ids.run}/evaluation`));
  it("list_run_tool_calls", () => sameAsRest("list_run_tool_calls", { id: ids.run }, `/runs/${ids.run}/tool-calls`));
  it("get_insights_overview", () => sameAsRest("get_insights_overview", { range: "24h" }, "/insights/overview?range=24h"));
  it("list_sessions", async () => {
    const body = await sameAsRest("list_sessions", { view: "all", limit: 50 }, "/insights/sessions?view=all&limit=50");
    expect((body as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id)).toContain(ids.session);
  });
  it("get_session_trace", () => sameAsRest("get_session_trace", { id: ids.session }, `/insights/sessions/${ids.session}/trace`));
  it("list_topics", () => sameAsRest("list_topics", { sort: "trend" }, "/insights/topics?sort=trend"));
  it("get_topic", () => sameAsRest("get_topic", { id: ids.topic, range: "30d" }, `/insights/topics/${ids.topic}?range=30d`));
  it("list_failed_searches", () => sameAsRest("list_failed_searches", { limit: 5 }, "/insights/searches?limit=5"));
  it("get_failed_search", () => sameAsRest("get_failed_search", { id: ids.cluster }, `/insights/searches/${ids.cluster}`));
});

describe("write tools store what REST then reads", () => {
  it("register_mcp_server: the source is readable over REST, its secret never answered", async () => {
    const created = structured<{ id: string; authProfiles: unknown[] }>(
      await callTool("register_mcp_server", {
        name: "Tickets",
        url: "HTTPS://Tickets.Example.COM/mcp",
        authProfiles: [{ name: "prod", type: "bearer", value: "tickets-secret-value-0123456789" }],
      }),
    );
    const r = await rest(`/mcp-servers/${created.id}`, { key: org.ownerKey });
    expect(r.body).toEqual(created);
    expect(created).toMatchObject({ url: "https://tickets.example.com/mcp" });
    expect(JSON.stringify(created)).not.toContain("tickets-secret-value");
  });

  it("create_workflow, update_workflow, dispatch_workflow_run, archive_workflow", async () => {
    const created = structured<{ workflow: { id: string }; currentVersion: unknown; initialDispatch: unknown }>(
      await callTool("create_workflow", {
        name: "Created over MCP",
        mcpServerId: ids.source,
        testerPrompt: "List the open issues.",
        testerModelIds: ["armature/scripted"],
        criteria: [{ criterionText: "Lists an issue" }],
      }),
    );
    const id = created.workflow.id;
    expect((await rest(`/workflows/${id}`, { key: org.ownerKey })).body).toEqual({ workflow: created.workflow, currentVersion: created.currentVersion });

    const updated = structured<{ currentVersion: { version: number } }>(await callTool("update_workflow", { id, name: "Renamed over MCP" }));
    expect(updated.currentVersion.version).toBe(2);
    expect((await rest(`/workflows/${id}`, { key: org.ownerKey })).body).toEqual(updated);

    const before = queue.messages.length;
    const dispatched = structured<{ runs: Array<{ id: string }>; queued: number; replayed: boolean }>(
      await callTool("dispatch_workflow_run", { id, reason: "from an agent", idempotencyKey: "mcp-dispatch-1" }),
    );
    expect(dispatched.queued).toBe(dispatched.runs.length);
    expect(dispatched.replayed).toBe(false);
    await queue.waitFor(before + dispatched.runs.length);
    for (const run of dispatched.runs) expect((await rest<{ id: string }>(`/runs/${run.id}`, { key: org.ownerKey })).body.id).toBe(run.id);
    // The idempotency key replays, as over REST.
    const replay = structured<{ runs: Array<{ id: string }>; replayed: boolean }>(
      await callTool("dispatch_workflow_run", { id, reason: "from an agent", idempotencyKey: "mcp-dispatch-1" }),
    );
    expect(replay).toMatchObject({ replayed: true, runs: dispatched.runs });

    expect(structured(await callTool("archive_workflow", { id }))).toEqual({ ok: true });
    expect((await rest<{ workflow: { archivedAt: string | null } }>(`/workflows/${id}`, { key: org.ownerKey })).body.workflow.archivedAt).not.toBeNull();
  });

  it("update_topic: the topic as REST then reads it", async () => {
    const updated = structured<{ label: string; isUnmetDemand: boolean }>(
      await callTool("update_topic", { id: ids.topic, label: "Checkout bugs", is_unmet_demand: true }),
    );
    expect(updated).toMatchObject({ label: "Checkout bugs", isUnmetDemand: true });
    await settle();
    expect((await rest(`/insights/topics/${ids.topic}?range=7d`, { key: org.ownerKey })).body).toEqual(
      structured(await client.callTool({ name: "get_topic", arguments: { id: ids.topic, range: "7d" } })),
    );
  });
});

describe("coverage", () => {
  it("called every tool of the list", () => {
    expect([...called].sort()).toEqual(MCP_TOOLS.map((t) => t.name).sort());
  });
});
