// What a new isolate pays before its first request: evaluating the bundle (wrangler's own `check startup`, which
// loads the bundle in workerd under the inspector's profiler, as Cloudflare measures a Worker's start-up), and the
// V8 heap the isolate then holds (workerd's inspector: a heap snapshot forces a full collection, then
// Runtime.getHeapUsage). Both fall when fewer modules are evaluated at start-up (docs/benchmarks.md, "Start-up
// and the isolate's heap"): they are the memory every isolate holds and the time every cold start costs.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { runWrangler } from "../lib/wrangler";
import { cdp, sourceMapLookup, summarizeProfile, type CpuProfile } from "./profile";
import { median } from "./report";
import { startServer } from "./server";

export interface StartupReport {
  /** Runs of `wrangler check startup`. */
  runs: number;
  /** Each run's start-up profile: its length, and the time sampled outside `(idle)`, in ms. */
  profileMs: number[];
  busyMs: number[];
  /** The median run's time outside `(idle)` by package, inclusive (a package and everything it calls), top 8. */
  byPackage: Array<{ name: string; ms: number }>;
  /** The armature isolate's V8 heap once it is up and a full collection ran (no request served); null if unread. */
  heapUsedBytes: number | null;
}

/** `bundleDir` holds the bundle built for the run (its source map names the profile's frames). */
export async function measureStartup(opts: {
  bundleDir: string;
  workDir: string;
  config: string | null;
  secrets: { API_KEY_PEPPERS: string; SECRETS_ENCRYPTION_KEY: string };
  runs: number;
  log: (line: string) => void;
}): Promise<StartupReport> {
  const dir = mkdtempSync(path.join(opts.workDir, "startup-"));
  try {
    // `check startup --worker` takes the upload as `wrangler deploy` sends it (its multipart form), not a module.
    const form = path.join(dir, "worker.bundle");
    const config = opts.config ? ["--config", opts.config] : [];
    const built = await runWrangler(["deploy", "--dry-run", "--outfile", form, ...config]);
    if (built.code !== 0) throw new Error(`wrangler deploy --dry-run --outfile failed:\n${built.stdout}\n${built.stderr}`);
    const lookup = sourceMapLookup(path.join(opts.bundleDir, "index.js.map"));
    const profiles: Array<{ profileMs: number; busyMs: number; byPackage: StartupReport["byPackage"] }> = [];
    for (let i = 0; i < opts.runs; i++) {
      const out = path.join(dir, `startup-${i}.cpuprofile`);
      const r = await runWrangler(["check", "startup", "--worker", form, "--outfile", out, ...config]);
      if (r.code !== 0) throw new Error(`wrangler check startup failed:\n${r.stdout}\n${r.stderr}`);
      const profile = JSON.parse(readFileSync(out, "utf8")) as CpuProfile;
      // The bundle's frames carry the path wrangler gave the module; the runtime's own have none.
      const urls = new Map<string, number>();
      for (const n of profile.nodes) if (n.callFrame.url.endsWith("index.js")) urls.set(n.callFrame.url, (urls.get(n.callFrame.url) ?? 0) + 1);
      const bundleUrl = [...urls].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "index.js";
      const summary = summarizeProfile(profile, 1, bundleUrl, lookup);
      profiles.push({
        profileMs: (profile.endTime - profile.startTime) / 1000,
        busyMs: summary.busyMsPerRequest,
        // The bundle's frames the source map does not name: its modules' top-level code and esbuild's helpers.
        byPackage: summary.inclusiveByPackage
          .slice(0, 8)
          .map((p) => ({ name: p.name === bundleUrl ? "(the bundle, unmapped: top-level code, esbuild's helpers)" : p.name, ms: p.ms })),
      });
    }
    // The run nearest the median (with an even number of runs, the median is between two).
    const m = median(profiles.map((p) => p.busyMs));
    const mid = profiles.reduce((a, b) => (Math.abs(b.busyMs - m) < Math.abs(a.busyMs - m) ? b : a));

    let heapUsedBytes: number | null = null;
    const server = await startServer({ bundleDir: opts.bundleDir, stateDir: path.join(dir, "state"), secrets: opts.secrets, inspector: true });
    try {
      const session = cdp(`ws://127.0.0.1:${server.inspectorPort}/core:user:armature`);
      await session.opened;
      try {
        // workerd's inspector does not answer HeapProfiler.collectGarbage; a snapshot collects first. Its chunks
        // arrive as events, which the session ignores.
        await session.send("HeapProfiler.enable");
        await session.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
        heapUsedBytes = (await session.send<{ usedSize: number }>("Runtime.getHeapUsage")).usedSize;
      } finally {
        session.close();
      }
    } catch (err) {
      opts.log(`bench: start-up: the isolate's heap was not read: ${(err as Error).message}`);
    } finally {
      await server.dispose();
    }
    return { runs: opts.runs, profileMs: profiles.map((p) => p.profileMs), busyMs: profiles.map((p) => p.busyMs), byPackage: mid.byPackage, heapUsedBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function startupTable(s: StartupReport): string {
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const ms = (xs: number[]) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  return [
    `Start-up (\`wrangler check startup\`, ${s.runs} runs, median (range)): profile ${ms(s.profileMs)}, not idle ${ms(s.busyMs)}; ` +
      `the armature isolate's heap after start-up and a full collection: ${s.heapUsedBytes === null ? "not read" : mib(s.heapUsedBytes)}. ` +
      "Not idle, by package, inclusive (the median run):",
    "",
    "| package | ms |",
    "|---|--:|",
    ...s.byPackage.map((p) => `| ${p.name} | ${p.ms.toFixed(1)} |`),
  ].join("\n");
}
