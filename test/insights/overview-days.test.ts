/**
 * The day aggregates the overview reads (topic days, cluster days, session days): each equal to the same figure
 * computed from the per-session rows, after rollups that move sessions between days, and the overview equal to
 * the per-session reads (listTopics, listSearches). Also migration 0005's backfill against the rollup.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { insightBucketDays, insightClusterDays, insightEvents, insightSessionDays, insightTopicDays } from "../../src/db/schema";
import { getOverview, getTopic, listSearches, listTopics, updateTopic } from "../../src/insights/queries";
import { rollupSessions } from "../../src/insights/rollup";
import { createOrg, db, testContext } from "../helpers";
import { eq } from "drizzle-orm";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** A day boundary; NOW is 3 days later, so the 7d window is D-3 .. D+4 and the previous one D-10 .. D-3. */
const D = Date.UTC(2026, 0, 10);
const NOW = new Date(D + 3 * DAY + 5 * HOUR);
const ctx = () => testContext({ now: NOW });

type NewEvent = Partial<typeof insightEvents.$inferInsert> & { sessionId: string; type: (typeof insightEvents.$inferInsert)["type"]; at: number };
let seq = 0;
async function insert(orgId: string, events: NewEvent[]) {
  for (const { at, ...e } of events) {
    await db
      .insert(insightEvents)
      .values({ orgId, id: `od-${(seq++).toString().padStart(6, "0")}`, occurredAt: new Date(at), ingestedAt: new Date(at), mcpServerId: null, data: {}, ...e })
      .run();
  }
}

const all = async <T>(query: string, ...binds: unknown[]) => (await env.DB.prepare(query).bind(...binds).all<T>()).results;

/** The day aggregates as stored, and as computed from the per-session rows (the same column names and order). */
async function days(orgId: string) {
  const stored = {
    topicDays: await all(`SELECT topic_id, day, sessions, frustration_sum FROM insight_topic_days WHERE org_id = ? ORDER BY topic_id, day`, orgId),
    clusterDays: await all(`SELECT cluster_id, day, misses, first_seen, last_seen FROM insight_cluster_days WHERE org_id = ? ORDER BY cluster_id, day`, orgId),
    sessionDays: await all(`SELECT day, updated_at FROM insight_session_days WHERE org_id = ? ORDER BY day`, orgId),
  };
  const computed = {
    topicDays: await all(
      `SELECT topic_id, (started_at / ${DAY}) * ${DAY} AS day, count(*) AS sessions, sum(frustration) AS frustration_sum FROM insight_topic_sessions
       WHERE org_id = ? GROUP BY topic_id, day ORDER BY topic_id, day`,
      orgId,
    ),
    clusterDays: await all(
      `SELECT cluster_id, (occurred_at / ${DAY}) * ${DAY} AS day, count(*) AS misses, min(occurred_at) AS first_seen, max(occurred_at) AS last_seen
       FROM insight_search_misses WHERE org_id = ? GROUP BY cluster_id, day ORDER BY cluster_id, day`,
      orgId,
    ),
    sessionDays: await all(
      `SELECT (started_at / ${DAY}) * ${DAY} AS day, max(updated_at) AS updated_at FROM insight_sessions WHERE org_id = ? GROUP BY day ORDER BY day`,
      orgId,
    ),
  };
  return { stored, computed };
}

async function seed(orgId: string) {
  const miss = (sessionId: string, at: number, query: string) => ({ sessionId, type: "search" as const, at, query, resultCount: 0 });
  await insert(orgId, [
    { sessionId: "a", type: "session_start", at: D + 10 * HOUR, intent: "Refund policy" },
    miss("a", D + 10 * HOUR + 1000, "refund policy"),
    miss("a", D + DAY + 1000, "refund policy"), // the next day, same session
    { sessionId: "f", type: "session_start", at: D + 11 * HOUR, intent: "refund policy!" }, // a's topic and day: a topic day of 2 sessions
    { sessionId: "b", type: "session_start", at: D + DAY + 2 * HOUR, intent: "refund policy" },
    miss("b", D + DAY + 2 * HOUR + 1000, "Refund Policy"),
    { sessionId: "b", type: "tool_call", at: D + DAY + 2 * HOUR + 2000, toolName: "t", isError: true },
    { sessionId: "c", type: "session_start", at: D - 5 * DAY, intent: "Pricing tiers" }, // previous window
    miss("c", D - 5 * DAY + 1000, "pricing"),
    { sessionId: "d", type: "session_start", at: D + 2 * DAY, intent: "pricing tiers" },
    { sessionId: "e", type: "session_start", at: D + 2 * DAY + HOUR, intent: "invoices" },
    miss("e", D + 2 * DAY + HOUR + 1000, "pricing"),
    miss("e", D + 2 * DAY + HOUR + 2000, "invoice pdf"),
  ]);
  await rollupSessions(ctx(), orgId, ["a", "b", "c", "d", "e", "f"]);
}

/** The overview's top failed searches as listSearches (from the misses) answers them. */
const fromMisses = (s: Awaited<ReturnType<typeof listSearches>>["searches"]) =>
  s.map(({ id, query, mcpServerId, count, sessions, firstSeen, lastSeen }) => ({ id, query, mcpServerId, count, sessions, firstSeen, lastSeen }));

describe("the overview's day aggregates", () => {
  it("equal the per-session computation after rollups, also when a session's start moves to another day", async () => {
    const org = await createOrg();
    await seed(org.id);
    let d = await days(org.id);
    expect(d.stored.topicDays.length).toBeGreaterThan(2);
    expect(d.stored.clusterDays.length).toBeGreaterThan(3);
    expect(d.stored).toEqual(d.computed);

    // Session "a" now starts four days earlier (previous window) with another intent; "b" gets a late miss.
    await insert(org.id, [
      { sessionId: "a", type: "session_start", at: D - 4 * DAY, intent: "invoices" },
      { sessionId: "b", type: "search", at: D + 3 * DAY, query: "refund policy", resultCount: 0 },
    ]);
    await rollupSessions(testContext({ now: new Date(NOW.getTime() + 60_000) }), org.id, ["a", "b"]);
    d = await days(org.id);
    expect(d.stored).toEqual(d.computed);
    // Rolled up twice: nothing changes.
    await rollupSessions(testContext({ now: new Date(NOW.getTime() + 60_000) }), org.id, ["a", "b"]);
    expect((await days(org.id)).stored).toEqual(d.stored);
  });

  it("answer the overview as the per-session reads do (top topics, top failed searches, unmet demand, asOf)", async () => {
    const org = await createOrg();
    await seed(org.id);
    const topics = await listTopics(db, org.id, { range: "7d", sort: "volume", limit: 100 }, NOW);
    for (const t of topics.topics.filter((t) => t.label.toLowerCase() !== "invoices")) await updateTopic(db, org.id, t.id, { is_unmet_demand: true }, NOW);

    for (const range of ["7d", "30d", "90d", "24h"] as const) {
      const o = await getOverview(db, org.id, range, NOW);
      const listed = await listTopics(db, org.id, { range, sort: "volume", limit: 5 }, NOW);
      expect(o.topTopics).toEqual(listed.topics);
      expect(o.topFailedSearches).toEqual(fromMisses((await listSearches(db, org.id, { range, limit: 5 }, NOW)).searches));
      // Unmet demand and asOf from the per-session rows of both windows.
      const w = { start: Date.parse(o.from), end: Date.parse(o.to) };
      const previousStart = w.start - (w.end - w.start);
      const [unmet] = await all<{ current: number; previous: number }>(
        `SELECT count(DISTINCT CASE WHEN l.started_at >= ? THEN l.topic_id END) AS current, count(DISTINCT CASE WHEN l.started_at < ? THEN l.topic_id END) AS previous
         FROM insight_topic_sessions l JOIN insight_topics t ON t.id = l.topic_id
         WHERE l.org_id = ? AND t.is_unmet_demand = 1 AND t.archived = 0 AND l.started_at >= ? AND l.started_at < ?`,
        w.start, w.start, org.id, previousStart, w.end,
      );
      expect(o.kpis.unmetDemandTopics).toEqual({ value: unmet!.current, previous: unmet!.previous });
      const [fresh] = await all<{ asOf: number | null }>(
        `SELECT max(updated_at) AS asOf FROM insight_sessions WHERE org_id = ? AND started_at >= ? AND started_at < ?`,
        org.id, previousStart, w.end,
      );
      expect(o.asOf).toBe(fresh!.asOf === null ? null : new Date(fresh!.asOf).toISOString());
    }
    const o = await getOverview(db, org.id, "7d", NOW);
    expect(o.topTopics.length).toBeGreaterThan(1);
    expect(o.topFailedSearches.length).toBeGreaterThan(1);
    expect(o.kpis.unmetDemandTopics.value).toBeGreaterThan(0);
    expect(o.kpis.unmetDemandTopics.previous).toBeGreaterThan(0);
  });

  it("GET /topics answers from the topic days exactly what the links give (every range and sort)", async () => {
    const org = await createOrg();
    await seed(org.id);
    // A third session of the refund topic the same day as a and f, with a frustration of its own (an errored call).
    await insert(org.id, [
      { sessionId: "g", type: "session_start", at: D + 12 * HOUR, intent: "refunds policy" },
      { sessionId: "g", type: "tool_call", at: D + 12 * HOUR + 1000, toolName: "t", isError: true },
      { sessionId: "g", type: "tool_call", at: D + 12 * HOUR + 2000, toolName: "t", isError: true },
    ]);
    await rollupSessions(ctx(), org.id, ["g"]);
    // The topic days really sum several sessions (a, f and g share one), so summing them as rows would fail below.
    expect((await days(org.id)).stored.topicDays.some((d) => (d as { sessions: number }).sessions === 3)).toBe(true);
    const archived = (await listTopics(db, org.id, { range: "90d", sort: "volume", limit: 100 }, NOW)).topics.find((t) => t.label === "invoices")!;
    await updateTopic(db, org.id, archived.id, { archived: true }, NOW);
    for (const range of ["7d", "30d", "90d", "24h"] as const) {
      // Every non-archived topic with a session in the window, from the links (SQL written out here).
      const w = await getOverview(db, org.id, range, NOW);
      const start = Date.parse(w.from);
      const end = Date.parse(w.to);
      const fromLinks = await all<{ id: string; label: string; volume: number; previous: number; fsum: number | null }>(
        `SELECT t.id, t.label, sum(l.started_at >= ?) AS volume, sum(l.started_at < ?) AS previous,
                sum(CASE WHEN l.started_at >= ? THEN l.frustration END) AS fsum
         FROM insight_topics t JOIN insight_topic_sessions l ON l.topic_id = t.id AND l.org_id = t.org_id
         WHERE t.org_id = ? AND t.archived = 0 AND l.started_at >= ? AND l.started_at < ? GROUP BY t.id HAVING volume > 0`,
        start, start, start, org.id, start - (end - start), end,
      );
      const expected = fromLinks.map((r) => ({
        id: r.id,
        volume: r.volume,
        previousVolume: r.previous,
        frustration: Math.round((r.fsum ?? 0) * 1000) / (1000 * r.volume),
        trend: r.volume - r.previous,
        label: r.label,
      }));
      const byLabel = (a: (typeof expected)[number], b: (typeof expected)[number]) => (a.label < b.label ? -1 : a.label > b.label ? 1 : a.id < b.id ? -1 : 1);
      const orders = {
        volume: (a: (typeof expected)[number], b: (typeof expected)[number]) => b.volume - a.volume || byLabel(a, b),
        frustration: (a: (typeof expected)[number], b: (typeof expected)[number]) => b.frustration - a.frustration || b.volume - a.volume || byLabel(a, b),
        trend: (a: (typeof expected)[number], b: (typeof expected)[number]) => b.trend - a.trend || b.volume - a.volume || byLabel(a, b),
      };
      for (const sort of ["volume", "frustration", "trend"] as const) {
        const listed = await listTopics(db, org.id, { range, sort, limit: 100 }, NOW);
        const want = [...expected].sort(orders[sort]).map(({ label: _label, ...figures }) => figures);
        expect(listed.topics.map(({ id, volume, previousVolume, frustration, trend }) => ({ id, volume, previousVolume, frustration, trend })), `${range} ${sort}`).toEqual(want);
        // And each topic's figures as its detail (always read from the links) gives them.
        for (const t of listed.topics) {
          const detail = await getTopic(db, org.id, t.id, range, NOW);
          expect({ volume: detail.volume, previousVolume: detail.previousVolume, frustration: detail.frustration, trend: detail.trend }).toEqual({
            volume: t.volume,
            previousVolume: t.previousVolume,
            frustration: t.frustration,
            trend: t.trend,
          });
        }
      }
      if (range !== "24h") {
        const volume = (await listTopics(db, org.id, { range, sort: "volume", limit: 100 }, NOW)).topics;
        expect(volume.length, range).toBeGreaterThan(1);
        expect(volume.some((t) => t.volume >= 3), range).toBe(true);
      }
    }
  });

  it("migration 0008's backfill gives the same bucket days as the rollup", async () => {
    const org = await createOrg();
    await seed(org.id);
    const bucketDays = () => all(`SELECT * FROM insight_bucket_days WHERE org_id = ? ORDER BY day`, org.id);
    const fromRollup = await bucketDays();
    expect(fromRollup.length).toBeGreaterThan(1);
    await db.delete(insightBucketDays).where(eq(insightBucketDays.orgId, org.id)).run();
    expect(await bucketDays()).toEqual([]);
    const backfills = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0008_"))!.queries.filter((q) => q.includes("INSERT INTO"));
    expect(backfills).toHaveLength(1);
    await env.DB.prepare(backfills[0]!.replace(/;\s*$/, "").concat(" ON CONFLICT DO NOTHING")).run();
    expect(await bucketDays()).toEqual(fromRollup);
  });

  it("migration 0005's backfill gives the same day aggregates as the rollup", async () => {
    const org = await createOrg();
    await seed(org.id);
    const fromRollup = (await days(org.id)).stored;
    for (const table of [insightTopicDays, insightClusterDays, insightSessionDays]) await db.delete(table).where(eq(table.orgId, org.id)).run();
    expect((await days(org.id)).stored).toEqual({ topicDays: [], clusterDays: [], sessionDays: [] });
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0005_"))!;
    const backfills = migration.queries.filter((q) => q.includes("INSERT INTO"));
    expect(backfills).toHaveLength(3);
    for (const q of backfills) await env.DB.prepare(q.replace(/;\s*$/, "").concat(" ON CONFLICT DO NOTHING")).run();
    expect((await days(org.id)).stored).toEqual(fromRollup);
  });
});
