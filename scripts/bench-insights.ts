// Measures MCP Analytics ingestion and the overview read against a running API (docs/insights.md, "Cost and speed").
//
//   npx tsx scripts/bench-insights.ts ingest   [--duration 30] [--concurrency 4] [--batch 100]
//   npx tsx scripts/bench-insights.ts seed     --events 100000 [--days 90] [--batch 1000] [--concurrency 2]
//   npx tsx scripts/bench-insights.ts overview [--requests 20] [--range 90d]
//
// Common options: --base http://127.0.0.1:8787 (the server), --key <key> or ARMATURE_API_KEY, or --key-file <file>
// (several keys, comma-separated in --key, are used in turn: each key has its own writes rate limit).
// `ingest` POSTs batches of realistic events (20 per session, mixed types, the organization's first 3 sources) at a
// fixed concurrency for a fixed time and reports accepted events/s, request latency p50/p99 and errors by status.
// `seed` sends sessions spread over the last --days days in time order (large batches), so the real rollup builds
// the aggregates. `overview` times GET /insights/overview (first request discarded as warm-up, then the median).
import { readFileSync } from "node:fs";
import { session } from "./bench/insights";

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
if (!keys.length) {
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
        medianMs: Number(quantile(sorted, 0.5).toFixed(1)),
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

const mode = process.argv[2];
if (mode === "ingest") await ingest();
else if (mode === "seed") await seed();
else if (mode === "overview") await overview();
else {
  console.error("Usage: npx tsx scripts/bench-insights.ts ingest|seed|overview [options] (see the top of this file)");
  process.exit(2);
}
