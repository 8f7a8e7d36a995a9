/**
 * The MCP API's protocol surface, as the official client sees it: the handshake in both protocol eras, the
 * tool list and its annotations, and what the HTTP layer refuses before the SDK (key, Origin).
 */
import { SdkHttpError } from "@modelcontextprotocol/client";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiKeys } from "../../src/db/schema";
import { OPERATIONS } from "../../src/operations";
import { createKey, createOrg, db, errorOf } from "../helpers";
import { connect, postMcp, structured } from "./fixtures";

/** The tools of the issue, in the order tools/list answers them, with their operation (read or write). */
const EXPECTED_TOOLS: Array<[string, keyof typeof OPERATIONS]> = [
  ["get_org", "getOrg"],
  ["list_mcp_servers", "listMcpServers"],
  ["register_mcp_server", "createMcpServer"],
  ["get_mcp_server", "getMcpServer"],
  ["list_workflows", "listWorkflows"],
  ["get_workflow", "getWorkflow"],
  ["create_workflow", "createWorkflow"],
  ["update_workflow", "updateWorkflow"],
  ["archive_workflow", "archiveWorkflow"],
  ["dispatch_workflow_run", "dispatchWorkflowRuns"],
  ["search_runs", "listRuns"],
  ["get_run", "getRun"],
  ["get_run_trace", "getRunTrace"],
  ["get_run_evaluation", "getRunEvaluation"],
  ["list_run_tool_calls", "listRunToolCalls"],
  ["get_insights_overview", "getInsightsOverview"],
  ["list_sessions", "listInsightSessions"],
  ["get_session_trace", "getInsightSessionTrace"],
  ["list_topics", "listInsightTopics"],
  ["get_topic", "getInsightTopic"],
  ["update_topic", "updateInsightTopic"],
  ["list_failed_searches", "listInsightSearches"],
  ["get_failed_search", "getInsightSearch"],
];
const WRITES = ["register_mcp_server", "create_workflow", "update_workflow", "archive_workflow", "dispatch_workflow_run", "update_topic"];

describe("connecting", () => {
  it("speaks the stateless 2026-07-28 protocol to a negotiating client", async () => {
    const org = await createOrg();
    const client = await connect({ key: org.ownerKey });
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    expect(client.getServerVersion()).toMatchObject({ name: "armature" });
    expect(client.getServerCapabilities()?.tools).toBeDefined();
  });

  it("serves a 2025-era client (the initialize handshake) the same tools and answers", async () => {
    const org = await createOrg();
    const legacy = await connect({ key: org.ownerKey, mode: "legacy" });
    expect(legacy.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
    expect(await legacy.ping()).toEqual({});
    const modern = await connect({ key: org.ownerKey });
    expect((await legacy.listTools()).tools).toEqual((await modern.listTools()).tools);
    const args = { name: "get_org", arguments: {} };
    expect(structured(await legacy.callTool(args))).toEqual(structured(await modern.callTool(args)));
  });
});

describe("tools/list", () => {
  it("lists exactly the API's tools, reads marked read-only and writes not", async () => {
    const org = await createOrg();
    const { tools } = await (await connect({ key: org.ownerKey })).listTools();
    expect(tools.map((t) => t.name)).toEqual(EXPECTED_TOOLS.map(([name]) => name));
    for (const tool of tools) {
      const write = WRITES.includes(tool.name);
      expect(tool.annotations?.readOnlyHint ?? false, tool.name).toBe(!write);
      expect(OPERATIONS[EXPECTED_TOOLS.find(([n]) => n === tool.name)![1]].readOnly, tool.name).toBe(!write);
      expect(tool.description, tool.name).toMatch(/\S/);
      expect(tool.inputSchema.type, tool.name).toBe("object");
      expect(tool.outputSchema?.type, tool.name).toBe("object");
    }
    const annotations = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
    expect(annotations.archive_workflow).toEqual({ readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false });
    expect(annotations.create_workflow).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(annotations.dispatch_workflow_run).toMatchObject({ readOnlyHint: false, openWorldHint: true });
  });

  it("describes the arguments with the REST schemas: path, query and body fields side by side, with their documentation", async () => {
    const org = await createOrg();
    const { tools } = await (await connect({ key: org.ownerKey })).listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    const update = byName.update_workflow!.inputSchema as { properties: Record<string, { description?: string }>; required?: string[]; additionalProperties?: unknown };
    expect(update.required).toEqual(["id"]);
    expect(Object.keys(update.properties)).toEqual(expect.arrayContaining(["id", "name", "criteria", "schedule"]));
    // Unknown arguments are refused where the operation takes a body, as REST refuses unknown body fields.
    expect(update.additionalProperties).toBe(false);
    const search = byName.search_runs!.inputSchema as { properties: Record<string, { description?: string; type?: string }>; additionalProperties?: unknown };
    expect(search.properties.search?.description).toMatch(/Substring matched against the workflow name/);
    expect(search.properties.pageSize?.type).toBe("integer");
    expect(search.additionalProperties).toBeUndefined();
    expect(byName.get_org!.inputSchema).toMatchObject({ type: "object", properties: {} });
    expect(byName.get_run!.description).toMatch(/^Get one run\. .*Role: viewer or higher\./);
    expect(byName.list_topics!.description).toMatch(/Needs the organization feature mcp-analytics\./);
  });
});

describe("the HTTP layer", () => {
  const challenge = (res: Response) => res.headers.get("www-authenticate");

  it("answers a request without a key 401 with a Bearer challenge, before the SDK sees it", async () => {
    const res = await postMcp({ key: null });
    expect(res.status).toBe(401);
    expect(challenge(res)).toBe('Bearer realm="armature"');
    expect(errorOf(await res.json())?.code).toBe("unauthorized");
  });

  it.each([
    ["a malformed key", "Bearer not-a-key"],
    ["another scheme", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"],
  ])("answers %s 401 invalid_token", async (_what, authorization) => {
    const res = await postMcp({ authorization });
    expect(res.status).toBe(401);
    expect(challenge(res)).toBe('Bearer realm="armature", error="invalid_token"');
  });

  it("answers a wrong secret, a revoked key and another organization's key on this organization's host 401", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const wrong = `${org.ownerKey.slice(0, -1)}${org.ownerKey.endsWith("A") ? "B" : "A"}`;
    const revoked = await createKey(org.id, "owner", { name: "revoked" });
    await db.update(apiKeys).set({ revokedAt: new Date(Date.now() - 1000) }).where(eq(apiKeys.id, revoked.split("_")[1]!)).run();
    for (const [key, host] of [[wrong, undefined], [revoked, undefined], [other.ownerKey, org.host]] as const) {
      const res = await postMcp({ key, host });
      expect(res.status).toBe(401);
      expect(challenge(res)).toMatch(/^Bearer realm="armature", error="invalid_token"$/);
    }
  });

  it("makes the official client's connect fail on a bad key, with the HTTP status", async () => {
    const org = await createOrg();
    const error = await connect({ key: `${org.ownerKey}x` }).catch((e: unknown) => e);
    const statuses = [error, (error as { cause?: unknown }).cause].map((e) => (e instanceof SdkHttpError ? e.status : undefined));
    expect(statuses).toContain(401);
  });

  it("refuses a present Origin that is not allowed with 403 (DNS-rebinding protection), and accepts local and own hosts", async () => {
    const org = await createOrg();
    for (const origin of ["http://evil.example.com", "null", "https://armature.app.evil.example.com", "http://127.0.0.1.nip.io:8787"]) {
      const res = await postMcp({ key: org.ownerKey, headers: { origin } });
      expect(res.status, origin).toBe(403);
      expect(errorOf(await res.json())?.code).toBe("forbidden");
    }
    // Refused before authentication: a rebinding page learns nothing about keys either.
    expect((await postMcp({ key: null, headers: { origin: "http://evil.example.com" } })).status).toBe(403);
    for (const origin of ["http://127.0.0.1:8787", "http://localhost:5173", `http://${org.slug}.localhost:8787`, `https://${org.host}`, "http://[::1]:8787"]) {
      const client = await connect({ key: org.ownerKey, headers: { origin } });
      expect(structured(await client.callTool({ name: "get_org", arguments: {} })), origin).toMatchObject({ organization: { id: org.id } });
    }
  });

  it("refuses a body over 256 KiB with 413, as the REST API does", async () => {
    const org = await createOrg();
    const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_org", arguments: { padding: "x".repeat(300 * 1024) } } };
    const res = await postMcp({ key: org.ownerKey, body });
    expect(res.status).toBe(413);
    expect(errorOf(await res.json())?.code).toBe("payload_too_large");
  });

  it("counts a tool call in its operation's REST rate-limit class, and anything else as a read", async () => {
    const org = await createOrg();
    const policy = async (body: unknown) => (await postMcp({ key: org.ownerKey, body })).headers.get("ratelimit-policy");
    const call = (name: string) => ({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: {} } });
    expect(await policy({ jsonrpc: "2.0", id: 1, method: "ping" })).toMatch(/^"reads-per-key"/);
    expect(await policy(call("get_org"))).toMatch(/^"reads-per-key"/);
    expect(await policy(call("create_workflow"))).toMatch(/^"writes-per-key"/);
    expect(await policy(call("dispatch_workflow_run"))).toMatch(/^"dispatches-per-key"/);
  });
});
