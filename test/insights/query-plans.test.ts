/**
 * The plans of the insights reads' real statements (recorded from the functions, then EXPLAIN QUERY PLAN on the test
 * D1): no read scans a whole table or index, the 7d-90d overview reads no per-session row but the misses of the 5
 * clusters it answers, from the index alone, and the window reads of 24h use the time-ordered indexes (migration
 * 0006, docs/insights.md "The overview at volume").
 */
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client";
import * as schema from "../../src/db/schema";
import { getOverview, getSearch, getTopic, listSearches, listTopics } from "../../src/insights/queries";
import { recomputeStatements, rollupSessions } from "../../src/insights/rollup";
import { createOrg, testContext } from "../helpers";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const D = Date.UTC(2026, 0, 10);
const NOW = new Date(D + 3 * DAY + 5 * HOUR);

interface Recorded {
  sql: string;
  params: unknown[];
  /** The D1 call (round trip) it was sent in, counted from 0. */
  trip?: number;
}

/** A D1 binding that records every statement run through it (batches included), for EXPLAIN afterwards. */
function recordingD1(d1: D1Database, log: Recorded[]): D1Database {
  const real = new WeakMap<object, { stmt: D1PreparedStatement; sql: string; params: unknown[] }>();
  let trips = 0;
  const wrap = (stmt: D1PreparedStatement, sql: string, params: unknown[]): D1PreparedStatement => {
    const proxy: D1PreparedStatement = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...p: unknown[]) => wrap(target.bind(...p), sql, p);
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== "function") return value;
        if (prop === "all" || prop === "raw" || prop === "first" || prop === "run") log.push({ sql, params, trip: trips++ });
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    real.set(proxy, { stmt, sql, params });
    return proxy;
  };
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql, []);
      if (prop === "batch")
        return (stmts: D1PreparedStatement[]) => {
          const trip = trips++;
          return target.batch(
            stmts.map((s) => {
              const r = real.get(s)!;
              log.push({ sql: r.sql, params: r.params, trip });
              return r.stmt;
            }),
          );
        };
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function plan(s: Recorded): Promise<string[]> {
  const res = await env.DB.prepare(`EXPLAIN QUERY PLAN ${s.sql}`)
    .bind(...s.params)
    .all<{ detail: string }>();
  return res.results.map((r) => r.detail);
}

/** Every statement `read` runs, with its plan. */
async function plans(read: (db: Database) => Promise<unknown>) {
  const log: Recorded[] = [];
  await read(drizzle(recordingD1(env.DB, log), { schema }) as unknown as Database);
  expect(log.length).toBeGreaterThan(0);
  return Promise.all(log.map(async (s) => ({ sql: s.sql, plan: await plan(s) })));
}

/**
 * Full scans: of a table or an index (SQLite says SCAN), or of all of an organization's rows of a per-session table
 * (a SEARCH on org_id alone reads every link, miss or session the organization ever had). The hour buckets and tool
 * days are read by org_id alone (their keys lead with the source): rows bounded by hours × sources, not by volume.
 */
const scans = (p: string[]) =>
  p.filter((line) => /^SCAN /.test(line) || /^SEARCH (insight_search_misses|insight_topic_sessions|insight_sessions|[lm]) USING (COVERING )?INDEX \w+ \(org_id=\?\)$/.test(line));
const reads = (table: string) => (s: { sql: string }) => s.sql.includes(`"${table}"`) || new RegExp(`\\b${table}\\b`).test(s.sql);

async function seed(orgId: string) {
  let seq = 0;
  const events: Array<Partial<typeof schema.insightEvents.$inferInsert> & { sessionId: string; type: "session_start" | "search"; at: number }> = [
    { sessionId: "a", type: "session_start", at: D + 10 * HOUR, intent: "Refund policy" },
    { sessionId: "a", type: "search", at: D + 10 * HOUR + 1000, query: "refund policy", resultCount: 0 },
    { sessionId: "b", type: "session_start", at: NOW.getTime() - 2 * HOUR, intent: "pricing tiers" },
    { sessionId: "b", type: "search", at: NOW.getTime() - 2 * HOUR + 1000, query: "pricing", resultCount: 0 },
    { sessionId: "c", type: "session_start", at: D - 5 * DAY, intent: "Refund policy" },
    { sessionId: "c", type: "search", at: D - 5 * DAY + 1000, query: "refund policy", resultCount: 0 },
  ];
  for (const { at, ...e } of events) {
    await env.DB.prepare(
      `INSERT INTO insight_events (org_id, id, session_id, type, occurred_at, ingested_at, intent, query, result_count, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')`,
    )
      .bind(orgId, `qp-${seq++}`, e.sessionId, e.type, at, at, e.intent ?? null, e.query ?? null, e.resultCount ?? null)
      .run();
  }
  await rollupSessions(testContext({ now: NOW }), orgId, ["a", "b", "c"]);
}

describe("insights query plans", () => {
  it("migration 0006 replaced the misses' cluster index by one carrying session_id, and added the time and session indexes", async () => {
    const columns = async (index: string) =>
      (await env.DB.prepare(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`).bind(index).all<{ name: string }>()).results.map((r) => r.name);
    expect(await columns("insight_search_misses_cluster_session_idx")).toEqual(["org_id", "cluster_id", "occurred_at", "session_id"]);
    expect(await columns("insight_search_misses_occurred_idx")).toEqual(["org_id", "occurred_at", "cluster_id", "session_id"]);
    expect(await columns("insight_search_misses_session_idx")).toEqual(["org_id", "session_id", "cluster_id"]);
    expect(await columns("insight_topic_sessions_started_idx")).toEqual(["org_id", "started_at", "topic_id", "frustration"]);
    expect(await columns("insight_search_misses_cluster_idx")).toEqual([]);
  });

  it("the rollup's writes read their rows by key: no statement scans or reads all of an organization's rows (migration 0007)", async () => {
    const org = await createOrg();
    await seed(org.id);
    // A second rollup of the same sessions, with one more event each (one moves session "a" a day earlier), recorded.
    for (const [sessionId, at] of [["a", D - DAY], ["b", NOW.getTime() - HOUR], ["c", D - 5 * DAY + 2000]] as const) {
      await env.DB.prepare(`INSERT INTO insight_events (org_id, id, session_id, type, occurred_at, ingested_at, tool_name, data) VALUES (?, ?, ?, 'tool_call', ?, ?, 'export', '{}')`)
        .bind(org.id, `qp-more-${sessionId}`, sessionId, at, at)
        .run();
    }
    const log: Recorded[] = [];
    const recorded = recordingD1(env.DB, log);
    await rollupSessions(testContext({ now: NOW, env: { ...env, DB: recorded } }), org.id, ["a", "b", "c"]);
    const statements = await Promise.all(log.map(async (s) => ({ sql: s.sql, plan: await plan(s) })));
    expect(statements.filter((s) => /^\s*(UPDATE|DELETE|INSERT)/.test(s.sql)).length).toBeGreaterThan(20);
    if (process.env.SHOW_PLANS) for (const s of statements) console.log(s.sql.replace(/\s+/g, " ").slice(0, 160), "\n   ", s.plan.join("\n    "));
    // Scanning the statement's own VALUES rows is reading its input, not the tables.
    const input = (line: string) => line === "SCAN CONSTANT ROW" || line === "SCAN v";
    for (const s of statements) expect(scans(s.plan.filter((l) => !input(l))), s.sql).toEqual([]);
    // The links of one session are found by session (the index of migration 0007), not among all of the organization's.
    const byLinks = statements.filter((s) => /FROM insight_topic_sessions WHERE org_id = \? AND session_id = \?/.test(s.sql));
    expect(byLinks.length).toBeGreaterThan(0);
    for (const s of byLinks) expect(s.plan.join("\n")).toContain("insight_topic_sessions_session_idx (org_id=? AND session_id=?)");
  });

  it("the 7d-90d overview reads day aggregates, and the 5 clusters' misses from the index alone; nothing is scanned", async () => {
    const org = await createOrg();
    await seed(org.id);
    for (const range of ["7d", "30d", "90d"] as const) {
      const statements = await plans((db) => getOverview(db, org.id, range, NOW));
      for (const s of statements) expect(scans(s.plan), s.sql).toEqual([]);
      // No per-session row but the misses (insight_sessions_days and insight_topic_days are other tables).
      expect(statements.filter((s) => /"insight_sessions"|"insight_topic_sessions"/.test(s.sql))).toEqual([]);
      // The trend from one row per day of its two windows (migration 0008), not every hour and source.
      const trend = statements.filter((s) => s.sql.includes(`from "insight_bucket_days"`));
      expect(trend, range).toHaveLength(1);
      expect(trend[0]!.plan).toEqual(["SEARCH insight_bucket_days USING INDEX sqlite_autoindex_insight_bucket_days_1 (org_id=? AND day>? AND day<?)", "USE TEMP B-TREE FOR GROUP BY"]);
      expect(statements.filter(reads("insight_buckets"))).toEqual([]);
      // The unused tools from the tool days of the window only (migration 0008), not every day the organization had.
      const toolDays = statements.filter(reads("insight_tool_days"));
      expect(toolDays, range).toHaveLength(1);
      expect(toolDays[0]!.plan).toContain("SEARCH insight_tool_days USING COVERING INDEX insight_tool_days_day_idx (org_id=? AND day>? AND day<?)");
      const misses = statements.filter(reads("insight_search_misses"));
      expect(misses.length).toBeGreaterThan(0);
      for (const s of misses) {
        expect(s.plan).toContain(
          "SEARCH insight_search_misses USING COVERING INDEX insight_search_misses_cluster_session_idx (org_id=? AND cluster_id=? AND occurred_at>? AND occurred_at<?)",
        );
      }
    }
  });

  it("the overview is one D1 batch, plus one for the distinct sessions of its clusters (7d-90d)", async () => {
    const org = await createOrg();
    await seed(org.id);
    for (const range of ["24h", "7d", "90d"] as const) {
      const log: Recorded[] = [];
      const o = await getOverview(drizzle(recordingD1(env.DB, log), { schema }) as unknown as Database, org.id, range, NOW);
      const trips = [...new Set(log.map((s) => s.trip))];
      const first = log.filter((s) => s.trip === 0);
      expect(first.map((s) => s.sql.match(/from "(\w+)"/)?.[1]), range).toEqual([
        range === "24h" ? "insight_buckets" : "insight_bucket_days",
        range === "24h" ? "insight_topic_sessions" : "insight_topic_days",
        range === "24h" ? "insight_sessions" : "insight_session_days",
        "insight_tool_days",
        "insight_topics",
        range === "24h" ? "insight_search_misses" : "insight_cluster_days",
      ]);
      if (range === "24h") expect(trips, range).toEqual([0]);
      else {
        expect(o.topFailedSearches.length, range).toBeGreaterThan(0);
        expect(trips, range).toEqual([0, 1]);
        const second = log.filter((s) => s.trip === 1);
        expect(second, range).toHaveLength(o.topFailedSearches.length);
        for (const s of second) expect(s.sql).toContain(`count(distinct "session_id")`);
      }
    }
  });

  it("the 24h overview and topics read only their window's links and misses, through the time-ordered indexes", async () => {
    const org = await createOrg();
    await seed(org.id);
    const statements = [
      ...(await plans((db) => getOverview(db, org.id, "24h", NOW))),
      ...(await plans((db) => listTopics(db, org.id, { range: "24h", sort: "volume", limit: 25 }, NOW))),
      ...(await plans((db) => listSearches(db, org.id, { range: "24h", limit: 25 }, NOW))),
    ];
    for (const s of statements) expect(scans(s.plan), s.sql).toEqual([]);
    const links = statements.filter((s) => s.sql.includes(`from "insight_topic_sessions"`) || s.sql.includes(`join "insight_topic_sessions"`));
    expect(links.length).toBeGreaterThanOrEqual(3); // unmet demand, top topics, the topic list
    for (const s of links) {
      expect(s.plan).toContain("SEARCH insight_topic_sessions USING COVERING INDEX insight_topic_sessions_started_idx (org_id=? AND started_at>? AND started_at<?)");
    }
    const windowMisses = statements.filter((s) => s.sql.includes(`from "insight_search_misses" inner join`));
    expect(windowMisses.length).toBe(2); // the overview's and the list's top clusters
    for (const s of windowMisses) {
      expect(s.plan).toContain("SEARCH insight_search_misses USING COVERING INDEX insight_search_misses_occurred_idx (org_id=? AND occurred_at>? AND occurred_at<?)");
    }
  });

  it("every other read of the misses is served by the new cluster index (nothing that used the old one scans)", async () => {
    const org = await createOrg();
    await seed(org.id);
    const plain = drizzle(env.DB, { schema }) as unknown as Database;
    const clusterId = (await listSearches(plain, org.id, { range: "7d", limit: 5 }, NOW)).searches[0]!.id;
    const topicId = (await listTopics(plain, org.id, { range: "7d", sort: "volume", limit: 5 }, NOW)).topics[0]!.id;
    const statements = [
      ...(await plans((db) => listSearches(db, org.id, { range: "30d", limit: 25 }, NOW))),
      ...(await plans((db) => getSearch(db, org.id, clusterId, "7d", NOW))),
      ...(await plans((db) => getTopic(db, org.id, topicId, "7d", NOW))),
    ].filter(reads("insight_search_misses"));
    // The cluster days the sweep rebuilds (prepared on the binding, not through drizzle): run it recorded.
    const rebuildLog: Recorded[] = [];
    const recorded = recordingD1(env.DB, rebuildLog);
    await recorded.batch(recomputeStatements(recorded, org.id, D, D + DAY, ["clusterDays"]));
    const rebuild = rebuildLog.filter((s) => s.sql.includes("insight_search_misses"));
    expect(rebuild).toHaveLength(1);
    const all = [...statements, { sql: rebuild[0]!.sql, plan: await plan(rebuild[0]!) }];
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const s of all) {
      expect(scans(s.plan), s.sql).toEqual([]);
      const onMisses = s.plan.filter((l) => l.includes("insight_search_misses"));
      expect(onMisses.length, s.sql).toBeGreaterThan(0);
      for (const l of onMisses) expect(l, s.sql).toMatch(/^SEARCH \w+ USING COVERING INDEX insight_search_misses_(cluster_session_idx \(org_id=\? AND cluster_id=\?|session_idx \(org_id=\? AND session_id=\?|occurred_idx \(org_id=\? AND occurred_at>\? AND occurred_at<\?)/);
    }
    // The topic's related searches: its sessions' misses, one indexed lookup per session.
    expect(all.some((s) => s.plan.some((l) => l.includes("USING COVERING INDEX insight_search_misses_session_idx (org_id=? AND session_id=?)")))).toBe(true);
  });
});
