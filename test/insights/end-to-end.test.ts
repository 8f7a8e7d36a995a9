/**
 * MCP Analytics end to end: events as MCP sources send them, through the real HTTP surface (POST /insights/events
 * and /insights/otlp/v1/traces with an `ingest` key), rolled up off the request path (ctx.waitUntil), and every
 * read endpoint's numbers against the hand-computed expectations written out below (docs/insights.md).
 *
 * Waiting for the rollup: ingestion answers 202 before `rollupSessions` runs (ctx.waitUntil), and the HTTP path
 * offers no hook. One request starts one rollup, which writes each session row, then the hourly buckets, then the
 * tool days. `settled()` polls GET /insights/overview (vi.waitUntil, 10 s timeout) until its answer equals the
 * expected one in full, KPIs, trend and `unusedTools` (written last) included; only then are the other reads
 * checked, and checked once (no retries). The clock is the real one: the sessions are put on yesterday (UTC), so
 * they are inside the 7d window whatever the time of day, and one session starts 30 minutes before the window.
 */
import { describe, expect, it, vi } from "vitest";
import type { z } from "@hono/zod-openapi";
import type {
  InsightOverviewSchema,
  InsightSearchDetailSchema,
  InsightSearchListSchema,
  InsightSessionListSchema,
  InsightSessionTraceSchema,
  InsightTopicDetailSchema,
  InsightTopicListSchema,
} from "../../src/insights/read-operations";
import { callJson, createOrg, errorFields, expectError, type TestOrg } from "../helpers";
import { captureQueue, createMcpSource } from "../workflows/fixtures";

captureQueue();

type Overview = z.infer<typeof InsightOverviewSchema>;
type SessionList = z.infer<typeof InsightSessionListSchema>;
type Trace = z.infer<typeof InsightSessionTraceSchema>;
type TopicList = z.infer<typeof InsightTopicListSchema>;
type TopicDetail = z.infer<typeof InsightTopicDetailSchema>;
type SearchList = z.infer<typeof InsightSearchListSchema>;
type SearchDetail = z.infer<typeof InsightSearchDetailSchema>;
type Ev = Record<string, unknown>;

const HOUR = 3600_000;
const DAY = 24 * HOUR;
// The Worker runs in this isolate: its clock is frozen at 13:30 UTC of today for the whole file, so windows,
// buckets and "today" cannot move between an ingest and the reads that check it (a run crossing an hour).
vi.useFakeTimers({ toFake: ["Date"] });
vi.setSystemTime(Math.floor(Date.now() / DAY) * DAY + 13.5 * HOUR);
const TODAY = Math.floor(Date.now() / DAY) * DAY;
/** Yesterday 00:00 UTC: point 5 of the 7d trend (point 6 is today). */
const Y = TODAY - DAY;
/** The 7d window: [TODAY - 6 days, TODAY + 1 day); the previous one starts 7 days before. */
const WINDOW_START = TODAY - 6 * DAY;
const iso = (ms: number) => new Date(ms).toISOString();
const y = (h: number, m = 0, s = 0) => iso(Y + h * HOUR + m * 60_000 + s * 1000);

interface Keys {
  ingest: string;
  viewer: string;
  editor: string;
}

async function setup(): Promise<{ org: TestOrg; keys: Keys; src: string }> {
  const org = await createOrg({ features: ["mcp-analytics"] });
  const src = (await createMcpSource(org)).id;
  return { org, src, keys: { ingest: await org.keyFor("ingest"), viewer: await org.keyFor("viewer"), editor: await org.keyFor("editor") } };
}

const send = (org: TestOrg, key: string, events: Ev[]) =>
  callJson<{ accepted: number; duplicates: number }>("/insights/events", { key, host: org.host, body: { events } });
const get = <T>(org: TestOrg, key: string, path: string) => callJson<T>(path, { key, host: org.host });

/** Polls the overview until it is exactly `expected` (the rollup has finished), then answers it. */
async function settled(org: TestOrg, key: string, expected: (o: Overview) => unknown, path = "/insights/overview") {
  let last: Overview | undefined;
  await vi.waitUntil(
    async () => {
      const r = await get<Overview>(org, key, path);
      if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
      last = r.body;
      try {
        expect(r.body).toEqual(expected(r.body));
        return true;
      } catch {
        return false;
      }
    },
    { timeout: 10_000, interval: 50 },
  ).catch((err: unknown) => {
    // Show the difference with the last answer, not just "timed out".
    expect(last).toEqual(expected(last!));
    throw err;
  });
  return last!;
}

/**
 * The events of six sessions (docs/insights.md "What is derived" gives each number below):
 *
 * S1 e2e-clean (claude-desktop 1.0, yesterday 09:00): start, tools_list, create_invoice (token in its arguments),
 *   a search with 3 results, positive feedback, end. Signals 0, frustration 0. Intent "Create an invoice".
 * S2 e2e-frustrated (cursor, 10:00): get_customer errors three times, the 2nd with changed arguments (a retry),
 *   the 3rd with the 2nd's arguments in another key order (no retry), then session_end right after the error.
 *   erroredToolCalls 3 (0.6) + retried 1 (0.1) + endedAfterError (0.25) = 0.95: high_frustration, flagged.
 * S3 e2e-repeat (claude-desktop, 11:00): "Create an invoice", "Look up a customer", "creating invoices" (topic
 *   `creat invoic` again after another intent): repeat. Frustration 0. S1 and S3 are the same client with the
 *   same raw intent "Create an invoice": S1 is in `repeat` at read time too.
 * S4 e2e-search (windsurf, 12:00, no end): "refund policy" 0 results, "Refund policy!" isError (same cluster:
 *   repeat), "pricing tiers" 2 results, "export csv" 0 results, a search_docs call; tools_list. failedSearches
 *   3 → 0.45: not high. Intent "Find the refund policy".
 * S5 e2e-feedback (windsurf, 13:00): create_invoice ("Invoice: create", topic `creat invoic`), negative feedback,
 *   end (after a call that did not error: no endedAfterError). 0.5: high_frustration, flagged.
 * S6 e2e-edge (zed): starts 30 minutes before the 7d window (previous window), then inside it a tools_list with
 *   no source, a failed "refund policy" search and a search_docs call. failedSearches 1 → 0.15.
 */
function sessions(src: string): Ev[] {
  let n = 0;
  const ev = (sessionId: string, type: string, timestamp: string, rest: Ev = {}): Ev => ({
    id: `${sessionId}-${++n}`,
    sessionId,
    type,
    timestamp,
    mcpServerId: src,
    ...rest,
  });
  const c1 = { client: { name: "claude-desktop", version: "1.0" } };
  const c2 = { client: { name: "cursor" } };
  const c3 = { client: { name: "claude-desktop", version: "1.0" } };
  const c4 = { client: { name: "windsurf" } };
  const c6 = { client: { name: "zed" } };
  return [
    ev("e2e-clean", "session_start", y(9), c1),
    ev("e2e-clean", "tools_list", y(9, 0, 1), { ...c1, toolNames: ["create_invoice", "search_docs", "get_customer", "delete_customer"] }),
    ev("e2e-clean", "tool_call", y(9, 0, 2), {
      ...c1,
      intent: "Create an invoice",
      toolName: "create_invoice",
      arguments: { customer: "acme", amount: 100, apiToken: "tok-0123456789abcdef0123" },
      result: { invoiceId: "inv-1" },
      durationMs: 120,
    }),
    ev("e2e-clean", "search", y(9, 0, 3), { ...c1, intent: "Create an invoice", query: "invoice templates", resultCount: 3 }),
    ev("e2e-clean", "feedback", y(9, 0, 4), { ...c1, rating: "positive" }),
    ev("e2e-clean", "session_end", y(9, 0, 5), c1),

    ev("e2e-frustrated", "session_start", y(10), c2),
    ev("e2e-frustrated", "tool_call", y(10, 0, 1), { ...c2, intent: "Look up a customer", toolName: "get_customer", arguments: { id: "c-1" }, isError: true }),
    ev("e2e-frustrated", "tool_call", y(10, 0, 2), {
      ...c2,
      intent: "Look up a customer",
      toolName: "get_customer",
      arguments: { id: "c-1", include: "all" },
      isError: true,
    }),
    ev("e2e-frustrated", "tool_call", y(10, 0, 3), {
      ...c2,
      intent: "Look up a customer",
      toolName: "get_customer",
      arguments: { include: "all", id: "c-1" },
      isError: true,
    }),
    ev("e2e-frustrated", "session_end", y(10, 0, 4), c2),

    ev("e2e-repeat", "tool_call", y(11), { ...c3, intent: "Create an invoice", toolName: "create_invoice", arguments: { customer: "globex" } }),
    ev("e2e-repeat", "tool_call", y(11, 0, 1), { ...c3, intent: "Look up a customer", toolName: "get_customer", arguments: { id: "c-2" } }),
    ev("e2e-repeat", "tool_call", y(11, 0, 2), { ...c3, intent: "creating invoices", toolName: "create_invoice", arguments: { customer: "globex", amount: 5 } }),

    ev("e2e-search", "tools_list", y(12), { ...c4, toolNames: ["search_docs", "delete_customer", "archive_invoice"] }),
    ev("e2e-search", "search", y(12, 0, 1), { ...c4, intent: "Find the refund policy", query: "refund policy", resultCount: 0 }),
    ev("e2e-search", "search", y(12, 0, 2), { ...c4, intent: "Find the refund policy", query: "Refund policy!", resultCount: 5, isError: true }),
    ev("e2e-search", "search", y(12, 0, 3), { ...c4, intent: "Find the refund policy", query: "pricing tiers", resultCount: 2 }),
    ev("e2e-search", "search", y(12, 0, 4), { ...c4, intent: "Find the refund policy", query: "export csv", resultCount: 0 }),
    ev("e2e-search", "tool_call", y(12, 0, 5), { ...c4, intent: "Find the refund policy", toolName: "search_docs", arguments: { q: "refund" } }),

    ev("e2e-feedback", "tool_call", y(13), { ...c4, intent: "Invoice: create", toolName: "create_invoice", arguments: { customer: "initech" } }),
    ev("e2e-feedback", "feedback", y(13, 0, 1), { ...c4, rating: "negative", comment: "wrong totals" }),
    ev("e2e-feedback", "session_end", y(13, 0, 2), c4),

    ev("e2e-edge", "session_start", iso(WINDOW_START - 30 * 60_000), c6),
    { ...ev("e2e-edge", "tools_list", iso(WINDOW_START + 9 * 60_000), { ...c6, toolNames: ["search_docs"] }), mcpServerId: undefined },
    ev("e2e-edge", "search", iso(WINDOW_START + 10 * 60_000), { ...c6, intent: "Find the refund policy", query: "refund policy", resultCount: 0 }),
    ev("e2e-edge", "tool_call", iso(WINDOW_START + 11 * 60_000), { ...c6, intent: "Find the refund policy", toolName: "search_docs", arguments: { q: "refunds" } }),
  ].map((e) => JSON.parse(JSON.stringify(e)) as Ev); // drops the undefined mcpServerId
}

const ZERO_POINT = { sessions: 0, toolCalls: 0, toolErrors: 0, searches: 0, failedSearches: 0, errorRate: 0, failedSearchRate: 0, avgFrustration: 0 };

/** The 7d overview after the six sessions (topic and cluster ids from the answer itself, checked separately). */
function expectedOverview(src: string, unmet = { value: 0, previous: 0 }) {
  return (o: Overview) => ({
    range: "7d",
    from: iso(WINDOW_START),
    to: iso(TODAY + DAY),
    bucket: "day",
    asOf: o.asOf === null ? "not null" : o.asOf, // when the rollup wrote: checked separately
    kpis: {
      // Current window: S1..S5. Previous window: S6 (started 30 minutes before the window).
      sessions: { value: 5, previous: 1 },
      toolCalls: { value: 1 + 3 + 3 + 1 + 1, previous: 1 },
      errorRate: { value: 3 / 9, previous: 0 },
      failedSearchRate: { value: 3 / 5, previous: 1 / 1 },
      // (0 + 0.95 + 0 + 0.45 + 0.5) / 5 and 0.15 / 1; sums of 3-decimal scores, compared closely below.
      avgFrustration: o.kpis.avgFrustration,
      unmetDemandTopics: unmet,
    },
    trend: [
      ...Array.from({ length: 5 }, (_, i) => ({ bucketStart: iso(WINDOW_START + i * DAY), ...ZERO_POINT })),
      {
        bucketStart: iso(Y),
        sessions: 5,
        toolCalls: 9,
        toolErrors: 3,
        searches: 5,
        failedSearches: 3,
        errorRate: 3 / 9,
        failedSearchRate: 3 / 5,
        avgFrustration: o.trend[5]?.avgFrustration,
      },
      { bucketStart: iso(TODAY), ...ZERO_POINT },
    ],
    topTopics: o.topTopics,
    topFailedSearches: o.topFailedSearches,
    // Offered in the window and never called, per source: delete_customer (S1's and S4's lists), archive_invoice
    // (S4's list); search_docs offered by S6's list without a source, while its calls were the source's.
    unusedTools: [
      { mcpServerId: src, toolName: "delete_customer", offered: 2 },
      { mcpServerId: null, toolName: "search_docs", offered: 1 },
      { mcpServerId: src, toolName: "archive_invoice", offered: 1 },
    ].sort((a, b) => b.offered - a.offered || (a.mcpServerId ?? "").localeCompare(b.mcpServerId ?? "") || a.toolName.localeCompare(b.toolName)),
  });
}

/** Every read answer of the org (for "nothing changed" comparisons). */
async function allReads(org: TestOrg, key: string) {
  const paths = [
    "/insights/overview",
    "/insights/overview?range=24h",
    "/insights/overview?range=30d",
    "/insights/sessions?limit=100",
    "/insights/sessions?range=30d&limit=100",
    "/insights/topics",
    "/insights/topics?range=30d",
    "/insights/searches",
    "/insights/searches?range=30d",
    ...["e2e-clean", "e2e-frustrated", "e2e-repeat", "e2e-search", "e2e-feedback", "e2e-edge"].map((s) => `/insights/sessions/${s}/trace`),
  ];
  const out: Record<string, unknown> = {};
  for (const p of paths) {
    const r = await get(org, key, p);
    out[p] = { status: r.status, body: r.body };
  }
  return out;
}

// settled() may wait up to 10 s for a rollup: above vitest's default 5 s per test.
describe("MCP analytics end to end (HTTP)", { timeout: 30_000 }, () => {
  it("derives every read from the events MCP sources send", async () => {
    const { org, keys, src } = await setup();
    const batch = sessions(src);
    const sent = await send(org, keys.ingest, batch);
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toEqual({ accepted: batch.length, duplicates: 0 });

    // ---- Overview (waits for the rollup).
    const o = await settled(org, keys.viewer, expectedOverview(src));
    expect(o.asOf).not.toBeNull();
    expect(o.kpis.avgFrustration.value).toBeCloseTo((0 + 0.95 + 0 + 0.45 + 0.5) / 5, 10); // 0.38
    expect(o.kpis.avgFrustration.previous).toBeCloseTo(0.15, 10);
    expect(o.trend[5]!.avgFrustration).toBeCloseTo(0.38, 10);
    // Topics: `creat invoic` = S1, S3, S5 (frustration 0, 0, 0.5); `customer look up` = S2, S3 (0.95, 0);
    // `find policy refund` = S4 (current, 0.45) and S6 (previous).
    expect(o.topTopics.map((t) => [t.label, t.volume, t.previousVolume, t.trend, t.isUnmetDemand, t.archived])).toEqual([
      ["Create an invoice", 3, 0, 3, false, false],
      ["Look up a customer", 2, 0, 2, false, false],
      ["Find the refund policy", 1, 1, 0, false, false],
    ]);
    expect(o.topTopics.map((t) => t.frustration)).toEqual([expect.closeTo(0.5 / 3, 10), expect.closeTo(0.475, 10), expect.closeTo(0.45, 10)]);
    // Clusters (misses by occurredAt): "refund policy" = S4's two + S6's one inside the window; "export csv" = S4's.
    expect(o.topFailedSearches.map(({ id: _id, ...c }) => c)).toEqual([
      { query: "refund policy", mcpServerId: src, count: 3, sessions: 2, firstSeen: iso(WINDOW_START + 10 * 60_000), lastSeen: y(12, 0, 2) },
      { query: "export csv", mcpServerId: src, count: 1, sessions: 1, firstSeen: y(12, 0, 4), lastSeen: y(12, 0, 4) },
    ]);

    // 24h: S1..S5 started yesterday; the 24h window reaches back 23 whole hours before the current one, so only
    // the sessions after its start count. 30d: all six sessions, the previous window none.
    const o30 = (await get<Overview>(org, keys.viewer, "/insights/overview?range=30d")).body;
    expect(o30.kpis.sessions).toEqual({ value: 6, previous: 0 });
    expect(o30.kpis.toolCalls).toEqual({ value: 10, previous: 0 });
    expect(o30.kpis.failedSearchRate).toEqual({ value: 4 / 6, previous: 0 });
    expect(o30.kpis.avgFrustration.value).toBeCloseTo(2.05 / 6, 10);
    expect(o30.unusedTools).toEqual(o.unusedTools);

    // ---- Sessions, per view and filter (7d: S6 started in the previous window).
    const list = async (q: string) => (await get<SessionList>(org, keys.viewer, `/insights/sessions${q}`)).body.sessions;
    const all = await list("");
    expect(all.map((s) => [s.id, s.views])).toEqual([
      ["e2e-feedback", ["high_frustration", "flagged"]],
      ["e2e-search", ["repeat"]],
      ["e2e-repeat", ["repeat"]],
      ["e2e-frustrated", ["high_frustration", "flagged"]],
      ["e2e-clean", ["repeat"]], // read time: claude-desktop had "Create an invoice" in e2e-repeat too
    ]);
    expect(all.map((s) => [s.id, s.frustration, s.counts])).toEqual([
      ["e2e-feedback", 0.5, { events: 3, toolCalls: 1, toolErrors: 0, searches: 0, failedSearches: 0, negativeFeedback: 1 }],
      ["e2e-search", 0.45, { events: 6, toolCalls: 1, toolErrors: 0, searches: 4, failedSearches: 3, negativeFeedback: 0 }],
      ["e2e-repeat", 0, { events: 3, toolCalls: 3, toolErrors: 0, searches: 0, failedSearches: 0, negativeFeedback: 0 }],
      ["e2e-frustrated", 0.95, { events: 5, toolCalls: 3, toolErrors: 3, searches: 0, failedSearches: 0, negativeFeedback: 0 }],
      ["e2e-clean", 0, { events: 6, toolCalls: 1, toolErrors: 0, searches: 1, failedSearches: 0, negativeFeedback: 0 }],
    ]);
    expect(all.find((s) => s.id === "e2e-clean")).toMatchObject({
      mcpServerId: src,
      client: { name: "claude-desktop", version: "1.0" },
      startedAt: y(9),
      lastEventAt: y(9, 0, 5),
      intents: ["Create an invoice"],
    });
    expect(all.find((s) => s.id === "e2e-repeat")!.intents).toEqual(["Create an invoice", "Look up a customer", "creating invoices"]);
    const ids = (rows: Array<{ id: string }>) => rows.map((s) => s.id);
    expect(ids(await list("?view=high_frustration"))).toEqual(["e2e-feedback", "e2e-frustrated"]);
    expect(ids(await list("?view=flagged"))).toEqual(["e2e-feedback", "e2e-frustrated"]);
    expect(ids(await list("?view=repeat"))).toEqual(["e2e-search", "e2e-repeat", "e2e-clean"]);
    expect(ids(await list(`?intent=${encodeURIComponent("Create an invoice")}`))).toEqual(["e2e-repeat", "e2e-clean"]);
    expect(ids(await list(`?intent=${encodeURIComponent("creating invoices")}`))).toEqual(["e2e-repeat"]);
    expect(ids(await list(`?intent=${encodeURIComponent("create an invoice")}`))).toEqual([]); // exact label
    expect(ids(await list(`?search_miss=${encodeURIComponent("Refund policy!")}`))).toEqual(["e2e-search"]);
    expect(ids(await list(`?search_miss=${encodeURIComponent("refund policy")}`))).toEqual(["e2e-search"]);
    expect(ids(await list(`?search_miss=${encodeURIComponent("refund policy")}&range=30d`))).toEqual(["e2e-search", "e2e-edge"]);
    expect(ids(await list("?search_miss=pricing%20tiers"))).toEqual([]); // it found something
    expect(ids(await list("?view=repeat&intent=Look%20up%20a%20customer"))).toEqual(["e2e-repeat"]);
    expect(ids(await list("?limit=2"))).toEqual(["e2e-feedback", "e2e-search"]);

    // ---- Traces.
    const trace = (await get<Trace>(org, keys.viewer, "/insights/sessions/e2e-clean/trace")).body;
    expect(trace.session).toEqual(all.find((s) => s.id === "e2e-clean"));
    expect(trace.events.map((e) => [e.type, e.occurredAt])).toEqual([
      ["session_start", y(9)],
      ["tools_list", y(9, 0, 1)],
      ["tool_call", y(9, 0, 2)],
      ["search", y(9, 0, 3)],
      ["feedback", y(9, 0, 4)],
      ["session_end", y(9, 0, 5)],
    ]);
    expect(trace.events[2]).toMatchObject({
      toolName: "create_invoice",
      intent: "Create an invoice",
      isError: false,
      data: { arguments: { customer: "acme", amount: 100, apiToken: "[REDACTED]" }, result: { invoiceId: "inv-1" }, durationMs: 120 },
    });
    expect(JSON.stringify(trace)).not.toContain("tok-0123456789abcdef0123");
    expect(trace.events[1]!.data).toEqual({ toolNames: ["create_invoice", "search_docs", "get_customer", "delete_customer"] });
    expect(trace.events[3]).toMatchObject({ query: "invoice templates", resultCount: 3, isError: false });
    expect(trace.events[4]).toMatchObject({ rating: "positive" });
    expect(trace.truncated).toBe(false);

    const frustrated = (await get<Trace>(org, keys.viewer, "/insights/sessions/e2e-frustrated/trace")).body;
    expect(frustrated.classifications).toEqual({
      frustration: 0.95,
      signals: { erroredToolCalls: 3, retriedWithChangedArguments: 1, failedSearches: 0, negativeFeedback: 0, endedAfterError: 1 },
      views: ["high_frustration", "flagged"],
      intents: ["Look up a customer"],
      failedQueries: [],
    });
    const search = (await get<Trace>(org, keys.viewer, "/insights/sessions/e2e-search/trace")).body;
    expect(search.classifications).toEqual({
      frustration: 0.45,
      signals: { erroredToolCalls: 0, retriedWithChangedArguments: 0, failedSearches: 3, negativeFeedback: 0, endedAfterError: 0 },
      views: ["repeat"],
      intents: ["Find the refund policy"],
      failedQueries: ["refund policy", "Refund policy!", "export csv"],
    });
    const feedback = (await get<Trace>(org, keys.viewer, "/insights/sessions/e2e-feedback/trace")).body;
    expect(feedback.classifications.signals).toEqual({ erroredToolCalls: 0, retriedWithChangedArguments: 0, failedSearches: 0, negativeFeedback: 1, endedAfterError: 0 });
    expect(feedback.events[1]).toMatchObject({ type: "feedback", rating: "negative", data: { comment: "wrong totals" } });
    // The edge session: listed (its trace) with the start before the window; 90 days for the read-time repeat.
    const edge = (await get<Trace>(org, keys.viewer, "/insights/sessions/e2e-edge/trace")).body;
    expect(edge.session).toMatchObject({ startedAt: iso(WINDOW_START - 30 * 60_000), lastEventAt: iso(WINDOW_START + 11 * 60_000), frustration: 0.15, views: [] });
    expect(edge.session.counts).toEqual({ events: 4, toolCalls: 1, toolErrors: 0, searches: 1, failedSearches: 1, negativeFeedback: 0 });
    expectError(await get(org, keys.viewer, "/insights/sessions/e2e-nope/trace"), 404, "not_found");

    // ---- Topics: membership, volume, frustration, trend, per sort.
    const topics = (await get<TopicList>(org, keys.viewer, "/insights/topics")).body.topics;
    expect(topics).toEqual(o.topTopics);
    const byLabel = Object.fromEntries(topics.map((t) => [t.label, t]));
    const invoice = byLabel["Create an invoice"]!;
    const customer = byLabel["Look up a customer"]!;
    const refund = byLabel["Find the refund policy"]!;
    expect((await get<TopicList>(org, keys.viewer, "/insights/topics?sort=frustration")).body.topics.map((t) => t.id)).toEqual([customer.id, refund.id, invoice.id]);
    expect((await get<TopicList>(org, keys.viewer, "/insights/topics?sort=trend")).body.topics.map((t) => t.id)).toEqual([invoice.id, customer.id, refund.id]);
    const topic30 = (await get<TopicList>(org, keys.viewer, "/insights/topics?range=30d")).body.topics;
    expect(topic30.map((t) => [t.label, t.volume, t.previousVolume, t.trend])).toEqual([
      ["Create an invoice", 3, 0, 3],
      ["Find the refund policy", 2, 0, 2], // same volume: by label
      ["Look up a customer", 2, 0, 2],
    ]);
    const invoiceDetail = (await get<TopicDetail>(org, keys.viewer, `/insights/topics/${invoice.id}`)).body;
    expect(invoiceDetail.samples.map((s) => s.id)).toEqual(["e2e-feedback", "e2e-repeat", "e2e-clean"]);
    expect(invoiceDetail.relatedSearches).toEqual([]);
    const refundDetail = (await get<TopicDetail>(org, keys.viewer, `/insights/topics/${refund.id}`)).body;
    expect(refundDetail.samples.map((s) => s.id)).toEqual(["e2e-search"]);
    expect(refundDetail.relatedSearches.map(({ id: _id, ...r }) => r)).toEqual([
      // S4's misses only (S6 started in the previous window): 2 of "refund policy", 1 of "export csv".
      { query: "refund policy", mcpServerId: src, sharedSessions: 1, misses: 2 },
      { query: "export csv", mcpServerId: src, sharedSessions: 1, misses: 1 },
    ]);

    // PATCH (editor), then the list, the overview's top topics and unmet-demand count follow.
    const viewerPatch = await callJson(`/insights/topics/${refund.id}`, { key: keys.viewer, host: org.host, method: "PATCH", body: { is_unmet_demand: true } });
    expectError(viewerPatch, 403, "forbidden");
    const patched = await callJson<TopicDetail>(`/insights/topics/${refund.id}`, {
      key: keys.editor,
      host: org.host,
      method: "PATCH",
      body: { label: "  Refund policy  ", is_unmet_demand: true },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ id: refund.id, label: "Refund policy", isUnmetDemand: true, archived: false, volume: 1, previousVolume: 1, trend: 0 });
    const afterPatch = (await get<TopicList>(org, keys.viewer, "/insights/topics")).body.topics;
    expect(afterPatch.map((t) => [t.label, t.isUnmetDemand])).toEqual([
      ["Create an invoice", false],
      ["Look up a customer", false],
      ["Refund policy", true],
    ]);
    const flagged = (await get<Overview>(org, keys.viewer, "/insights/overview")).body;
    expect(flagged.kpis.unmetDemandTopics).toEqual({ value: 1, previous: 1 }); // S4 now, S6 in the previous window
    expect(flagged.topTopics.map((t) => t.label)).toEqual(["Create an invoice", "Look up a customer", "Refund policy"]);
    const archived = await callJson<TopicDetail>(`/insights/topics/${customer.id}`, { key: keys.editor, host: org.host, method: "PATCH", body: { archived: true } });
    expect(archived.body).toMatchObject({ archived: true, volume: 2 });
    expect((await get<TopicList>(org, keys.viewer, "/insights/topics")).body.topics.map((t) => t.label)).toEqual(["Create an invoice", "Refund policy"]);
    await callJson(`/insights/topics/${customer.id}`, { key: keys.editor, host: org.host, method: "PATCH", body: { archived: false } });

    // ---- Failed-search clusters.
    const searches = (await get<SearchList>(org, keys.viewer, "/insights/searches")).body.searches;
    expect(searches.map(({ id, sampleSessions, suggestedGap: _g, suggestedWorkflow: _w, ...c }) => ({ ...c, sampleSessions, id: typeof id }))).toEqual([
      {
        id: "string",
        query: "refund policy",
        mcpServerId: src,
        count: 3,
        sessions: 2,
        firstSeen: iso(WINDOW_START + 10 * 60_000),
        lastSeen: y(12, 0, 2),
        sampleSessions: [
          { sessionId: "e2e-search", lastSeen: y(12, 0, 2) },
          { sessionId: "e2e-edge", lastSeen: iso(WINDOW_START + 10 * 60_000) },
        ],
      },
      {
        id: "string",
        query: "export csv",
        mcpServerId: src,
        count: 1,
        sessions: 1,
        firstSeen: y(12, 0, 4),
        lastSeen: y(12, 0, 4),
        sampleSessions: [{ sessionId: "e2e-search", lastSeen: y(12, 0, 4) }],
      },
    ]);
    const refundCluster = searches[0]!;
    expect(refundCluster.suggestedGap).toBe(
      'Agents searched for "refund policy" and found nothing (3 failed searches in 2 sessions): the source seems to lack content or a tool that answers it.',
    );
    expect(refundCluster.suggestedWorkflow).toMatchObject({ mcpServerId: src, name: 'Finds "refund policy"' });
    const detail = (await get<SearchDetail>(org, keys.viewer, `/insights/searches/${refundCluster.id}`)).body;
    expect(detail).toMatchObject({ count: 3, sessions: 2, firstSeen: refundCluster.firstSeen, lastSeen: refundCluster.lastSeen });
    expect(detail.suggestedWorkflow).toEqual(refundCluster.suggestedWorkflow);
    const day1 = (await get<SearchDetail>(org, keys.viewer, `/insights/searches/${refundCluster.id}?range=24h`)).body;
    // 24h: [now's hour - 23h, now's hour + 1h); yesterday 12:00 is inside it only late in the day (UTC).
    const h24Start = Math.floor(Date.now() / HOUR) * HOUR - 23 * HOUR;
    const inside24h = [Y + 12 * HOUR + 1000, Y + 12 * HOUR + 2000].filter((t) => t >= h24Start);
    expect(day1.count).toBe(inside24h.length);
    // The suggested workflow is a valid POST /workflows body for an editor.
    const wf = await callJson<{ workflow: { id: string; mcpServerId: string } }>("/workflows", { key: keys.editor, host: org.host, body: refundCluster.suggestedWorkflow });
    expect(wf.status, JSON.stringify(wf.body)).toBe(201);
    expect(wf.body.workflow.mcpServerId).toBe(src);

    // An ingest key reads nothing.
    expectError(await get(org, keys.ingest, "/insights/overview"), 403, "forbidden");
  });

  it("a batch sent twice changes nothing; a batch with one bad event stores nothing", async () => {
    const { org, keys, src } = await setup();
    const batch = sessions(src);
    expect((await send(org, keys.ingest, batch)).body).toEqual({ accepted: batch.length, duplicates: 0 });
    const first = await settled(org, keys.viewer, expectedOverview(src));
    const before = await allReads(org, keys.viewer);

    // The same batch again: every event a duplicate, no rollup, every read identical (asOf included).
    expect((await send(org, keys.ingest, batch)).body).toEqual({ accepted: 0, duplicates: batch.length });
    // A batch overlapping it (half old, half shuffled) changes nothing either.
    expect((await send(org, keys.ingest, [...batch].reverse().slice(0, 10))).body).toEqual({ accepted: 0, duplicates: 10 });
    expect(await allReads(org, keys.viewer)).toEqual(before);

    // One bad event (a tool call without toolName) refuses the whole batch: the good events are not stored.
    const bad = [
      { id: "bad-1", sessionId: "e2e-bad", type: "session_start", timestamp: y(14), mcpServerId: src },
      { id: "bad-2", sessionId: "e2e-clean", type: "tool_call", timestamp: y(14, 0, 1), toolName: "create_invoice", isError: true, mcpServerId: src },
      { id: "bad-3", sessionId: "e2e-bad", type: "tool_call", timestamp: y(14, 0, 2), mcpServerId: src },
    ];
    expect(errorFields(expectError(await send(org, keys.ingest, bad), 400, "validation_failed"))).toEqual(["body.events.2.toolName"]);
    // An unknown source is refused the same way.
    const foreign = [{ ...bad[0], mcpServerId: crypto.randomUUID() }];
    expect(errorFields(expectError(await send(org, keys.ingest, foreign), 400, "validation_failed"))).toEqual(["body.events.0.mcpServerId"]);
    expectError(await get(org, keys.viewer, "/insights/sessions/e2e-bad/trace"), 404, "not_found");
    expect(await allReads(org, keys.viewer)).toEqual(before);

    // The good events sent alone afterwards are accepted (nothing of the refused batch was kept).
    expect((await send(org, keys.ingest, bad.slice(0, 2))).body).toEqual({ accepted: 2, duplicates: 0 });
    const after = await settled(org, keys.viewer, (o) => ({
      ...expectedOverview(src)(o),
      kpis: { ...expectedOverview(src)(o).kpis, sessions: { value: 6, previous: 1 }, toolCalls: { value: 10, previous: 1 }, errorRate: { value: 4 / 10, previous: 0 } },
      trend: o.trend,
    }));
    expect(after.asOf! >= first.asOf!).toBe(true);
  });

  it("OTLP spans give the same session in the reads as the equivalent events", async () => {
    const { org, keys, src } = await setup();
    const t0 = Y + 15 * HOUR;
    const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
    const attr = (key: string, value: unknown) => ({
      key,
      value: Array.isArray(value)
        ? { arrayValue: { values: value.map((v) => ({ stringValue: v })) } }
        : typeof value === "string"
          ? { stringValue: value }
          : { boolValue: value },
    });
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const span = (spanId: string, atMs: number, endMs: number, attrs: Array<ReturnType<typeof attr>>, status?: { code: number }) => ({
      traceId,
      spanId,
      name: "mcp",
      startTimeUnixNano: ns(atMs),
      endTimeUnixNano: ns(endMs),
      attributes: [attr("mcp.session.id", "otlp-session"), attr("mcp.protocol.version", "2025-06-18"), ...attrs],
      ...(status ? { status } : {}),
    });
    const otlp = {
      resourceSpans: [
        {
          resource: { attributes: [attr("armature.mcp_server.id", src), attr("service.name", "billing-mcp")] },
          scopeSpans: [
            {
              spans: [
                span("00f067aa0ba90201", t0, t0 + 5, [attr("mcp.method.name", "initialize")]),
                span("00f067aa0ba90202", t0 + 1000, t0 + 1010, [attr("mcp.method.name", "tools/list"), attr("armature.mcp.tool_names", ["get_customer", "delete_customer"])]),
                span("00f067aa0ba90203", t0 + 2000, t0 + 2250, [
                  attr("mcp.method.name", "tools/call"),
                  attr("gen_ai.tool.name", "get_customer"),
                  attr("gen_ai.tool.call.arguments", '{"id":"c-9","password":"hunter2hunter2"}'),
                  attr("error.type", "tool_error"),
                ]),
                span("00f067aa0ba90204", t0 + 3000, t0 + 3040, [
                  attr("mcp.method.name", "tools/call"),
                  attr("gen_ai.tool.name", "get_customer"),
                  attr("gen_ai.tool.call.arguments", '{"id":"c-9","expand":true}'),
                  attr("gen_ai.tool.call.result", '{"name":"Ada"}'),
                ]),
                span("00f067aa0ba90205", t0 + 3500, t0 + 3600, [attr("http.route", "/mcp")]), // not MCP
              ],
            },
          ],
        },
      ],
    };
    const events: Ev[] = [
      { id: "ev-1", sessionId: "events-session", type: "session_start", timestamp: iso(t0), mcpServerId: src, protocolVersion: "2025-06-18" },
      { id: "ev-2", sessionId: "events-session", type: "tools_list", timestamp: iso(t0 + 1000), mcpServerId: src, protocolVersion: "2025-06-18", toolNames: ["get_customer", "delete_customer"] },
      {
        id: "ev-3",
        sessionId: "events-session",
        type: "tool_call",
        timestamp: iso(t0 + 2000),
        mcpServerId: src,
        protocolVersion: "2025-06-18",
        toolName: "get_customer",
        arguments: { id: "c-9", password: "hunter2hunter2" },
        isError: true,
        durationMs: 250,
      },
      {
        id: "ev-4",
        sessionId: "events-session",
        type: "tool_call",
        timestamp: iso(t0 + 3000),
        mcpServerId: src,
        protocolVersion: "2025-06-18",
        toolName: "get_customer",
        arguments: { id: "c-9", expand: true },
        result: { name: "Ada" },
        isError: false,
        durationMs: 40,
      },
    ];
    const o = await callJson("/insights/otlp/v1/traces", { key: keys.ingest, host: org.host, body: otlp });
    expect(o.status, JSON.stringify(o.body)).toBe(202);
    expect(o.body).toEqual({ accepted: 4, duplicates: 0, ignoredSpans: 1 });
    expect((await send(org, keys.ingest, events)).body).toEqual({ accepted: 4, duplicates: 0 });

    // Two sessions, each: 1 call of 2 errored, a retry with changed arguments; 0.2 + 0.1 = 0.3.
    await settled(org, keys.viewer, (ov) => ({
      ...ov,
      kpis: { ...ov.kpis, sessions: { value: 2, previous: 0 }, toolCalls: { value: 4, previous: 0 }, errorRate: { value: 0.5, previous: 0 } },
      unusedTools: [{ mcpServerId: src, toolName: "delete_customer", offered: 2 }],
    }));
    const listed = (await get<SessionList>(org, keys.viewer, "/insights/sessions")).body.sessions;
    expect(listed.map((s) => s.id).sort()).toEqual(["events-session", "otlp-session"]);
    const [a, b] = ["otlp-session", "events-session"].map((id) => listed.find((s) => s.id === id)!);
    expect({ ...a, id: "x" }).toEqual({ ...b, id: "x" });
    expect(a).toMatchObject({ mcpServerId: src, frustration: 0.3, counts: { events: 4, toolCalls: 2, toolErrors: 1 } });

    const [ta, tb] = await Promise.all(["otlp-session", "events-session"].map((id) => get<Trace>(org, keys.viewer, `/insights/sessions/${id}/trace`)));
    const strip = (t: Trace) => ({ ...t, session: { ...t.session, id: "x" }, events: t.events.map(({ id: _id, ...e }) => e) });
    expect(strip(ta!.body)).toEqual(strip(tb!.body));
    expect(ta!.body.events[2]!.data).toEqual({ protocolVersion: "2025-06-18", arguments: { id: "c-9", password: "[REDACTED]" }, durationMs: 250 });
    expect(ta!.body.classifications.signals).toEqual({ erroredToolCalls: 1, retriedWithChangedArguments: 1, failedSearches: 0, negativeFeedback: 0, endedAfterError: 0 });

    // Re-sending the spans: duplicates, nothing changes.
    const before = (await get<Overview>(org, keys.viewer, "/insights/overview")).body;
    expect((await callJson("/insights/otlp/v1/traces", { key: keys.ingest, host: org.host, body: otlp })).body).toEqual({ accepted: 0, duplicates: 4, ignoredSpans: 1 });
    expect((await get<Overview>(org, keys.viewer, "/insights/overview")).body).toEqual(before);
  });
});
