import { and, asc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import type { AppContext } from "../context";
import { insightEvents, insightPendingRollups, insightSessions, insightSessionTools, insightTopicSessions } from "../db/schema";
import { chunk } from "../lib/d1";
import { orderEvents, searchKey, summarizeSession, topicKey, topicLabel, type DeriveEvent, type SessionAggregate } from "./derive";

// Keeps the insights aggregates current (docs/insights.md, "What is derived"). Every aggregate is recomputed from
// its sources, never incremented, so a rollup can run twice, late, or concurrently with another and the last one
// to write leaves the same rows as a single run over all events.

/** A session's summary reads at most this many of its events (the first ones, by time); later ones are not read. */
export const MAX_SESSION_EVENTS = 2000;
/** Raw events are kept this long; the aggregates stay (pruneInsightEvents, from the scheduled sweep). */
export const INSIGHT_EVENT_RETENTION_MS = 30 * 24 * 3600_000;
/** Raw events deleted per statement by the pruning, so one sweep stays short; the rest go at the next sweep. */
const PRUNE_BATCH = 5000;
/** Sessions whose events are read in one D1 batch. */
const SESSIONS_PER_READ = 20;
const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
/** D1 binds at most 100 parameters per statement. */
const MAX_PARAMS = 100;
/** Misses per insert statement: 2 parameters each, plus 4. */
const MISSES_PER_INSERT = 45;

type RollupDeps = Pick<AppContext, "db" | "now" | "log">;

const hourOf = (d: Date) => Math.floor(d.getTime() / HOUR_MS) * HOUR_MS;
const dayOf = (d: Date) => Math.floor(d.getTime() / DAY_MS) * DAY_MS;

/**
 * Recomputes the aggregates of these sessions of the organization from their events: the `insight_sessions` rows,
 * the topics and topic links, the failed-search clusters and misses, the hourly buckets the sessions are (or were)
 * in, and the tool days their tool calls and tool lists fall on. Sessions without events are left as they are.
 */
export async function rollupSessions(ctx: RollupDeps, orgId: string, sessionIds: string[], opts: { clearMarksUpTo?: Date } = {}): Promise<void> {
  const ids = [...new Set(sessionIds)];
  if (!ids.length) return;
  const { db } = ctx;
  const d1 = db.$client;
  const now = ctx.now().getTime();

  // 1. Each session's events (the first MAX_SESSION_EVENTS by time), and the rows as they were (their bucket may move).
  const eventsBySession = new Map<string, DeriveEvent[]>();
  const before = new Map<string, { startedAt: Date; mcpServerId: string | null }>();
  const oldShares: Array<{ day: Date; toolName: string }> = [];
  // The topic days to recompute: (topic, day of started_at) of the sessions' links, before and after.
  const topicDays = new Map<string, { topicId: string; day: number }>();
  const addTopicDay = (topicId: string, startedAt: Date) => {
    const day = dayOf(startedAt);
    topicDays.set(`${topicId}|${day}`, { topicId, day });
  };
  // The session days to recompute (asOf): the days the sessions started on, before and after.
  const sessionDays = new Set<number>();
  // The cluster days to recompute: (source, key, day) of the sessions' misses (a miss never moves nor goes).
  const clusterDays = new Map<string, { source: string; key: string; day: number }>();
  const linksOf = (part: string[]) =>
    db
      .selectDistinct({ topicId: insightTopicSessions.topicId, startedAt: insightTopicSessions.startedAt })
      .from(insightTopicSessions)
      .where(and(eq(insightTopicSessions.orgId, orgId), inArray(insightTopicSessions.sessionId, part)));
  for (const part of chunk(ids, SESSIONS_PER_READ)) {
    const [old, shares, links, ...reads] = await db.batch([
      db
        .select({ id: insightSessions.id, startedAt: insightSessions.startedAt, mcpServerId: insightSessions.mcpServerId })
        .from(insightSessions)
        .where(and(eq(insightSessions.orgId, orgId), inArray(insightSessions.id, part))),
      db
        .selectDistinct({ day: insightSessionTools.day, toolName: insightSessionTools.toolName })
        .from(insightSessionTools)
        .where(and(eq(insightSessionTools.orgId, orgId), inArray(insightSessionTools.sessionId, part))),
      linksOf(part),
      ...part.map((sessionId) =>
        db
          .select()
          .from(insightEvents)
          .where(and(eq(insightEvents.orgId, orgId), eq(insightEvents.sessionId, sessionId)))
          .orderBy(asc(insightEvents.occurredAt), asc(insightEvents.id))
          .limit(MAX_SESSION_EVENTS),
      ),
    ]);
    for (const row of old) before.set(row.id, row);
    oldShares.push(...shares);
    for (const link of links) addTopicDay(link.topicId, link.startedAt);
    part.forEach((id, i) => {
      const events = reads[i] as DeriveEvent[];
      if (events.length) eventsBySession.set(id, orderEvents(events));
    });
  }

  const buckets = new Map<string, { source: string; hour: number }>();
  const addBucket = (source: string | null, at: Date) => buckets.set(`${source ?? ""}|${hourOf(at)}`, { source: source ?? "", hour: hourOf(at) });
  // The tool days to recompute: those the sessions' shares touch now and touched before.
  const toolDays = new Map<number, Set<string>>();
  const addToolDay = (day: number, tool: string) => toolDays.set(day, (toolDays.get(day) ?? new Set<string>()).add(tool));
  for (const old of oldShares) addToolDay(old.day.getTime(), old.toolName);

  // 2. Per session, one batch (one transaction): the session row, then everything derived from it.
  for (const [sessionId, events] of eventsBySession) {
    const agg = summarizeSession(events);
    const old = before.get(sessionId);
    if (old) addBucket(old.mcpServerId, old.startedAt);
    addBucket(agg.mcpServerId, agg.startedAt);
    if (old) sessionDays.add(dayOf(old.startedAt));
    sessionDays.add(dayOf(agg.startedAt));
    for (const { source, key, events: failed } of missesOf(events)) {
      for (const e of failed) clusterDays.set(`${source}|${key}|${dayOf(e.occurredAt)}`, { source, key, day: dayOf(e.occurredAt) });
    }
    const shares = toolSharesOf(events);
    for (const share of shares) addToolDay(share.day, share.tool);
    await d1.batch([...sessionStatements(d1, orgId, sessionId, agg, events, now), ...toolShareStatements(d1, orgId, sessionId, agg.events, shares)]);
  }

  // The links as they are now (a rolled-up session's links were replaced in its batch).
  const rolledUp = [...eventsBySession.keys()];
  for (const part of chunk(rolledUp, MAX_PARAMS - 4)) for (const link of await linksOf(part)) addTopicDay(link.topicId, link.startedAt);

  // 3. Hourly buckets: each recomputed in one statement from the sessions that started in its hour; then the
  // topic days and session days, each recomputed from its sessions the same way.
  const bucketStatements = [
    ...[...buckets.values()].flatMap(({ source, hour }) => bucketStatementsFor(d1, orgId, source, hour)),
    ...[...topicDays.values()].flatMap(({ topicId, day }) => topicDayStatements(d1, orgId, topicId, day)),
    ...[...sessionDays].flatMap((day) => sessionDayStatements(d1, orgId, day)),
    ...[...clusterDays.values()].map(({ source, key, day }) => clusterDayStatement(d1, orgId, source, key, day)),
  ];
  for (const part of chunk(bucketStatements, 50)) await d1.batch(part);

  // 4. Tool days: each recomputed from the sessions' shares of that day and tool (never from raw events).
  const toolStatements: D1PreparedStatement[] = [];
  for (const [day, names] of toolDays) {
    for (const part of chunk([...names].sort(), MAX_PARAMS - 10)) toolStatements.push(...toolDayStatements(d1, orgId, day, part));
  }
  // Last, in the same round trip as the last tool days: the sessions' pending-rollup marks (set up to
  // clearMarksUpTo; a later mark belongs to a later rollup), now that everything derived is written.
  if (opts.clearMarksUpTo) {
    for (const part of chunk(ids, MAX_PARAMS - 4)) {
      toolStatements.push(
        d1
          .prepare(`DELETE FROM insight_pending_rollups WHERE org_id = ? AND queued_at <= ? AND session_id IN (${part.map(() => "?").join(", ")})`)
          .bind(orgId, opts.clearMarksUpTo.getTime(), ...part),
      );
    }
  }
  for (const part of chunk(toolStatements, 50)) await d1.batch(part);
  ctx.log.debug("insights rollup", {
    orgId,
    sessions: eventsBySession.size,
    buckets: buckets.size,
    toolDays: toolDays.size,
    topicDays: topicDays.size,
    sessionDays: sessionDays.size,
    clusterDays: clusterDays.size,
  });
}

function toolNamesOf(e: DeriveEvent): string[] {
  const names = (e.data as { toolNames?: unknown } | null)?.toolNames;
  return Array.isArray(names) ? [...new Set(names.filter((n): n is string => typeof n === "string" && n.length > 0))] : [];
}

/** The session's failed searches by cluster (source of the search event or "", searchKey), the query as first seen. */
function missesOf(events: DeriveEvent[]) {
  const misses = new Map<string, { source: string; key: string; query: string; events: DeriveEvent[] }>();
  for (const e of events) {
    if (e.type !== "search" || !(e.isError || e.resultCount === 0)) continue;
    const key = searchKey(e.query ?? "");
    if (!key) continue;
    const source = e.mcpServerId ?? "";
    const cluster = misses.get(`${source}|${key}`) ?? { source, key, query: (e.query ?? "").trim().slice(0, 1000), events: [] };
    cluster.events.push(e);
    misses.set(`${source}|${key}`, cluster);
  }
  return [...misses.values()];
}

/** The guard that our computation is the stored one: a rollup that read fewer events (a concurrent, older read) writes no derived rows. */
const SESSION_IS_OURS = `EXISTS (SELECT 1 FROM insight_sessions WHERE org_id = ? AND id = ? AND events = ?)`;

function sessionStatements(
  d1: D1Database,
  orgId: string,
  sessionId: string,
  agg: SessionAggregate,
  events: DeriveEvent[],
  now: number,
): D1PreparedStatement[] {
  const ours = [orgId, sessionId, agg.events];
  const statements: D1PreparedStatement[] = [
    // The session row; an upsert that never goes back to fewer events (a concurrent rollup that read before the
    // latest events arrived loses).
    d1
      .prepare(
        `INSERT INTO insight_sessions (org_id, id, mcp_server_id, client_name, client_version, started_at, last_event_at, events,
           tool_calls, tool_errors, searches, failed_searches, negative_feedback, frustration, summary, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (org_id, id) DO UPDATE SET mcp_server_id = excluded.mcp_server_id, client_name = excluded.client_name,
           client_version = excluded.client_version, started_at = excluded.started_at, last_event_at = excluded.last_event_at,
           events = excluded.events, tool_calls = excluded.tool_calls, tool_errors = excluded.tool_errors, searches = excluded.searches,
           failed_searches = excluded.failed_searches, negative_feedback = excluded.negative_feedback, frustration = excluded.frustration,
           summary = excluded.summary, updated_at = excluded.updated_at
         WHERE excluded.events >= insight_sessions.events`,
      )
      .bind(
        orgId,
        sessionId,
        agg.mcpServerId,
        agg.clientName,
        agg.clientVersion,
        agg.startedAt.getTime(),
        agg.lastEventAt.getTime(),
        agg.events,
        agg.toolCalls,
        agg.toolErrors,
        agg.searches,
        agg.failedSearches,
        agg.negativeFeedback,
        agg.frustration,
        JSON.stringify(agg.summary),
        now,
      ),
  ];

  // Topics: created on first sight with the first raw intent as label; an existing topic (its id, label, flags) is
  // never touched. The session's links are replaced, taking started_at and frustration from the session row.
  const labels = new Map<string, string>();
  for (const e of events) {
    if (!e.intent?.trim()) continue;
    const key = topicKey(e.intent);
    if (key && !labels.has(key)) labels.set(key, topicLabel(e.intent));
  }
  for (const [key, label] of labels) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO insight_topics (id, org_id, key, label, is_unmet_demand, archived, created_at, updated_at)
           VALUES (?, ?, ?, ?, 0, 0, ?, ?) ON CONFLICT (org_id, key) DO NOTHING`,
        )
        .bind(crypto.randomUUID(), orgId, key, label, now, now),
    );
  }
  statements.push(
    d1.prepare(`DELETE FROM insight_topic_sessions WHERE org_id = ? AND session_id = ? AND ${SESSION_IS_OURS}`).bind(orgId, sessionId, ...ours),
  );
  for (const keys of chunk([...labels.keys()], MAX_PARAMS - 10)) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO insight_topic_sessions (org_id, topic_id, session_id, started_at, frustration)
           SELECT t.org_id, t.id, s.id, s.started_at, s.frustration
           FROM insight_topics t JOIN insight_sessions s ON s.org_id = t.org_id AND s.id = ? AND s.events = ?
           WHERE t.org_id = ? AND t.key IN (${keys.map(() => "?").join(", ")})
           ON CONFLICT (topic_id, session_id) DO UPDATE SET started_at = excluded.started_at, frustration = excluded.frustration`,
        )
        .bind(sessionId, agg.events, orgId, ...keys),
    );
  }

  // Failed-search clusters, by (source of the search event, searchKey), the query as first seen; one miss per
  // failed search event (its id is the event's, so a second rollup inserts nothing).
  for (const { source, key, query, events: failed } of missesOf(events)) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO insight_search_clusters (id, org_id, mcp_server_id, key, query, created_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, mcp_server_id, key) DO NOTHING`,
        )
        .bind(crypto.randomUUID(), orgId, source, key, query, now),
    );
    for (const part of chunk(failed, MISSES_PER_INSERT)) {
      statements.push(
        d1
          .prepare(
            `INSERT INTO insight_search_misses (org_id, cluster_id, event_id, session_id, occurred_at)
             SELECT c.org_id, c.id, v.column1, ?, v.column2 FROM (VALUES ${part.map(() => "(?, ?)").join(", ")}) v, insight_search_clusters c
             WHERE c.org_id = ? AND c.mcp_server_id = ? AND c.key = ?
             ON CONFLICT (org_id, event_id) DO NOTHING`,
          )
          .bind(sessionId, ...part.flatMap((e) => [e.id, e.occurredAt.getTime()]), orgId, source, key),
      );
    }
  }
  return statements;
}

/**
 * The bucket (organization, source or "", hour) from the sessions that started in that hour, in one statement,
 * so whatever ran before and whatever runs concurrently, the last statement leaves the sums of the current rows.
 * A bucket with no session left (its only session moved to another hour or source) is deleted.
 */
function bucketStatementsFor(d1: D1Database, orgId: string, source: string, hour: number): D1PreparedStatement[] {
  const range = [orgId, source, hour, hour + HOUR_MS];
  const inBucket = `org_id = ? AND coalesce(mcp_server_id, '') = ? AND started_at >= ? AND started_at < ?`;
  return [
    d1
      .prepare(
        `INSERT INTO insight_buckets (org_id, mcp_server_id, bucket_start, sessions, tool_calls, tool_errors, searches, failed_searches, frustration_sum)
         SELECT org_id, ?, ?, count(*), sum(tool_calls), sum(tool_errors), sum(searches), sum(failed_searches), sum(frustration)
         FROM insight_sessions WHERE ${inBucket} GROUP BY org_id
         ON CONFLICT (org_id, mcp_server_id, bucket_start) DO UPDATE SET sessions = excluded.sessions, tool_calls = excluded.tool_calls,
           tool_errors = excluded.tool_errors, searches = excluded.searches, failed_searches = excluded.failed_searches,
           frustration_sum = excluded.frustration_sum`,
      )
      .bind(source, hour, ...range),
    d1
      .prepare(
        `DELETE FROM insight_buckets WHERE org_id = ? AND mcp_server_id = ? AND bucket_start = ?
         AND NOT EXISTS (SELECT 1 FROM insight_sessions WHERE ${inBucket})`,
      )
      .bind(orgId, source, hour, ...range),
  ];
}

/**
 * The topic day (organization, topic, UTC day): the topic's links whose session started that day, counted, with
 * their frustration summed, in one statement (an indexed read of that topic's links of the day). A topic day no
 * link is left in is deleted. Exported for the read tests' fixtures.
 */
export function topicDayStatements(d1: D1Database, orgId: string, topicId: string, day: number): D1PreparedStatement[] {
  const range = [orgId, topicId, day, day + DAY_MS];
  const inDay = `org_id = ? AND topic_id = ? AND started_at >= ? AND started_at < ?`;
  return [
    d1
      .prepare(
        `INSERT INTO insight_topic_days (org_id, topic_id, day, sessions, frustration_sum)
         SELECT org_id, topic_id, ?, count(*), sum(frustration) FROM insight_topic_sessions WHERE ${inDay} GROUP BY org_id, topic_id
         ON CONFLICT (org_id, day, topic_id) DO UPDATE SET sessions = excluded.sessions, frustration_sum = excluded.frustration_sum`,
      )
      .bind(day, ...range),
    d1
      .prepare(`DELETE FROM insight_topic_days WHERE org_id = ? AND topic_id = ? AND day = ? AND NOT EXISTS (SELECT 1 FROM insight_topic_sessions WHERE ${inDay})`)
      .bind(orgId, topicId, day, ...range),
  ];
}

/**
 * The session day (organization, UTC day): the latest updated_at of the sessions that started that day (the
 * overview's asOf), in one statement over that day's sessions; deleted when no session is left in the day.
 * Exported for the read tests' fixtures.
 */
export function sessionDayStatements(d1: D1Database, orgId: string, day: number): D1PreparedStatement[] {
  const range = [orgId, day, day + DAY_MS];
  const inDay = `org_id = ? AND started_at >= ? AND started_at < ?`;
  return [
    d1
      .prepare(
        `INSERT INTO insight_session_days (org_id, day, updated_at)
         SELECT org_id, ?, max(updated_at) FROM insight_sessions WHERE ${inDay} GROUP BY org_id
         ON CONFLICT (org_id, day) DO UPDATE SET updated_at = excluded.updated_at`,
      )
      .bind(day, ...range),
    d1
      .prepare(`DELETE FROM insight_session_days WHERE org_id = ? AND day = ? AND NOT EXISTS (SELECT 1 FROM insight_sessions WHERE ${inDay})`)
      .bind(orgId, day, ...range),
  ];
}

/**
 * The cluster day (organization, cluster, UTC day): the cluster's misses that occurred that day, counted, with the
 * first and the last, in one statement (an indexed read of that cluster's misses of the day). Misses are never
 * deleted, so neither is a cluster day. Exported for the read tests' fixtures.
 */
export function clusterDayStatement(d1: D1Database, orgId: string, source: string, key: string, day: number): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO insight_cluster_days (org_id, cluster_id, day, misses, first_seen, last_seen)
       SELECT c.org_id, c.id, ?, count(*), min(m.occurred_at), max(m.occurred_at)
       FROM insight_search_clusters c JOIN insight_search_misses m ON m.org_id = c.org_id AND m.cluster_id = c.id AND m.occurred_at >= ? AND m.occurred_at < ?
       WHERE c.org_id = ? AND c.mcp_server_id = ? AND c.key = ? GROUP BY c.org_id, c.id
       ON CONFLICT (org_id, day, cluster_id) DO UPDATE SET misses = excluded.misses, first_seen = excluded.first_seen, last_seen = excluded.last_seen`,
    )
    .bind(day, day, day + DAY_MS, orgId, source, key);
}

/** A session's share of one tool day (source or "", tool, UTC day). */
interface ToolShare {
  source: string;
  tool: string;
  day: number;
  offered: number;
  calls: number;
  errors: number;
}

/** The session's shares of the tool days: its tools_list events per listed tool, its tool calls and errored ones per tool. */
function toolSharesOf(events: DeriveEvent[]): ToolShare[] {
  const shares = new Map<string, ToolShare>();
  const share = (source: string | null, tool: string, day: number) => {
    const key = `${source ?? ""}|${tool}|${day}`;
    let s = shares.get(key);
    if (!s) shares.set(key, (s = { source: source ?? "", tool, day, offered: 0, calls: 0, errors: 0 }));
    return s;
  };
  for (const e of events) {
    const day = dayOf(e.occurredAt);
    if (e.type === "tool_call" && e.toolName) {
      const s = share(e.mcpServerId, e.toolName, day);
      s.calls++;
      if (e.isError) s.errors++;
    } else if (e.type === "tools_list") {
      for (const tool of toolNamesOf(e)) share(e.mcpServerId, tool, day).offered++;
    }
  }
  return [...shares.values()];
}

/** Shares per insert statement: 6 parameters each, plus 5. */
const SHARES_PER_INSERT = 15;

/** Replaces the session's tool-day shares, only when the session row is this rollup's (as its topic links). */
function toolShareStatements(d1: D1Database, orgId: string, sessionId: string, events: number, shares: ToolShare[]): D1PreparedStatement[] {
  const ours = [orgId, sessionId, events];
  return [
    d1.prepare(`DELETE FROM insight_session_tools WHERE org_id = ? AND session_id = ? AND ${SESSION_IS_OURS}`).bind(orgId, sessionId, ...ours),
    ...chunk(shares, SHARES_PER_INSERT).map((part) =>
      d1
        .prepare(
          `INSERT INTO insight_session_tools (org_id, session_id, mcp_server_id, tool_name, day, offered, calls, errors)
           SELECT ?, ?, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6
           FROM (VALUES ${part.map(() => "(?, ?, ?, ?, ?, ?)").join(", ")}) v WHERE ${SESSION_IS_OURS}`,
        )
        .bind(orgId, sessionId, ...part.flatMap((s) => [s.source, s.tool, s.day, s.offered, s.calls, s.errors]), ...ours),
    ),
  ];
}

/**
 * The tool days (organization, source or "", tool, day) of these tools on this day, as the sums of the sessions'
 * shares: `offered` = tools_list events that listed the tool, `calls` / `errors` = its tool calls and the errored
 * ones. One indexed read of the day's shares of these tools; a tool day no share is left in is deleted.
 */
function toolDayStatements(d1: D1Database, orgId: string, day: number, tools: string[]): D1PreparedStatement[] {
  const inList = tools.map(() => "?").join(", ");
  return [
    d1
      .prepare(
        `INSERT INTO insight_tool_days (org_id, mcp_server_id, tool_name, day, offered, calls, errors)
         SELECT org_id, mcp_server_id, tool_name, day, sum(offered), sum(calls), sum(errors) FROM insight_session_tools
         WHERE org_id = ? AND day = ? AND tool_name IN (${inList}) GROUP BY mcp_server_id, tool_name
         ON CONFLICT (org_id, mcp_server_id, tool_name, day) DO UPDATE SET offered = excluded.offered, calls = excluded.calls, errors = excluded.errors`,
      )
      .bind(orgId, day, ...tools),
    d1
      .prepare(
        `DELETE FROM insight_tool_days WHERE org_id = ? AND day = ? AND tool_name IN (${inList}) AND NOT EXISTS (
           SELECT 1 FROM insight_session_tools s WHERE s.org_id = insight_tool_days.org_id AND s.day = insight_tool_days.day
           AND s.tool_name = insight_tool_days.tool_name AND s.mcp_server_id = insight_tool_days.mcp_server_id)`,
      )
      .bind(orgId, day, ...tools),
  ];
}

/** A pending rollup older than this is taken as lost (its request was cut off) and done by the sweep. */
export const PENDING_ROLLUP_GRACE_MS = 2 * 60_000;
/** Sessions the sweep rolls up per run; the rest wait for the next minute. */
const PENDING_PER_SWEEP = 500;

/**
 * The statements that mark these sessions as waiting for a rollup, for the ingestion batch: only the sessions
 * that really got an event stored by it (ingested at `at`), so a batch of duplicates marks nothing.
 */
export function markPendingRollups(db: Database, orgId: string, sessionIds: string[], at: Date) {
  return chunk(sessionIds, MAX_PARAMS - 4).map((part) =>
    db
      .insert(insightPendingRollups)
      .select(
        db
          .selectDistinct({ orgId: insightEvents.orgId, sessionId: insightEvents.sessionId, queuedAt: insightEvents.ingestedAt })
          .from(insightEvents)
          .where(and(eq(insightEvents.orgId, orgId), eq(insightEvents.ingestedAt, at), inArray(insightEvents.sessionId, part))),
      )
      .onConflictDoUpdate({
        target: [insightPendingRollups.orgId, insightPendingRollups.sessionId],
        set: { queuedAt: sql`max(${insightPendingRollups.queuedAt}, excluded.queued_at)` },
      }),
  );
}

/**
 * The sweep's repair: rolls up the sessions whose rollup was marked more than PENDING_ROLLUP_GRACE_MS ago and
 * never finished (at most PENDING_PER_SWEEP per call, oldest first), then clears their marks. Returns how many.
 */
export async function rollupPendingSessions(ctx: RollupDeps): Promise<number> {
  const stale = await ctx.db
    .select()
    .from(insightPendingRollups)
    .where(lt(insightPendingRollups.queuedAt, new Date(ctx.now().getTime() - PENDING_ROLLUP_GRACE_MS)))
    .orderBy(asc(insightPendingRollups.queuedAt))
    .limit(PENDING_PER_SWEEP)
    .all();
  const byOrg = new Map<string, typeof stale>();
  for (const row of stale) {
    const rows = byOrg.get(row.orgId);
    if (rows) rows.push(row);
    else byOrg.set(row.orgId, [row]);
  }
  for (const [orgId, rows] of byOrg) {
    const upTo = new Date(Math.max(...rows.map((r) => r.queuedAt.getTime())));
    await rollupSessions(ctx, orgId, rows.map((r) => r.sessionId), { clearMarksUpTo: upTo });
  }
  if (stale.length) ctx.log.warn("insights rollups repaired by the sweep", { sessions: stale.length });
  return stale.length;
}

/**
 * Deletes raw events that occurred before `olderThan` (the sweep passes now − INSIGHT_EVENT_RETENTION_MS), at most
 * PRUNE_BATCH per call; the aggregates built from them stay. Returns how many were deleted.
 */
export async function pruneInsightEvents(ctx: Pick<AppContext, "db">, olderThan: Date): Promise<number> {
  const { db } = ctx;
  const result = await db.$client
    .prepare(`DELETE FROM insight_events WHERE rowid IN (SELECT rowid FROM insight_events WHERE occurred_at < ? LIMIT ?)`)
    .bind(olderThan.getTime(), PRUNE_BATCH)
    .run();
  return result.meta.changes ?? 0;
}
