// Medians over rounds, ratios, and the markdown table of `npm run bench`.
import type { BundleReport } from "./bundle";
import { sumCollections } from "./gc";
import type { Window } from "./measure";
import type { D1Usage, Plan } from "./plan";
import type { Scenario } from "./scenarios";
import type { Interval, Judged, Verdict } from "./verdict";

export function median(values: number[]): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

export interface Summary {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  errors: number;
}

export function summarize(windows: Window[]): Summary {
  return {
    reqPerSec: median(windows.map((w) => w.reqPerSec)),
    p50Ms: median(windows.map((w) => w.p50Ms)),
    p99Ms: median(windows.map((w) => w.p99Ms)),
    cpuMsPerRequest: median(windows.map((w) => w.cpuMsPerRequest)),
    errors: windows.reduce((n, w) => n + w.errors, 0),
  };
}

export interface ScenarioResult {
  name: string;
  label: string;
  target: string | null;
  request: { method: string; path: string };
  per: Scenario["per"] | null;
  /** From the probe (warm key cache): null for hello-world. */
  d1: D1Usage | null;
  responseBytes: number | null;
  windows: Window[];
  median: Summary;
  /**
   * req/s ÷ hello-world's: for a `helloReference` scenario the median over its turns (its slice ÷ the hello-world
   * slice next to it, `turns`), else the median over rounds of this round's window ÷ the round's hello-world window.
   */
  vsHello: number | null;
  /** The 90 % interval of `vsHello` when it is a median over turns (a `helloReference` scenario). */
  vsHelloInterval: Interval | null;
  helloWindows?: Window[];
  /** Every turn of the interleaved rounds: the endpoint's slice, the bare reference's (if any), hello-world's (if paired). */
  turns: Window[][];
  bare: {
    /** `replay`: the recorded D1 calls (workers/bare.js); `static`: the endpoint's own answer from a buffer (workers/static.js). */
    kind: "replay" | "static";
    plan?: Plan;
    /** For `static`: the captured answer (status, bytes as sent, headers). */
    answer?: { status: number; bytes: number; headers: Record<string, string> };
    windows: Window[];
    median: Summary;
    /** Median over the turns of (endpoint req/s ÷ bare req/s in the same turn). */
    throughputRatio: number;
    /** The 90 % interval of that median ({@link medianInterval}); null with fewer than 5 turns. */
    throughputInterval: Interval | null;
    /** Median over the turns of (endpoint CPU ms/req − bare CPU ms/req in the same turn). */
    cpuOverheadMs: number;
    cpuOverheadInterval: Interval | null;
    /**
     * The reference's own req/s ÷ hello-world's: over the turns (its slice ÷ the hello-world slice of the same turn)
     * when hello-world is interleaved, else over rounds, as `vsHello`.
     */
    vsHello: number;
  } | null;
  noBare: string | null;
  /** The scenario's goals judged (scenarios.ts, `goals`), and the worst of their verdicts; null without goals. */
  verdict: { overall: Verdict; goals: Judged[] } | null;
}

/** req/s of the first window ÷ req/s of the second. */
export const rateRatio = (a: Window, b: Window) => a.reqPerSec / b.reqPerSec;

/** f(the turn's slice `a`, its slice `b`) for every turn: slices by their index in the turn. */
export function turnValues(turns: Window[][], a: number, b: number, f: (x: Window, y: Window) => number): number[] {
  return turns.map((t) => (t[a] && t[b] ? f(t[a]!, t[b]!) : Number.NaN));
}

/** The median over turns of f(the turn's slice `a`, its slice `b`). */
export const turnMedian = (turns: Window[][], a: number, b: number, f: (x: Window, y: Window) => number): number =>
  median(turnValues(turns, a, b, f));

/** The median over rounds of f(a[i], b[i]). */
export function pairedMedian(a: Window[], b: Window[], f: (x: Window, y: Window) => number): number {
  return median(a.map((w, i) => (b[i] ? f(w, b[i]!) : Number.NaN)));
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || !Number.isFinite(n) ? "—" : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "0.93 (0.88–0.97)": a median and its interval. */
const withInterval = (value: number, interval: Interval | null) =>
  interval ? `${fmt(value, 2)} (${fmt(interval.low, 2)}–${fmt(interval.high, 2)})` : fmt(value, 2);

/** The verdict cell: the worst verdict, bold when it is at the line or not met; each goal's when they differ. */
function verdictText(v: ScenarioResult["verdict"]): string {
  if (!v) return "";
  const mark = (x: Verdict) => (x === "met" || x === "too few turns" ? x : `**${x}**`);
  if (v.goals.every((g) => g.verdict === v.overall)) return mark(v.overall);
  return v.goals.map((g) => `${g.goal.kind}: ${mark(g.verdict)}`).join("; ");
}

export function table(results: ScenarioResult[]): string {
  const header =
    "| request | req/s | p50 ms | p99 ms | CPU ms/req | × hello | × bare | CPU − bare ms | D1 round trips | rows read | target | verdict |\n" +
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|";
  const rows: string[] = [];
  for (const r of results) {
    const m = r.median;
    const rate = r.per ? `${fmt(m.reqPerSec)} (${fmt(m.reqPerSec * r.per.count)} ${r.per.unit}/s)` : fmt(m.reqPerSec);
    const d1 = r.d1 ? `${r.d1.roundTrips}${r.d1.queueSends ? ` + ${r.d1.queueSends} queue` : ""}` : "—";
    const rowsRead = r.d1 ? `${fmt(r.d1.rowsRead)}${r.d1.unknownRows ? "+?" : ""}` : "—";
    rows.push(
      `| ${r.label}${m.errors ? ` **(${m.errors} errors)**` : ""} | ${rate} | ${fmt(m.p50Ms, 1)} | ${fmt(m.p99Ms, 1)} | ${fmt(m.cpuMsPerRequest, 2)} | ` +
        `${r.vsHello === null ? "—" : withInterval(r.vsHello, r.vsHelloInterval)} | ${r.bare ? withInterval(r.bare.throughputRatio, r.bare.throughputInterval) : "—"} | ` +
        `${r.bare ? withInterval(r.bare.cpuOverheadMs, r.bare.cpuOverheadInterval) : "—"} | ${d1} | ${rowsRead} | ${r.target ?? ""} | ${verdictText(r.verdict)} |`,
    );
    if (r.bare) {
      const b = r.bare.median;
      rows.push(
        `| ↳ bare: ${r.bare.kind === "static" ? "same answer from a buffer" : "same D1 calls"} | ${fmt(b.reqPerSec)} | ${fmt(b.p50Ms, 1)} | ${fmt(b.p99Ms, 1)} | ${fmt(b.cpuMsPerRequest, 2)} | ` +
          `${fmt(r.bare.vsHello, 2)} | | | | | | |`,
      );
    }
  }
  return `${header}\n${rows.join("\n")}`;
}

/**
 * With --gc: V8's collections per request over every window of an endpoint and of its reference (gc.ts): bytes
 * allocated and promoted to the old generation, the collections' pauses, young and full collections per 1,000
 * requests. Each side counts its Worker's isolate and the local D1's (the same D1 work on both sides).
 */
export function collectionsTable(results: ScenarioResult[]): string | null {
  const rows: string[] = [];
  const row = (label: string, windows: Window[]) => {
    const c = sumCollections(windows.map((w) => w.collections));
    const n = windows.reduce((sum, w) => sum + w.requests, 0);
    if (!n || !c) return;
    rows.push(
      `| ${label} | ${fmt(c.allocatedBytes / n / 1024, 1)} | ${fmt(c.promotedBytes / n / 1024, 2)} | ${fmt(c.pauseMs / n, 3)} | ` +
        `${fmt((c.young / n) * 1000, 1)} | ${fmt((c.full / n) * 1000, 2)} |`,
    );
  };
  for (const r of results) {
    row(r.label, r.windows);
    if (r.bare) row(`↳ ${r.bare.kind === "static" ? "same answer from a buffer" : "bare: same D1 calls"}`, r.bare.windows);
  }
  if (!rows.length) return null;
  return [
    "Collections (--gc; each side with the local D1's isolate), per request:",
    "",
    "| request | allocated KiB | promoted KiB | GC pause ms | young per 1,000 | full per 1,000 |",
    "|---|--:|--:|--:|--:|--:|",
    ...rows,
  ].join("\n");
}

export function bundleTable(bundle: BundleReport, top = 12): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const lines = [
    `Bundle: ${kib(bundle.bytes)}, gzip ${kib(bundle.gzipBytes)} (${bundle.wranglerSummary ?? "wrangler printed no size"})`,
    "",
    "| package | bytes in bundle | share | gzip (pro rata) |",
    "|---|--:|--:|--:|",
    ...bundle.byPackage.slice(0, top).map((p) => `| ${p.name} | ${kib(p.bytes)} | ${(p.share * 100).toFixed(1)} % | ${kib(p.gzipBytesEstimate)} |`),
  ];
  const rest = bundle.byPackage.slice(top);
  if (rest.length) {
    const bytes = rest.reduce((n, p) => n + p.bytes, 0);
    const gz = rest.reduce((n, p) => n + p.gzipBytesEstimate, 0);
    lines.push(`| ${rest.length} more | ${kib(bytes)} | ${((bytes / bundle.bytes) * 100).toFixed(1)} % | ${kib(gz)} |`);
  }
  return lines.join("\n");
}
