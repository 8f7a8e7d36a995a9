/**
 * The rollup keeps the summed aggregates (hourly buckets, topic days, tool days, cluster days, session days) by
 * differences: whatever order, repetition or overlap of rollups, they must equal the exact rebuild from the rows
 * under them (recomputeStatements), and a rollup that read fewer events than are stored must change nothing.
 */
import { and, asc, eq } from "drizzle-orm";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  insightBucketDays,
  insightBuckets,
  insightClusterDays,
  insightEvents,
  insightSessionDays,
  insightSessions,
  insightTopicDays,
} from "../../src/db/schema";
import { recomputeEndedDay, recomputeStatements, rollupSessions } from "../../src/insights/rollup";
import { runSweep } from "../../src/scheduler/sweep";
import { createOrg, db, testContext } from "../helpers";
import { storedToolDays } from "./read-fixtures";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** 2026-03-02 00:00 UTC. */
const D0 = Date.UTC(2026, 2, 2);
const NOW = new Date(D0 + 4 * DAY);
const SOURCES = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222", null];
const INTENTS = ["List invoices", "Export the report", "refund a payment", "check status", "Find a customer"];
const TOOLS = ["list_invoices", "export", "refund", "status", "search_customers"];
const QUERIES = ["refund policy", "Refund  policy?", "pricing", "api limits", "sso setup"];

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

type Rand = ReturnType<typeof random>;
let seq = 0;

/** One random event of a session around `at`: every type, intents, failed and good searches, tool lists. */
function event(r: Rand, orgId: string, sessionId: string, at: number): typeof insightEvents.$inferInsert {
  const base = {
    orgId,
    sessionId,
    id: `ev-${(seq++).toString().padStart(7, "0")}`,
    occurredAt: new Date(at),
    ingestedAt: new Date(at),
    mcpServerId: r.pick(SOURCES),
    clientName: "client",
    clientVersion: "1",
    intent: r.next() < 0.5 ? r.pick(INTENTS) : null,
    data: {},
  };
  const kind = r.int(6);
  if (kind === 0) return { ...base, type: "tool_call", toolName: r.pick(TOOLS), isError: r.next() < 0.3, data: { arguments: { n: r.int(3) } } };
  if (kind === 1) return { ...base, type: "search", query: r.pick(QUERIES), resultCount: r.next() < 0.5 ? 0 : 3, isError: r.next() < 0.1 };
  if (kind === 2) return { ...base, type: "tools_list", data: { toolNames: TOOLS.filter(() => r.next() < 0.6) } };
  if (kind === 3) return { ...base, type: "feedback", rating: r.next() < 0.5 ? "negative" : "positive" };
  if (kind === 4) return { ...base, type: "session_end" };
  return { ...base, type: "session_start" };
}

async function aggregates(orgId: string) {
  return {
    buckets: await db.select().from(insightBuckets).where(eq(insightBuckets.orgId, orgId)).orderBy(asc(insightBuckets.bucketStart), asc(insightBuckets.mcpServerId)).all(),
    bucketDays: await db.select().from(insightBucketDays).where(eq(insightBucketDays.orgId, orgId)).orderBy(asc(insightBucketDays.day)).all(),
    topicDays: await db.select().from(insightTopicDays).where(eq(insightTopicDays.orgId, orgId)).orderBy(asc(insightTopicDays.day), asc(insightTopicDays.topicId)).all(),
    toolDays: await storedToolDays(orgId),
    clusterDays: await db.select().from(insightClusterDays).where(eq(insightClusterDays.orgId, orgId)).orderBy(asc(insightClusterDays.day), asc(insightClusterDays.clusterId)).all(),
    sessionDays: await db.select().from(insightSessionDays).where(eq(insightSessionDays.orgId, orgId)).orderBy(asc(insightSessionDays.day)).all(),
  };
}

/** The aggregates as the exact rebuild leaves them (the rows under them are not touched by it). */
async function rebuilt(orgId: string) {
  await db.$client.batch(recomputeStatements(db.$client, orgId, D0 - 2 * DAY, D0 + 6 * DAY));
  return aggregates(orgId);
}

const insert = async (rows: (typeof insightEvents.$inferInsert)[]) => {
  for (const part of Array.from({ length: Math.ceil(rows.length / 5) }, (_, i) => rows.slice(i * 5, i * 5 + 5))) {
    await db.insert(insightEvents).values(part).run();
  }
};

describe("the rollup's aggregates by differences", () => {
  it("equal the exact rebuild after many random rollups: batches, repeats, overlapping ones at once, sessions moving hour, day and source", async () => {
    for (const seed of [1, 2, 3]) {
      const r = random(seed);
      const org = await createOrg();
      const ctx = testContext({ now: NOW });
      const sessions = Array.from({ length: 12 }, (_, i) => ({ id: `s${seed}-${i}`, start: D0 + r.int(3 * DAY) }));
      for (let round = 0; round < 8; round++) {
        const touched = sessions.filter(() => r.next() < 0.4);
        const rows = touched.flatMap((s) =>
          Array.from({ length: 1 + r.int(5) }, () => {
            // Mostly after the start; sometimes before it, moving the session to an earlier hour or day.
            const at = r.next() < 0.15 ? s.start - r.int(30 * HOUR) : s.start + r.int(2 * HOUR);
            return event(r, org.id, s.id, at);
          }),
        );
        await insert(rows);
        const ids = touched.map((s) => s.id);
        if (round % 3 === 0) {
          // Two rollups of overlapping sessions at once, and one of all of them.
          await Promise.all([rollupSessions(ctx, org.id, ids.slice(0, 3)), rollupSessions(ctx, org.id, ids), rollupSessions(ctx, org.id, ids.slice(1))]);
        } else {
          await rollupSessions(ctx, org.id, ids);
          if (round % 2) await rollupSessions(ctx, org.id, ids); // a repeat changes nothing
        }
      }
      const kept = await aggregates(org.id);
      expect(kept.buckets.length, `seed ${seed}`).toBeGreaterThan(3);
      expect(kept.bucketDays.length, `seed ${seed}`).toBeGreaterThan(1);
      expect(kept.topicDays.length, `seed ${seed}`).toBeGreaterThan(3);
      expect(kept.toolDays.length, `seed ${seed}`).toBeGreaterThan(3);
      expect(kept.clusterDays.length, `seed ${seed}`).toBeGreaterThan(1);
      expect(kept.sessionDays.length, `seed ${seed}`).toBeGreaterThan(1);
      expect(kept, `seed ${seed}`).toEqual(await rebuilt(org.id));
    }
  });

  it("counts a session once in its new hour, day and source when an earlier event moves it, and empties the old ones", async () => {
    const org = await createOrg();
    const ctx = testContext({ now: NOW });
    const [a, b] = SOURCES as [string, string];
    const at = D0 + DAY + 30 * 60_000; // day 1, 00:30
    const ev = (t: number, src: string, extra: Partial<typeof insightEvents.$inferInsert> = {}) =>
      ({ orgId: org.id, sessionId: "moving", id: `m-${seq++}`, occurredAt: new Date(t), ingestedAt: new Date(t), mcpServerId: src, type: "tool_call", toolName: "export", data: {}, ...extra }) as const;
    await insert([ev(at, a, { intent: "Export the report" }), ev(at + 60_000, a, { type: "search", toolName: null, query: "pricing", resultCount: 0 })]);
    // Another session of day 1, rolled up an hour earlier: day 1 keeps it, and its time, when "moving" leaves.
    await insert([{ ...ev(at + HOUR, a), sessionId: "staying" }]);
    await rollupSessions(testContext({ now: new Date(NOW.getTime() - HOUR) }), org.id, ["staying"]);
    await rollupSessions(ctx, org.id, ["moving"]);
    const first = await aggregates(org.id);
    expect(first.buckets.map((x) => [x.mcpServerId, x.bucketStart.getTime(), x.sessions, x.toolCalls])).toEqual([
      [a, D0 + DAY, 1, 1],
      [a, D0 + DAY + HOUR, 1, 1],
    ]);
    expect(first.sessionDays.map((x) => [x.day.getTime(), x.updatedAt.getTime()])).toEqual([[D0 + DAY, NOW.getTime()]]);
    expect(first.topicDays.map((x) => [x.day.getTime(), x.sessions])).toEqual([[D0 + DAY, 1]]);

    // Two earlier events on the previous day, from the other source: the session moves hour, day and source.
    await insert([ev(at - 2 * HOUR, b), ev(at - 2 * HOUR + 60_000, b)]);
    await rollupSessions(ctx, org.id, ["moving"]);
    const moved = await aggregates(org.id);
    expect(moved.buckets.map((x) => [x.mcpServerId, x.bucketStart.getTime(), x.sessions, x.toolCalls])).toEqual([
      [b, D0 + 22 * HOUR, 1, 3],
      [a, D0 + DAY + HOUR, 1, 1],
    ]);
    expect(moved.bucketDays.map((x) => [x.day.getTime(), x.sessions, x.toolCalls])).toEqual([
      [D0, 1, 3],
      [D0 + DAY, 1, 1],
    ]);
    expect(moved.sessionDays.map((x) => [x.day.getTime(), x.updatedAt.getTime()])).toEqual([
      [D0, NOW.getTime()],
      [D0 + DAY, NOW.getTime() - HOUR],
    ]);
    expect(moved.topicDays.map((x) => [x.day.getTime(), x.sessions])).toEqual([[D0, 1]]);
    // Tool days and cluster days stay on the days their events occurred.
    expect(moved.toolDays.map((x) => [x.mcpServerId, x.day.getTime(), x.calls])).toEqual([
      [b, D0, 2],
      [a, D0 + DAY, 2],
    ]);
    expect(moved.clusterDays.map((x) => [x.day.getTime(), x.misses])).toEqual([[D0 + DAY, 1]]);
    expect(moved).toEqual(await rebuilt(org.id));
  });

  it("deletes a tool day left with nothing when an earlier event pushes the session's last one past the events it reads", async () => {
    const org = await createOrg();
    const ctx = testContext({ now: NOW });
    const ev = (t: number, toolName: string) =>
      ({ orgId: org.id, sessionId: "long", id: `t-${seq++}`, occurredAt: new Date(t), ingestedAt: new Date(t), mcpServerId: SOURCES[0], type: "tool_call", toolName, data: {} }) as const;
    // MAX_SESSION_EVENTS (2000) events: 1,999 calls of "export" on day 1, the last one, "status", on day 2.
    const rows = [...Array.from({ length: 1999 }, (_, i) => ev(D0 + DAY + i * 1000, "export")), ev(D0 + 2 * DAY + HOUR, "status")];
    const statements = Array.from({ length: Math.ceil(rows.length / 8) }, (_, i) => db.insert(insightEvents).values(rows.slice(i * 8, i * 8 + 8)));
    await db.batch(statements as [(typeof statements)[0], ...typeof statements]);
    await rollupSessions(ctx, org.id, ["long"]);
    expect((await aggregates(org.id)).toolDays.map((x) => [x.toolName, x.day.getTime(), x.calls])).toEqual([
      ["export", D0 + DAY, 1999],
      ["status", D0 + 2 * DAY, 1],
    ]);
    // One earlier event: the session's first 2000 events no longer include "status".
    await insert([ev(D0 + DAY - HOUR, "export")]);
    await rollupSessions(ctx, org.id, ["long"]);
    const after = await aggregates(org.id);
    expect(after.toolDays.map((x) => [x.toolName, x.day.getTime(), x.calls])).toEqual([
      ["export", D0, 1],
      ["export", D0 + DAY, 1999],
    ]);
    expect(after).toEqual(await rebuilt(org.id));
  });

  it("a rollup that read fewer events than are stored (an older read finishing last) changes nothing", async () => {
    const org = await createOrg();
    const at = D0 + 10 * HOUR;
    const ev = (t: number, extra: Partial<typeof insightEvents.$inferInsert> = {}) =>
      ({ orgId: org.id, sessionId: "raced", id: `r-${seq++}`, occurredAt: new Date(t), ingestedAt: new Date(t), mcpServerId: SOURCES[0], type: "tool_call", toolName: "export", data: {}, ...extra }) as const;
    await insert([ev(at, { intent: "Export the report" })]);
    // The older rollup: its reads run, its writes wait until released.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let batches = 0;
    let reachedWrites!: () => void;
    const atWrites = new Promise<void>((resolve) => (reachedWrites = resolve));
    const gated = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch")
          return async (stmts: D1PreparedStatement[]) => {
            if (++batches > 1) {
              reachedWrites();
              await gate;
            }
            return target.batch(stmts);
          };
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const older = rollupSessions(testContext({ now: NOW, env: { ...env, DB: gated } }), org.id, ["raced"]);
    await atWrites;
    // Meanwhile two more events (one moving the session an hour earlier, with another intent) and a full rollup.
    await insert([ev(at - HOUR, { intent: "refund a payment", isError: true }), ev(at + 60_000, { type: "search", toolName: null, query: "pricing", resultCount: 0 })]);
    await rollupSessions(testContext({ now: NOW }), org.id, ["raced"]);
    const current = await aggregates(org.id);
    release();
    await older;
    const row = await db.select().from(insightSessions).where(and(eq(insightSessions.orgId, org.id), eq(insightSessions.id, "raced"))).get();
    expect(row?.events).toBe(3);
    expect(await aggregates(org.id)).toEqual(current);
    expect(current.buckets.map((x) => [x.bucketStart.getTime(), x.sessions, x.toolCalls, x.toolErrors])).toEqual([[at - HOUR, 1, 2, 1]]);
    expect(current.topicDays.map((x) => x.sessions)).toEqual([1, 1]);
    expect(current).toEqual(await rebuilt(org.id));
  });

  it("the sweep rebuilds the day just ended in its first minute after midnight, and only then", async () => {
    const org = await createOrg();
    const day = D0 + 3 * DAY;
    await insert([
      { orgId: org.id, sessionId: "late", id: `l-${seq++}`, occurredAt: new Date(day + HOUR), ingestedAt: new Date(day + HOUR), mcpServerId: SOURCES[0], type: "tool_call", toolName: "export", data: {} },
    ]);
    await rollupSessions(testContext({ now: NOW }), org.id, ["late"]);
    const right = await aggregates(org.id);
    // Drift, as a bug would leave it.
    await db.update(insightBuckets).set({ sessions: 7, toolCalls: 9 }).where(eq(insightBuckets.orgId, org.id)).run();
    const drifted = await aggregates(org.id);
    expect(drifted.buckets[0]?.sessions).toBe(7);
    // 00:01 the next day: too late, nothing rebuilt; 00:00:30: the day is rebuilt.
    expect(await recomputeEndedDay(testContext({ now: new Date(day + DAY + 60_000) }))).toBe(0);
    expect(await aggregates(org.id)).toEqual(drifted);
    await runSweep(testContext({ now: new Date(day + DAY + 30_000) }));
    expect(await aggregates(org.id)).toEqual(right);
  });
});
