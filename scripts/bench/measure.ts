// One measurement window: autocannon drives one target at a fixed concurrency for a fixed time while the
// workerd process's CPU counters are read before and after. Nothing else is served in that window, so the CPU
// the process used is this target's.
import autocannon, { type AutocannonOptions, type AutocannonResult } from "autocannon";
import { cpuMs, selfCpuMs } from "./cpu";

export interface Target {
  url: URL;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  /** A fixed body, or one made per request (e.g. events with fresh ids). */
  body?: string | (() => string);
  expectStatus: number;
}

export interface Window {
  requests: number;
  seconds: number;
  reqPerSec: number;
  /** Latency percentiles in milliseconds, from every response's own timing. */
  p50Ms: number;
  p99Ms: number;
  /** workerd CPU over the window (and until it went idle afterwards: work after the response counts). */
  cpuMs: number;
  cpuMsPerRequest: number;
  /** The load generator's own CPU (this process), for context. */
  loadGeneratorCpuMs: number;
  /** Responses with another status than expected, connection errors and timeouts. */
  errors: number;
  statuses: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (up to `maxMs`) until workerd uses under 5 % of a core, so work after the responses is counted. */
export async function settle(pids: number[], maxMs = 15_000): Promise<void> {
  const until = Date.now() + maxMs;
  let before = cpuMs(pids);
  while (Date.now() < until) {
    await sleep(200);
    const now = cpuMs(pids);
    if (now - before <= 10) return;
    before = now;
  }
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function run(options: AutocannonOptions, onResponse?: (status: number, ms: number) => void): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
    if (onResponse) {
      instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => onResponse(status, ms));
    }
  });
}

function autocannonOptions(target: Target, seconds: number, connections: number): AutocannonOptions {
  const base: AutocannonOptions = {
    url: target.url.toString(),
    connections,
    duration: seconds,
    // autocannon stops at its next sample tick after the duration: ticks every 250 ms keep the window close to it.
    sampleInt: 250,
    timeout: 30,
    method: target.method,
    headers: { ...target.headers, ...(target.body ? { "content-type": "application/json" } : {}) },
  };
  if (typeof target.body === "function") {
    const make = target.body;
    base.requests = [{ setupRequest: (req) => ({ ...req, body: make() }) }];
  } else if (target.body !== undefined) {
    base.body = target.body;
  }
  return base;
}

/** Load without recording (JIT warm-up, caches). */
export async function warm(target: Target, seconds: number, connections: number): Promise<void> {
  if (seconds > 0) await run(autocannonOptions(target, seconds, connections));
}

export async function measure(target: Target, seconds: number, connections: number, pids: number[]): Promise<Window> {
  await settle(pids, 5_000);
  const latencies: number[] = [];
  let unexpected = 0;
  const onResponse = (status: number, ms: number) => {
    latencies.push(ms);
    if (status !== target.expectStatus) unexpected++;
  };
  const cpu0 = cpuMs(pids);
  const self0 = selfCpuMs();
  const result = await run(autocannonOptions(target, seconds, connections), onResponse);
  const self1 = selfCpuMs();
  await settle(pids);
  const cpu1 = cpuMs(pids);
  const sorted = Float64Array.from(latencies).sort();
  const requests = latencies.length;
  return {
    requests,
    seconds: result.duration,
    reqPerSec: requests / result.duration,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    cpuMs: cpu1 - cpu0,
    cpuMsPerRequest: requests ? (cpu1 - cpu0) / requests : Number.NaN,
    loadGeneratorCpuMs: self1 - self0,
    errors: unexpected + result.errors + result.timeouts,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([s, v]) => [s, v.count])),
  };
}
