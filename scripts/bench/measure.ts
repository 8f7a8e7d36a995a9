// One measurement window: autocannon drives one target at a fixed concurrency for a fixed time while the
// workerd process's CPU counters are read before and after. Nothing else is served in that window, so the CPU
// the process used is this target's. An endpoint and its reference are measured interleaved, in slices taken in
// turns (measureInterleaved), so that the ratio of the two compares the same stretch of the machine's time.
import autocannon, { type AutocannonOptions, type AutocannonResult } from "autocannon";
import { cpuMs, selfCpuMs } from "./cpu";
import { type Collections, type GcTrace, sumCollections } from "./gc";

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
  /** With --gc: V8's collections in the window (gc.ts). */
  collections?: Collections;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let gcTrace: GcTrace | null = null;

/** With --gc: every slice from now on counts the collections traced while it ran (and until workerd went idle). */
export function countCollections(trace: GcTrace): void {
  gcTrace = trace;
}

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

/** What one stretch of load recorded, before it is summed into a Window with the other slices of its round. */
interface Slice {
  latencies: number[];
  seconds: number;
  cpuMs: number;
  loadGeneratorCpuMs: number;
  errors: number;
  statuses: Record<string, number>;
  collections?: Collections;
}

/** `settled`: workerd was just found idle (the previous slice waited for it), so there is no need to wait again. */
async function measureSlice(target: Target, seconds: number, connections: number, pids: number[], settled = false): Promise<Slice> {
  if (!settled) await settle(pids, 5_000);
  const latencies: number[] = [];
  let unexpected = 0;
  const onResponse = (status: number, ms: number) => {
    latencies.push(ms);
    if (status !== target.expectStatus) unexpected++;
  };
  const gc0 = gcTrace?.mark();
  const cpu0 = cpuMs(pids);
  const self0 = selfCpuMs();
  const result = await run(autocannonOptions(target, seconds, connections), onResponse);
  const self1 = selfCpuMs();
  await settle(pids);
  const cpu1 = cpuMs(pids);
  return {
    latencies,
    seconds: result.duration,
    cpuMs: cpu1 - cpu0,
    loadGeneratorCpuMs: self1 - self0,
    errors: unexpected + result.errors + result.timeouts,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([s, v]) => [s, v.count])),
    ...(gcTrace && gc0 !== undefined ? { collections: gcTrace.since(gc0) } : {}),
  };
}

/** The slices of one target in one round as one window: requests, seconds and CPU summed, percentiles over every response. */
function windowOf(slices: Slice[]): Window {
  const collections = sumCollections(slices.map((s) => s.collections));
  const sorted = Float64Array.from(slices.flatMap((s) => s.latencies)).sort();
  const requests = sorted.length;
  const seconds = slices.reduce((n, s) => n + s.seconds, 0);
  const cpu = slices.reduce((n, s) => n + s.cpuMs, 0);
  const statuses: Record<string, number> = {};
  for (const s of slices) for (const [k, v] of Object.entries(s.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  return {
    requests,
    seconds,
    reqPerSec: requests / seconds,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    cpuMs: cpu,
    cpuMsPerRequest: requests ? cpu / requests : Number.NaN,
    loadGeneratorCpuMs: slices.reduce((n, s) => n + s.loadGeneratorCpuMs, 0),
    errors: slices.reduce((n, s) => n + s.errors, 0),
    statuses,
    ...(collections ? { collections } : {}),
  };
}

export async function measure(target: Target, seconds: number, connections: number, pids: number[]): Promise<Window> {
  return windowOf([await measureSlice(target, seconds, connections, pids)]);
}

/** One round of an endpoint and its reference(s) measured interleaved: each target's window, and each turn's slices. */
export interface Interleaved {
  /** Per target: its slices of the round as one window. */
  windows: Window[];
  /** Per turn: each target's slice as a window of its own (same order as the targets). */
  turns: Window[][];
}

/** The order of one turn's slices, by target index: the endpoint (0) in the middle of three, else first. */
export function turnOrder(count: number): number[] {
  return count === 3 ? [1, 0, 2] : Array.from({ length: count }, (_, i) => i);
}

/**
 * One round of an endpoint and its reference(s), interleaved: each target gets `seconds` of load in `slices`
 * slices, taken in turns whose order reverses every turn (A B, B A, A B, …). Whatever else the machine does in
 * those seconds (a burst of other work, a slow stretch of the host) then falls on both sides alike, and the
 * ratio of a turn compares the two within a second or two of each other (report.ts takes the median over turns).
 * The endpoint (`targets[0]`) is measured in the middle of a turn of three (B A H, H A B), next to each of its
 * references: the machine's speed drifts within seconds, and a slice two slices away saw more of that drift.
 */
export async function measureInterleaved(targets: Target[], seconds: number, slices: number, connections: number, pids: number[]): Promise<Interleaved> {
  const taken: Slice[][] = targets.map(() => []);
  const turns: Window[][] = [];
  const each = seconds / slices;
  for (let turn = 0; turn < slices; turn++) {
    const order = turnOrder(targets.length);
    if (turn % 2 === 1) order.reverse();
    const slicesOfTurn: Slice[] = [];
    for (const i of order) slicesOfTurn[i] = await measureSlice(targets[i]!, each, connections, pids, turn > 0 || i !== order[0]);
    slicesOfTurn.forEach((slice, i) => taken[i]!.push(slice));
    turns.push(slicesOfTurn.map((slice) => windowOf([slice])));
  }
  return { windows: taken.map(windowOf), turns };
}
