import { and, asc, eq } from "drizzle-orm";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  insightBuckets,
  insightEvents,
  insightSearchClusters,
  insightSearchMisses,
  insightSessions,
  insightSessionTools,
  insightTopics,
  insightTopicSessions,
} from "../../src/db/schema";
import { INSIGHT_EVENT_RETENTION_MS, pruneInsightEvents, rollupSessions } from "../../src/insights/rollup";
import { runSweep } from "../../src/scheduler/sweep";
import { createOrg, db, testContext } from "../helpers";
import { storedToolDays } from "./read-fixtures";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** 2026-01-10 12:00 UTC: an hour and a day boundary. */
const H = Date.UTC(2026, 0, 10, 12, 0, 0);
const NOW = new Date(H + 2 * DAY);
const ctx = () => testContext({ now: NOW });
const SRC = "11111111-1111-4111-8111-111111111111";

type NewEvent = Partial<typeof insightEvents.$inferInsert> & { sessionId: string; type: (typeof insightEvents.$inferInsert)["type"]; at: number };

let seq = 0;
async function insert(orgId: string, events: NewEvent[]) {
  const rows = events.map(({ at, ...e }) => ({
    orgId,
    id: e.id ?? `ev-${(seq++).toString().padStart(6, "0")}`,
    occurredAt: new Date(at),
    ingestedAt: new Date(at),
    mcpServerId: SRC,
    clientName: "claude-desktop",
    clientVersion: "1.0",
    data: {},
    ...e,
  }));
  for (const row of rows) await db.insert(insightEvents).values(row).run();
  return rows;
}

const sessionRow = async (orgId: string, id: string) =>
  db.select().from(insightSessions).where(and(eq(insightSessions.orgId, orgId), eq(insightSessions.id, id))).get();

async function snapshot(orgId: string) {
  return {
    sessions: await db.select().from(insightSessions).where(eq(insightSessions.orgId, orgId)).orderBy(asc(insightSessions.id)).all(),
    buckets: await db.select().from(insightBuckets).where(eq(insightBuckets.orgId, orgId)).orderBy(asc(insightBuckets.bucketStart), asc(insightBuckets.mcpServerId)).all(),
    topics: await db.select().from(insightTopics).where(eq(insightTopics.orgId, orgId)).orderBy(asc(insightTopics.key)).all(),
    topicSessions: await db
      .select()
      .from(insightTopicSessions)
      .where(eq(insightTopicSessions.orgId, orgId))
      .orderBy(asc(insightTopicSessions.topicId), asc(insightTopicSessions.sessionId))
      .all(),
    clusters: await db.select().from(insightSearchClusters).where(eq(insightSearchClusters.orgId, orgId)).orderBy(asc(insightSearchClusters.key)).all(),
    misses: await db.select().from(insightSearchMisses).where(eq(insightSearchMisses.orgId, orgId)).orderBy(asc(insightSearchMisses.eventId)).all(),
    toolDays: await storedToolDays(orgId),
  };
}

/** Five sessions in hour H, one of each kind. */
async function fiveSessions(orgId: string) {
  await insert(orgId, [
    // clean: 0
    { sessionId: "clean", type: "session_start", at: H + 1000, intent: "List invoices" },
    { sessionId: "clean", type: "tool_call", at: H + 2000, toolName: "list_invoices", data: { arguments: { page: 1 } }, intent: "List invoices" },
    { sessionId: "clean", type: "session_end", at: H + 3000 },
    // frustrated: 2 errors (0.4) + 1 retry with changed arguments (0.1) + ended after error (0.25) = 0.75
    { sessionId: "frustrated", type: "tool_call", at: H + 10_000, toolName: "create_invoice", isError: true, data: { arguments: { amount: "1" } } },
    { sessionId: "frustrated", type: "tool_call", at: H + 11_000, toolName: "create_invoice", isError: true, data: { arguments: { amount: 1 } } },
    { sessionId: "frustrated", type: "session_end", at: H + 12_000 },
    // repeat: the same intent comes back after another one; 0
    { sessionId: "repeat", type: "session_start", at: H + 20_000, intent: "Export invoices" },
    { sessionId: "repeat", type: "tool_call", at: H + 21_000, toolName: "check_status", intent: "check status" },
    { sessionId: "repeat", type: "tool_call", at: H + 22_000, toolName: "export", intent: "export the invoice" },
    // searches: 2 failed searches (0.3), one query twice → repeat
    { sessionId: "searches", type: "search", at: H + 30_000, query: "Refund policy", resultCount: 0 },
    { sessionId: "searches", type: "search", at: H + 31_000, query: "refund  policy?", resultCount: null, isError: true },
    { sessionId: "searches", type: "search", at: H + 32_000, query: "invoices", resultCount: 4 },
    // negative feedback: 0.5, flagged and high_frustration; no source
    { sessionId: "negative", type: "feedback", at: H + 40_000, rating: "negative", data: { comment: "wrong" }, mcpServerId: null },
  ]);
}

describe("rollupSessions", () => {
  it("stores the sessions, buckets, topics and clusters of five kinds of sessions as computed by hand", async () => {
    const org = await createOrg();
    await fiveSessions(org.id);
    await rollupSessions(ctx(), org.id, ["clean", "frustrated", "repeat", "searches", "negative"]);

    const clean = await sessionRow(org.id, "clean");
    expect(clean).toMatchObject({
      mcpServerId: SRC,
      clientName: "claude-desktop",
      clientVersion: "1.0",
      startedAt: new Date(H + 1000),
      lastEventAt: new Date(H + 3000),
      events: 3,
      toolCalls: 1,
      toolErrors: 0,
      searches: 0,
      failedSearches: 0,
      negativeFeedback: 0,
      frustration: 0,
      updatedAt: NOW,
    });
    expect(clean!.summary).toMatchObject({ intents: ["List invoices"], views: [], topicKeys: ["invoic list"] });

    const frustrated = await sessionRow(org.id, "frustrated");
    expect(frustrated).toMatchObject({ toolCalls: 2, toolErrors: 2, frustration: 0.75 });
    expect(frustrated!.summary).toMatchObject({
      signals: { erroredToolCalls: 2, retriedWithChangedArguments: 1, failedSearches: 0, negativeFeedback: 0, endedAfterError: 1 },
      views: ["high_frustration", "flagged"],
    });

    const repeat = await sessionRow(org.id, "repeat");
    expect(repeat!.frustration).toBe(0);
    expect(repeat!.summary).toMatchObject({ views: ["repeat"], topicKeys: ["export invoic", "check status"] });

    const searches = await sessionRow(org.id, "searches");
    expect(searches).toMatchObject({ searches: 3, failedSearches: 2, frustration: 0.3 });
    expect(searches!.summary).toMatchObject({ failedQueries: ["Refund policy", "refund  policy?"], clusterKeys: ["refund policy"], views: ["repeat"] });

    const negative = await sessionRow(org.id, "negative");
    expect(negative).toMatchObject({ mcpServerId: null, negativeFeedback: 1, frustration: 0.5 });
    expect(negative!.summary).toMatchObject({ views: ["high_frustration", "flagged"] });

    const s = await snapshot(org.id);
    expect(s.buckets.map(({ orgId: _, ...b }) => b)).toEqual([
      { mcpServerId: "", bucketStart: new Date(H), sessions: 1, toolCalls: 0, toolErrors: 0, searches: 0, failedSearches: 0, frustrationSum: 0.5 },
      { mcpServerId: SRC, bucketStart: new Date(H), sessions: 4, toolCalls: 5, toolErrors: 2, searches: 3, failedSearches: 2, frustrationSum: 1.05 },
    ]);
    expect(s.topics.map((t) => [t.key, t.label, t.isUnmetDemand, t.archived])).toEqual([
      ["check status", "check status", false, false],
      ["export invoic", "Export invoices", false, false],
      ["invoic list", "List invoices", false, false],
    ]);
    const topicId = (key: string) => s.topics.find((t) => t.key === key)!.id;
    expect(s.topicSessions.filter((l) => l.topicId === topicId("export invoic")).map((l) => [l.sessionId, l.startedAt, l.frustration])).toEqual([
      ["repeat", new Date(H + 20_000), 0],
    ]);
    expect(s.topicSessions).toHaveLength(3);
    expect(s.clusters.map((c) => [c.mcpServerId, c.key, c.query])).toEqual([[SRC, "refund policy", "Refund policy"]]);
    expect(s.misses.map((m) => [m.clusterId, m.sessionId, m.occurredAt])).toEqual([
      [s.clusters[0]!.id, "searches", new Date(H + 30_000)],
      [s.clusters[0]!.id, "searches", new Date(H + 31_000)],
    ]);
  });

  it("changes nothing when run twice, or twice at once", async () => {
    const org = await createOrg();
    await fiveSessions(org.id);
    const ids = ["clean", "frustrated", "repeat", "searches", "negative"];
    await rollupSessions(ctx(), org.id, ids);
    const first = await snapshot(org.id);
    await rollupSessions(ctx(), org.id, ids);
    expect(await snapshot(org.id)).toEqual(first);
    await Promise.all([rollupSessions(ctx(), org.id, ids), rollupSessions(ctx(), org.id, [...ids].reverse())]);
    expect(await snapshot(org.id)).toEqual(first);
  });

  it("updates a session's row and buckets with its new events, also when its start moves to another hour", async () => {
    const org = await createOrg();
    await insert(org.id, [
      { sessionId: "a", type: "tool_call", at: H + 5000, toolName: "t" },
      { sessionId: "b", type: "tool_call", at: H + 6000, toolName: "t" },
    ]);
    await rollupSessions(ctx(), org.id, ["a", "b"]);
    expect((await snapshot(org.id)).buckets).toMatchObject([{ bucketStart: new Date(H), sessions: 2, toolCalls: 2, toolErrors: 0 }]);

    await insert(org.id, [{ sessionId: "a", type: "tool_call", at: H + 7000, toolName: "t", isError: true }]);
    await rollupSessions(ctx(), org.id, ["a"]);
    expect(await sessionRow(org.id, "a")).toMatchObject({ events: 2, toolCalls: 2, toolErrors: 1, frustration: 0.2, lastEventAt: new Date(H + 7000) });
    expect((await snapshot(org.id)).buckets).toMatchObject([{ bucketStart: new Date(H), sessions: 2, toolCalls: 3, toolErrors: 1, frustrationSum: 0.2 }]);

    // A late event from before: session b now starts in the previous hour; its old bucket loses it.
    await insert(org.id, [{ sessionId: "b", type: "session_start", at: H - 60_000 }]);
    await rollupSessions(ctx(), org.id, ["b"]);
    const buckets = (await snapshot(org.id)).buckets;
    expect(buckets.map((b) => [b.bucketStart.getTime(), b.sessions, b.toolCalls])).toEqual([
      [H - HOUR, 1, 1],
      [H, 1, 2],
    ]);

    // An hour whose only session moved away has no bucket left.
    await insert(org.id, [{ sessionId: "a", type: "session_start", at: H - 30_000 }]);
    await rollupSessions(ctx(), org.id, ["a"]);
    expect((await snapshot(org.id)).buckets.map((b) => [b.bucketStart.getTime(), b.sessions, b.toolCalls])).toEqual([[H - HOUR, 2, 3]]);
  });

  it("keeps a topic's id, label and flags when new events of it arrive", async () => {
    const org = await createOrg();
    await insert(org.id, [{ sessionId: "a", type: "session_start", at: H, intent: "Export invoices" }]);
    await rollupSessions(ctx(), org.id, ["a"]);
    const [topic] = (await snapshot(org.id)).topics;
    await db.update(insightTopics).set({ label: "Invoice export", isUnmetDemand: true, archived: true }).where(eq(insightTopics.id, topic!.id)).run();

    await insert(org.id, [
      { sessionId: "a", type: "tool_call", at: H + 1000, intent: "exporting invoice", toolName: "x", isError: true },
      { sessionId: "b", type: "session_start", at: H + 2000, intent: "INVOICES: export" },
    ]);
    await rollupSessions(ctx(), org.id, ["a", "b"]);
    const s = await snapshot(org.id);
    expect(s.topics).toEqual([{ ...topic, label: "Invoice export", isUnmetDemand: true, archived: true }]);
    expect(s.topicSessions.map((l) => [l.topicId, l.sessionId, l.frustration])).toEqual([
      [topic!.id, "a", 0.2],
      [topic!.id, "b", 0],
    ]);
  });

  it("replaces a session's topic links when its intents change", async () => {
    const org = await createOrg();
    await insert(org.id, [{ sessionId: "a", type: "session_start", at: H, intent: "Export invoices" }]);
    await rollupSessions(ctx(), org.id, ["a"]);
    await insert(org.id, [{ sessionId: "a", type: "tool_call", at: H + 1000, intent: "Delete user", toolName: "x" }]);
    await rollupSessions(ctx(), org.id, ["a"]);
    const s = await snapshot(org.id);
    expect(s.topics.map((t) => t.key)).toEqual(["delet user", "export invoic"]);
    expect(s.topicSessions).toHaveLength(2);
  });

  it("counts tool days: offered by tools_list, called, errored, per source and day", async () => {
    const org = await createOrg();
    const day = Date.UTC(2026, 0, 10);
    await insert(org.id, [
      { sessionId: "a", type: "tools_list", at: day + 1000, data: { toolNames: ["search", "create", "delete", "search"] } },
      { sessionId: "a", type: "tool_call", at: day + 2000, toolName: "search" },
      { sessionId: "a", type: "tool_call", at: day + 3000, toolName: "search", isError: true },
      { sessionId: "b", type: "tools_list", at: day + 4000, data: { toolNames: ["search", "create", "delete"] } },
      { sessionId: "b", type: "tool_call", at: day + 5000, toolName: "create" },
      // the next day, and another source
      { sessionId: "c", type: "tool_call", at: day + DAY + 1000, toolName: "search" },
      { sessionId: "d", type: "tool_call", at: day + 1000, toolName: "search", mcpServerId: null },
    ]);
    await rollupSessions(ctx(), org.id, ["a", "b", "c", "d"]);
    const rows = (await snapshot(org.id)).toolDays.map((r) => [r.mcpServerId, r.toolName, r.day.getTime(), r.offered, r.calls, r.errors]);
    expect(rows).toEqual([
      ["", "search", day, 0, 1, 0],
      [SRC, "create", day, 2, 1, 0],
      [SRC, "delete", day, 2, 0, 0],
      [SRC, "search", day, 2, 2, 1],
      [SRC, "search", day + DAY, 0, 1, 0],
    ]);

    // A later session's calls add to that day's counts.
    await insert(org.id, [{ sessionId: "e", type: "tool_call", at: day + 9000, toolName: "delete" }]);
    await rollupSessions(ctx(), org.id, ["e"]);
    const del = (await snapshot(org.id)).toolDays.find((r) => r.toolName === "delete")!;
    expect([del.offered, del.calls]).toEqual([2, 1]);
  });

  it("keeps tool days from the sessions' shares: re-rolled sessions count once, pruned events still count, many tools fit", async () => {
    const org = await createOrg();
    const day = Date.UTC(2026, 0, 10);
    const many = Array.from({ length: 40 }, (_, i) => `tool_${String(i).padStart(2, "0")}`);
    await insert(org.id, [
      { sessionId: "a", type: "tools_list", at: day + 1000, data: { toolNames: many } },
      { sessionId: "a", type: "tool_call", at: day + 2000, toolName: "tool_00", isError: true },
    ]);
    await rollupSessions(ctx(), org.id, ["a"]);
    await rollupSessions(ctx(), org.id, ["a"]);
    let rows = (await snapshot(org.id)).toolDays;
    expect(rows).toHaveLength(40);
    expect(rows.every((r) => r.offered === 1)).toBe(true);
    expect(rows.find((r) => r.toolName === "tool_00")).toMatchObject({ calls: 1, errors: 1 });

    // The session grows in a second request: its share is replaced, not added to.
    await insert(org.id, [{ sessionId: "a", type: "tool_call", at: day + 3000, toolName: "tool_00" }]);
    await rollupSessions(ctx(), org.id, ["a"]);
    expect((await snapshot(org.id)).toolDays.find((r) => r.toolName === "tool_00")).toMatchObject({ offered: 1, calls: 2, errors: 1 });

    // Once the raw events of the day are gone, a late session of that day adds to the day without losing the rest.
    await db.delete(insightEvents).where(eq(insightEvents.orgId, org.id)).run();
    await insert(org.id, [{ sessionId: "late", type: "tool_call", at: day + 9000, toolName: "tool_00" }]);
    await rollupSessions(ctx(), org.id, ["late"]);
    rows = (await snapshot(org.id)).toolDays;
    expect(rows).toHaveLength(40);
    expect(rows.find((r) => r.toolName === "tool_00")).toMatchObject({ offered: 1, calls: 3, errors: 1 });
  });

  it("migration 0003's backfill gives the same session shares as the rollup", async () => {
    const org = await createOrg();
    const day = Date.UTC(2026, 0, 10);
    await insert(org.id, [
      { sessionId: "a", type: "tools_list", at: day + 1000, data: { toolNames: ["search", "create", "search", ""] } },
      { sessionId: "a", type: "tool_call", at: day + 2000, toolName: "search", isError: true },
      { sessionId: "a", type: "tool_call", at: day + DAY + 2000, toolName: "search" },
      { sessionId: "b", type: "tool_call", at: day + 5000, toolName: "create", mcpServerId: null },
    ]);
    await rollupSessions(ctx(), org.id, ["a", "b"]);
    const shares = () =>
      db
        .select()
        .from(insightSessionTools)
        .where(eq(insightSessionTools.orgId, org.id))
        .orderBy(asc(insightSessionTools.sessionId), asc(insightSessionTools.day), asc(insightSessionTools.mcpServerId), asc(insightSessionTools.toolName))
        .all();
    const fromRollup = await shares();
    expect(fromRollup).toHaveLength(4);
    await db.delete(insightSessionTools).where(eq(insightSessionTools.orgId, org.id)).run();
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0003_"))!;
    const backfill = migration.queries.find((q) => q.includes("INSERT INTO `insight_session_tools`"))!;
    await env.DB.prepare(backfill.replace(/;\s*$/, "").concat(" ON CONFLICT DO NOTHING")).run();
    expect(await shares()).toEqual(fromRollup);
  });

  it("does nothing for unknown sessions or an empty list, and keeps organizations apart", async () => {
    const org = await createOrg();
    const other = await createOrg();
    await insert(other.id, [{ sessionId: "a", type: "tool_call", at: H, toolName: "t" }]);
    await rollupSessions(ctx(), org.id, []);
    await rollupSessions(ctx(), org.id, ["a", "nope"]);
    expect(await snapshot(org.id)).toMatchObject({ sessions: [], buckets: [], toolDays: [] });
  });
});

describe("rollupSessions at scale", () => {
  it("stores every miss of a session with more failed searches than one statement binds", async () => {
    const org = await createOrg();
    const n = 120;
    await insert(
      org.id,
      Array.from({ length: n }, (_, i) => ({ sessionId: "big", type: "search" as const, at: H + i * 1000, query: i % 2 ? "Refund!" : "refund", resultCount: 0 })),
    );
    await rollupSessions(ctx(), org.id, ["big"]);
    await rollupSessions(ctx(), org.id, ["big"]);
    const s = await snapshot(org.id);
    expect(s.clusters.map((c) => [c.key, c.query])).toEqual([["refund", "refund"]]);
    expect(s.misses).toHaveLength(n);
    expect(s.sessions[0]).toMatchObject({ searches: n, failedSearches: n, frustration: 0.45 });
  });
});

describe("pruneInsightEvents", () => {
  it("runs in the scheduled sweep", async () => {
    const org = await createOrg();
    const now = Date.UTC(2032, 0, 1);
    await insert(org.id, [
      { sessionId: "s", type: "log", at: now - INSIGHT_EVENT_RETENTION_MS - 60_000 },
      { sessionId: "s", type: "log", at: now - INSIGHT_EVENT_RETENTION_MS + 60_000 },
    ]);
    await runSweep(testContext({ now: new Date(now) }));
    const left = await db.select({ at: insightEvents.occurredAt }).from(insightEvents).where(eq(insightEvents.orgId, org.id)).all();
    expect(left).toEqual([{ at: new Date(now - INSIGHT_EVENT_RETENTION_MS + 60_000) }]);
  });

  it("deletes raw events past the retention and keeps the aggregates", async () => {
    const org = await createOrg();
    const now = Date.UTC(2031, 5, 1);
    const old = now - INSIGHT_EVENT_RETENTION_MS - 1000;
    await insert(org.id, [
      { sessionId: "old", type: "tool_call", at: old, toolName: "t" },
      { sessionId: "new", type: "tool_call", at: now - 1000, toolName: "t" },
    ]);
    await rollupSessions(ctx(), org.id, ["old", "new"]);
    await pruneInsightEvents(ctx(), new Date(now - INSIGHT_EVENT_RETENTION_MS));
    const left = await db.select({ sessionId: insightEvents.sessionId }).from(insightEvents).where(eq(insightEvents.orgId, org.id)).all();
    expect(left).toEqual([{ sessionId: "new" }]);
    expect((await snapshot(org.id)).sessions.map((s) => s.id)).toEqual(["new", "old"]);
  });
});
