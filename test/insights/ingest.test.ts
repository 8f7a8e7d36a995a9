import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ingestEvents } from "../../src/insights/ingest";
import { spanEventId } from "../../src/insights/otlp";
import { runSweep } from "../../src/scheduler/sweep";
import { callJson, createOrg, errorFields, expectError, testContext, type TestOrg } from "../helpers";
import { createMcpSource } from "../workflows/fixtures";

const FEATURE = "mcp-analytics";
const at = (second: number) => new Date(Date.UTC(2025, 5, 1, 12, 0, second)).toISOString();
let n = 0;
const uid = (prefix = "evt") => `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}`;

type Ev = Record<string, unknown>;
const send = (org: TestOrg, events: Ev[], key = org.ownerKey) => callJson<{ accepted: number; duplicates: number }>("/insights/events", { key, host: org.host, body: { events } });

interface Row {
  id: string;
  session_id: string;
  mcp_server_id: string | null;
  type: string;
  occurred_at: number;
  client_name: string | null;
  client_version: string | null;
  intent: string | null;
  tool_name: string | null;
  query: string | null;
  result_count: number | null;
  is_error: number;
  rating: string | null;
  data: string;
}
const rowsOf = async (orgId: string) =>
  (await env.DB.prepare("SELECT * FROM insight_events WHERE org_id = ? ORDER BY occurred_at, id").bind(orgId).all<Row>()).results;

let org: TestOrg;
let sourceId: string;

beforeAll(async () => {
  org = await createOrg({ features: [FEATURE] });
  sourceId = (await createMcpSource(org)).id;
});

describe("ingestEvents", () => {
  it("rolls up the sessions that got new events, after the answer, and nothing when all were duplicates", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const rollup = vi.fn(async () => {});
    const pending: Array<Promise<unknown>> = [];
    const ctx = { ...testContext(), waitUntil: (p: Promise<unknown>) => void pending.push(p) };
    const events = [
      { id: uid(), sessionId: "a", type: "session_start", timestamp: at(0) },
      { id: uid(), sessionId: "b", type: "session_start", timestamp: at(0) },
      { id: uid(), sessionId: "a", type: "session_end", timestamp: at(1) },
    ];
    expect(await ingestEvents(ctx, o.id, events, { rollup })).toEqual({ accepted: 3, duplicates: 0 });
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    expect(rollup).toHaveBeenCalledTimes(1);
    expect((rollup.mock.calls[0] as unknown[]).slice(1, 3)).toEqual([o.id, ["a", "b"]]);

    const more = [...events, { id: uid(), sessionId: "c", type: "session_start", timestamp: at(2) }];
    expect(await ingestEvents(ctx, o.id, more, { rollup })).toEqual({ accepted: 1, duplicates: 3 });
    await Promise.all(pending);
    expect((rollup.mock.calls[1] as unknown[]).slice(1, 3)).toEqual([o.id, ["c"]]);
    expect(await ingestEvents(ctx, o.id, events, { rollup })).toEqual({ accepted: 0, duplicates: 3 });
    expect(rollup).toHaveBeenCalledTimes(2);
  });

  it("marks the sessions it stored events of until their rollup is done; the sweep rolls up what a lost rollup left", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const t0 = Date.UTC(2025, 5, 1, 13, 0, 0);
    const ctxAt = (ms: number, waitUntil: (p: Promise<unknown>) => void = () => {}) => ({ ...testContext({ now: new Date(ms) }), waitUntil });
    const never = () => new Promise<void>(() => {});
    const marks = async () =>
      (await env.DB.prepare("SELECT session_id, queued_at FROM insight_pending_rollups WHERE org_id = ? ORDER BY session_id").bind(o.id).all()).results;
    const sessions = async () =>
      (await env.DB.prepare("SELECT id, events FROM insight_sessions WHERE org_id = ? ORDER BY id").bind(o.id).all()).results;
    const a = { id: uid(), sessionId: "a", type: "session_start", timestamp: at(0) };
    const b = { id: uid(), sessionId: "b", type: "session_start", timestamp: at(0) };

    // The request is cut off: its rollup never runs. The marks stay; a batch of duplicates marks nothing new.
    await ingestEvents(ctxAt(t0), o.id, [a, b, { ...a, id: uid(), type: "session_end" }], { rollup: never });
    await ingestEvents(ctxAt(t0 + 1000), o.id, [a], { rollup: never });
    expect(await marks()).toEqual([
      { session_id: "a", queued_at: t0 },
      { session_id: "b", queued_at: t0 },
    ]);

    // Within the grace the sweep leaves them (the rollup may still be running); past it, it rolls them up.
    await runSweep(ctxAt(t0 + 60_000));
    expect(await sessions()).toEqual([]);
    await runSweep(ctxAt(t0 + 3 * 60_000));
    expect(await sessions()).toEqual([
      { id: "a", events: 2 },
      { id: "b", events: 1 },
    ]);
    expect(await marks()).toEqual([]);

    // A rollup that finishes clears its sessions' marks itself.
    const pending: Array<Promise<unknown>> = [];
    const c = { id: uid(), sessionId: "c", type: "session_start", timestamp: at(5) };
    await ingestEvents(ctxAt(t0 + 4 * 60_000, (p) => void pending.push(p)), o.id, [c]);
    await Promise.all(pending);
    expect(await marks()).toEqual([]);
    expect((await sessions()).map((s) => s.id)).toEqual(["a", "b", "c"]);
    // Sent again, it is a duplicate: nothing to roll up, no mark.
    await ingestEvents(ctxAt(t0 + 5 * 60_000), o.id, [c], { rollup: never });
    expect(await marks()).toEqual([]);
  });

  it("names problems relative to its input: events.<index>.<field>", async () => {
    const o = await createOrg({ features: [FEATURE] });
    await expect(ingestEvents(testContext(), o.id, [{ id: "x", sessionId: "s", type: "search", timestamp: at(0), query: "q" }])).rejects.toMatchObject({
      code: "validation_failed",
      details: { fields: [{ field: "events.0.resultCount" }] },
    });
  });
});

function sessionEvents(sessionId: string): Ev[] {
  return [
    { id: uid(), sessionId, mcpServerId: sourceId, type: "session_start", timestamp: at(0), client: { name: "claude-code", version: "1.2.0" } },
    { id: uid(), sessionId, type: "tools_list", timestamp: at(1), toolNames: ["search_issues", "get_issue"] },
    {
      id: uid(),
      sessionId,
      type: "tool_call",
      timestamp: at(2),
      toolName: "search_issues",
      arguments: { q: "open bugs" },
      result: { items: [] },
      isError: false,
      durationMs: 120,
      intent: "find open bugs",
    },
    { id: uid(), sessionId, type: "search", timestamp: at(3), query: "open bugs", resultCount: 0 },
    { id: uid(), sessionId, type: "log", timestamp: at(4), level: "warning", message: "slow upstream" },
    { id: uid(), sessionId, type: "feedback", timestamp: at(5), rating: "negative", comment: "nothing found" },
    { id: uid(), sessionId, type: "session_end", timestamp: at(6) },
  ];
}

describe("POST /insights/events", () => {
  it("stores each event type once: a batch sent twice is all duplicates and changes nothing", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const src = (await createMcpSource(o)).id;
    const events = sessionEvents("s-1").map((e) => (e.mcpServerId ? { ...e, mcpServerId: src } : e));
    const first = await send(o, events);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toEqual({ accepted: 7, duplicates: 0 });

    const rows = await rowsOf(o.id);
    expect(rows.map((r) => r.type)).toEqual(["session_start", "tools_list", "tool_call", "search", "log", "feedback", "session_end"]);
    const [start, list, call, search, log, feedback] = rows;
    expect(start).toMatchObject({ mcp_server_id: src, client_name: "claude-code", client_version: "1.2.0", occurred_at: Date.parse(at(0)) });
    expect(JSON.parse(list!.data)).toEqual({ toolNames: ["search_issues", "get_issue"] });
    expect(call).toMatchObject({ tool_name: "search_issues", is_error: 0, intent: "find open bugs" });
    expect(JSON.parse(call!.data)).toEqual({ arguments: { q: "open bugs" }, result: { items: [] }, durationMs: 120 });
    expect(search).toMatchObject({ query: "open bugs", result_count: 0, is_error: 0 });
    expect(JSON.parse(log!.data)).toEqual({ level: "warning", message: "slow upstream" });
    expect(feedback).toMatchObject({ rating: "negative" });

    const again = await send(o, events);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ accepted: 0, duplicates: 7 });
    expect(await rowsOf(o.id)).toEqual(rows);
  });

  it("counts ids repeated within the batch as duplicates (the first one is stored)", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const id = uid();
    const r = await send(o, [
      { id, sessionId: "a", type: "session_start", timestamp: at(0) },
      { id, sessionId: "b", type: "session_end", timestamp: at(1) },
      { id: uid(), sessionId: "b", type: "session_start", timestamp: at(2) },
    ]);
    expect(r.body).toEqual({ accepted: 2, duplicates: 1 });
    const rows = await rowsOf(o.id);
    expect(rows.find((x) => x.id === id)).toMatchObject({ session_id: "a", type: "session_start" });
  });

  it("stores 1,000 events in one request (more rows than one statement binds)", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const events = Array.from({ length: 1000 }, (_, i) => ({ id: `e-${i}`, sessionId: `s-${i % 7}`, type: "search", timestamp: at(i % 60), query: `q ${i}`, resultCount: i % 3 }));
    const r = await send(o, events);
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(202);
    expect(r.body).toEqual({ accepted: 1000, duplicates: 0 });
    expect((await rowsOf(o.id)).length).toBe(1000);
  });

  it("refuses a batch with one bad event: 400 naming body.events.<index>.<field>, nothing stored", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const events: Ev[] = [
      { id: uid(), sessionId: "s", type: "session_start", timestamp: at(0) },
      { id: uid(), sessionId: "s", type: "search", timestamp: at(1), query: "x", resultCount: 1 },
      { id: uid(), sessionId: "s", type: "search", timestamp: at(1), query: "x", resultCount: 1 },
      { id: uid(), sessionId: "s", type: "tool_call", timestamp: at(2) },
      { id: uid(), sessionId: "s", type: "feedback", timestamp: "yesterday", rating: "meh" },
      { id: "", sessionId: "s", type: "session_end", timestamp: at(3) },
      { id: uid(), sessionId: "s", type: "nope", timestamp: at(3) },
    ];
    const r = await send(o, events);
    const fields = errorFields(expectError(r, 400, "validation_failed"));
    expect(fields).toEqual(
      expect.arrayContaining(["body.events.3.toolName", "body.events.4.timestamp", "body.events.4.rating", "body.events.5.id"]),
    );
    expect(fields.some((f) => f.startsWith("body.events.6"))).toBe(true);
    expect(fields.some((f) => /^body\.events\.[012]\b/.test(f))).toBe(false);
    expect(await rowsOf(o.id)).toEqual([]);
  });

  it("refuses an event more than 5 minutes in the future (naming it, nothing stored) and accepts clock skew under that", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
    const bad = await send(o, [
      { id: uid(), sessionId: "f", type: "session_start", timestamp: inFuture(60_000) },
      { id: uid(), sessionId: "f", type: "session_end", timestamp: inFuture(10 * 60_000) },
    ]);
    const error = expectError(bad, 400, "validation_failed");
    expect(errorFields(error)).toEqual(["body.events.1.timestamp"]);
    expect(error.message).toMatch(/future/);
    expect(await rowsOf(o.id)).toEqual([]);

    const ok = await send(o, [{ id: uid(), sessionId: "f", type: "session_start", timestamp: inFuture(4 * 60_000) }]);
    expect(ok).toMatchObject({ status: 202, body: { accepted: 1, duplicates: 0 } });
  });

  it("refuses unknown fields of an event, an empty batch and more than 1,000 events", async () => {
    const bad = await send(org, [{ id: uid(), sessionId: "s", type: "session_end", timestamp: at(0), extra: 1 }]);
    expect(errorFields(expectError(bad, 400, "validation_failed"))).toEqual(["body.events.0.extra"]);
    expect(errorFields(expectError(await send(org, []), 400, "validation_failed"))).toEqual(["body.events"]);
    const many = Array.from({ length: 1001 }, (_, i) => ({ id: `m-${i}`, sessionId: "s", type: "session_end", timestamp: at(0) }));
    expect(errorFields(expectError(await send(org, many), 400, "validation_failed"))).toEqual(["body.events"]);
  });

  it("accepts bodies up to 1 MiB on ingestion (413 past it), while other routes keep 256 KiB", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const big = (chars: number): Ev[] => [{ id: uid(), sessionId: "s", type: "tool_call", timestamp: at(0), toolName: "t", result: "word ".repeat(chars / 5) }];
    const ok = await send(o, big(600 * 1024));
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    const stored = JSON.parse((await rowsOf(o.id))[0]!.data) as { result: string; resultTruncated?: boolean };
    expect(stored.result).toHaveLength(16_384);
    expect(stored.resultTruncated).toBe(true);
    expectError(await send(o, big(1024 * 1024)), 413, "payload_too_large");
    expect((await rowsOf(o.id)).length).toBe(1);
    const elsewhere = await callJson("/mcp-servers", {
      key: o.ownerKey,
      host: o.host,
      body: { name: "big", url: "https://mcp.example.com/mcp", description: "x".repeat(300 * 1024) },
    });
    expectError(elsewhere, 413, "payload_too_large");
  });

  it("answers 403 feature_disabled when MCP Analytics is off", async () => {
    const off = await createOrg({ features: [] });
    expectError(await send(off, [{ id: uid(), sessionId: "s", type: "session_end", timestamp: at(0) }]), 403, "feature_disabled");
    expect(await rowsOf(off.id)).toEqual([]);
  });

  it("lets an ingest key send but not read; a viewer key reads but cannot send", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const ingest = await o.keyFor("ingest");
    const r = await send(o, [{ id: uid(), sessionId: "s", type: "session_start", timestamp: at(0) }], ingest);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expectError(await callJson("/org", { key: ingest, host: o.host }), 403, "forbidden");

    const viewer = await o.keyFor("viewer");
    expect((await callJson("/org", { key: viewer, host: o.host })).status).toBe(200);
    expectError(await send(o, [{ id: uid(), sessionId: "s", type: "session_end", timestamp: at(0) }], viewer), 403, "forbidden");
    for (const role of ["editor", "admin"] as const) {
      expect((await send(o, [{ id: uid(), sessionId: "s", type: "session_end", timestamp: at(1) }], await o.keyFor(role))).status).toBe(202);
    }
    expect((await rowsOf(o.id)).length).toBe(3);
  });

  it("redacts credentials in free-form data before storing", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123";
    const r = await send(o, [
      {
        id: uid(),
        sessionId: "s",
        type: "tool_call",
        timestamp: at(0),
        toolName: "deploy",
        arguments: { apiKey: "hunter2hunter2", nested: { password: "p@ss" }, note: `use ${secret}` },
        result: `Authorization: Bearer abcdefghij0123456789xyz`,
        intent: `deploy with ${secret}`,
      },
      { id: uid(), sessionId: "s", type: "search", timestamp: at(1), query: `token=${secret}`, resultCount: 0 },
      { id: uid(), sessionId: "s", type: "log", timestamp: at(2), level: "error", message: `failed with DB_PASSWORD=correcthorse` },
    ]);
    expect(r.status).toBe(202);
    const rows = await rowsOf(o.id);
    const all = JSON.stringify(rows);
    for (const s of [secret, "hunter2hunter2", "p@ss", "abcdefghij0123456789xyz", "correcthorse"]) expect(all).not.toContain(s);
    expect(JSON.parse(rows[0]!.data).arguments).toEqual({ apiKey: "[REDACTED]", nested: { password: "[REDACTED]" }, note: "use [REDACTED]" });
    expect(rows[0]!.intent).toBe("deploy with [REDACTED]");
  });

  it("refuses an mcpServerId that is not a source of the organization: 400 naming the field, nothing stored", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const other = await createOrg({ features: [FEATURE] });
    const theirs = (await createMcpSource(other)).id;
    const r = await send(o, [
      { id: uid(), sessionId: "s", type: "session_start", timestamp: at(0) },
      { id: uid(), sessionId: "s", mcpServerId: theirs, type: "session_start", timestamp: at(0) },
      { id: uid(), sessionId: "s", mcpServerId: crypto.randomUUID(), type: "session_end", timestamp: at(0) },
    ]);
    expect(errorFields(expectError(r, 400, "validation_failed"))).toEqual(["body.events.1.mcpServerId", "body.events.2.mcpServerId"]);
    expect(await rowsOf(o.id)).toEqual([]);
  });
});

describe("POST /insights/otlp/v1/traces", () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const nanos = (iso: string, plusMs = 0) => (BigInt(Date.parse(iso) + plusMs) * 1_000_000n).toString();
  const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
  const spans = (src: string) => [
    {
      resource: { attributes: [str("service.name", "issues-mcp"), str("armature.mcp_server.id", src)] },
      scopeSpans: [
        {
          spans: [
            {
              traceId,
              spanId: "00f067aa0ba902b1",
              name: "initialize",
              startTimeUnixNano: nanos(at(0)),
              endTimeUnixNano: nanos(at(0), 5),
              attributes: [str("mcp.method.name", "initialize"), str("mcp.session.id", "sess-otlp"), str("mcp.protocol.version", "2025-06-18")],
            },
            {
              traceId,
              spanId: "00f067aa0ba902b2",
              name: "tools/call search_issues",
              startTimeUnixNano: nanos(at(2)),
              endTimeUnixNano: nanos(at(2), 120),
              attributes: [
                str("mcp.method.name", "tools/call"),
                str("mcp.session.id", "sess-otlp"),
                str("gen_ai.tool.name", "search_issues"),
                str("error.type", "tool_error"),
                str("gen_ai.tool.call.arguments", JSON.stringify({ q: "open bugs", token: "abc123abc123" })),
                str("gen_ai.tool.call.result", "no results"),
                { key: "rpc.response.status_code", value: { intValue: "0" } },
              ],
            },
            {
              traceId,
              spanId: "00f067aa0ba902b3",
              name: "tools/list",
              startTimeUnixNano: nanos(at(1)),
              attributes: [
                str("mcp.method.name", "tools/list"),
                str("mcp.session.id", "sess-otlp"),
                { key: "armature.mcp.tool_names", value: { arrayValue: { values: [{ stringValue: "search_issues" }, { stringValue: "get_issue" }] } } },
              ],
            },
            { traceId, spanId: "00f067aa0ba902b4", name: "GET /health", startTimeUnixNano: nanos(at(3)), attributes: [str("http.request.method", "GET")] },
            { traceId, spanId: "00f067aa0ba902b5", name: "resources/read", startTimeUnixNano: nanos(at(3)), attributes: [str("mcp.method.name", "resources/read")] },
          ],
        },
      ],
    },
  ];
  const sendOtlp = (o: TestOrg, body: unknown, key = o.ownerKey) =>
    callJson<{ accepted: number; duplicates: number; ignoredSpans: number }>("/insights/otlp/v1/traces", { key, host: o.host, body });

  it("maps MCP spans onto the same events as the equivalent JSON events, idempotently", async () => {
    const viaOtlp = await createOrg({ features: [FEATURE] });
    const viaJson = await createOrg({ features: [FEATURE] });
    const srcOtlp = (await createMcpSource(viaOtlp)).id;
    const srcJson = (await createMcpSource(viaJson)).id;

    const r = await sendOtlp(viaOtlp, { resourceSpans: spans(srcOtlp) });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toEqual({ accepted: 3, duplicates: 0, ignoredSpans: 2 });
    const again = await sendOtlp(viaOtlp, { resourceSpans: spans(srcOtlp) });
    expect(again.body).toEqual({ accepted: 0, duplicates: 3, ignoredSpans: 2 });

    const common = { sessionId: "sess-otlp", mcpServerId: srcJson };
    const json = await send(viaJson, [
      { ...common, id: spanEventId({ traceId, spanId: "00f067aa0ba902b1" }), type: "session_start", timestamp: at(0), protocolVersion: "2025-06-18" },
      {
        ...common,
        id: spanEventId({ traceId, spanId: "00f067aa0ba902b2" }),
        type: "tool_call",
        timestamp: at(2),
        toolName: "search_issues",
        isError: true,
        durationMs: 120,
        arguments: { q: "open bugs", token: "abc123abc123" },
        result: "no results",
      },
      { ...common, id: spanEventId({ traceId, spanId: "00f067aa0ba902b3" }), type: "tools_list", timestamp: at(1), toolNames: ["search_issues", "get_issue"] },
    ]);
    expect(json.body).toEqual({ accepted: 3, duplicates: 0 });

    const strip = (rows: Row[]) => rows.map((row) => ({ ...row, org_id: undefined, ingested_at: undefined, mcp_server_id: row.mcp_server_id ? "src" : null }));
    const otlpRows = await rowsOf(viaOtlp.id);
    expect(strip(otlpRows)).toEqual(strip(await rowsOf(viaJson.id)));
    expect(otlpRows.find((x) => x.type === "tool_call")).toMatchObject({ is_error: 1, tool_name: "search_issues" });
    expect(JSON.parse(otlpRows.find((x) => x.type === "tool_call")!.data).arguments.token).toBe("[REDACTED]");
  });

  it("uses the trace id as the session without mcp.session.id, and status code 2 as an error", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const r = await sendOtlp(o, {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: "1111111111111111",
                  startTimeUnixNano: nanos(at(0)),
                  endTimeUnixNano: nanos(at(0), 7),
                  status: { code: 2 },
                  attributes: [str("mcp.method.name", "tools/call"), str("gen_ai.tool.name", "get_issue")],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(r.body).toEqual({ accepted: 1, duplicates: 0, ignoredSpans: 0 });
    const [row] = await rowsOf(o.id);
    expect(row).toMatchObject({ session_id: traceId, is_error: 1, tool_name: "get_issue" });
    expect(JSON.parse(row!.data)).toEqual({ durationMs: 7 });
  });

  it("names the span of an event it cannot map, and stores nothing", async () => {
    const o = await createOrg({ features: [FEATURE] });
    const body = { resourceSpans: spans(crypto.randomUUID()) };
    const r = await sendOtlp(o, body);
    const error = expectError(r, 400, "validation_failed");
    expect(errorFields(error)).toEqual([
      "body.resourceSpans.0.scopeSpans.0.spans.0",
      "body.resourceSpans.0.scopeSpans.0.spans.1",
      "body.resourceSpans.0.scopeSpans.0.spans.2",
    ]);
    expect(error.details!.fields![0]!.message).toMatch(/mcpServerId/);
    expect(await rowsOf(o.id)).toEqual([]);
  });

  it("answers OTLP protobuf with 415 saying to export http/json", async () => {
    const res = await callJson("/insights/otlp/v1/traces", {
      key: org.ownerKey,
      host: org.host,
      headers: { "content-type": "application/x-protobuf" },
      rawBody: new Uint8Array([0x0a, 0x02, 0x08, 0x01]),
    });
    expect(expectError(res, 415, "unsupported_media_type").message).toMatch(/http\/json/);
    // The hint is the OTLP route's own: the events route answers the general 415.
    const events = await callJson("/insights/events", {
      key: org.ownerKey,
      host: org.host,
      headers: { "content-type": "application/x-protobuf" },
      rawBody: new Uint8Array([0x0a, 0x02, 0x08, 0x01]),
    });
    expect(expectError(events, 415, "unsupported_media_type").message).toBe("Request bodies must be sent as 'Content-Type: application/json'");
  });

  it("accepts bodies up to 1 MiB here too (413 past it)", async () => {
    // A resource's unknown fields are let through (OTLP receivers ignore them), so the size is all that differs.
    const filler = (chars: number) => ({ resourceSpans: [{ padding: "x".repeat(chars) }] });
    const under = await callJson("/insights/otlp/v1/traces", { key: org.ownerKey, host: org.host, body: filler(600 * 1024) });
    expect(under.status, JSON.stringify(under.body)).toBe(202);
    expectError(await callJson("/insights/otlp/v1/traces", { key: org.ownerKey, host: org.host, body: filler(1024 * 1024) }), 413, "payload_too_large");
  });

  it("refuses viewers and organizations without the feature", async () => {
    const o = await createOrg({ features: [FEATURE] });
    expectError(await sendOtlp(o, { resourceSpans: [] }, await o.keyFor("viewer")), 403, "forbidden");
    const off = await createOrg({ features: [] });
    expectError(await sendOtlp(off, { resourceSpans: [] }), 403, "feature_disabled");
    expect((await sendOtlp(o, { resourceSpans: [] }, await o.keyFor("ingest"))).body).toEqual({ accepted: 0, duplicates: 0, ignoredSpans: 0 });
  });
});
