/** Aggregate rows for the insights read tests, inserted directly (the derivation is not under test here). */
import { asc, eq, sql } from "drizzle-orm";
import {
  insightBucketDays,
  insightBuckets,
  insightEvents,
  insightSearchClusters,
  insightSearchMisses,
  insightSessions,
  insightToolDays,
  insightTopics,
  insightTopicSessions,
} from "../../src/db/schema";
import { recomputeStatements, type InsightAggregate } from "../../src/insights/rollup";
import { db } from "../helpers";

const DAY = 24 * 3600_000;
const dayOf = (d: Date) => Math.floor(d.getTime() / DAY) * DAY;
/** One aggregate of the day of `at`, rebuilt from the rows under it as the sweep does. */
const recompute = (orgId: string, at: Date, kind: InsightAggregate) =>
  db.$client.batch(recomputeStatements(db.$client, orgId, dayOf(at), dayOf(at) + DAY, [kind]));

export interface SummaryInput {
  intents?: string[];
  failedQueries?: string[];
  signals?: Record<string, number | boolean>;
  views?: string[];
  topicKeys?: string[];
  clusterKeys?: string[];
}

export async function insertSession(
  orgId: string,
  s: Partial<typeof insightSessions.$inferInsert> & { startedAt: Date; summary?: SummaryInput },
): Promise<string> {
  const id = s.id ?? `sess-${crypto.randomUUID().slice(0, 8)}`;
  const summary = {
    intents: [],
    failedQueries: [],
    signals: { erroredToolCalls: 0, retriedWithChangedArguments: 0, failedSearches: 0, negativeFeedback: 0, endedAfterError: false },
    views: [],
    topicKeys: [],
    clusterKeys: [],
    ...s.summary,
  };
  await db
    .insert(insightSessions)
    .values({
      mcpServerId: null,
      clientName: null,
      clientVersion: null,
      lastEventAt: s.startedAt,
      events: 1,
      toolCalls: 0,
      toolErrors: 0,
      searches: 0,
      failedSearches: 0,
      negativeFeedback: 0,
      frustration: 0,
      updatedAt: s.startedAt,
      ...s,
      orgId,
      id,
      summary,
    })
    .run();
  // The session day it is in, recomputed as the rollup does.
  await recompute(orgId, s.startedAt, "sessionDays");
  return id;
}

export async function insertTopic(orgId: string, t: Partial<typeof insightTopics.$inferInsert> = {}): Promise<string> {
  const id = t.id ?? crypto.randomUUID();
  await db
    .insert(insightTopics)
    .values({ key: `key-${id}`, label: `Topic ${id.slice(0, 4)}`, createdAt: new Date(), updatedAt: new Date(), ...t, id, orgId })
    .run();
  return id;
}

export async function insertTopicSession(orgId: string, topicId: string, sessionId: string, startedAt: Date, frustration = 0) {
  await db.insert(insightTopicSessions).values({ orgId, topicId, sessionId, startedAt, frustration }).run();
  // The topic day it is in, recomputed as the rollup does.
  await recompute(orgId, startedAt, "topicDays");
}

/** An hourly bucket, and its sums added to its bucket day (as the rollup keeps both). */
export async function insertBucket(orgId: string, b: Partial<typeof insightBuckets.$inferInsert> & { bucketStart: Date }) {
  const row = { mcpServerId: "", sessions: 0, toolCalls: 0, toolErrors: 0, searches: 0, failedSearches: 0, frustrationSum: 0, ...b, orgId };
  await db.insert(insightBuckets).values(row).run();
  const { mcpServerId: _source, bucketStart, ...sums } = row;
  await db
    .insert(insightBucketDays)
    .values({ ...sums, day: new Date(dayOf(bucketStart)) })
    .onConflictDoUpdate({
      target: [insightBucketDays.orgId, insightBucketDays.day],
      set: {
        sessions: sql`${insightBucketDays.sessions} + excluded.sessions`,
        toolCalls: sql`${insightBucketDays.toolCalls} + excluded.tool_calls`,
        toolErrors: sql`${insightBucketDays.toolErrors} + excluded.tool_errors`,
        searches: sql`${insightBucketDays.searches} + excluded.searches`,
        failedSearches: sql`${insightBucketDays.failedSearches} + excluded.failed_searches`,
        frustrationSum: sql`${insightBucketDays.frustrationSum} + excluded.frustration_sum`,
      },
    })
    .run();
}

export async function insertCluster(orgId: string, query: string, mcpServerId = ""): Promise<string> {
  const id = crypto.randomUUID();
  await db.insert(insightSearchClusters).values({ id, orgId, mcpServerId, key: query.toLowerCase(), query, createdAt: new Date() }).run();
  return id;
}

export async function insertMiss(orgId: string, clusterId: string, sessionId: string, occurredAt: Date) {
  await db.insert(insightSearchMisses).values({ orgId, clusterId, eventId: crypto.randomUUID(), sessionId, occurredAt }).run();
  // The cluster day it is in, recomputed as the rollup does.
  await recompute(orgId, occurredAt, "clusterDays");
}

export async function insertEvent(orgId: string, e: Partial<typeof insightEvents.$inferInsert> & { sessionId: string; type: (typeof insightEvents.$inferInsert)["type"]; occurredAt: Date }) {
  const id = e.id ?? crypto.randomUUID();
  await db
    .insert(insightEvents)
    .values({ ingestedAt: e.occurredAt, data: {}, ...e, id, orgId })
    .run();
  return id;
}

/** The organization's tool days as stored, by day, source and tool. */
export const storedToolDays = (orgId: string) =>
  db
    .select()
    .from(insightToolDays)
    .where(eq(insightToolDays.orgId, orgId))
    .orderBy(asc(insightToolDays.day), asc(insightToolDays.mcpServerId), asc(insightToolDays.toolName))
    .all();
