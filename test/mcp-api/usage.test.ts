/**
 * The MCP API records its own use as MCP Analytics events of the caller's organization (when it has the
 * feature), through the real ingestion and rollup, so Armature's insights show how agents use Armature.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import * as ingest from "../../src/insights/ingest";
import { createOrg, type TestOrg } from "../helpers";
import { connect, rest, settle, structured } from "./fixtures";

interface SessionView {
  id: string;
  client: { name: string | null; version: string | null };
  counts: { events: number; toolCalls: number; toolErrors: number };
}
interface TraceEvent {
  type: string;
  toolName: string | null;
  query: string | null;
  resultCount: number | null;
  isError: boolean;
  data: Record<string, unknown>;
}

const keyIdOf = (key: string) => key.split("_")[1]!;
const today = () => new Date().toISOString().slice(0, 10);

async function sessions(org: TestOrg): Promise<SessionView[]> {
  await settle();
  const r = await rest<{ sessions: SessionView[] }>("/insights/sessions?range=24h&limit=100", { key: org.ownerKey });
  expect(r.status).toBe(200);
  return r.body.sessions;
}

async function trace(org: TestOrg, sessionId: string): Promise<TraceEvent[]> {
  await settle();
  const r = await rest<{ events: TraceEvent[] }>(`/insights/sessions/${encodeURIComponent(sessionId)}/trace`, { key: org.ownerKey });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.events;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("with MCP Analytics", () => {
  it("records a connection, the tool list and every tool call in the key's session of the day, with the client", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const key = await org.keyFor("editor");
    const client = await connect({ key, clientInfo: { name: "usage-agent", version: "2.0.0" } });
    await client.listTools();
    structured(await client.callTool({ name: "get_org", arguments: {} }));
    structured(
      await client.callTool({
        name: "register_mcp_server",
        arguments: { name: "Secretive", url: "https://mcp.example.com/mcp", authProfiles: [{ name: "p", type: "bearer", value: "sk-live-0123456789abcdefghij" }] },
      }),
    );
    await client.callTool({ name: "get_workflow", arguments: { id: crypto.randomUUID() } });

    const sessionId = `mcp-api:${keyIdOf(key)}:${today()}`;
    const session = (await sessions(org)).find((s) => s.id === sessionId);
    expect(session).toMatchObject({ client: { name: "usage-agent", version: "2.0.0" }, counts: { events: 5, toolCalls: 3, toolErrors: 1 } });

    const events = await trace(org, sessionId);
    expect(events.map((e) => [e.type, e.toolName, e.isError])).toEqual([
      ["session_start", null, false],
      ["tools_list", null, false],
      ["tool_call", "get_org", false],
      ["tool_call", "register_mcp_server", false],
      ["tool_call", "get_workflow", true],
    ]);
    expect(events[1]!.data.toolNames).toHaveLength(23);
    const register = events[3]!;
    // Arguments are stored through the one redaction policy: the profile's value never reaches storage.
    expect(register.data.arguments).toMatchObject({ name: "Secretive", authProfiles: [{ value: "[REDACTED]" }] });
    expect(JSON.stringify(events)).not.toContain("sk-live-0123456789");
    expect(register.data.durationMs).toEqual(expect.any(Number));
    expect(register.data.protocolVersion).toBe("2026-07-28");
    // An error's stored result is the envelope the agent got.
    expect(events[4]!.data.result).toMatchObject({ error: { code: "not_found" } });
  });

  it("records a search tool's query and result count, so a search that finds nothing is a failed search", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const client = await connect({ key: org.ownerKey });
    structured(await client.callTool({ name: "search_runs", arguments: { search: "checkout regression", range: "7d" } }));
    await settle();
    const failed = await rest<{ searches: Array<{ query: string; count: number }> }>("/insights/searches?range=24h", { key: org.ownerKey });
    expect(failed.body.searches).toEqual([expect.objectContaining({ query: "checkout regression", count: 1 })]);
  });

  it("records a refused call too (the agent hit a wall), as an errored tool call", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const viewer = await org.keyFor("viewer");
    const client = await connect({ key: viewer });
    await client.callTool({ name: "archive_workflow", arguments: { id: crypto.randomUUID() } });
    const events = await trace(org, `mcp-api:${keyIdOf(viewer)}:${today()}`);
    expect(events.find((e) => e.type === "tool_call")).toMatchObject({ toolName: "archive_workflow", isError: true, data: { result: { error: { code: "forbidden" } } } });
  });

  it("takes a 2025-era client's name from its initialize handshake", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const client = await connect({ key: org.ownerKey, mode: "legacy", clientInfo: { name: "legacy-agent", version: "0.9" } });
    structured(await client.callTool({ name: "get_org", arguments: {} }));
    const [session] = await sessions(org);
    expect(session).toMatchObject({ id: `mcp-api:${keyIdOf(org.ownerKey)}:${today()}`, client: { name: "legacy-agent", version: "0.9" }, counts: { toolCalls: 1 } });
  });

  it("uses the client's Mcp-Session-Id header as the session when it sends one", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const client = await connect({ key: org.ownerKey, headers: { "mcp-session-id": "agent-run-42" } });
    structured(await client.callTool({ name: "get_org", arguments: {} }));
    expect((await sessions(org)).map((s) => s.id)).toEqual(["agent-run-42"]);
  });

  it("never fails a tool call because recording failed: the failure is only logged", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const spy = vi.spyOn(ingest, "ingestEvents").mockRejectedValue(new Error("D1 is down"));
    const client = await connect({ key: org.ownerKey });
    expect(structured(await client.callTool({ name: "get_org", arguments: {} }))).toMatchObject({ organization: { id: org.id } });
    await settle();
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    expect(await sessions(org)).toEqual([]);
  });
});

describe("without MCP Analytics", () => {
  it("records nothing", async () => {
    const org = await createOrg();
    const spy = vi.spyOn(ingest, "ingestEvents");
    const client = await connect({ key: org.ownerKey });
    await client.listTools();
    structured(await client.callTool({ name: "get_org", arguments: {} }));
    await settle();
    expect(spy).not.toHaveBeenCalled();
  });
});
