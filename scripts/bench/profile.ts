// `--profile`: a CPU profile of the armature Worker's isolate while one endpoint is under load, taken through
// workerd's inspector (Chrome DevTools protocol, Profiler domain), saved as a .cpuprofile (open it in Chrome
// DevTools or speedscope) and summarized: self time by function and by source (the bundle's source map maps
// each frame back to src/… or the npm package it came from). Only the Worker's own JavaScript is in it: D1's
// SQLite work runs in another isolate (the D1 Durable Object), the runtime's C++ shows as "(program)".
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../lib/project";
import { run, type Target } from "./measure";
import type { BenchServer } from "./server";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  requests: number;
  /** Sampled milliseconds per request in the Worker's isolate (idle excluded). */
  busyMsPerRequest: number;
  /** The isolate's V8 heap after the load (Runtime.getHeapUsage), used and total; null when the inspector did not say. */
  heapUsedBytes: number | null;
  heapTotalBytes: number | null;
  topFunctions: Array<{ name: string; source: string; selfMs: number; share: number }>;
  bySource: Array<{ source: string; selfMs: number; share: number }>;
  byPackage: Array<{ name: string; selfMs: number; share: number }>;
  /** Time with at least one frame of the package on the stack (what the package and everything it calls cost). */
  inclusiveByPackage: Array<{ name: string; ms: number; share: number }>;
}

// ---------------------------------------------------------------------------------------------------------
// Source map lookup (version 3, base64 VLQ), enough to name the original file of a generated position.

const B64 = new Map([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].map((c, i) => [c, i]));

type Segment = [column: number, source: number];

function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0;
  let srcLine = 0;
  let srcCol = 0;
  let name = 0;
  for (const line of mappings.split(";")) {
    const segments: Segment[] = [];
    let col = 0;
    for (const seg of line.split(",")) {
      if (!seg) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.get(ch)!;
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      col += values[0]!;
      if (values.length >= 4) {
        source += values[1]!;
        srcLine += values[2]!;
        srcCol += values[3]!;
        if (values.length >= 5) name += values[4]!;
        segments.push([col, source]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

export function sourceMapLookup(mapFile: string): (line: number, column: number) => string | null {
  let map: { sources: string[]; sourceRoot?: string; mappings: string };
  try {
    map = JSON.parse(readFileSync(mapFile, "utf8"));
  } catch {
    return () => null;
  }
  const lines = decodeMappings(map.mappings);
  const sources = map.sources.map((s) => {
    const abs = path.resolve(path.dirname(mapFile), map.sourceRoot ?? "", s);
    return path.relative(ROOT, abs);
  });
  return (line, column) => {
    const segs = lines[line];
    if (!segs?.length) return null;
    let lo = 0;
    let hi = segs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid]![0] <= column) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 ? (sources[segs[found]![1]] ?? null) : null;
  };
}

function packageOf(source: string): string {
  const parts = source.split(/[\\/]/);
  const at = parts.lastIndexOf("node_modules");
  // drizzle-orm's own source maps point one directory too high (node_modules/src/…): it is the only package that does.
  if (at >= 0 && parts[at + 1] === "src") return "drizzle-orm";
  if (at >= 0) return parts[at + 1]?.startsWith("@") ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1]!;
  return source.startsWith("src") ? "src (this project)" : source;
}

// ---------------------------------------------------------------------------------------------------------
// The inspector session.

export function cdp(url: string) {
  const ws = new WebSocket(url);
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!waiter) return;
    pending.delete(msg.id!);
    if (msg.error) waiter.reject(new Error(msg.error.message));
    else waiter.resolve(msg.result);
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error(`cannot connect to the inspector at ${url}`)));
  });
  // A closed connection (workerd drops it, e.g. on a message it finds too large) fails what is still waiting.
  ws.addEventListener("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error("the inspector closed the connection"));
    pending.clear();
  });
  return {
    opened,
    send<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`the inspector did not answer ${method} within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },
    close: () => ws.close(),
  };
}

/**
 * A CPU profile of the armature Worker's isolate while `work` runs; `work` answers how many units (requests, runs)
 * it did, which the summary's per-request figure divides by.
 */
export async function profileWhile(
  server: BenchServer,
  name: string,
  outDir: string,
  bundleFile: string,
  work: () => Promise<number>,
  worker: "armature" | "bare" = "armature",
): Promise<ProfileSummary> {
  if (!server.inspectorPort) throw new Error("the inspector is not enabled");
  const session = cdp(`ws://127.0.0.1:${server.inspectorPort}/core:user:${worker}`);
  await session.opened;
  try {
    await session.send("Profiler.enable");
    // 500 µs: 2,000 samples a second is plenty over a few seconds, and keeps the profile small enough for the
    // inspector's connection (larger ones made workerd drop it).
    await session.send("Profiler.setSamplingInterval", { interval: 500 });
    await session.send("Profiler.start");
    const units = await work();
    const { profile } = await session.send<{ profile: CpuProfile }>("Profiler.stop");
    // The isolate's heap after the load, beside its profile: what the two isolates hold is one thing to compare when
    // workerd's CPU differs more than their samples do (collections partly run outside the sampled thread).
    const heap = await session.send<{ usedSize: number; totalSize: number }>("Runtime.getHeapUsage").catch(() => null);
    const file = path.join(outDir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    return {
      file: path.relative(ROOT, file),
      requests: units,
      heapUsedBytes: heap?.usedSize ?? null,
      heapTotalBytes: heap?.totalSize ?? null,
      ...summarizeProfile(profile, units, path.basename(bundleFile), sourceMapLookup(`${bundleFile}.map`)),
    };
  } finally {
    session.close();
  }
}

/**
 * A CPU profile of one scenario's endpoint under load for `seconds`, or with `worker: "bare"` of its bare
 * reference's isolate while the bare target is under load (to compare what the two isolates spend, side by side).
 */
export function profileScenario(
  server: BenchServer,
  name: string,
  target: Target,
  seconds: number,
  connections: number,
  outDir: string,
  bundleFile: string,
  worker: "armature" | "bare" = "armature",
): Promise<ProfileSummary> {
  return profileWhile(server, worker === "bare" ? `${name}.bare` : name, outDir, bundleFile, async () => {
    let requests = 0;
    await run(
      {
        url: target.url.toString(),
        connections,
        duration: seconds,
        method: target.method,
        headers: { ...target.headers, ...(target.body ? { "content-type": "application/json" } : {}) },
        ...(typeof target.body === "function"
          ? { requests: [{ setupRequest: (req) => ({ ...req, body: (target.body as () => string)() }) }] }
          : target.body !== undefined
            ? { body: target.body }
            : {}),
      },
      () => requests++,
    );
    return requests;
  }, worker);
}

export function summarizeProfile(profile: CpuProfile, requests: number, bundleUrl: string, lookup: (line: number, column: number) => string | null) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let busy = 0;
  const packageOfNode = new Map<number, string>();
  const fns = new Map<string, { name: string; source: string; us: number }>();
  const sources = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const f = node.callFrame;
    if (f.functionName === "(idle)") continue;
    busy += us;
    // Only frames of the bundle map back to sources; others are the runtime's own JavaScript
    // (cloudflare-internal:d1-api, node:…) or native code.
    const original = f.url === bundleUrl ? lookup(f.lineNumber, f.columnNumber) : null;
    const source = original ?? (f.url ? `${f.url}:${f.lineNumber + 1}` : f.functionName || "(native)");
    const key = `${f.functionName}|${source}|${f.lineNumber}`;
    const entry = fns.get(key) ?? { name: f.functionName || "(anonymous)", source: original ? `${original} (bundle line ${f.lineNumber + 1})` : source, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    const src = original ?? (f.url === bundleUrl ? "(bundle, unmapped)" : f.url || f.functionName || "(native)");
    sources.set(src, (sources.get(src) ?? 0) + us);
    const pkg = original ? packageOf(original) : src;
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const nodePackage = (id: number): string | null => {
    if (!packageOfNode.has(id)) {
      const f = byId.get(id)!.callFrame;
      const original = f.url === bundleUrl ? lookup(f.lineNumber, f.columnNumber) : null;
      packageOfNode.set(id, original ? packageOf(original) : f.url || "");
    }
    return packageOfNode.get(id) || null;
  };
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName === "(idle)") continue;
    const seen = new Set<string>();
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const pkg = nodePackage(x);
      if (pkg) seen.add(pkg);
    }
    for (const pkg of seen) inclusive.set(pkg, (inclusive.get(pkg) ?? 0) + us);
  }
  const share = (us: number) => (busy ? us / busy : 0);
  const ms = (us: number) => Math.round(us) / 1000;
  const top = <T>(m: Map<string, number>, f: (k: string, us: number) => T, n = 15) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => f(k, us));
  return {
    busyMsPerRequest: requests ? busy / 1000 / requests : Number.NaN,
    topFunctions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 20)
      .map((e) => ({ name: e.name, source: e.source, selfMs: ms(e.us), share: share(e.us) })),
    bySource: top(sources, (source, us) => ({ source, selfMs: ms(us), share: share(us) })),
    byPackage: top(packages, (name, us) => ({ name, selfMs: ms(us), share: share(us) })),
    inclusiveByPackage: top(inclusive, (name, us) => ({ name, ms: ms(us), share: share(us) })),
  };
}
