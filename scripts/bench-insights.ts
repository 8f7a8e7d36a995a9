// Measures MCP Analytics ingestion and the overview read against a running API (docs/insights.md, "Cost and speed").
//
//   npx tsx scripts/bench-insights.ts ingest   [--duration 30] [--concurrency 4] [--batch 100]
//   npx tsx scripts/bench-insights.ts seed     --events 100000 [--days 90] [--batch 1000] [--concurrency 2]
//   npx tsx scripts/bench-insights.ts overview [--requests 20] [--range 90d]
//   node_modules/.bin/node --import tsx scripts/bench-insights.ts sql --file <D1 sqlite file> [--org <id>] [--range 90d] [--runs 7] [--queries <file>]
//
// Common options: --base http://127.0.0.1:8787 (the server), --key <key> or ARMATURE_API_KEY, or --key-file <file>
// (several keys, comma-separated in --key, are used in turn: each key has its own writes rate limit).
// `ingest` POSTs batches of realistic events (20 per session, mixed types, the organization's first 3 sources) at a
// fixed concurrency for a fixed time and reports accepted events/s, request latency p50/p99 and errors by status.
// `seed` sends sessions spread over the last --days days in time order (large batches), so the real rollup builds
// the aggregates. `overview` times GET /insights/overview (first request discarded as warm-up, then the median).
// `sql` (Node 22: node:sqlite; no server, no key) runs the real getOverview / listTopics of src/insights on a local
// D1 SQLite file (e.g. the one `npm run bench -- --events … --keep-state` keeps) through a D1 stand-in that times
// every statement, and prints each statement's median, its EXPLAIN QUERY PLAN, and the bare bucket aggregate.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { session } from "./bench/insights";
import { median } from "./bench/report";

const API = "/api/armature/v1";

function option(name: string, fallback?: string): string | undefined {
  const args = process.argv.slice(3);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i]!.startsWith(`--${name}=`)) return args[i]!.slice(name.length + 3);
  }
  return fallback;
}
const num = (name: string, fallback: number) => Number(option(name, String(fallback)));

const base = option("base", "http://127.0.0.1:8787")!.replace(/\/$/, "");
const keys = (option("key") ?? process.env.ARMATURE_API_KEY ?? (option("key-file") ? readFileSync(option("key-file")!, "utf8") : ""))
  .split(/[,\s]+/)
  .filter(Boolean);
if (!keys.length && process.argv[2] !== "sql") {
  console.error("No API key: pass --key, --key-file or set ARMATURE_API_KEY");
  process.exit(2);
}
let keyTurn = 0;
const nextKey = () => keys[keyTurn++ % keys.length]!;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${nextKey()}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, ms };
}

/** The value at quantile q of sorted values (p50, p99 of latencies); medians are report.ts's. */
const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);

// Realistic events: the sessions `npm run bench` sends too (scripts/bench/insights.ts).

async function sources(): Promise<string[]> {
  const list = await api("GET", "/mcp-servers?pageSize=25");
  const found = ((list.json as { mcpServers?: Array<{ id: string }> }).mcpServers ?? []).map((s) => s.id);
  for (let i = found.length; i < 3; i++) {
    const made = await api("POST", "/mcp-servers", { name: `bench source ${i + 1}`, url: `http://127.0.0.1:${3101 + i}/mcp` });
    const id = (made.json as { id?: string; mcpServer?: { id: string } }).id ?? (made.json as { mcpServer?: { id: string } }).mcpServer?.id;
    if (id) found.push(id);
    else console.warn(`could not create a source (${made.status}): ${JSON.stringify(made.json).slice(0, 200)}`);
  }
  return found.slice(0, 3);
}

// ---------------------------------------------------------------------------------------------------------
// Modes.

interface Tally {
  accepted: number;
  duplicates: number;
  latencies: number[];
  statuses: Map<number, number>;
}

async function send(events: Record<string, unknown>[], tally: Tally) {
  let r;
  try {
    r = await api("POST", "/insights/events", { events });
  } catch (err) {
    tally.statuses.set(0, (tally.statuses.get(0) ?? 0) + 1);
    console.warn(`request failed: ${String(err)}`);
    return;
  }
  tally.latencies.push(r.ms);
  tally.statuses.set(r.status, (tally.statuses.get(r.status) ?? 0) + 1);
  if (r.status === 202) {
    const body = r.json as { accepted: number; duplicates: number };
    tally.accepted += body.accepted;
    tally.duplicates += body.duplicates;
  } else if ((tally.statuses.get(r.status) ?? 0) <= 2) {
    console.warn(`${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
  }
}

function report(label: string, tally: Tally, seconds: number) {
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const errors = [...tally.statuses].filter(([s]) => s !== 202).reduce((a, [, c]) => a + c, 0);
  console.log(
    JSON.stringify(
      {
        mode: label,
        seconds: Number(seconds.toFixed(1)),
        requests: tally.latencies.length,
        accepted: tally.accepted,
        duplicates: tally.duplicates,
        eventsPerSecond: Math.round(tally.accepted / seconds),
        latencyMs: { p50: Math.round(quantile(sorted, 0.5)), p99: Math.round(quantile(sorted, 0.99)), max: Math.round(sorted.at(-1) ?? NaN) },
        errors,
        statuses: Object.fromEntries(tally.statuses),
      },
      null,
      2,
    ),
  );
}

async function ingest() {
  const duration = num("duration", 30) * 1000;
  const concurrency = num("concurrency", 4);
  const batch = num("batch", 100);
  const srcs = await sources();
  const tally: Tally = { accepted: 0, duplicates: 0, latencies: [], statuses: new Map() };
  const t0 = performance.now();
  const worker = async () => {
    const pending: Record<string, unknown>[] = [];
    while (performance.now() - t0 < duration) {
      while (pending.length < batch) pending.push(...session(Date.now() - 3600_000 * Math.random(), srcs));
      await send(pending.splice(0, batch), tally);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  report(`ingest c=${concurrency} batch=${batch} sources=${srcs.length} keys=${keys.length}`, tally, (performance.now() - t0) / 1000);
}

async function seed() {
  const total = num("events", 100_000);
  const days = num("days", 90);
  const batch = num("batch", 1000);
  const concurrency = num("concurrency", 2);
  const srcs = await sources();
  const sessions = Math.ceil(total / 20);
  const now = Date.now();
  const from = now - days * 86_400_000;
  const step = (now - 3600_000 - from) / sessions; // sessions in time order, evenly spread
  let next = 0;
  const tally: Tally = { accepted: 0, duplicates: 0, latencies: [], statuses: new Map() };
  const t0 = performance.now();
  let lastLog = t0;
  const worker = async () => {
    while (next < sessions) {
      const events: Record<string, unknown>[] = [];
      while (events.length < batch && next < sessions) events.push(...session(from + step * next++, srcs));
      for (let attempt = 0; attempt < 20; attempt++) {
        const before = tally.statuses.get(429) ?? 0;
        await send(events, tally);
        if ((tally.statuses.get(429) ?? 0) === before) break;
        await new Promise((r) => setTimeout(r, 2000)); // rate limited: wait, resend (ids make it idempotent)
      }
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        console.log(`${tally.accepted} events in ${((lastLog - t0) / 1000).toFixed(0)} s`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  report(`seed days=${days} batch=${batch} c=${concurrency}`, tally, (performance.now() - t0) / 1000);
}

async function overview() {
  const requests = num("requests", 20);
  const range = option("range", "90d")!;
  const times: number[] = [];
  let last: unknown = null;
  for (let i = 0; i <= requests; i++) {
    const r = await api("GET", `/insights/overview?range=${range}`);
    if (r.status !== 200) throw new Error(`overview ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
    if (i > 0) times.push(r.ms); // the first one warms up
    last = r.json;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const k = (last as { kpis: { sessions: { value: number }; toolCalls: { value: number } } }).kpis;
  console.log(
    JSON.stringify(
      {
        mode: `overview range=${range}`,
        requests,
        medianMs: Number(median(times).toFixed(1)),
        minMs: Number(sorted[0]!.toFixed(1)),
        maxMs: Number(sorted.at(-1)!.toFixed(1)),
        sessions: k.sessions.value,
        toolCalls: k.toolCalls.value,
      },
      null,
      2,
    ),
  );
}

// `sql`: the reads' statements on a SQLite file, timed one by one.

/** One statement as the D1 stand-in ran it: its SQL, parameters, and how long each run took. */
interface Timed {
  sql: string;
  params: unknown[];
  ms: number[];
}

/**
 * A D1Database over node:sqlite, enough for drizzle-orm/d1 (prepare/bind/all/raw/first/run, batch). Numbers are
 * bound as SQLite binds JS numbers (REAL), as D1 does. Every statement's wall time is recorded under its SQL and
 * parameters (the SQLite work only: no D1 service, no Worker around it).
 */
function timedD1(file: string, log: Map<string, Timed>, sqlite: typeof import("node:sqlite")) {
  const conn = new sqlite.DatabaseSync(file, { readOnly: true });
  const exec = (query: string, params: unknown[], mode: "all" | "raw") => {
    const stmt = conn.prepare(query);
    if (mode === "raw") stmt.setReturnArrays?.(true);
    const t0 = performance.now();
    const rows = stmt.all(...(params as never[]));
    const ms = performance.now() - t0;
    const key = `${query}\u0000${JSON.stringify(params)}`;
    const t = log.get(key) ?? { sql: query, params, ms: [] };
    t.ms.push(ms);
    log.set(key, t);
    return rows as unknown[];
  };
  const statement = (query: string, params: unknown[] = []) => ({
    bind: (...p: unknown[]) => statement(query, p),
    all: async () => ({ results: exec(query, params, "all"), success: true, meta: {} }),
    raw: async () => exec(query, params, "raw").map((r) => (Array.isArray(r) ? r : Object.values(r as object))),
    first: async (col?: string) => {
      const r = exec(query, params, "all")[0] as Record<string, unknown> | undefined;
      return r === undefined ? null : col ? r[col] : r;
    },
    run: async () => ({ results: exec(query, params, "all"), success: true, meta: {} }),
    query,
    params,
  });
  return {
    d1: {
      prepare: (query: string) => statement(query),
      batch: async (stmts: Array<ReturnType<typeof statement>>) => stmts.map((st) => ({ results: exec(st.query, st.params, "all"), success: true, meta: {} })),
    },
    plan: (query: string, params: unknown[]) =>
      (conn.prepare(`EXPLAIN QUERY PLAN ${query}`).all(...(params as never[])) as Array<{ id: number; parent: number; detail: string }>)
        .map((r) => `${r.parent === 0 ? "" : "  "}${r.detail}`)
        .join("\n"),
    time: (query: string, params: unknown[], runs: number) => {
      const ms: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const t0 = performance.now();
        conn.prepare(query).all(...(params as never[]));
        if (i > 0) ms.push(performance.now() - t0); // the first run warms the page cache
      }
      return ms;
    },
  };
}

async function sqlTimings() {
  const file = option("file");
  if (!file) throw new Error("sql needs --file <D1 sqlite file>");
  const runs = num("runs", 7);
  const range = option("range", "90d") as "24h" | "7d" | "30d" | "90d";
  const sqlite = await import("node:sqlite");
  const { drizzle } = await import("drizzle-orm/d1");
  // The Worker's own modules, loaded by URL: this script's tsconfig has no Workers types to check them with.
  type Range = typeof range;
  const schema = (await import(new URL("../src/db/schema.ts", import.meta.url).href)) as Record<string, unknown>;
  // --queries: another revision's queries.ts (e.g. `git show <rev>:src/insights/queries.ts` with its imports made absolute).
  const queries = option("queries") ? pathToFileURL(option("queries")!).href : new URL("../src/insights/queries.ts", import.meta.url).href;
  const q = (await import(queries)) as {
    getOverview: (db: never, orgId: string, range: Range, now: Date) => Promise<unknown>;
    listTopics: (db: never, orgId: string, input: { range: Range; sort: "volume"; limit: number }, now: Date) => Promise<unknown>;
    insightWindow: (range: Range, now: Date) => { start: number; end: number; previousStart: number; bucketMs: number };
  };
  const log = new Map<string, Timed>();
  const t = timedD1(file, log, sqlite);
  const db = drizzle(t.d1 as never, { schema }) as never;
  const orgId =
    option("org") ??
    ((new sqlite.DatabaseSync(file, { readOnly: true })
      .prepare(`SELECT org_id FROM insight_sessions GROUP BY org_id ORDER BY count(*) DESC LIMIT 1`)
      .get() as { org_id: string } | undefined)?.org_id ?? "");
  const now = new Date();
  const reads: Record<string, () => Promise<unknown>> = {
    [`overview ${range}`]: () => q.getOverview(db, orgId, range, now),
    [`topics ${range}`]: () => q.listTopics(db, orgId, { range, sort: "volume", limit: 25 }, now),
  };
  const out: Record<string, unknown> = { file, orgId, range, runs, now: now.toISOString() };
  for (const [name, read] of Object.entries(reads)) {
    log.clear();
    const total: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      await read();
      if (i > 0) total.push(performance.now() - t0);
    }
    out[name] = {
      medianMs: Number(median(total).toFixed(2)),
      statements: [...log.values()].map((s) => ({
        medianMs: Number(median(s.ms.slice(1)).toFixed(2)),
        sql: s.sql.replace(/\s+/g, " "),
        plan: t.plan(s.sql, s.params).split("\n"),
      })),
    };
  }
  // The reference: the plain day-points aggregate of insight_buckets over both 90-day windows.
  const w = q.insightWindow("90d", now);
  const bare = `SELECT cast((bucket_start - ?) / ? as integer) AS i, sum(sessions), sum(tool_calls), sum(tool_errors), sum(searches), sum(failed_searches), sum(frustration_sum)
    FROM insight_buckets WHERE org_id = ? AND bucket_start >= ? AND bucket_start < ? GROUP BY i`;
  const bareParams = [w.previousStart, w.bucketMs, orgId, w.previousStart, w.end];
  out["bare bucket aggregate 90d"] = { medianMs: Number(median(t.time(bare, bareParams, runs)).toFixed(2)), plan: t.plan(bare, bareParams).split("\n") };
  console.log(JSON.stringify(out, null, 2));
}

const mode = process.argv[2];
if (mode === "ingest") await ingest();
else if (mode === "seed") await seed();
else if (mode === "overview") await overview();
else if (mode === "sql") await sqlTimings();
else {
  console.error("Usage: npx tsx scripts/bench-insights.ts ingest|seed|overview|sql [options] (see the top of this file)");
  process.exit(2);
}
