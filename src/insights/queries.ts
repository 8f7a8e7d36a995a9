/**
 * The SQL of the insights reads (docs/insights.md, "Reading"). Everything but a session's trace is read from
 * the aggregates the derivation keeps current (insight_buckets, insight_sessions, insight_topic_sessions,
 * insight_search_misses, and for the overview the topic, cluster and session days), never from raw events. Every answer is redacted on the way out.
 */
import { z } from "@hono/zod-openapi";
import { and, asc, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import {
  insightBucketDays,
  insightBuckets,
  insightClusterDays,
  insightEvents,
  insightSearchClusters,
  insightSearchMisses,
  insightSessionDays,
  insightSessions,
  insightToolDays,
  insightTopicDays,
  insightTopics,
  insightTopicSessions,
} from "../db/schema";
import { ApiError } from "../lib/errors";
import { redactValue } from "../lib/redaction";
import { suggestedWorkflow } from "./derive";

// ---------------------------------------------------------------------------------------------------------
// Windows.

export const INSIGHT_RANGES = ["24h", "7d", "30d", "90d"] as const;
export type InsightRange = (typeof INSIGHT_RANGES)[number];

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const RANGE_BUCKETS: Record<InsightRange, { bucketMs: number; points: number }> = {
  "24h": { bucketMs: HOUR, points: 24 },
  "7d": { bucketMs: DAY, points: 7 },
  "30d": { bucketMs: DAY, points: 30 },
  "90d": { bucketMs: DAY, points: 90 },
};

/** A range's window: whole UTC hours (24h) or days (otherwise) ending with the current one, and the one before. */
export interface InsightWindow {
  /** First instant of the window (inclusive), ms. */
  start: number;
  /** End of the window (exclusive): the end of the current hour or day, ms. */
  end: number;
  /** First instant of the previous window of the same length (inclusive); it ends at `start`. */
  previousStart: number;
  bucketMs: number;
  points: number;
}

/**
 * The window of `range` at `now`: `points` whole buckets (hours for 24h, UTC days otherwise), the last one
 * holding `now`. 7d at Wednesday 15:20 is Thursday 00:00 of the week before until Thursday 00:00 tomorrow.
 */
export function insightWindow(range: InsightRange, now: Date): InsightWindow {
  const { bucketMs, points } = RANGE_BUCKETS[range];
  const end = Math.floor(now.getTime() / bucketMs) * bucketMs + bucketMs;
  const start = end - points * bucketMs;
  return { start, end, previousStart: start - (end - start), bucketMs, points };
}

/**
 * True when the window and the previous one are whole UTC days (7d, 30d, 90d): a session started in them exactly
 * when its UTC day is in them, so the day aggregates (topic days, session days) answer them exactly. 24h windows
 * are whole hours; they read the per-session rows of their 48 hours instead.
 */
const dayAligned = (w: InsightWindow) => w.bucketMs === DAY && w.previousStart % DAY === 0;

const ratio = (num: number, den: number) => (den > 0 ? num / den : 0);
const iso = (ms: number) => new Date(ms).toISOString();
const n = (v: unknown) => Number(v ?? 0);

// ---------------------------------------------------------------------------------------------------------
// The session summary, as the derivation writes it (read leniently: a missing part is empty).

export const SESSION_VIEWS = ["high_frustration", "repeat", "flagged"] as const;
export type SessionView = (typeof SESSION_VIEWS)[number];

const StoredSummary = z.object({
  intents: z.array(z.string()).catch([]),
  failedQueries: z.array(z.string()).catch([]),
  signals: z.record(z.string(), z.union([z.number(), z.boolean()])).catch({}),
  views: z.array(z.string()).catch([]),
  topicKeys: z.array(z.string()).catch([]),
  clusterKeys: z.array(z.string()).catch([]),
});

function parseSummary(raw: unknown) {
  const parsed = StoredSummary.safeParse(raw ?? {});
  return parsed.success ? parsed.data : StoredSummary.parse({});
}

// ---------------------------------------------------------------------------------------------------------
// Sessions.

/**
 * True when the session's client had one of the session's intents in another session that started in
 * [start, end): the read-time half of the `repeat` view.
 */
function clientRepeat(start: number, end: number): SQL<number> {
  // Written out qualified: drizzle leaves a single-table select's columns bare, which inside the subquery
  // would name s2's (or json_each's) columns. Every query using this reads "insight_sessions" unaliased.
  return sql<number>`("insight_sessions"."client_name" is not null and exists (
    select 1 from json_each("insight_sessions"."summary", '$.intents') as i
    where exists (
      select 1 from insight_sessions as s2, json_each(s2.summary, '$.intents') as i2
      where s2.org_id = "insight_sessions"."org_id" and s2.client_name = "insight_sessions"."client_name"
        and s2.id <> "insight_sessions"."id" and s2.started_at >= ${start} and s2.started_at < ${end}
        and i2.value = i.value)))`;
}

const hasInList = (path: string, value: string) =>
  sql`exists (select 1 from json_each("insight_sessions"."summary", ${path}) as j where j.value = ${value})`;

const sessionColumns = (w: InsightWindow) => ({
  id: insightSessions.id,
  mcpServerId: insightSessions.mcpServerId,
  clientName: insightSessions.clientName,
  clientVersion: insightSessions.clientVersion,
  startedAt: insightSessions.startedAt,
  lastEventAt: insightSessions.lastEventAt,
  events: insightSessions.events,
  toolCalls: insightSessions.toolCalls,
  toolErrors: insightSessions.toolErrors,
  searches: insightSessions.searches,
  failedSearches: insightSessions.failedSearches,
  negativeFeedback: insightSessions.negativeFeedback,
  frustration: insightSessions.frustration,
  summary: insightSessions.summary,
  clientRepeat: clientRepeat(w.start, w.end),
});

/** A session as the reads select it: its stored row (less org and bookkeeping), plus the read-time repeat flag. */
type SessionRow = Omit<typeof insightSessions.$inferSelect, "orgId" | "updatedAt" | "summary"> & { summary: unknown; clientRepeat?: unknown };

/** A session as lists show it (not yet redacted). */
function toSessionItem(row: SessionRow) {
  const summary = parseSummary(row.summary);
  const views = new Set(summary.views.filter((v): v is SessionView => (SESSION_VIEWS as readonly string[]).includes(v)));
  if (n(row.clientRepeat) === 1) views.add("repeat");
  return {
    id: row.id,
    mcpServerId: row.mcpServerId,
    client: { name: row.clientName, version: row.clientVersion },
    startedAt: row.startedAt.toISOString(),
    lastEventAt: row.lastEventAt.toISOString(),
    counts: {
      events: row.events,
      toolCalls: row.toolCalls,
      toolErrors: row.toolErrors,
      searches: row.searches,
      failedSearches: row.failedSearches,
      negativeFeedback: row.negativeFeedback,
    },
    frustration: row.frustration,
    intents: summary.intents,
    views: SESSION_VIEWS.filter((v) => views.has(v)),
  };
}

export interface ListSessionsInput {
  range: InsightRange;
  view: "all" | SessionView;
  intent?: string;
  search_miss?: string;
  limit: number;
}

/** Sessions that started in the window and match every filter, newest first. */
export async function listSessions(db: Database, orgId: string, input: ListSessionsInput, now: Date) {
  const w = insightWindow(input.range, now);
  const conditions: SQL[] = [
    eq(insightSessions.orgId, orgId),
    gte(insightSessions.startedAt, new Date(w.start)),
    lt(insightSessions.startedAt, new Date(w.end)),
  ];
  if (input.view === "repeat") conditions.push(sql`(${hasInList("$.views", "repeat")} or ${clientRepeat(w.start, w.end)})`);
  else if (input.view !== "all") conditions.push(hasInList("$.views", input.view));
  if (input.intent !== undefined) conditions.push(hasInList("$.intents", input.intent));
  if (input.search_miss !== undefined) conditions.push(hasInList("$.failedQueries", input.search_miss));
  const rows = await db
    .select(sessionColumns(w))
    .from(insightSessions)
    .where(and(...conditions))
    .orderBy(desc(insightSessions.startedAt), desc(insightSessions.id))
    .limit(input.limit);
  return redactValue({ range: input.range, from: iso(w.start), to: iso(w.end), sessions: rows.map(toSessionItem) });
}

/** The most events a trace answers; `truncated` says when the session has more. */
export const MAX_TRACE_EVENTS = 1000;

/** One session's events in order and its classifications, redacted; 404 when not in this organization. */
export async function getSessionTrace(db: Database, orgId: string, id: string, now: Date) {
  const w = insightWindow("90d", now);
  const [found, events] = await db.batch([
    db
      .select(sessionColumns(w))
      .from(insightSessions)
      .where(and(eq(insightSessions.orgId, orgId), eq(insightSessions.id, id))),
    db
      .select()
      .from(insightEvents)
      .where(and(eq(insightEvents.orgId, orgId), eq(insightEvents.sessionId, id)))
      .orderBy(asc(insightEvents.occurredAt), asc(insightEvents.id))
      .limit(MAX_TRACE_EVENTS + 1),
  ]);
  const row = found[0];
  if (!row) throw new ApiError("not_found", "Session not found");
  const summary = parseSummary(row.summary);
  const item = toSessionItem(row);
  return redactValue({
    session: item,
    classifications: {
      frustration: row.frustration,
      signals: summary.signals,
      views: item.views,
      intents: summary.intents,
      failedQueries: summary.failedQueries,
    },
    events: events.slice(0, MAX_TRACE_EVENTS).map((e) => ({
      id: e.id,
      type: e.type,
      occurredAt: e.occurredAt.toISOString(),
      intent: e.intent,
      toolName: e.toolName,
      query: e.query,
      resultCount: e.resultCount,
      isError: e.isError,
      rating: e.rating,
      data: e.data ?? {},
    })),
    truncated: events.length > MAX_TRACE_EVENTS,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Topics.

export const TOPIC_SORTS = ["volume", "frustration", "trend"] as const;
export type TopicSort = (typeof TOPIC_SORTS)[number];

/**
 * The mean frustration from its sum and count, exact: scores are multiples of 0.001 (frustrationScore), so the
 * sum in thousandths, rounded, is the exact integer whatever the order of the additions (the links one by one, or
 * the topic days' sums), and one division gives the correctly rounded mean. Null when the count is 0.
 */
const exactMean = (sum: SQL, count: SQL<number>) => sql<number | null>`round(${sum} * 1000) / (1000.0 * ${count})`;

/**
 * What topic figures are summed from: the topic-session links (one row per session), or their topic days (one row
 * per topic and UTC day, exact only for windows of whole UTC days, see dayAligned).
 */
const TOPIC_SOURCES = {
  links: { table: insightTopicSessions, at: insightTopicSessions.startedAt, sessions: sql`1`, frustration: insightTopicSessions.frustration },
  days: { table: insightTopicDays, at: insightTopicDays.day, sessions: sql`${insightTopicDays.sessions}`, frustration: insightTopicDays.frustrationSum },
} as const;
type TopicSource = (typeof TOPIC_SOURCES)[keyof typeof TOPIC_SOURCES];

/** Volume, mean frustration and previous volume of a topic's sessions over [previousStart, end). */
function topicAggregates(w: InsightWindow, src: TopicSource = TOPIC_SOURCES.links) {
  const inWindow = sql`${src.at} >= ${w.start}`;
  const volume = sql<number>`coalesce(sum(case when ${inWindow} then ${src.sessions} else 0 end), 0)`;
  const previousVolume = sql<number>`coalesce(sum(case when ${inWindow} then 0 else ${src.sessions} end), 0)`;
  const frustration = exactMean(sql`sum(case when ${inWindow} then ${src.frustration} end)`, volume);
  return { volume, previousVolume, frustration };
}

const topicWindowJoin = (w: InsightWindow, src: TopicSource = TOPIC_SOURCES.links) =>
  and(
    eq(src.table.topicId, insightTopics.id),
    eq(src.table.orgId, insightTopics.orgId),
    gte(src.at, new Date(w.previousStart)),
    lt(src.at, new Date(w.end)),
  );

interface TopicRow {
  id: string;
  label: string;
  isUnmetDemand: boolean;
  archived: boolean;
  volume: unknown;
  previousVolume: unknown;
  frustration: unknown;
}

function toTopicView(row: TopicRow) {
  const volume = n(row.volume);
  const previousVolume = n(row.previousVolume);
  return {
    id: row.id,
    label: row.label,
    isUnmetDemand: row.isUnmetDemand,
    archived: row.archived,
    volume,
    previousVolume,
    frustration: volume > 0 ? n(row.frustration) : 0,
    trend: volume - previousVolume,
  };
}

/** A topic's own columns and its window figures, as every topic read selects them. */
const topicColumns = (agg: ReturnType<typeof topicAggregates>) => ({
  id: insightTopics.id,
  label: insightTopics.label,
  isUnmetDemand: insightTopics.isUnmetDemand,
  archived: insightTopics.archived,
  ...agg,
});

/** Non-archived topics with sessions in the window, sorted by `sort`, summed from `src` (default the links). */
async function topTopics(db: Database, orgId: string, w: InsightWindow, sort: TopicSort, limit: number, src: TopicSource = TOPIC_SOURCES.links) {
  return (await topTopicsQuery(db, orgId, w, sort, limit, src)).map(toTopicView);
}

/** The statement of topTopics (not run), so that the overview can send it in its batch. */
function topTopicsQuery(db: Database, orgId: string, w: InsightWindow, sort: TopicSort, limit: number, src: TopicSource) {
  const agg = topicAggregates(w, src);
  const order: SQL[] = {
    volume: [desc(agg.volume), asc(insightTopics.label), asc(insightTopics.id)],
    frustration: [sql`${agg.frustration} desc`, desc(agg.volume), asc(insightTopics.label), asc(insightTopics.id)],
    trend: [sql`(${agg.volume} - ${agg.previousVolume}) desc`, desc(agg.volume), asc(insightTopics.label), asc(insightTopics.id)],
  }[sort];
  return db
    .select(topicColumns(agg))
    .from(insightTopics)
    .innerJoin(src.table, topicWindowJoin(w, src))
    .where(and(eq(insightTopics.orgId, orgId), eq(insightTopics.archived, false)))
    .groupBy(insightTopics.id)
    .having(sql`${agg.volume} > 0`)
    .orderBy(...order)
    .limit(limit);
}

export interface ListTopicsInput {
  range: InsightRange;
  sort: TopicSort;
  limit: number;
}

/**
 * Non-archived topics with sessions in the window. Windows of whole UTC days (7d, 30d, 90d) are summed from the topic
 * days (rows ≤ topics × days: the same figures, see exactMean and dayAligned); 24h from the links of its 48 hours.
 */
export async function listTopics(db: Database, orgId: string, input: ListTopicsInput, now: Date) {
  const w = insightWindow(input.range, now);
  const topics = await topTopics(db, orgId, w, input.sort, input.limit, dayAligned(w) ? TOPIC_SOURCES.days : TOPIC_SOURCES.links);
  return redactValue({ range: input.range, from: iso(w.start), to: iso(w.end), topics });
}

const topicNotFound = () => new ApiError("not_found", "Topic not found");

/** The topic (archived or not) with its window figures, sample sessions and related failed searches. */
export async function getTopic(db: Database, orgId: string, id: string, range: InsightRange, now: Date) {
  const w = insightWindow(range, now);
  const agg = topicAggregates(w);
  const inWindow = and(
    eq(insightTopicSessions.orgId, orgId),
    eq(insightTopicSessions.topicId, id),
    gte(insightTopicSessions.startedAt, new Date(w.start)),
    lt(insightTopicSessions.startedAt, new Date(w.end)),
  );
  const sharedSessions = sql<number>`count(distinct ${insightSearchMisses.sessionId})`;
  const misses = sql<number>`count(*)`;
  const [topicRows, samples, related] = await db.batch([
    db
      .select(topicColumns(agg))
      .from(insightTopics)
      .leftJoin(insightTopicSessions, topicWindowJoin(w))
      .where(and(eq(insightTopics.orgId, orgId), eq(insightTopics.id, id)))
      .groupBy(insightTopics.id),
    db
      .select(sessionColumns(w))
      .from(insightTopicSessions)
      .innerJoin(insightSessions, and(eq(insightSessions.orgId, insightTopicSessions.orgId), eq(insightSessions.id, insightTopicSessions.sessionId)))
      .where(inWindow)
      .orderBy(desc(insightTopicSessions.startedAt), desc(insightTopicSessions.sessionId))
      .limit(5),
    db
      .select({ id: insightSearchClusters.id, query: insightSearchClusters.query, mcpServerId: insightSearchClusters.mcpServerId, sharedSessions, misses })
      .from(insightTopicSessions)
      .innerJoin(insightSearchMisses, and(eq(insightSearchMisses.orgId, insightTopicSessions.orgId), eq(insightSearchMisses.sessionId, insightTopicSessions.sessionId)))
      .innerJoin(insightSearchClusters, and(eq(insightSearchClusters.id, insightSearchMisses.clusterId), eq(insightSearchClusters.orgId, insightSearchMisses.orgId)))
      .where(inWindow)
      .groupBy(insightSearchClusters.id)
      .orderBy(desc(sharedSessions), desc(misses), asc(insightSearchClusters.query), asc(insightSearchClusters.id))
      .limit(5),
  ]);
  const topic = topicRows[0];
  if (!topic) throw topicNotFound();
  return redactValue({
    ...toTopicView(topic),
    range,
    from: iso(w.start),
    to: iso(w.end),
    samples: samples.map(toSessionItem),
    relatedSearches: related.map((r) => ({ id: r.id, query: r.query, mcpServerId: r.mcpServerId === "" ? null : r.mcpServerId, sharedSessions: n(r.sharedSessions), misses: n(r.misses) })),
  });
}

export interface UpdateTopicInput {
  label?: string;
  is_unmet_demand?: boolean;
  archived?: boolean;
}

/** Renames, flags or archives a topic of the organization; answers it as `getTopic` does (7d). */
export async function updateTopic(db: Database, orgId: string, id: string, input: UpdateTopicInput, now: Date) {
  const set: Partial<typeof insightTopics.$inferInsert> = { updatedAt: now };
  if (input.label !== undefined) set.label = input.label;
  if (input.is_unmet_demand !== undefined) set.isUnmetDemand = input.is_unmet_demand;
  if (input.archived !== undefined) set.archived = input.archived;
  const updated = await db
    .update(insightTopics)
    .set(set)
    .where(and(eq(insightTopics.orgId, orgId), eq(insightTopics.id, id)))
    .returning({ id: insightTopics.id });
  if (updated.length === 0) throw topicNotFound();
  return getTopic(db, orgId, id, "7d", now);
}

// ---------------------------------------------------------------------------------------------------------
// Failed-search clusters.

const clusterAggregates = {
  count: sql<number>`count(*)`,
  sessions: sql<number>`count(distinct ${insightSearchMisses.sessionId})`,
  firstSeen: sql<number>`min(${insightSearchMisses.occurredAt})`,
  lastSeen: sql<number>`max(${insightSearchMisses.occurredAt})`,
};

interface ClusterRow {
  id: string;
  query: string;
  mcpServerId: string;
  count: unknown;
  sessions: unknown;
  firstSeen: unknown;
  lastSeen: unknown;
}

function toClusterView(row: ClusterRow) {
  return {
    id: row.id,
    query: row.query,
    mcpServerId: row.mcpServerId === "" ? null : row.mcpServerId,
    count: n(row.count),
    sessions: n(row.sessions),
    firstSeen: iso(n(row.firstSeen)),
    lastSeen: iso(n(row.lastSeen)),
  };
}

/** Clusters with failed searches in [start, end), by count (then the latest first). */
async function topClusters(db: Database, orgId: string, w: InsightWindow, limit: number) {
  return (await topClustersQuery(db, orgId, w, limit)).map(toClusterView);
}

/** The statement of topClusters (not run). */
function topClustersQuery(db: Database, orgId: string, w: InsightWindow, limit: number) {
  return db
    .select({ id: insightSearchClusters.id, query: insightSearchClusters.query, mcpServerId: insightSearchClusters.mcpServerId, ...clusterAggregates })
    .from(insightSearchMisses)
    .innerJoin(insightSearchClusters, and(eq(insightSearchClusters.id, insightSearchMisses.clusterId), eq(insightSearchClusters.orgId, insightSearchMisses.orgId)))
    .where(and(eq(insightSearchMisses.orgId, orgId), gte(insightSearchMisses.occurredAt, new Date(w.start)), lt(insightSearchMisses.occurredAt, new Date(w.end))))
    .groupBy(insightSearchClusters.id)
    .orderBy(desc(clusterAggregates.count), desc(clusterAggregates.lastSeen), asc(insightSearchClusters.id))
    .limit(limit);
}

/**
 * The statement (not run) of topClusters(…) from the cluster days (rows ≤ clusters × days of the window): count,
 * first and last seen per cluster are exact from the days; the distinct sessions are counted afterwards
 * (withSessionCounts) from the misses of the `limit` clusters answered only (one index-only read each). Exact only
 * for windows of whole UTC days (see dayAligned).
 */
function topClusterDaysQuery(db: Database, orgId: string, w: InsightWindow, limit: number) {
  const count = sql<number>`sum(${insightClusterDays.misses})`;
  const lastSeen = sql<number>`max(${insightClusterDays.lastSeen})`;
  return db
    .select({
      id: insightSearchClusters.id,
      query: insightSearchClusters.query,
      mcpServerId: insightSearchClusters.mcpServerId,
      count,
      firstSeen: sql<number>`min(${insightClusterDays.firstSeen})`,
      lastSeen,
    })
    .from(insightClusterDays)
    .innerJoin(insightSearchClusters, and(eq(insightSearchClusters.id, insightClusterDays.clusterId), eq(insightSearchClusters.orgId, insightClusterDays.orgId)))
    .where(and(eq(insightClusterDays.orgId, orgId), gte(insightClusterDays.day, new Date(w.start)), lt(insightClusterDays.day, new Date(w.end))))
    .groupBy(insightSearchClusters.id)
    .orderBy(desc(count), desc(lastSeen), asc(insightSearchClusters.id))
    .limit(limit);
}

/** The clusters topClusterDaysQuery answered, with their distinct sessions counted from their misses (one batch). */
async function withSessionCounts(db: Database, orgId: string, w: InsightWindow, top: Array<Omit<ClusterRow, "sessions">>) {
  if (top.length === 0) return [];
  const sessions = (await db.batch(
    top.map((c) =>
      db
        .select({ sessions: clusterAggregates.sessions })
        .from(insightSearchMisses)
        .where(
          and(
            eq(insightSearchMisses.orgId, orgId),
            eq(insightSearchMisses.clusterId, c.id),
            gte(insightSearchMisses.occurredAt, new Date(w.start)),
            lt(insightSearchMisses.occurredAt, new Date(w.end)),
          ),
        ),
    ) as [never, ...never[]],
  )) as unknown as Array<Array<{ sessions: unknown }>>;
  return top.map((c, i) => toClusterView({ ...c, sessions: sessions[i]?.[0]?.sessions }));
}

// ---------------------------------------------------------------------------------------------------------
// Overview.

interface Sums {
  sessions: number;
  toolCalls: number;
  toolErrors: number;
  searches: number;
  failedSearches: number;
  frustrationSum: number;
}
const ZERO: Sums = { sessions: 0, toolCalls: 0, toolErrors: 0, searches: 0, failedSearches: 0, frustrationSum: 0 };
const add = (a: Sums, b: Sums): Sums => ({
  sessions: a.sessions + b.sessions,
  toolCalls: a.toolCalls + b.toolCalls,
  toolErrors: a.toolErrors + b.toolErrors,
  searches: a.searches + b.searches,
  failedSearches: a.failedSearches + b.failedSearches,
  frustrationSum: a.frustrationSum + b.frustrationSum,
});
const rates = (s: Sums) => ({
  errorRate: ratio(s.toolErrors, s.toolCalls),
  failedSearchRate: ratio(s.failedSearches, s.searches),
  avgFrustration: ratio(s.frustrationSum, s.sessions),
});

/** The most tools the overview's `unusedTools` lists. */
export const UNUSED_TOOLS_LIMIT = 50;

/**
 * Where the overview's unmet-demand count, top topics and `asOf` come from: the per-session rows (24h: 48 hours of
 * them), or their day aggregates (rows ≤ topics × days and ≤ days of the two windows) when the windows are whole days.
 */
const OVERVIEW_SOURCES = {
  sessions: { topics: TOPIC_SOURCES.links, sessions: insightSessions, sessionAt: insightSessions.startedAt },
  days: { topics: TOPIC_SOURCES.days, sessions: insightSessionDays, sessionAt: insightSessionDays.day },
} as const;

/** The overview's unmet-demand topics (current and previous window) and `asOf`, from one of OVERVIEW_SOURCES. */
function unmetAndFreshness(db: Database, orgId: string, w: InsightWindow, source: (typeof OVERVIEW_SOURCES)[keyof typeof OVERVIEW_SOURCES]) {
  const { topics, sessions, sessionAt } = source;
  const unmet = db
    .select({
      current: sql<number>`count(distinct case when ${topics.at} >= ${w.start} then ${topics.table.topicId} end)`,
      previous: sql<number>`count(distinct case when ${topics.at} < ${w.start} then ${topics.table.topicId} end)`,
    })
    .from(topics.table)
    .innerJoin(insightTopics, and(eq(insightTopics.id, topics.table.topicId), eq(insightTopics.orgId, topics.table.orgId)))
    .where(
      and(
        eq(topics.table.orgId, orgId),
        eq(insightTopics.isUnmetDemand, true),
        eq(insightTopics.archived, false),
        gte(topics.at, new Date(w.previousStart)),
        lt(topics.at, new Date(w.end)),
      ),
    );
  const fresh = db
    .select({ asOf: sql<number | null>`max(${sessions.updatedAt})` })
    .from(sessions)
    .where(and(eq(sessions.orgId, orgId), gte(sessionAt, new Date(w.previousStart)), lt(sessionAt, new Date(w.end))));
  return { unmet, fresh };
}

/** The summed columns the hourly buckets and the bucket days share. */
const pickSums = (t: typeof insightBuckets | typeof insightBucketDays) => ({
  orgId: t.orgId,
  sessions: t.sessions,
  toolCalls: t.toolCalls,
  toolErrors: t.toolErrors,
  searches: t.searches,
  failedSearches: t.failedSearches,
  frustrationSum: t.frustrationSum,
});

/** KPIs, trend points, top topics and clusters for the window; see docs/insights.md "Reading". */
export async function getOverview(db: Database, orgId: string, range: InsightRange, now: Date) {
  const w = insightWindow(range, now);
  const byDay = dayAligned(w);
  // The trend's sums: hourly buckets (24h), or one row per day of the two windows (7d-90d). D1 binds JS numbers as
  // REAL: cast so that the division is an integer one.
  const sums = byDay
    ? { table: insightBucketDays, at: insightBucketDays.day, ...pickSums(insightBucketDays) }
    : { table: insightBuckets, at: insightBuckets.bucketStart, ...pickSums(insightBuckets) };
  const index = sql<number>`cast((${sums.at} - ${w.previousStart}) / ${w.bucketMs} as integer)`;
  const source = byDay ? OVERVIEW_SOURCES.days : OVERVIEW_SOURCES.sessions;
  const { unmet, fresh } = unmetAndFreshness(db, orgId, w, source);
  // Tools offered but never called: from the tool days the window touches (for 24h, the UTC days it overlaps).
  const offered = sql<number>`sum(${insightToolDays.offered})`;
  const unusedTools = db
    .select({ mcpServerId: insightToolDays.mcpServerId, toolName: insightToolDays.toolName, offered })
    .from(insightToolDays)
    .where(and(eq(insightToolDays.orgId, orgId), gte(insightToolDays.day, new Date(Math.floor(w.start / DAY) * DAY)), lt(insightToolDays.day, new Date(w.end))))
    .groupBy(insightToolDays.mcpServerId, insightToolDays.toolName)
    .having(sql`${offered} > 0 and sum(${insightToolDays.calls}) = 0`)
    .orderBy(desc(offered), asc(insightToolDays.mcpServerId), asc(insightToolDays.toolName))
    .limit(UNUSED_TOOLS_LIMIT);
  // One batch for everything but the distinct sessions of the 5 clusters (7d-90d), which need to know them.
  const [buckets, unmetRows, freshRows, unusedRows, topicRows, clusterRows] = await db.batch([
    db
      .select({
        index,
        sessions: sql<number>`sum(${sums.sessions})`,
        toolCalls: sql<number>`sum(${sums.toolCalls})`,
        toolErrors: sql<number>`sum(${sums.toolErrors})`,
        searches: sql<number>`sum(${sums.searches})`,
        failedSearches: sql<number>`sum(${sums.failedSearches})`,
        frustrationSum: sql<number>`sum(${sums.frustrationSum})`,
      })
      .from(sums.table)
      .where(and(eq(sums.orgId, orgId), gte(sums.at, new Date(w.previousStart)), lt(sums.at, new Date(w.end))))
      .groupBy(index),
    unmet,
    fresh,
    unusedTools,
    topTopicsQuery(db, orgId, w, "volume", 5, source.topics),
    byDay ? topClusterDaysQuery(db, orgId, w, 5) : topClustersQuery(db, orgId, w, 5),
  ]);
  const topTopicRows = topicRows.map(toTopicView);
  const topClusterRows = byDay
    ? await withSessionCounts(db, orgId, w, clusterRows as Array<Omit<ClusterRow, "sessions">>)
    : (clusterRows as ClusterRow[]).map(toClusterView);

  const points: Sums[] = Array.from({ length: 2 * w.points }, () => ({ ...ZERO }));
  for (const b of buckets) {
    const i = Math.floor(n(b.index));
    if (i >= 0 && i < points.length) {
      points[i] = add(points[i]!, {
        sessions: n(b.sessions),
        toolCalls: n(b.toolCalls),
        toolErrors: n(b.toolErrors),
        searches: n(b.searches),
        failedSearches: n(b.failedSearches),
        frustrationSum: n(b.frustrationSum),
      });
    }
  }
  const previous = points.slice(0, w.points).reduce(add, ZERO);
  const current = points.slice(w.points).reduce(add, ZERO);
  const kpi = (value: number, prev: number) => ({ value, previous: prev });
  const [cur, prev] = [rates(current), rates(previous)];
  const asOf = freshRows[0]?.asOf;
  return redactValue({
    range,
    from: iso(w.start),
    to: iso(w.end),
    bucket: w.bucketMs === HOUR ? ("hour" as const) : ("day" as const),
    asOf: asOf === null || asOf === undefined ? null : iso(n(asOf)),
    kpis: {
      sessions: kpi(current.sessions, previous.sessions),
      toolCalls: kpi(current.toolCalls, previous.toolCalls),
      errorRate: kpi(cur.errorRate, prev.errorRate),
      failedSearchRate: kpi(cur.failedSearchRate, prev.failedSearchRate),
      avgFrustration: kpi(cur.avgFrustration, prev.avgFrustration),
      unmetDemandTopics: kpi(n(unmetRows[0]?.current), n(unmetRows[0]?.previous)),
    },
    trend: points.slice(w.points).map((s, i) => ({
      bucketStart: iso(w.start + i * w.bucketMs),
      sessions: s.sessions,
      toolCalls: s.toolCalls,
      toolErrors: s.toolErrors,
      searches: s.searches,
      failedSearches: s.failedSearches,
      ...rates(s),
    })),
    topTopics: topTopicRows,
    topFailedSearches: topClusterRows,
    unusedTools: unusedRows.map((r) => ({ mcpServerId: r.mcpServerId === "" ? null : r.mcpServerId, toolName: r.toolName, offered: n(r.offered) })),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Failed searches.

/** Sessions of a cluster's failed searches in the window, the latest first: up to this many per cluster. */
export const CLUSTER_SAMPLE_SESSIONS = 5;

/** The latest distinct sessions of each cluster's misses in [start, end). */
async function clusterSamples(db: Database, orgId: string, clusterIds: string[], w: InsightWindow) {
  const out = new Map<string, Array<{ sessionId: string; lastSeen: string }>>();
  if (clusterIds.length === 0) return out;
  const lastSeen = sql<number>`max(${insightSearchMisses.occurredAt})`;
  const rows = await db.batch(
    clusterIds.map((id) =>
      db
        .select({ clusterId: insightSearchMisses.clusterId, sessionId: insightSearchMisses.sessionId, lastSeen })
        .from(insightSearchMisses)
        .where(
          and(
            eq(insightSearchMisses.orgId, orgId),
            eq(insightSearchMisses.clusterId, id),
            gte(insightSearchMisses.occurredAt, new Date(w.start)),
            lt(insightSearchMisses.occurredAt, new Date(w.end)),
          ),
        )
        .groupBy(insightSearchMisses.sessionId)
        .orderBy(desc(lastSeen), asc(insightSearchMisses.sessionId))
        .limit(CLUSTER_SAMPLE_SESSIONS),
    ) as [never, ...never[]],
  );
  clusterIds.forEach((id, i) => {
    const list = ((rows as unknown as Array<Array<{ sessionId: string; lastSeen: unknown }>>)[i] ?? []).map((r) => ({ sessionId: r.sessionId, lastSeen: iso(n(r.lastSeen)) }));
    out.set(id, list);
  });
  return out;
}

/** A cluster with its sample sessions and the derivation's suggestion (not yet redacted). */
function withSuggestion(c: ReturnType<typeof toClusterView>, samples: Array<{ sessionId: string; lastSeen: string }>) {
  const suggestion = suggestedWorkflow({ mcpServerId: c.mcpServerId, query: c.query, misses: c.count, sessions: c.sessions });
  return { ...c, sampleSessions: samples, suggestedGap: suggestion.suggestedGap, suggestedWorkflow: suggestion.workflow };
}

export interface ListSearchesInput {
  range: InsightRange;
  limit: number;
}

/** Failed-search clusters with misses in the window, by count. */
export async function listSearches(db: Database, orgId: string, input: ListSearchesInput, now: Date) {
  const w = insightWindow(input.range, now);
  const clusters = await topClusters(db, orgId, w, input.limit);
  const samples = await clusterSamples(db, orgId, clusters.map((c) => c.id), w);
  return redactValue({
    range: input.range,
    from: iso(w.start),
    to: iso(w.end),
    searches: clusters.map((c) => withSuggestion(c, samples.get(c.id) ?? [])),
  });
}

/** One cluster of the organization with its window figures (zeros and null first/last seen without misses). */
export async function getSearch(db: Database, orgId: string, id: string, range: InsightRange, now: Date) {
  const w = insightWindow(range, now);
  const [found, aggregates] = await db.batch([
    db
      .select()
      .from(insightSearchClusters)
      .where(and(eq(insightSearchClusters.orgId, orgId), eq(insightSearchClusters.id, id))),
    db
      .select(clusterAggregates)
      .from(insightSearchMisses)
      .where(
        and(
          eq(insightSearchMisses.orgId, orgId),
          eq(insightSearchMisses.clusterId, id),
          gte(insightSearchMisses.occurredAt, new Date(w.start)),
          lt(insightSearchMisses.occurredAt, new Date(w.end)),
        ),
      ),
  ]);
  const cluster = found[0];
  if (!cluster) throw new ApiError("not_found", "Search cluster not found");
  const agg = aggregates[0];
  const count = n(agg?.count);
  const view = {
    id: cluster.id,
    query: cluster.query,
    mcpServerId: cluster.mcpServerId === "" ? null : cluster.mcpServerId,
    count,
    sessions: n(agg?.sessions),
    firstSeen: count > 0 ? iso(n(agg?.firstSeen)) : null,
    lastSeen: count > 0 ? iso(n(agg?.lastSeen)) : null,
  };
  const samples = await clusterSamples(db, orgId, [id], w);
  const suggestion = suggestedWorkflow({ mcpServerId: view.mcpServerId, query: view.query, misses: view.count, sessions: view.sessions });
  return redactValue({
    ...view,
    range,
    from: iso(w.start),
    to: iso(w.end),
    sampleSessions: samples.get(id) ?? [],
    suggestedGap: suggestion.suggestedGap,
    suggestedWorkflow: suggestion.workflow,
  });
}
