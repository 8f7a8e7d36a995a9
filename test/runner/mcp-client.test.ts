import { afterEach, describe, expect, it } from "vitest";
import { connectSource, mcpRunFailure, type ConnectSourceOptions } from "../../src/runner/mcp/client";
import { createGuardedFetch, OutboundRefusedError, type GuardedFetchOptions } from "../../src/runner/mcp/outbound";
import { RunFailure, type McpSession, type SpanKind, type TraceRecorder } from "../../src/runner/types";
import {
  createMcpFixture,
  FIXTURE_ORIGIN,
  FIXTURE_SKILL_BODY,
  FIXTURE_SKILL_MD,
  FIXTURE_SKILL_NAME,
  FIXTURE_SKILL_URI,
  FIXTURE_TOOL_NAMES,
  FIXTURE_URL,
  fixtureFetch,
  PLANTED_BEARER_TOKEN,
  PLANTED_OPENAI_KEY,
  type McpFixture,
  type McpFixtureOptions,
} from "../fixtures/mcp-server";

const AUTH_HEADER = "x-armature-test-key";
const AUTH_VALUE = "live-key-6a1f0e9c2b7d4a3f8e5c1b0d9a7f6e5d";
const BASE_DOMAIN = "armature.app";

interface RecordedSpan {
  id: string;
  name: string;
  kind: SpanKind;
  parentId: string | null;
  attributes: Record<string, unknown>;
  error?: string;
  ended: boolean;
}

function recorder() {
  const spans: RecordedSpan[] = [];
  const events: Array<{ spanId: string; name: string; attributes: Record<string, unknown> }> = [];
  const trace: TraceRecorder = {
    start(name, kind, parentId, attributes = {}) {
      const id = `span-${spans.length + 1}`;
      spans.push({ id, name, kind, parentId, attributes: { ...attributes }, ended: false });
      return id;
    },
    end(id, update) {
      const span = spans.find((s) => s.id === id)!;
      span.ended = true;
      Object.assign(span.attributes, update?.attributes ?? {});
      if (update?.error !== undefined) span.error = update.error;
    },
    event(spanId, name, attributes = {}) {
      events.push({ spanId, name, attributes });
    },
  };
  return { trace, spans, events, dump: () => JSON.stringify({ spans, events }) };
}

const fixtures: McpFixture[] = [];
const sessions: McpSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

function fixture(options: McpFixtureOptions = {}): McpFixture {
  const f = createMcpFixture(options);
  fixtures.push(f);
  return f;
}

interface Setup {
  fixture?: McpFixture;
  url?: string;
  transport?: ConnectSourceOptions["transport"];
  guard?: Partial<GuardedFetchOptions>;
  requestTimeoutMs?: number;
}

async function connect(setup: Setup = {}) {
  const f = setup.fixture ?? fixture();
  const rec = recorder();
  const fetch = createGuardedFetch({ baseDomain: BASE_DOMAIN, allowPrivate: false, fetch: f.fetch, ...setup.guard });
  const session = await connectSource({
    url: setup.url ?? f.url,
    transport: setup.transport ?? "streamable-http",
    headers: { [AUTH_HEADER]: AUTH_VALUE },
    fetch,
    trace: rec.trace,
    parentSpanId: "run-span",
    ...(setup.requestTimeoutMs ? { requestTimeoutMs: setup.requestTimeoutMs } : {}),
  });
  sessions.push(session);
  return { session, rec, fixture: f };
}

async function connectFailure(setup: Setup = {}) {
  const rec = recorder();
  const f = setup.fixture ?? fixture();
  const error = await connectSource({
    url: setup.url ?? f.url,
    transport: setup.transport ?? "streamable-http",
    headers: { [AUTH_HEADER]: AUTH_VALUE },
    fetch: createGuardedFetch({ baseDomain: BASE_DOMAIN, allowPrivate: false, fetch: f.fetch, ...setup.guard }),
    trace: rec.trace,
    parentSpanId: "run-span",
    ...(setup.requestTimeoutMs ? { requestTimeoutMs: setup.requestTimeoutMs } : {}),
  }).then(
    (s) => {
      sessions.push(s);
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RunFailure);
  const failure = error as RunFailure;
  expect(failure.message).not.toContain(AUTH_VALUE);
  expect(rec.dump()).not.toContain(AUTH_VALUE);
  return { failure, rec, fixture: f };
}

async function sha256(text: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `sha256:${[...hash].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

const VARIANTS: Array<[string, McpFixtureOptions, ConnectSourceOptions["transport"], "2025" | "2026", string]> = [
  ["2026-07-28 (stateless)", {}, "streamable-http", "2026", "2026-07-28"],
  ["2025 (initialize, sessions)", { protocol: "2025" }, "streamable-http", "2025", "2025-11-25"],
  ["2025 over HTTP+SSE", { transport: "sse" }, "sse", "2025", "2025-11-25"],
];

describe.each(VARIANTS)("an MCP source speaking %s", (_label, fixtureOptions, transport, era, version) => {
  const open = () => connect({ fixture: fixture(fixtureOptions), transport });

  it("connects, records the protocol and era on the session and the mcp.connect span", async () => {
    const { session, rec, fixture: f } = await open();
    expect(session.era).toBe(era);
    expect(session.protocolVersion).toBe(version);
    expect(session.serverInfo).toEqual({ name: "armature-fixture", version: "1.0.0" });

    const span = rec.spans.find((s) => s.kind === "mcp.connect")!;
    expect(span).toMatchObject({ name: "mcp.connect", parentId: "run-span", ended: true });
    expect(span.error).toBeUndefined();
    expect(span.attributes).toMatchObject({ protocolVersion: version, era, transport, toolCount: FIXTURE_TOOL_NAMES.length });
    expect(span.attributes.url).toBe(f.url);

    const methods = f.requests.flatMap((r) => r.rpcMethods);
    if (era === "2026") expect(methods).not.toContain("initialize");
    else expect(methods).toContain("initialize");
  });

  it("lists every tool of every page, with annotations", async () => {
    const { session, fixture: f } = await open();
    expect(session.tools.map((t) => t.name)).toEqual([...FIXTURE_TOOL_NAMES]);
    expect(f.requests.filter((r) => r.rpcMethods.includes("tools/list"))).toHaveLength(Math.ceil(FIXTURE_TOOL_NAMES.length / 3));
    const byName = Object.fromEntries(session.tools.map((t) => [t.name, t]));
    expect(byName.echo).toMatchObject({ description: "Returns the text it is given.", annotations: { readOnlyHint: true } });
    expect(byName.echo!.inputSchema).toMatchObject({ type: "object", properties: { text: { type: "string" } }, required: ["text"] });
    expect(byName.add!.annotations).toEqual({ readOnlyHint: true });
    expect(byName.delete_everything!.annotations).toEqual({ readOnlyHint: false, destructiveHint: true });
    expect(byName.confirm_action!.annotations).toBeUndefined();
  });

  it("calls each tool", async () => {
    const { session } = await open();
    expect(await session.callTool("echo", { text: "hello" })).toEqual({
      content: [{ type: "text", text: "hello" }],
      isError: false,
      text: "hello",
    });
    expect(await session.callTool("add", { a: 2, b: 40 })).toMatchObject({
      isError: false,
      text: "2+40=42",
      structuredContent: { sum: 42 },
    });
    expect(await session.callTool("fail", {})).toMatchObject({ isError: true, text: "this tool always fails" });
    expect(await session.callTool("delete_everything", {})).toMatchObject({ isError: false, text: "deleted everything (not really)" });
    const env = await session.callTool("dump_env", {});
    expect(env.text).toContain(PLANTED_OPENAI_KEY);
    expect(env.text).toContain(PLANTED_BEARER_TOKEN);
    expect((await session.callTool("big_output", { bytes: 10_000 })).text).toHaveLength(10_000);
    expect(await session.callTool("slow", { ms: 5 })).toMatchObject({ isError: false, text: "waited 5ms" });
  });

  it("turns a JSON-RPC error from tools/call into an isError outcome, and goes on", async () => {
    const { session } = await open();
    const missing = await session.callTool("no_such_tool", {});
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/no_such_tool not found/);
    const invalid = await session.callTool("add", { a: "two" });
    expect(invalid.isError).toBe(true);
    expect((await session.callTool("echo", { text: "still here" })).text).toBe("still here");
  });

  it("declines an elicitation and records it once", async () => {
    const { session, rec } = await open();
    const outcome = await session.callTool("confirm_action", {});
    expect(outcome).toMatchObject({ isError: false, text: "elicitation answered: decline" });
    expect(rec.events).toEqual([
      {
        spanId: "run-span",
        name: "elicitation declined",
        attributes: { method: "elicitation/create", mode: "form", message: "Really do it?" },
      },
    ]);
  });

  it("does not answer sampling: the tool gets no model", async () => {
    const { session } = await open();
    const outcome = await session.callTool("ask_model", {});
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toMatch(/sampling/);
  });

  it("lists and fetches the published skill", async () => {
    const { session } = await open();
    const digest = await sha256(FIXTURE_SKILL_MD);
    expect(await session.listSkills()).toEqual([
      { name: FIXTURE_SKILL_NAME, uri: FIXTURE_SKILL_URI, description: "How to use the fixture server.", digest },
    ]);
    const byName = await session.getSkill(FIXTURE_SKILL_NAME);
    expect(byName).toEqual({
      skill: { name: FIXTURE_SKILL_NAME, uri: FIXTURE_SKILL_URI, description: "How to use the fixture server.", digest },
      text: FIXTURE_SKILL_MD,
      digest,
    });
    expect(byName!.text).toContain(FIXTURE_SKILL_BODY);
    expect(await session.getSkill(FIXTURE_SKILL_URI)).toEqual(byName);
    expect(await session.getSkill("no-such-skill")).toBeNull();
    expect(await session.getSkill("skill://no-such-skill/SKILL.md")).toBeNull();
  });

  it("sends the auth header on every request, and keeps it out of the trace", async () => {
    const { session, rec, fixture: f } = await open();
    await session.callTool("echo", { text: "x" });
    await session.callTool("confirm_action", {});
    await session.getSkill(FIXTURE_SKILL_NAME);
    expect(f.requests.length).toBeGreaterThan(3);
    for (const request of f.requests) expect(request.headers[AUTH_HEADER]).toBe(AUTH_VALUE);
    expect(rec.dump()).not.toContain(AUTH_VALUE);
  });

  it("closes, twice without harm, and refuses calls afterwards", async () => {
    const { session } = await open();
    await session.close();
    await session.close();
    const error = await session.callTool("echo", { text: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailure);
  });
});

describe("a source without the skills extension", () => {
  it("has no skills", async () => {
    const { session } = await connect({ fixture: fixture({ skills: false }) });
    expect(await session.listSkills()).toEqual([]);
    expect(await session.getSkill(FIXTURE_SKILL_NAME)).toBeNull();
    expect(await session.getSkill(FIXTURE_SKILL_URI)).toBeNull();
  });
});

describe("server-to-client requests of a 2025 source", () => {
  it("declines roots/list (a request the client never declared) and records it", async () => {
    const { session, rec } = await connect({ fixture: fixture({ protocol: "2025" }) });
    const outcome = await session.callTool("list_roots", {});
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toMatch(/roots\/list failed/);
    expect(rec.events).toEqual([{ spanId: "run-span", name: "elicitation declined", attributes: { method: "roots/list" } }]);
  });
});

describe("closing a session", () => {
  it("ends a 2025 session with DELETE", async () => {
    const { session, fixture: f } = await connect({ fixture: fixture({ protocol: "2025" }) });
    await session.close();
    expect(f.requests.at(-1)).toMatchObject({ method: "DELETE" });
    expect(f.requests.at(-1)!.headers["mcp-session-id"]).toBeTruthy();
  });
});

describe("the fixture's shared fetch", () => {
  it("serves the default server at FIXTURE_URL", async () => {
    const rec = recorder();
    const session = await connectSource({
      url: FIXTURE_URL,
      transport: "streamable-http",
      headers: {},
      fetch: createGuardedFetch({ baseDomain: BASE_DOMAIN, allowPrivate: false, fetch: fixtureFetch }),
      trace: rec.trace,
      parentSpanId: "run-span",
    });
    sessions.push(session);
    expect(session.era).toBe("2026");
  });
});

describe("refusals", () => {
  const REFUSED_URLS: Array<[string, string]> = [
    ["an IP-literal host", "https://127.0.0.1/mcp"],
    ["a decimal IP literal", "https://2130706433/mcp"],
    ["a hex metadata address", "https://0xa9fea9fe/latest/meta-data"],
    ["an IPv4-mapped IPv6 address", "https://[::ffff:169.254.169.254]/mcp"],
    ["a public IP literal", "https://1.1.1.1/mcp"],
    ["our base domain", "https://acme.armature.app/mcp"],
    ["the base domain itself", "https://armature.app/mcp"],
    ["plain http", "http://mcp-fixture.example.com/mcp"],
    ["a loopback name", "https://localhost/mcp"],
  ];

  it.each(REFUSED_URLS)("refuses %s as mcp_address_refused, before any request", async (_label, url) => {
    const f = fixture();
    const { failure, rec } = await connectFailure({ fixture: f, url });
    expect(failure.classification).toBe("mcp_address_refused");
    expect(failure.message).toMatch(/^Refused an outbound request to /);
    expect(f.requests).toHaveLength(0);
    const span = rec.spans.find((s) => s.kind === "mcp.connect")!;
    expect(span).toMatchObject({ ended: true, error: failure.message, attributes: { classification: "mcp_address_refused" } });
  });

  it.each([
    ["127.0.0.1", "http://127.0.0.1/mcp"],
    ["169.254.169.254", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"],
    ["metadata.google.internal", "https://metadata.google.internal/computeMetadata/v1/"],
    ["acme.armature.app", "https://acme.armature.app/mcp"],
  ])("refuses a redirect to %s", async (host, location) => {
    const f = fixture({ routes: { "/moved": () => new Response(null, { status: 307, headers: { location } }) } });
    const { failure } = await connectFailure({ fixture: f, url: `${FIXTURE_ORIGIN}/moved` });
    expect(failure.classification).toBe("mcp_address_refused");
    expect(failure.message).toContain(host);
    expect(f.requests.map((r) => new URL(r.url).pathname)).toEqual(["/moved"]);
  });

  it("refuses a redirect to a private address in the middle of a session", async () => {
    let moved = false;
    const f = fixture({
      protocol: "2025",
      routes: {},
    });
    const inner: typeof fetch = async (input, init) => {
      if (moved) return new Response(null, { status: 307, headers: { location: "http://10.0.0.7/mcp" } });
      return f.fetch(input, init);
    };
    const { session } = await connect({ fixture: f, guard: { fetch: inner } });
    moved = true;
    const error = await session.callTool("echo", { text: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailure);
    expect((error as RunFailure).classification).toBe("mcp_address_refused");
    expect((error as RunFailure).message).toContain("10.0.0.7");
  });

  it("follows a same-origin redirect", async () => {
    const f = fixture({ routes: { "/old": () => new Response(null, { status: 308, headers: { location: "/mcp" } }) } });
    const { session } = await connect({ fixture: f, url: `${FIXTURE_ORIGIN}/old` });
    expect(session.tools).toHaveLength(FIXTURE_TOOL_NAMES.length);
  });

  it("lets plain http and private hosts through with allowPrivate (local development)", async () => {
    const reached: string[] = [];
    const local: typeof fetch = async (input) => {
      reached.push(String(input));
      throw new TypeError("connection refused");
    };
    const { failure } = await connectFailure({ url: "http://127.0.0.1:8787/mcp", guard: { allowPrivate: true, fetch: local } });
    expect(failure.classification).toBe("mcp_connection_failed");
    expect(reached).toEqual(["http://127.0.0.1:8787/mcp"]);
    const metadata = await connectFailure({ url: "http://169.254.169.254/mcp", guard: { allowPrivate: true, fetch: local } });
    expect(metadata.failure.classification).toBe("mcp_address_refused");
  });

  it("does not take an invalid URL", async () => {
    const { failure } = await connectFailure({ url: "not a url" });
    expect(failure.classification).toBe("mcp_address_refused");
  });
});

describe("failures", () => {
  it("an unreachable host is mcp_connection_failed", async () => {
    const { failure } = await connectFailure({ url: "https://unreachable.example.com/mcp" });
    expect(failure.classification).toBe("mcp_connection_failed");
  });

  it.each([500, 502, 503])("HTTP %i is mcp_connection_failed, without the body that echoes the auth header", async (status) => {
    const f = fixture({
      routes: { "/down": (request) => new Response(`upstream down; you sent ${request.headers.get(AUTH_HEADER)}`, { status }) },
    });
    const { failure } = await connectFailure({ fixture: f, url: `${FIXTURE_ORIGIN}/down` });
    expect(failure.classification).toBe("mcp_connection_failed");
    expect(failure.message).toContain(String(status));
  });

  it.each([401, 403])("HTTP %i (credentials refused) is mcp_connection_failed", async (status) => {
    const f = fixture({ routes: { "/locked": (request) => new Response(`bad key ${request.headers.get(AUTH_HEADER)}`, { status }) } });
    const { failure } = await connectFailure({ fixture: f, url: `${FIXTURE_ORIGIN}/locked` });
    expect(failure.classification).toBe("mcp_connection_failed");
    expect(failure.message).toContain(String(status));
  });

  it("an answer that is not JSON-RPC is mcp_protocol_error", async () => {
    const f = fixture({
      routes: { "/garbage": () => new Response('{"hello": "world"}', { headers: { "content-type": "application/json" } }) },
    });
    const { failure } = await connectFailure({ fixture: f, url: `${FIXTURE_ORIGIN}/garbage` });
    expect(failure.classification).toBe("mcp_protocol_error");
  });

  it("a source whose only protocol version is unsupported is mcp_protocol_error", async () => {
    const f = fixture({
      routes: {
        "/ancient": async (request) => {
          const body = (await request.json()) as { id?: number; method?: string };
          if (body.method === "initialize") {
            return Response.json({
              jsonrpc: "2.0",
              id: body.id,
              result: { protocolVersion: "2023-01-01", capabilities: {}, serverInfo: { name: "old", version: "0" } },
            });
          }
          return Response.json({ jsonrpc: "2.0", id: body.id, error: { code: -32601, message: "Method not found" } });
        },
      },
    });
    const { failure } = await connectFailure({ fixture: f, url: `${FIXTURE_ORIGIN}/ancient` });
    expect(failure.classification).toBe("mcp_protocol_error");
    expect(failure.message).toMatch(/protocol version/i);
  });

  it("a response over the size cap ends the run as mcp_protocol_error, at once", async () => {
    const { session } = await connect({ guard: { maxResponseBytes: 64 * 1024 }, requestTimeoutMs: 30_000 });
    const started = Date.now();
    const error = await session.callTool("big_output", { bytes: 200_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailure);
    expect((error as RunFailure).classification).toBe("mcp_protocol_error");
    expect((error as RunFailure).message).toMatch(/exceeded the 65536-byte limit/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a tool that does not answer in time is mcp_connection_failed", async () => {
    const { session } = await connect({ requestTimeoutMs: 100 });
    const error = await session.callTool("slow", { ms: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailure);
    expect((error as RunFailure).classification).toBe("mcp_connection_failed");
    expect((error as RunFailure).message).toMatch(/in time/);
  });

  it("the caller's abort passes through as the caller's reason", async () => {
    const { session } = await connect();
    const controller = new AbortController();
    const pending = session.callTool("slow", { ms: 1_000 }, controller.signal);
    const reason = new RunFailure("run_timeout", "The run exceeded its time limit");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("never puts the auth header's value in an error, even when the source echoes it", async () => {
    const { session } = await connect();
    const outcome = await session.callTool(AUTH_VALUE, {});
    expect(outcome.isError).toBe(true);
    expect(outcome.text).not.toContain(AUTH_VALUE);
    expect(outcome.text).toContain("[REDACTED]");
  });
});

describe("mcpRunFailure", () => {
  it("classifies the guard's refusal wherever the SDK wrapped it", () => {
    const refused = new OutboundRefusedError("127.0.0.1", "ip-literal", "Refused an outbound request to 127.0.0.1: IP-address hosts are not allowed");
    const wrapped = new Error("Version negotiation probe failed", { cause: new Error("fetch failed", { cause: refused }) });
    expect(mcpRunFailure(wrapped)).toMatchObject({ classification: "mcp_address_refused", message: refused.message });
  });

  it("scrubs the given secrets from the message", () => {
    const failure = mcpRunFailure(new TypeError(`could not connect with Bearer ${AUTH_VALUE}`), [AUTH_VALUE]);
    expect(failure.classification).toBe("mcp_connection_failed");
    expect(failure.message).not.toContain(AUTH_VALUE);
  });

  it("keeps a RunFailure as it is", () => {
    const failure = new RunFailure("mcp_protocol_error", "x");
    expect(mcpRunFailure(failure)).toBe(failure);
  });
});
