/**
 * The insights reads: every number against a hand-computed expectation. Aggregate rows are inserted directly.
 * Windows are checked through the query functions with a pinned clock; access, validation, 404s, PATCH and
 * redaction through the Worker (data placed well inside the window of the real clock).
 */
import { describe, expect, it, vi } from "vitest";
import { suggestedWorkflow } from "../../src/insights/derive";
import {
  getOverview,
  getSearch,
  getTopic,
  insightWindow,
  listSearches,
  listSessions,
  listTopics,
  type ListSessionsInput,
} from "../../src/insights/queries";
import { callJson, createOrg, db, errorFields, expectError, type TestOrg } from "../helpers";
import {
  insertBucket,
  insertCluster,
  insertEvent,
  insertMiss,
  insertSession,
  insertTopic,
  insertTopicSession,
} from "./read-fixtures";

const NOW = new Date("2026-03-11T15:20:00Z"); // a Wednesday
const at = (s: string) => new Date(s);
const analyticsOrg = () => createOrg({ features: ["mcp-analytics"] });

describe("insightWindow", () => {
  it("is whole hours for 24h and whole UTC days otherwise, ending with the current one", () => {
    const h = insightWindow("24h", NOW);
    expect([h.start, h.end, h.previousStart].map((t) => new Date(t).toISOString())).toEqual([
      "2026-03-10T16:00:00.000Z",
      "2026-03-11T16:00:00.000Z",
      "2026-03-09T16:00:00.000Z",
    ]);
    const d = insightWindow("7d", NOW);
    expect([d.start, d.end, d.previousStart].map((t) => new Date(t).toISOString())).toEqual([
      "2026-03-05T00:00:00.000Z",
      "2026-03-12T00:00:00.000Z",
      "2026-02-26T00:00:00.000Z",
    ]);
    expect(insightWindow("90d", NOW).points).toBe(90);
  });
});

describe("overview", () => {
  async function seed(org: TestOrg) {
    // Current 7d window: 2026-03-05 .. 2026-03-12 (exclusive); previous: 2026-02-26 .. 2026-03-05.
    await insertBucket(org.id, { bucketStart: at("2026-03-11T14:00Z"), sessions: 2, toolCalls: 10, toolErrors: 2, searches: 4, failedSearches: 1, frustrationSum: 0.9 });
    await insertBucket(org.id, { mcpServerId: "srv-a", bucketStart: at("2026-03-11T09:00Z"), sessions: 1, toolCalls: 5, frustrationSum: 0.3 });
    await insertBucket(org.id, { bucketStart: at("2026-03-05T00:00Z"), sessions: 1, toolCalls: 5, toolErrors: 3, searches: 4, failedSearches: 3, frustrationSum: 0.8 });
    await insertBucket(org.id, { bucketStart: at("2026-03-01T12:00Z"), sessions: 2, toolCalls: 8, toolErrors: 2, searches: 2, failedSearches: 2, frustrationSum: 0.6 });
    await insertBucket(org.id, { bucketStart: at("2026-02-25T23:00Z"), sessions: 100, toolCalls: 100 }); // before the previous window
    await insertBucket(org.id, { bucketStart: at("2026-03-12T00:00Z"), sessions: 100, toolCalls: 100 }); // after the window

    const t1 = await insertTopic(org.id, { label: "refunds", isUnmetDemand: true });
    const t2 = await insertTopic(org.id, { label: "archived unmet", isUnmetDemand: true, archived: true });
    const t3 = await insertTopic(org.id, { label: "old unmet", isUnmetDemand: true });
    const t4 = await insertTopic(org.id, { label: "pricing" });
    await insertTopicSession(org.id, t1, "a", at("2026-03-10T10:00Z"), 0.5);
    await insertTopicSession(org.id, t1, "b", at("2026-03-06T10:00Z"), 0.9);
    await insertTopicSession(org.id, t1, "c", at("2026-03-02T10:00Z"), 0.1);
    await insertTopicSession(org.id, t2, "a", at("2026-03-10T10:00Z"), 1);
    await insertTopicSession(org.id, t3, "d", at("2026-03-01T10:00Z"), 1);
    for (const [s, f] of [["e", 0.2], ["f", 0.4], ["g", 0.6]] as const) await insertTopicSession(org.id, t4, s, at("2026-03-09T10:00Z"), f);

    const c1 = await insertCluster(org.id, "refund policy");
    const c2 = await insertCluster(org.id, "pricing tiers");
    await insertMiss(org.id, c1, "a", at("2026-03-10T10:01Z"));
    await insertMiss(org.id, c1, "a", at("2026-03-10T10:02Z"));
    await insertMiss(org.id, c1, "b", at("2026-03-06T10:01Z"));
    await insertMiss(org.id, c1, "c", at("2026-03-02T10:01Z")); // previous window
    await insertMiss(org.id, c2, "e", at("2026-03-09T10:01Z"));

    await insertSession(org.id, { id: "s-early", startedAt: at("2026-03-10T10:00Z"), updatedAt: at("2026-03-11T15:00Z") });
    await insertSession(org.id, { id: "s-late", startedAt: at("2026-03-11T09:00Z"), updatedAt: at("2026-03-11T15:10Z") });
    return { t1, t4, c1, c2 };
  }

  it("answers the 7d KPIs with previous values, daily points with zeros, top topics and clusters", async () => {
    const org = await analyticsOrg();
    const { t1, t4, c1, c2 } = await seed(org);
    const other = await analyticsOrg();
    await insertBucket(other.id, { bucketStart: at("2026-03-11T14:00Z"), sessions: 50, toolCalls: 50 });
    await insertSession(other.id, { startedAt: at("2026-03-11T10:00Z"), updatedAt: at("2026-03-11T15:19Z") });

    const o = await getOverview(db, org.id, "7d", NOW);
    expect(o.bucket).toBe("day");
    expect(o.from).toBe("2026-03-05T00:00:00.000Z");
    expect(o.to).toBe("2026-03-12T00:00:00.000Z");
    expect(o.asOf).toBe("2026-03-11T15:10:00.000Z");
    // Current: sessions 2+1+1, calls 10+5+5, errors 2+3, searches 4+4, failed 1+3, frustration 0.9+0.3+0.8.
    expect(o.kpis.sessions).toEqual({ value: 4, previous: 2 });
    expect(o.kpis.toolCalls).toEqual({ value: 20, previous: 8 });
    expect(o.kpis.errorRate).toEqual({ value: 0.25, previous: 0.25 });
    expect(o.kpis.failedSearchRate).toEqual({ value: 0.5, previous: 1 });
    expect(o.kpis.avgFrustration.value).toBeCloseTo(0.5, 10);
    expect(o.kpis.avgFrustration.previous).toBeCloseTo(0.3, 10);
    // t1 (current and previous), t3 (previous only); t2 archived, t4 not flagged.
    expect(o.kpis.unmetDemandTopics).toEqual({ value: 1, previous: 2 });

    expect(o.trend.map((p) => p.bucketStart)).toEqual(
      ["05", "06", "07", "08", "09", "10", "11"].map((d) => `2026-03-${d}T00:00:00.000Z`),
    );
    expect(o.trend.map((p) => p.sessions)).toEqual([1, 0, 0, 0, 0, 0, 3]);
    expect(o.trend[1]).toEqual({
      bucketStart: "2026-03-06T00:00:00.000Z",
      sessions: 0,
      toolCalls: 0,
      toolErrors: 0,
      searches: 0,
      failedSearches: 0,
      errorRate: 0,
      failedSearchRate: 0,
      avgFrustration: 0,
    });
    const last = o.trend[6]!;
    expect([last.toolCalls, last.toolErrors, last.searches, last.failedSearches]).toEqual([15, 2, 4, 1]);
    expect(last.errorRate).toBeCloseTo(2 / 15, 10);
    expect(last.failedSearchRate).toBe(0.25);
    expect(last.avgFrustration).toBeCloseTo(0.4, 10);
    expect(o.trend[0]).toMatchObject({ toolErrors: 3, errorRate: 0.6, failedSearchRate: 0.75 });

    expect(o.topTopics.map((t) => [t.id, t.volume, t.previousVolume, t.trend])).toEqual([
      [t4, 3, 0, 3],
      [t1, 2, 1, 1],
    ]);
    expect(o.topTopics[0]!.frustration).toBeCloseTo(0.4, 10);
    expect(o.topTopics[1]!.frustration).toBeCloseTo(0.7, 10);
    expect(o.topTopics[1]).toMatchObject({ label: "refunds", isUnmetDemand: true, archived: false });

    expect(o.topFailedSearches).toEqual([
      { id: c1, query: "refund policy", mcpServerId: null, count: 3, sessions: 2, firstSeen: "2026-03-06T10:01:00.000Z", lastSeen: "2026-03-10T10:02:00.000Z" },
      { id: c2, query: "pricing tiers", mcpServerId: null, count: 1, sessions: 1, firstSeen: "2026-03-09T10:01:00.000Z", lastSeen: "2026-03-09T10:01:00.000Z" },
    ]);
  });

  it("answers 24h by hour, with zero previous values and zero rates when nothing happened", async () => {
    const org = await analyticsOrg();
    await seed(org);
    const o = await getOverview(db, org.id, "24h", NOW);
    expect(o.bucket).toBe("hour");
    expect(o.trend).toHaveLength(24);
    expect(o.trend[0]!.bucketStart).toBe("2026-03-10T16:00:00.000Z");
    expect(o.trend[23]!.bucketStart).toBe("2026-03-11T15:00:00.000Z");
    const sessions = o.trend.map((p) => p.sessions);
    expect(sessions[17]).toBe(1); // 09:00
    expect(sessions[22]).toBe(2); // 14:00
    expect(sessions.reduce((a, b) => a + b, 0)).toBe(3);
    expect(o.kpis.sessions).toEqual({ value: 3, previous: 0 });
    expect(o.kpis.toolCalls).toEqual({ value: 15, previous: 0 });
    expect(o.kpis.errorRate).toEqual({ value: 2 / 15, previous: 0 });
    expect(o.kpis.failedSearchRate).toEqual({ value: 0.25, previous: 0 });
    expect(o.kpis.avgFrustration.previous).toBe(0);
    // t1's session of 2026-03-10T10:00 is in the previous 24 hours.
    expect(o.kpis.unmetDemandTopics).toEqual({ value: 0, previous: 1 });
    expect(o.topTopics).toEqual([]);
  });

  it("answers an empty organization with zeros, null asOf and one point per day", async () => {
    const org = await analyticsOrg();
    const o = await getOverview(db, org.id, "90d", NOW);
    expect(o.asOf).toBeNull();
    expect(o.trend).toHaveLength(90);
    expect(o.trend.every((p) => p.sessions === 0 && p.errorRate === 0)).toBe(true);
    expect(Object.values(o.kpis).every((k) => k.value === 0 && k.previous === 0)).toBe(true);
  });
});

describe("sessions", () => {
  async function seed(org: TestOrg) {
    const s = (id: string, startedAt: string, clientName: string | null, intents: string[], views: string[] = [], failedQueries: string[] = [], frustration = 0) =>
      insertSession(org.id, { id, startedAt: at(startedAt), clientName, frustration, toolCalls: 3, toolErrors: 1, summary: { intents, views, failedQueries } });
    await s("s1", "2026-03-11T10:00Z", "claude", ["find refund policy"], ["high_frustration"], ["refund policy"], 0.8);
    await s("s2", "2026-03-10T10:00Z", "claude", ["find refund policy", "other"]);
    await s("s3", "2026-03-09T10:00Z", "cursor", ["find refund policy"], ["flagged"]);
    await s("s4", "2026-03-08T10:00Z", "cursor", ["x"], ["repeat"]);
    await s("s5", "2026-03-01T10:00Z", "cursor", ["find refund policy"]); // previous window
    await s("s6", "2026-03-07T10:00Z", null, ["find refund policy"]);
  }
  const list = (orgId: string, q: Partial<ListSessionsInput>) =>
    listSessions(db, orgId, { range: "7d", view: "all", limit: 25, ...q }, NOW).then((r) => r.sessions.map((x) => x.id));

  it("lists the window's sessions newest first, by view and filter", async () => {
    const org = await analyticsOrg();
    await seed(org);
    const other = await analyticsOrg();
    await insertSession(other.id, { id: "s3", startedAt: at("2026-03-10T11:00Z"), clientName: "cursor", summary: { intents: ["find refund policy"] } });

    expect(await list(org.id, {})).toEqual(["s1", "s2", "s3", "s4", "s6"]);
    expect(await list(org.id, { view: "high_frustration" })).toEqual(["s1"]);
    expect(await list(org.id, { view: "flagged" })).toEqual(["s3"]);
    // claude had "find refund policy" twice (s1, s2); s4 is stored as repeat; cursor's s5 is outside the
    // window and the other organization's cursor session does not count; s6 has no client.
    expect(await list(org.id, { view: "repeat" })).toEqual(["s1", "s2", "s4"]);
    expect(await list(org.id, { intent: "other" })).toEqual(["s2"]);
    expect(await list(org.id, { intent: "find refund policy", view: "flagged" })).toEqual(["s3"]);
    expect(await list(org.id, { search_miss: "refund policy" })).toEqual(["s1"]);
    expect(await list(org.id, { search_miss: "refund" })).toEqual([]);
    expect(await list(org.id, { limit: 2 })).toEqual(["s1", "s2"]);
    expect(await list(org.id, { range: "30d" })).toEqual(["s1", "s2", "s3", "s4", "s6", "s5"]);
    // Over 30d, cursor's s3 and s5 share an intent.
    expect(await list(org.id, { range: "30d", view: "repeat" })).toEqual(["s1", "s2", "s3", "s4", "s5"]);

    const [first] = (await listSessions(db, org.id, { range: "7d", view: "all", limit: 1 }, NOW)).sessions;
    expect(first).toEqual({
      id: "s1",
      mcpServerId: null,
      client: { name: "claude", version: null },
      startedAt: "2026-03-11T10:00:00.000Z",
      lastEventAt: "2026-03-11T10:00:00.000Z",
      counts: { events: 1, toolCalls: 3, toolErrors: 1, searches: 0, failedSearches: 0, negativeFeedback: 0 },
      frustration: 0.8,
      intents: ["find refund policy"],
      views: ["high_frustration", "repeat"],
    });
  });
});

describe("topics", () => {
  async function seed(org: TestOrg) {
    const a = await insertTopic(org.id, { label: "alpha" });
    const b = await insertTopic(org.id, { label: "beta" });
    const c = await insertTopic(org.id, { label: "gamma" });
    const d = await insertTopic(org.id, { label: "archived", archived: true });
    const e = await insertTopic(org.id, { label: "faded" });
    let i = 0;
    const ts = async (topic: string, when: string, f: number) => insertTopicSession(org.id, topic, `ts-${i++}`, at(when), f);
    for (let k = 0; k < 3; k++) await ts(a, `2026-03-0${6 + k}T10:00Z`, 0.2);
    for (let k = 0; k < 5; k++) await ts(a, `2026-03-0${1 + k}T10:00Z`, 0.9); // previous: 03-01..03-04, and 03-05 is current
    await ts(b, "2026-03-10T10:00Z", 0.9);
    await ts(b, "2026-03-11T10:00Z", 0.7);
    await ts(c, "2026-03-09T10:00Z", 0.5);
    for (let k = 0; k < 4; k++) await ts(d, "2026-03-09T10:00Z", 1);
    await ts(e, "2026-03-01T10:00Z", 1);
    await ts(e, "2026-03-02T10:00Z", 1);
    return { a, b, c, d, e };
  }

  it("sorts by volume, frustration and trend; leaves out archived topics and topics without sessions", async () => {
    const org = await analyticsOrg();
    const { a, b, c } = await seed(org);
    const topics = (sort: "volume" | "frustration" | "trend", limit = 25) => listTopics(db, org.id, { range: "7d", sort, limit }, NOW).then((r) => r.topics);
    // a: 4 in window (03-05..03-08: 0.9, 0.2, 0.2, 0.2), 4 previous (03-01..03-04).
    const byVolume = await topics("volume");
    expect(byVolume.map((t) => [t.id, t.volume, t.previousVolume, t.trend])).toEqual([
      [a, 4, 4, 0],
      [b, 2, 0, 2],
      [c, 1, 0, 1],
    ]);
    expect(byVolume.map((t) => t.frustration.toFixed(6))).toEqual(["0.375000", "0.800000", "0.500000"]);
    expect((await topics("frustration")).map((t) => t.id)).toEqual([b, c, a]);
    expect((await topics("trend")).map((t) => t.id)).toEqual([b, c, a]);
    expect((await topics("volume", 1)).map((t) => t.id)).toEqual([a]);
  });

  it("answers a topic with samples (5 most recent in the window) and related failed searches", async () => {
    const org = await analyticsOrg();
    const t = await insertTopic(org.id, { label: "exports" });
    for (let k = 1; k <= 6; k++) {
      const when = at(`2026-03-${String(4 + k).padStart(2, "0")}T10:00Z`);
      const id = await insertSession(org.id, { id: `x${k}`, startedAt: when, summary: { intents: ["export csv"] } });
      await insertTopicSession(org.id, t, id, when, k / 10);
    }
    const c1 = await insertCluster(org.id, "csv export");
    const c2 = await insertCluster(org.id, "xlsx");
    const c3 = await insertCluster(org.id, "unrelated");
    await insertMiss(org.id, c1, "x1", at("2026-03-05T10:01Z"));
    await insertMiss(org.id, c1, "x2", at("2026-03-06T10:01Z"));
    await insertMiss(org.id, c1, "x2", at("2026-03-06T10:02Z"));
    await insertMiss(org.id, c2, "x3", at("2026-03-07T10:01Z"));
    await insertMiss(org.id, c3, "elsewhere", at("2026-03-07T10:01Z"));

    const topic = await getTopic(db, org.id, t, "7d", NOW);
    expect(topic).toMatchObject({ id: t, label: "exports", isUnmetDemand: false, archived: false, volume: 6, previousVolume: 0, trend: 6 });
    expect(topic.frustration).toBeCloseTo(0.35, 10);
    expect(topic.samples.map((s) => s.id)).toEqual(["x6", "x5", "x4", "x3", "x2"]);
    expect(topic.relatedSearches).toEqual([
      { id: c1, query: "csv export", mcpServerId: null, sharedSessions: 2, misses: 3 },
      { id: c2, query: "xlsx", mcpServerId: null, sharedSessions: 1, misses: 1 },
    ]);
  });
});

describe("failed searches", () => {
  it("lists clusters with counts, sessions, first and last seen, samples and suggestions", async () => {
    const org = await analyticsOrg();
    const c1 = await insertCluster(org.id, "refund policy", "srv-1");
    const c2 = await insertCluster(org.id, "pricing");
    for (const [s, when] of [["a", "2026-03-06T10:00Z"], ["b", "2026-03-08T10:00Z"], ["a", "2026-03-09T10:00Z"], ["c", "2026-03-02T10:00Z"]] as const) {
      await insertMiss(org.id, c1, s, at(when));
    }
    await insertMiss(org.id, c2, "d", at("2026-03-10T10:00Z"));
    const r = await listSearches(db, org.id, { range: "7d", limit: 25 }, NOW);
    expect(r.searches.map((c) => [c.id, c.count, c.sessions, c.firstSeen, c.lastSeen])).toEqual([
      [c1, 3, 2, "2026-03-06T10:00:00.000Z", "2026-03-09T10:00:00.000Z"],
      [c2, 1, 1, "2026-03-10T10:00:00.000Z", "2026-03-10T10:00:00.000Z"],
    ]);
    expect(r.searches[0]!.sampleSessions).toEqual([
      { sessionId: "a", lastSeen: "2026-03-09T10:00:00.000Z" },
      { sessionId: "b", lastSeen: "2026-03-08T10:00:00.000Z" },
    ]);
    const expected = suggestedWorkflow({ mcpServerId: "srv-1", query: "refund policy", misses: 3, sessions: 2 });
    expect(r.searches[0]!.suggestedGap).toBe(expected.suggestedGap);
    expect(r.searches[0]!.suggestedWorkflow).toEqual(expected.workflow);
    expect(r.searches[1]!.mcpServerId).toBeNull();
    expect(r.searches[1]!.suggestedWorkflow).toBeNull();
    expect((await listSearches(db, org.id, { range: "7d", limit: 1 }, NOW)).searches.map((c) => c.id)).toEqual([c1]);

    const one = await getSearch(db, org.id, c1, "30d", NOW);
    expect(one).toMatchObject({ id: c1, count: 4, sessions: 3, firstSeen: "2026-03-02T10:00:00.000Z", lastSeen: "2026-03-09T10:00:00.000Z" });
    const quiet = await getSearch(db, org.id, c2, "24h", NOW);
    expect(quiet).toMatchObject({ count: 0, sessions: 0, firstSeen: null, lastSeen: null, sampleSessions: [] });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Through the Worker.

// The Worker runs in this isolate: its clock is frozen at 13:30 UTC of today for these tests, so an hour cannot
// turn between an ingest and the reads that check it.
vi.useFakeTimers({ toFake: ["Date"] });
vi.setSystemTime(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 13.5 * 3600_000);
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);

describe("over REST", () => {
  it("refuses an organization without MCP Analytics: 403 feature_disabled", async () => {
    const org = await createOrg({ features: [] });
    for (const path of ["/insights/overview", "/insights/sessions", "/insights/topics", "/insights/searches", "/insights/sessions/x/trace"]) {
      expectError(await callJson(path, { key: org.ownerKey, host: org.host }), 403, "feature_disabled");
    }
  });

  it("answers 400 naming the field for bad query parameters", async () => {
    const org = await analyticsOrg();
    const bad = async (path: string, field: string) => {
      const e = expectError(await callJson(path, { key: org.ownerKey, host: org.host }), 400, "validation_failed");
      expect(errorFields(e)).toEqual([field]);
    };
    await bad("/insights/overview?range=1y", "query.range");
    await bad("/insights/sessions?limit=0", "query.limit");
    await bad("/insights/sessions?limit=101", "query.limit");
    await bad("/insights/sessions?limit=1e2", "query.limit");
    await bad("/insights/sessions?view=angry", "query.view");
    await bad("/insights/topics?sort=alpha", "query.sort");
    await bad("/insights/searches?limit=-1", "query.limit");
    await bad(`/insights/sessions/${"x".repeat(201)}/trace`, "path.id");
    const ok = await callJson<{ range: string }>("/insights/overview", { key: org.ownerKey, host: org.host });
    expect(ok.status).toBe(200);
    expect(ok.body.range).toBe("7d");
  });

  it("answers a session's trace in order, redacted, and 404 for another organization's session", async () => {
    const org = await analyticsOrg();
    const id = "client session:42 ü";
    const start = hoursAgo(2);
    const plus = (s: number) => new Date(start.getTime() + s * 1000);
    await insertSession(org.id, {
      id,
      startedAt: start,
      clientName: "claude",
      toolCalls: 1,
      frustration: 0.6,
      summary: {
        intents: ["rotate key"],
        failedQueries: ["key rotation"],
        signals: { erroredToolCalls: 1, retriedWithChangedArguments: 0, failedSearches: 1, negativeFeedback: 1, endedAfterError: true },
        views: ["high_frustration", "flagged"],
      },
    });
    const token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
    const password = "hunter2-correct-horse";
    await insertEvent(org.id, { id: "e3", sessionId: id, type: "search", occurredAt: plus(20), query: "key rotation", resultCount: 0 });
    await insertEvent(org.id, { id: "e1", sessionId: id, type: "session_start", occurredAt: plus(0), clientName: "claude" });
    await insertEvent(org.id, {
      id: "e2",
      sessionId: id,
      type: "tool_call",
      occurredAt: plus(10),
      toolName: "rotate",
      isError: true,
      intent: "rotate key",
      data: { arguments: { note: `use ${token}`, password }, result: { error: "denied" }, durationMs: 12 },
    });
    await insertEvent(org.id, { id: "e4", sessionId: id, type: "feedback", occurredAt: plus(30), rating: "negative", data: { comment: "useless" } });
    await insertEvent(org.id, { id: "e5", sessionId: "another", type: "log", occurredAt: plus(5) });

    const path = `/insights/sessions/${encodeURIComponent(id)}/trace`;
    const r = await callJson<{
      session: { id: string; views: string[] };
      classifications: Record<string, unknown>;
      events: Array<{ id: string; type: string; data: Record<string, unknown>; isError: boolean }>;
      truncated: boolean;
    }>(path, { key: await org.keyFor("viewer"), host: org.host });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.session.id).toBe(id);
    expect(r.body.events.map((e) => [e.id, e.type])).toEqual([
      ["e1", "session_start"],
      ["e2", "tool_call"],
      ["e3", "search"],
      ["e4", "feedback"],
    ]);
    expect(r.body.events[1]!.isError).toBe(true);
    expect(r.body.events[1]!.data.durationMs).toBe(12);
    expect(r.body.classifications).toEqual({
      frustration: 0.6,
      signals: { erroredToolCalls: 1, retriedWithChangedArguments: 0, failedSearches: 1, negativeFeedback: 1, endedAfterError: true },
      views: ["high_frustration", "flagged"],
      intents: ["rotate key"],
      failedQueries: ["key rotation"],
    });
    expect(r.body.truncated).toBe(false);
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(token);
    expect(text).not.toContain(password);
    expect(text).toContain("[REDACTED]");

    const other = await analyticsOrg();
    expectError(await callJson(path, { key: other.ownerKey, host: other.host }), 404, "not_found");
  });

  it("PATCHes a topic (editor), refuses bad bodies, and archived topics leave the lists", async () => {
    const org = await analyticsOrg();
    const t = await insertTopic(org.id, { label: "old label" });
    const s = await insertSession(org.id, { startedAt: hoursAgo(3) });
    await insertTopicSession(org.id, t, s, hoursAgo(3), 0.4);
    const editor = await org.keyFor("editor");
    const patch = (body: unknown, key = editor) => callJson<Record<string, unknown>>(`/insights/topics/${t}`, { method: "PATCH", key, host: org.host, body });

    expectError(await patch({ label: "x" }, await org.keyFor("viewer")), 403, "forbidden");
    const fields = async (body: unknown) => errorFields(expectError(await patch(body), 400, "validation_failed"));
    expect(await fields({})).toEqual(["body"]);
    expect(await fields({ isUnmetDemand: true })).toEqual(["body.isUnmetDemand"]);
    expect(await fields({ label: "" })).toEqual(["body.label"]);
    expect(await fields({ archived: "yes" })).toEqual(["body.archived"]);

    const r = await patch({ label: "Refunds", is_unmet_demand: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id: t, label: "Refunds", isUnmetDemand: true, archived: false, volume: 1 });

    const overview = () => callJson<{ kpis: { unmetDemandTopics: { value: number } }; topTopics: Array<{ id: string }> }>("/insights/overview", { key: editor, host: org.host });
    const topics = () => callJson<{ topics: Array<{ id: string }> }>("/insights/topics?range=24h", { key: editor, host: org.host });
    expect((await overview()).body.kpis.unmetDemandTopics.value).toBe(1);
    expect((await topics()).body.topics.map((x) => x.id)).toEqual([t]);

    expect((await patch({ archived: true })).body).toMatchObject({ archived: true, label: "Refunds" });
    expect((await topics()).body.topics).toEqual([]);
    const o = (await overview()).body;
    expect(o.topTopics).toEqual([]);
    expect(o.kpis.unmetDemandTopics.value).toBe(0);
    // Still readable by id, so it can be unarchived.
    const got = await callJson<{ archived: boolean }>(`/insights/topics/${t}`, { key: editor, host: org.host });
    expect(got.body.archived).toBe(true);
    expect((await patch({ archived: false })).body).toMatchObject({ archived: false });
    expect((await topics()).body.topics.map((x) => x.id)).toEqual([t]);

    const other = await analyticsOrg();
    const theirs = { key: other.ownerKey, host: other.host };
    expectError(await callJson(`/insights/topics/${t}`, theirs), 404, "not_found");
    expectError(await callJson(`/insights/topics/${t}`, { ...theirs, method: "PATCH", body: { label: "mine" } }), 404, "not_found");
    const c = await insertCluster(org.id, "q");
    expectError(await callJson(`/insights/searches/${c}`, theirs), 404, "not_found");
    expect((await callJson(`/insights/searches/${c}`, { key: editor, host: org.host })).status).toBe(200);
  });
});
