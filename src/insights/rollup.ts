import { and, asc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import type { AppContext } from "../context";
import { insightEvents, insightPendingRollups } from "../db/schema";
import { chunk } from "../lib/d1";
import { orderEvents, searchKey, summarizeSession, topicKey, topicLabel, type DeriveEvent, type SessionAggregate } from "./derive";

// Keeps the insights aggregates current (docs/insights.md, "What is derived"). A session's row is recomputed from
// its events (never incremented), so a rollup can run twice, late, or concurrently with another. Everything summed
// over sessions (hourly buckets, topic days, tool days, cluster days, session days) moves by the difference: in
// the same D1 batch (one transaction) as the session's row, its old contribution is taken out of each aggregate
// and its new one added, so every aggregate stays the sum of the rows underneath it whatever ran before or runs
// concurrently, and a rollup costs what its own sessions hold, not what their hour or day already holds.
// recomputeInsightAggregates rebuilds the same aggregates from the rows; the sweep runs it for the day just ended.

/** A session's summary reads at most this many of its events (the first ones, by time); later ones are not read. */
export const MAX_SESSION_EVENTS = 2000;
/** Raw events are kept this long; the aggregates stay (pruneInsightEvents, from the scheduled sweep). */
export const INSIGHT_EVENT_RETENTION_MS = 30 * 24 * 3600_000;
/** Raw events deleted per statement by the pruning, so one sweep stays short; the rest go at the next sweep. */
const PRUNE_BATCH = 5000;
/** Sessions whose events are read in one D1 batch. */
const SESSIONS_PER_READ = 20;
/** Statements per D1 batch of the writes (whole sessions: one session's statements are never split). */
const STATEMENTS_PER_WRITE = 100;
const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
/** D1 binds at most 100 parameters per statement. */
const MAX_PARAMS = 100;
/** Misses per insert statement: 2 parameters each, plus 4. */
const MISSES_PER_INSERT = 45;

type RollupDeps = Pick<AppContext, "db" | "now" | "log">;

const dayOf = (d: Date) => Math.floor(d.getTime() / DAY_MS) * DAY_MS;

/**
 * Recomputes the rows of these sessions of the organization from their events: the `insight_sessions` rows, the
 * topics and topic links, the failed-search clusters and misses, the tool-day shares; and moves each session's
 * contribution to the hourly buckets, topic days, tool days, cluster days and session days from what it was to
 * what it is, all in the session's own transaction. Sessions without events are left as they are.
 */
export async function rollupSessions(ctx: RollupDeps, orgId: string, sessionIds: string[], opts: { clearMarksUpTo?: Date } = {}): Promise<void> {
  const ids = [...new Set(sessionIds)];
  if (!ids.length) return;
  const { db } = ctx;
  const d1 = db.$client;
  const now = ctx.now().getTime();

  // 1. Each session's events (the first MAX_SESSION_EVENTS by time).
  const eventsBySession = new Map<string, DeriveEvent[]>();
  for (const part of chunk(ids, SESSIONS_PER_READ)) {
    const [first, ...rest] = part.map((sessionId) =>
      db
        .select()
        .from(insightEvents)
        .where(and(eq(insightEvents.orgId, orgId), eq(insightEvents.sessionId, sessionId)))
        .orderBy(asc(insightEvents.occurredAt), asc(insightEvents.id))
        .limit(MAX_SESSION_EVENTS),
    );
    const reads = await db.batch([first!, ...rest]);
    part.forEach((id, i) => {
      const events = reads[i] as DeriveEvent[];
      if (events.length) eventsBySession.set(id, orderEvents(events));
    });
  }

  // 2. Per session, its statements in one transaction; whole sessions grouped into batches of about
  // STATEMENTS_PER_WRITE. The sessions' pending-rollup marks (set up to clearMarksUpTo; a later mark belongs to
  // a later rollup) go in the last batch, once everything derived is written.
  const groups: D1PreparedStatement[][] = [];
  for (const [sessionId, events] of eventsBySession) groups.push(sessionStatements(d1, orgId, sessionId, summarizeSession(events), events, now));
  if (opts.clearMarksUpTo) {
    for (const part of chunk(ids, MAX_PARAMS - 4)) {
      groups.push([
        d1
          .prepare(`DELETE FROM insight_pending_rollups WHERE org_id = ? AND queued_at <= ? AND session_id IN (${part.map(() => "?").join(", ")})`)
          .bind(orgId, opts.clearMarksUpTo.getTime(), ...part),
      ]);
    }
  }
  let batch: D1PreparedStatement[] = [];
  for (const group of groups) {
    if (batch.length && batch.length + group.length > STATEMENTS_PER_WRITE) {
      await d1.batch(batch);
      batch = [];
    }
    batch.push(...group);
  }
  if (batch.length) await d1.batch(batch);
  ctx.log.debug("insights rollup", { orgId, sessions: eventsBySession.size });
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

/** SQL for the hour and the UTC day an epoch-milliseconds column falls in. */
const hourSql = (col: string) => `(${col} - ${col} % ${HOUR_MS})`;
const daySql = (col: string) => `(${col} - ${col} % ${DAY_MS})`;

/**
 * An aggregate that sums rows of a per-session table (sessions, topic links, tool-day shares) by a key computed
 * from the row. The rollup moves a session's rows out of it and back in by differences (takeOut, dropEmpty,
 * putIn, each reading the rows to move from a subquery `from` aliased `s`); the sweep rebuilds it (rebuild).
 */
interface Summed {
  table: string;
  /** The aggregate's time column, by which the rebuild deletes a range. */
  at: string;
  /** The summed rows: their table and the time column that places them in the aggregate's range. */
  rows: { table: string; at: string };
  /** The aggregate's key after org_id: each column with its value for a summed row `s`. */
  key: ReadonlyArray<readonly [column: string, of: (s: string) => string]>;
  /** The summed columns, each with its value for a summed row; `rounded`: frustration, kept to its 3 decimals. */
  sums: ReadonlyArray<readonly [column: string, of: (s: string) => string, rounded?: boolean]>;
  /** A row that holds nothing any more, which is deleted. */
  empty: string;
}

/** `left op right`, rounded to 3 decimals for a frustration sum (scores have 3: sums moved by differences never drift). */
const combine = (left: string, op: "+" | "-", right: string, rounded?: boolean) => (rounded ? `round(${left} ${op} ${right}, 3)` : `${left} ${op} ${right}`);
const keyColumns = (a: Summed) => a.key.map(([c]) => c).join(", ");
const keyValues = (a: Summed) => a.key.map(([, of]) => of("s")).join(", ");
const sumColumns = (a: Summed) => a.sums.map(([c]) => c).join(", ");

/** Subtracts the rows `from` selects from the aggregate rows they are in. */
const takeOut = (d1: D1Database, a: Summed, from: string, binds: unknown[]) =>
  d1
    .prepare(
      `UPDATE ${a.table} SET ${a.sums.map(([c, of, rounded]) => `${c} = ${combine(`${a.table}.${c}`, "-", of("s"), rounded)}`).join(", ")}
       FROM (${from}) s WHERE ${a.table}.org_id = s.org_id AND ${a.key.map(([c, of]) => `${a.table}.${c} = ${of("s")}`).join(" AND ")}`,
    )
    .bind(...binds);

/** Deletes the aggregate rows the rows `from` selects are in, when they hold nothing any more. */
const dropEmpty = (d1: D1Database, a: Summed, from: string, binds: unknown[]) =>
  d1
    .prepare(`DELETE FROM ${a.table} WHERE ${a.empty} AND (org_id, ${keyColumns(a)}) IN (SELECT s.org_id, ${keyValues(a)} FROM (${from}) s)`)
    .bind(...binds);

/** Adds the rows `from` selects to the aggregate rows they are in (created when new). */
const putIn = (d1: D1Database, a: Summed, from: string, binds: unknown[]) =>
  d1
    .prepare(
      `INSERT INTO ${a.table} (org_id, ${keyColumns(a)}, ${sumColumns(a)})
       SELECT s.org_id, ${keyValues(a)}, ${a.sums.map(([, of]) => of("s")).join(", ")} FROM (${from}) s WHERE true
       ON CONFLICT (org_id, ${keyColumns(a)}) DO UPDATE SET ${a.sums.map(([c, , rounded]) => `${c} = ${combine(`${a.table}.${c}`, "+", `excluded.${c}`, rounded)}`).join(", ")}`,
    )
    .bind(...binds);

/** The aggregate's rows of [from, to) of its time column, rebuilt from the summed rows (bind: org, from, to). */
const rebuildSummed = (a: Summed) =>
  `INSERT INTO ${a.table} (org_id, ${keyColumns(a)}, ${sumColumns(a)})
   SELECT s.org_id, ${a.key.map(([, of], i) => `${of("s")} AS k${i}`).join(", ")},
     ${a.sums.map(([, of, rounded]) => (rounded ? `round(sum(${of("s")}), 3)` : `sum(${of("s")})`)).join(", ")}
   FROM ${a.rows.table} s WHERE s.org_id = ? AND s.${a.rows.at} >= ? AND s.${a.rows.at} < ?
   GROUP BY s.org_id, ${a.key.map((_, i) => `k${i}`).join(", ")}`;

/** The sums of a session row that the hourly buckets and bucket days hold. */
const SESSION_SUMS: Summed["sums"] = [
  ["sessions", () => "1"],
  ["tool_calls", (s) => `${s}.tool_calls`],
  ["tool_errors", (s) => `${s}.tool_errors`],
  ["searches", (s) => `${s}.searches`],
  ["failed_searches", (s) => `${s}.failed_searches`],
  ["frustration_sum", (s) => `${s}.frustration`, true],
];
const sessionRows = { table: "insight_sessions", at: "started_at" };

const BUCKETS: Summed = {
  table: "insight_buckets",
  at: "bucket_start",
  rows: sessionRows,
  key: [
    ["mcp_server_id", (s) => `coalesce(${s}.mcp_server_id, '')`],
    ["bucket_start", (s) => hourSql(`${s}.started_at`)],
  ],
  sums: SESSION_SUMS,
  empty: "sessions <= 0",
};
const BUCKET_DAYS: Summed = { table: "insight_bucket_days", at: "day", rows: sessionRows, key: [["day", (s) => daySql(`${s}.started_at`)]], sums: SESSION_SUMS, empty: "sessions <= 0" };
const TOPIC_DAYS: Summed = {
  table: "insight_topic_days",
  at: "day",
  rows: { table: "insight_topic_sessions", at: "started_at" },
  key: [
    ["topic_id", (s) => `${s}.topic_id`],
    ["day", (s) => daySql(`${s}.started_at`)],
  ],
  sums: [
    ["sessions", () => "1"],
    ["frustration_sum", (s) => `${s}.frustration`, true],
  ],
  empty: "sessions <= 0",
};
const TOOL_DAYS: Summed = {
  table: "insight_tool_days",
  at: "day",
  rows: { table: "insight_session_tools", at: "day" },
  key: [
    ["mcp_server_id", (s) => `${s}.mcp_server_id`],
    ["tool_name", (s) => `${s}.tool_name`],
    ["day", (s) => `${s}.day`],
  ],
  sums: [
    ["offered", (s) => `${s}.offered`],
    ["calls", (s) => `${s}.calls`],
    ["errors", (s) => `${s}.errors`],
  ],
  empty: "offered <= 0 AND calls <= 0 AND errors <= 0",
};

/**
 * The session's transaction, in order:
 * 1. its old row's contribution out of its hourly bucket and bucket day (deleting one left without sessions), and, if it is
 *    leaving its UTC day, that day's session day recomputed without it — only when the upsert below will win;
 * 2. the session row, an upsert that never goes back to fewer events (a concurrent rollup that read before the
 *    latest events arrived loses) and its new contribution into its bucket, bucket day and session day;
 * 3. its topic links and tool-day shares replaced, each old one taken out of its topic day / tool day and each
 *    new one added — only when the stored row is this rollup's (SESSION_IS_OURS);
 * 4. its failed searches: each miss not stored yet added to its cluster day, then stored (whichever rollup stores
 *    a miss counts it).
 */
function sessionStatements(
  d1: D1Database,
  orgId: string,
  sessionId: string,
  agg: SessionAggregate,
  events: DeriveEvent[],
  now: number,
): D1PreparedStatement[] {
  const ours = [orgId, sessionId, agg.events];
  const newDay = dayOf(agg.startedAt);
  const storedRow = `SELECT * FROM insight_sessions WHERE org_id = ? AND id = ?`;
  // The stored row as it is before the upsert, when the upsert will replace it.
  const oldRow = `${storedRow} AND events <= ?`;
  const statements: D1PreparedStatement[] = [
    ...[BUCKETS, BUCKET_DAYS].flatMap((a) => [takeOut(d1, a, oldRow, ours), dropEmpty(d1, a, storedRow, [orgId, sessionId])]),
    // Leaving its day (its start moved to another day): the old day without it, deleted if nothing is left in it.
    d1
      .prepare(
        `DELETE FROM insight_session_days WHERE (org_id, day) IN (
           SELECT org_id, ${daySql("started_at")} FROM (${oldRow}) WHERE ${daySql("started_at")} <> ?)`,
      )
      .bind(...ours, newDay),
    d1
      .prepare(
        `INSERT INTO insight_session_days (org_id, day, updated_at)
         SELECT o.org_id, o.day, max(x.updated_at)
         FROM (SELECT org_id, id, ${daySql("started_at")} AS day FROM (${oldRow}) WHERE ${daySql("started_at")} <> ?) o
         JOIN insight_sessions x ON x.org_id = o.org_id AND x.started_at >= o.day AND x.started_at < o.day + ${DAY_MS} AND x.id <> o.id
         WHERE true GROUP BY o.org_id, o.day`,
      )
      .bind(...ours, newDay),
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
    ...[BUCKETS, BUCKET_DAYS].map((a) => putIn(d1, a, `${storedRow} AND events = ?`, ours)),
    d1
      .prepare(
        `INSERT INTO insight_session_days (org_id, day, updated_at)
         SELECT org_id, ${daySql("started_at")}, updated_at FROM insight_sessions WHERE org_id = ? AND id = ? AND events = ?
         ON CONFLICT (org_id, day) DO UPDATE SET updated_at = max(insight_session_days.updated_at, excluded.updated_at)`,
      )
      .bind(...ours),
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
  const links = `SELECT * FROM insight_topic_sessions WHERE org_id = ? AND session_id = ?`;
  statements.push(
    takeOut(d1, TOPIC_DAYS, `${links} AND ${SESSION_IS_OURS}`, [orgId, sessionId, ...ours]),
    dropEmpty(d1, TOPIC_DAYS, links, [orgId, sessionId]),
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
  if (labels.size) statements.push(putIn(d1, TOPIC_DAYS, `${links} AND ${SESSION_IS_OURS}`, [orgId, sessionId, ...ours]));

  statements.push(...toolShareStatements(d1, orgId, sessionId, agg.events, toolSharesOf(events)));

  // Failed-search clusters, by (source of the search event, searchKey), the query as first seen; one miss per
  // failed search event (its id is the event's, so a second rollup inserts nothing and counts nothing).
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
      const values = part.map(() => "(?, ?)").join(", ");
      const params = part.flatMap((e) => [e.id, e.occurredAt.getTime()]);
      const cluster = `insight_search_clusters c WHERE c.org_id = ? AND c.mcp_server_id = ? AND c.key = ?`;
      statements.push(
        d1
          .prepare(
            `INSERT INTO insight_cluster_days (org_id, cluster_id, day, misses, first_seen, last_seen)
             SELECT c.org_id, c.id, ${daySql("v.column2")} AS d, count(*), min(v.column2), max(v.column2)
             FROM (VALUES ${values}) v, ${cluster}
               AND NOT EXISTS (SELECT 1 FROM insight_search_misses m WHERE m.org_id = c.org_id AND m.event_id = v.column1)
             GROUP BY c.org_id, c.id, d
             ON CONFLICT (org_id, day, cluster_id) DO UPDATE SET misses = insight_cluster_days.misses + excluded.misses,
               first_seen = min(insight_cluster_days.first_seen, excluded.first_seen), last_seen = max(insight_cluster_days.last_seen, excluded.last_seen)`,
          )
          .bind(...params, orgId, source, key),
        d1
          .prepare(
            `INSERT INTO insight_search_misses (org_id, cluster_id, event_id, session_id, occurred_at)
             SELECT c.org_id, c.id, v.column1, ?, v.column2 FROM (VALUES ${values}) v, ${cluster}
             ON CONFLICT (org_id, event_id) DO NOTHING`,
          )
          .bind(sessionId, ...params, orgId, source, key),
      );
    }
  }
  return statements;
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

/**
 * Replaces the session's tool-day shares, only when the session row is this rollup's (as its topic links): each old
 * share taken out of its tool day (a tool day left with nothing is deleted), each new one added.
 */
function toolShareStatements(d1: D1Database, orgId: string, sessionId: string, events: number, shares: ToolShare[]): D1PreparedStatement[] {
  const ours = [orgId, sessionId, events];
  const stored = `SELECT * FROM insight_session_tools WHERE org_id = ? AND session_id = ?`;
  return [
    takeOut(d1, TOOL_DAYS, `${stored} AND ${SESSION_IS_OURS}`, [orgId, sessionId, ...ours]),
    dropEmpty(d1, TOOL_DAYS, stored, [orgId, sessionId]),
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
    ...(shares.length ? [putIn(d1, TOOL_DAYS, `${stored} AND ${SESSION_IS_OURS}`, [orgId, sessionId, ...ours])] : []),
  ];
}

/** The aggregates recomputeStatements rebuilds. */
export type InsightAggregate = "buckets" | "bucketDays" | "topicDays" | "toolDays" | "clusterDays" | "sessionDays";
const ALL_AGGREGATES: readonly InsightAggregate[] = ["buckets", "bucketDays", "topicDays", "toolDays", "clusterDays", "sessionDays"];

/**
 * The statements that rebuild the organization's aggregates of the UTC days [fromDay, toDay) from the rows under
 * them, each one DELETE of the range and one INSERT of the sums (run them in one batch: a transaction):
 * - hourly buckets from the sessions that started in each hour, per source; bucket days the same per day;
 * - topic days from the topic links, by the day their session started;
 * - tool days from the sessions' tool-day shares;
 * - cluster days from the misses, by the day they occurred;
 * - session days: the latest updated_at of the sessions that started that day.
 * The rollup keeps the same sums by differences; this is the exact rebuild the sweep runs for the day just ended.
 */
export function recomputeStatements(
  d1: D1Database,
  orgId: string,
  fromDay: number,
  toDay: number,
  only: readonly InsightAggregate[] = ALL_AGGREGATES,
): D1PreparedStatement[] {
  const range = [orgId, fromDay, toDay];
  const rebuild = (table: string, at: string, insert: string) => [
    d1.prepare(`DELETE FROM ${table} WHERE org_id = ? AND ${at} >= ? AND ${at} < ?`).bind(...range),
    d1.prepare(insert).bind(...range),
  ];
  const summed = (a: Summed) => () => rebuild(a.table, a.at, rebuildSummed(a));
  const sql: Record<InsightAggregate, () => D1PreparedStatement[]> = {
    buckets: summed(BUCKETS),
    bucketDays: summed(BUCKET_DAYS),
    topicDays: summed(TOPIC_DAYS),
    toolDays: summed(TOOL_DAYS),
    clusterDays: () =>
      rebuild(
        "insight_cluster_days",
        "day",
        `INSERT INTO insight_cluster_days (org_id, cluster_id, day, misses, first_seen, last_seen)
         SELECT org_id, cluster_id, ${daySql("occurred_at")} AS d, count(*), min(occurred_at), max(occurred_at)
         FROM insight_search_misses WHERE org_id = ? AND occurred_at >= ? AND occurred_at < ? GROUP BY org_id, cluster_id, d`,
      ),
    sessionDays: () =>
      rebuild(
        "insight_session_days",
        "day",
        `INSERT INTO insight_session_days (org_id, day, updated_at)
         SELECT org_id, ${daySql("started_at")} AS d, max(updated_at)
         FROM insight_sessions WHERE org_id = ? AND started_at >= ? AND started_at < ? GROUP BY org_id, d`,
      ),
  };
  return only.flatMap((kind) => sql[kind]());
}

/** The sweep rebuilds the day just ended during these first minutes of the next (UTC). */
const RECOMPUTE_WINDOW_MS = 60_000;

/**
 * The sweep's exact rebuild of the day that just ended (UTC), for every organization with sessions or misses that
 * day: in the sweep of the first minute after midnight. A safety net, not the way the aggregates are kept.
 */
export async function recomputeEndedDay(ctx: Pick<AppContext, "db" | "now" | "log">): Promise<number> {
  const now = ctx.now().getTime();
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  if (now - today >= RECOMPUTE_WINDOW_MS) return 0;
  const day = today - DAY_MS;
  const d1 = ctx.db.$client;
  const { results } = await d1
    .prepare(`SELECT org_id FROM insight_session_days WHERE day = ? UNION SELECT org_id FROM insight_cluster_days WHERE day = ?`)
    .bind(day, day)
    .all<{ org_id: string }>();
  for (const { org_id } of results) await d1.batch(recomputeStatements(d1, org_id, day, day + DAY_MS));
  if (results.length) ctx.log.info("insights aggregates of the day rebuilt", { day: new Date(day).toISOString(), organizations: results.length });
  return results.length;
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
