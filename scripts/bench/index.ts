// `npm run bench`: the Worker bundle against the runtime's own limits (issue 10, docs/benchmarks.md).
//
//   1. builds the bundle as `wrangler deploy` would (--dry-run --outdir) and sizes it; measures its start-up
//      (wrangler check startup) and the isolate's heap after it (startup.ts)
//   2. serves it with Miniflare (one workerd process) next to a hello-world Worker and a bare Worker
//   3. seeds a temporary D1: migrations, an organization with sources, workflows and N finished runs
//   4. probes every endpoint once through a recording wrapper: its D1 round trips, rows read, statements
//   5. warms every target up, then in each round measures hello-world, and each endpoint followed by its bare
//      reference, with autocannon at fixed concurrency for a fixed time, reading workerd's CPU counters
//   6. prints a markdown table, writes the JSON (and the table) to --out
//
// It is a benchmark, not a test: it exits 1 only when something failed (a request answered another status than
// expected, a probe failed, the harness crashed), never because a target was missed.
import { execFileSync } from "node:child_process";
import http from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateDevSecrets } from "../lib/dev-vars";
import { ROOT } from "../lib/project";
import { buildBundle } from "./bundle";
import { measureStartup, startupTable, type StartupReport } from "./startup";
import { type ConsumerResult, measureConsumer } from "./consumer";
import { machineLoad } from "./cpu";
import { seedEvents } from "./insights";
import { countCollections, measure, measureInterleaved, settle, type Target, type Window, warm } from "./measure";
import { parseOptions } from "./options";
import { d1Usage, planOf, type ProbeResult } from "./plan";
import { profileScenario, type ProfileSummary } from "./profile";
import { GcTrace } from "./gc";
import { bundleTable, collectionsTable, median, pairedMedian, rateRatio, type ScenarioResult, summarize, table, turnMedian, turnValues } from "./report";
import { HELLO, SCENARIO_NAMES, type Scenario, scenarios } from "./scenarios";
import { seed, type Seeded } from "./seed";
import { type BenchServer, startServer } from "./server";
import { intervalRank, judge, medianInterval, overallVerdict } from "./verdict";

const opts = parseOptions(process.argv.slice(2));
{
  const unknown = opts.only.filter((n) => !(SCENARIO_NAMES as readonly string[]).includes(n));
  const usage = unknown.length
    ? `unknown scenario(s) ${unknown.join(", ")}; known: ${SCENARIO_NAMES.join(", ")}`
    : opts.only.includes("overview") && opts.events === 0
      ? "the overview scenario needs events: add --events <n>"
      : null;
  if (usage) {
    console.error(`npm run bench: ${usage}`);
    process.exit(2);
  }
}
const log = (line: string) => console.error(line);
const problems: string[] = [];

function versionOf(pkg: string): string {
  try {
    const require = createRequire(path.join(ROOT, "package.json"));
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function gitRevision(): string | null {
  try {
    const rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT, encoding: "utf8" }).trim();
    return dirty ? `${rev} (src/ modified)` : rev;
  } catch {
    return null;
  }
}

/** The request a scenario sends, against a given Worker's URL. */
function targetOf(s: Scenario, base: URL, seeded: Seeded): Target {
  const key = s.key === "main" ? seeded.main.key : s.key === "dispatch" ? seeded.dispatch.key : null;
  return {
    url: new URL(s.path, base),
    method: s.method,
    headers: { ...s.headers, ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: s.body,
    expectStatus: s.expectStatus,
  };
}

/**
 * Node's fetch asks for gzip unless told otherwise; autocannon sends only the scenario's headers. The harness's
 * own requests (probe, resolving) say identity unless the scenario names an encoding, so they match autocannon's.
 */
const IDENTITY = { "accept-encoding": "identity" };

/** targetOf, with the headers the scenario asks of this very Worker (an ETag depends on the host it was served at). */
async function resolvedTarget(s: Scenario, base: URL, seeded: Seeded, viaProbe = false): Promise<Target> {
  const t = targetOf(s, base, seeded);
  if (!s.resolveHeaders) return t;
  const fetchOnce = async () => {
    const res = await fetch(t.url, { method: t.method, headers: { ...IDENTITY, ...t.headers } });
    if (!viaProbe) return res;
    // The probe Worker answers with its record of the response: the Worker's status and headers are in it.
    const record = (await res.json()) as ProbeResult;
    return new Response(null, { status: record.status, headers: record.headers });
  };
  const extra = await s.resolveHeaders(fetchOnce);
  return { ...t, headers: { ...t.headers, ...extra } };
}

/** A GET with the main organization's key, for scenarios whose path depends on the seeded data. */
async function getJson(base: URL, path: string, seeded: Seeded): Promise<unknown> {
  const res = await fetch(new URL(path, base), { headers: { authorization: `Bearer ${seeded.main.key}` } });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}: ${(await res.text()).slice(0, 500)}`);
  return res.json();
}

async function probe(server: BenchServer, s: Scenario, seeded: Seeded): Promise<ProbeResult> {
  const t = await resolvedTarget(s, server.urls["armature-probe"], seeded, true);
  let result: ProbeResult | null = null;
  // Twice: the first request fills the isolate's key cache; the second is what a warm isolate does.
  for (let i = 0; i < 2; i++) {
    const res = await fetch(t.url, {
      method: t.method,
      headers: { ...IDENTITY, ...t.headers, ...(t.body ? { "content-type": "application/json" } : {}) },
      body: typeof t.body === "function" ? t.body() : t.body,
    });
    if (res.status !== 200) throw new Error(`probe of ${s.label}: the probe Worker answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    result = (await res.json()) as ProbeResult;
    if (result.status !== s.expectStatus) {
      throw new Error(`probe of ${s.label}: ${result.status} instead of ${s.expectStatus}: ${JSON.stringify(result.body).slice(0, 500)}`);
    }
  }
  return result!;
}

async function registerPlan(server: BenchServer, name: string, plan: unknown) {
  const res = await fetch(new URL(`/__plan/${encodeURIComponent(name)}`, server.urls.bare), { method: "PUT", body: JSON.stringify(plan) });
  if (res.status !== 204) throw new Error(`registering the bare plan of ${name}: ${res.status} ${await res.text()}`);
  const check = await fetch(new URL(`/${encodeURIComponent(name)}`, server.urls.bare));
  if (check.status !== 200) throw new Error(`the bare replay of ${name} failed: ${check.status} ${(await check.text()).slice(0, 500)}`);
  await check.arrayBuffer();
}

/** Hop-by-hop and framing headers: the static Worker's runtime sets its own. */
const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "date"]);

/**
 * The scenario's answer exactly as it goes over the wire (node:http, which decodes no Content-Encoding), registered
 * with the static Worker, which then serves it from a buffer: the staticBare reference.
 */
async function registerStatic(server: BenchServer, name: string, t: Target): Promise<{ status: number; bytes: number; headers: Record<string, string> }> {
  const captured = await new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>((resolve, reject) => {
    const req = http.request(t.url, { method: t.method, headers: t.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !FRAMING.has(k)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(typeof t.body === "function" ? t.body() : t.body);
  });
  if (captured.status !== t.expectStatus) throw new Error(`capturing the answer of ${name}: ${captured.status} instead of ${t.expectStatus}`);
  const res = await fetch(new URL(`/__response/${encodeURIComponent(name)}`, server.urls.static), {
    method: "PUT",
    headers: { "x-bench-response": JSON.stringify({ status: captured.status, headers: captured.headers }) },
    body: new Uint8Array(captured.body),
  });
  if (res.status !== 204) throw new Error(`registering the static answer of ${name}: ${res.status} ${await res.text()}`);
  // Checked over the wire as well: the same status and bytes as the armature Worker's.
  const check = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    http.get(new URL(`/${encodeURIComponent(name)}`, server.urls.static), { headers: t.headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks) }));
      r.on("error", reject);
    }).on("error", reject);
  });
  if (check.status !== captured.status || !check.body.equals(captured.body)) {
    throw new Error(`the static answer of ${name} differs from the armature Worker's: ${check.status}, ${check.body.length} bytes vs ${captured.status}, ${captured.body.length}`);
  }
  return { status: captured.status, bytes: captured.body.length, headers: captured.headers };
}

/** The bare reference: the replay of the recorded D1 calls, or the endpoint's own answer from a buffer (staticBare). */
type BareReference =
  | { kind: "replay"; target: Target; plan: NonNullable<ReturnType<typeof planOf>> }
  | { kind: "static"; target: Target; answer: { status: number; bytes: number; headers: Record<string, string> } };

interface Prepared {
  scenario: Scenario;
  target: Target;
  probe: ProbeResult | null;
  bare: BareReference | null;
  windows: Window[];
  bareWindows: Window[];
  /** hello-world measured interleaved with this scenario (`helloReference`), round by round. */
  helloWindows: Window[];
  /**
   * Every turn of the interleaved rounds, by target: the endpoint's slice, then its bare reference's (if any), then
   * hello-world's (if `helloReference`); measured in the order measure.ts's turnOrder gives.
   */
  turns: Window[][];
  /** Where hello-world's slice stands in each of `turns`, when it is measured interleaved. */
  helloTurnIndex: number | null;
  profile?: ProfileSummary;
  /** With --profile-bare: the bare reference's isolate profiled the same way. */
  bareProfile?: ProfileSummary;
}

function describe(w: Window): string {
  return `${w.reqPerSec.toFixed(0)} req/s, p50 ${w.p50Ms.toFixed(1)} ms, p99 ${w.p99Ms.toFixed(1)} ms, ${w.cpuMsPerRequest.toFixed(2)} CPU ms/req` +
    (w.errors ? `, ${w.errors} ERRORS ${JSON.stringify(w.statuses)}` : "");
}

function consumerTable(c: ConsumerResult): string {
  return [
    `The queue consumer, \`armature/scripted\` against ${c.mcpServer} (script \`${c.prompt}\`), its own Miniflare:`,
    "",
    "| runs | seconds | runs/s | CPU ms/run | dispatch s | final statuses |",
    "|--:|--:|--:|--:|--:|---|",
    `| ${c.runs} | ${c.seconds.toFixed(1)} | ${c.runsPerSec.toFixed(1)} | ${c.cpuMsPerRun.toFixed(2)} | ${c.dispatchSeconds.toFixed(1)} | ` +
      `${Object.entries(c.statuses).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(", ")} |`,
    ...(c.profile
      ? [
          "",
          `Profile of ${c.profile.requests} more runs (\`${c.profile.file}\`): ${c.profile.busyMsPerRequest.toFixed(2)} ms of the Worker isolate's own ` +
            "JavaScript per run (D1's SQLite and the runtime's C++ are not in it); by package, inclusive (what it and everything it calls cost):",
          "",
          "| package | ms per run | share |",
          "|---|--:|--:|",
          ...c.profile.inclusiveByPackage.map((p) => `| ${p.name} | ${(p.ms / c.profile!.requests).toFixed(2)} | ${(p.share * 100).toFixed(1)} % |`),
        ]
      : []),
  ].join("\n");
}

/** What to clean up if the run is interrupted. */
const cleanup: { server: BenchServer | null; work: string | null } = { server: null, work: null };
process.once("SIGINT", () => {
  log("\nbench: interrupted, stopping workerd");
  const stopped = cleanup.server?.dispose().catch(() => {}) ?? Promise.resolve();
  void Promise.race([stopped, new Promise((r) => setTimeout(r, 3_000))]).finally(() => {
    if (cleanup.work && !opts.keepState) rmSync(cleanup.work, { recursive: true, force: true });
    process.exit(130);
  });
});

async function main() {
  const started = new Date();
  const loadBefore = machineLoad();
  // In memory when the machine has a tmpfs: on disk, the local D1's SQLite syncs make every D1 call wait for the
  // disk (2 to 12 times slower here, and as noisy as the other work on the machine), which production's D1 does not.
  const work = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "armature-bench-"));
  cleanup.work = work;
  const bundleDir = path.join(work, "bundle");
  const stateDir = path.join(work, "state");
  let server: BenchServer | null = null;
  try {
    log(`bench: building the bundle (wrangler deploy --dry-run) in ${bundleDir}`);
    if (opts.bundleConfig) log(`bench: building from ${opts.bundleConfig} instead of wrangler.toml`);
    const bundle = await buildBundle(bundleDir, opts.bundleConfig);
    log(`bench: ${bundle.wranglerSummary ?? `${bundle.bytes} bytes`}`);

    const secrets = generateDevSecrets();
    // The consumer scenario first, in its own Miniflare (queue consumers on), stopped before the HTTP one starts.
    let consumer: ConsumerResult | null = null;
    if (opts.only.length === 0 || opts.only.includes("consumer")) {
      try {
        if (opts.profileDir) mkdirSync(opts.profileDir, { recursive: true });
        const profile = opts.profileDir ? { dir: opts.profileDir, bundleFile: path.join(bundleDir, "index.js") } : undefined;
        consumer = await measureConsumer({ bundleDir, workDir: work, secrets, runs: opts.consumerRuns, log, ...(profile ? { profile } : {}) });
        log(`bench: consumer: ${consumer.runs} runs in ${consumer.seconds.toFixed(1)} s: ${consumer.runsPerSec.toFixed(1)} runs/s, ` +
          `${consumer.cpuMsPerRun.toFixed(2)} CPU ms/run, ${JSON.stringify(consumer.statuses)}`);
      } catch (err) {
        problems.push(`consumer: ${(err as Error).stack ?? err}`);
      }
    }
    let startup: StartupReport | null = null;
    if (opts.only.length === 0 || opts.only.includes("startup")) {
      try {
        startup = await measureStartup({ bundleDir, workDir: work, config: opts.bundleConfig, secrets, runs: opts.quick ? 1 : 3, log });
        log(`bench: start-up: not idle ${startup.busyMs.map((ms) => ms.toFixed(0)).join(", ")} ms; heap ${startup.heapUsedBytes ?? "?"} bytes`);
      } catch (err) {
        problems.push(`startup: ${(err as Error).stack ?? err}`);
      }
    }
    const gcTrace = opts.gc ? new GcTrace() : undefined;
    server = await startServer({ bundleDir, stateDir, secrets, inspector: opts.profileDir !== null, ...(gcTrace ? { gcTrace } : {}) });
    if (gcTrace) countCollections(gcTrace);
    cleanup.server = server;
    if (existsSync(path.join(ROOT, ".dev.vars"))) {
      log("bench: (wrangler's note about .dev.vars above is about its defaults: the bench replaces those secrets with generated ones)");
    }
    log(`bench: Miniflare up, workerd pid ${server.pids.join(", ")}; ${Object.entries(server.urls).map(([n, u]) => `${n} ${u.host}`).join(", ")}`);

    const db = await server.mf.getD1Database("DB", "armature");
    const seeded = await seed(db, server.urls.armature, secrets.API_KEY_PEPPERS, opts.runs, log);
    let insightEvents = 0;
    // The events are seeded only for a run that measures the overview (all scenarios, or --only with it).
    if (opts.events > 0 && (opts.only.length === 0 || opts.only.includes("overview"))) {
      insightEvents = (await seedEvents(server.urls.armature, seeded.main.key, seeded.sourceIds.slice(0, 3), opts.events, log)).events;
      // The rollups run after each answer (waitUntil): let them finish before anything is measured.
      await settle(server.pids, 30 * 60_000);
    }

    const all = scenarios(seeded, insightEvents > 0);
    const chosen = all.filter((s) => s.name === HELLO || opts.only.length === 0 || opts.only.includes(s.name));

    const prepared: Prepared[] = [];
    const armatureUrl = server.urls.armature;
    for (const chosenScenario of chosen) {
      const s = chosenScenario.resolvePath
        ? { ...chosenScenario, path: await chosenScenario.resolvePath((path) => getJson(armatureUrl, path, seeded)) }
        : chosenScenario;

      const p: Prepared = { scenario: s, target: await resolvedTarget(s, server.urls[s.worker], seeded), probe: null, bare: null, windows: [], bareWindows: [], helloWindows: [], turns: [], helloTurnIndex: null };
      if (s.worker === "armature") {
        p.probe = await probe(server, s, seeded);
        const plan = s.noBare || s.staticBare ? null : planOf(p.probe.calls, s.fresh?.(p.probe.body) ?? []);
        if (plan) {
          await registerPlan(server, s.name, plan);
          p.bare = { kind: "replay", plan, target: { url: new URL(`/${encodeURIComponent(s.name)}`, server.urls.bare), method: "GET", expectStatus: 200 } };
        }
        if (s.staticBare) {
          const answer = await registerStatic(server, s.name, p.target);
          const url = new URL(`/${encodeURIComponent(s.name)}`, server.urls.static);
          p.bare = { kind: "static", answer, target: { url, method: "GET", headers: p.target.headers, expectStatus: answer.status } };
          log(`bench: ${s.label}: its answer (${answer.status}, ${answer.bytes} bytes as sent) registered with the static Worker`);
        }
        const u = d1Usage(p.probe.calls);
        log(`bench: probe ${s.label}: ${p.probe.status}, ${p.probe.bodyBytes} bytes, ${u.roundTrips} D1 round trip(s), ${u.statements} statement(s), ${u.rowsRead} rows read` +
          `${u.queueSends ? `, ${u.queueSends} queue send(s)` : ""}${u.afterResponse ? `, ${u.afterResponse} call(s) after the response` : ""}`);
      }
      prepared.push(p);
    }

    const targets = prepared.flatMap((p) => [p.target, ...(p.bare ? [p.bare.target] : [])]);
    log(`bench: warming up ${targets.length} targets (${opts.warmup} s each)`);
    for (const t of targets) await warm(t, opts.warmup, opts.connections);

    const hello = prepared.find((p) => p.scenario.name === HELLO)!;
    for (let round = 1; round <= opts.rounds; round++) {
      log(`bench: round ${round} of ${opts.rounds}`);
      for (const p of prepared) {
        // The references, if any, are measured interleaved with the endpoint (measureInterleaved): the bare Worker,
        // and hello-world for a scenario whose target is a share of hello-world's rate.
        const references = p.bare ? [p.bare.target] : [];
        // Its index in each turn, [endpoint, ...references]: the references' new length.
        if (p.scenario.helloReference) p.helloTurnIndex = references.push(hello.target);
        if (references.length === 0) {
          const w = await measure(p.target, opts.duration, opts.connections, server.pids);
          p.windows.push(w);
          log(`  ${p.scenario.label}: ${describe(w)}`);
          continue;
        }
        const { windows, turns } = await measureInterleaved([p.target, ...references], opts.duration, opts.slices, opts.connections, server.pids);
        p.turns.push(...turns);
        const [w, ...rest] = windows;
        p.windows.push(w!);
        log(`  ${p.scenario.label}: ${describe(w!)}`);
        if (p.bare) {
          p.bareWindows.push(rest.shift()!);
          log(`  ↳ bare: ${describe(p.bareWindows.at(-1)!)}`);
        }
        if (p.scenario.helloReference) {
          p.helloWindows.push(rest.shift()!);
          log(`  ↳ hello-world, interleaved: ${describe(p.helloWindows.at(-1)!)}`);
        }
      }
    }

    if (opts.profileDir) {
      mkdirSync(opts.profileDir, { recursive: true });
      for (const p of prepared.filter((x) => x.scenario.worker === "armature")) {
        log(`bench: profiling ${p.scenario.label} (${opts.profileSeconds} s)`);
        try {
          p.profile = await profileScenario(server, p.scenario.name, p.target, opts.profileSeconds, opts.connections, opts.profileDir, path.join(bundleDir, "index.js"));
        } catch (err) {
          problems.push(`profile of ${p.scenario.label}: ${(err as Error).message}`);
        }
        if (opts.profileBare && p.bare?.kind === "replay") {
          log(`bench: profiling its bare reference (${opts.profileSeconds} s)`);
          try {
            p.bareProfile = await profileScenario(server, p.scenario.name, p.bare.target, opts.profileSeconds, opts.connections, opts.profileDir, path.join(bundleDir, "index.js"), "bare");
          } catch (err) {
            problems.push(`profile of ${p.scenario.label}'s bare reference: ${(err as Error).message}`);
          }
        }
      }
    }

    const results: ScenarioResult[] = prepared.map((p) => {
      const turnsOf = (a: number, b: number, f: (x: Window, y: Window) => number) => {
        const values = turnValues(p.turns, a, b, f);
        return { value: median(values), interval: medianInterval(values) };
      };
      const helloPaired = p !== hello && p.helloTurnIndex !== null ? turnsOf(0, p.helloTurnIndex, rateRatio) : null;
      const vsBare = p.bare ? turnsOf(0, 1, rateRatio) : null;
      const overBare = p.bare ? turnsOf(0, 1, (a, b) => a.cpuMsPerRequest - b.cpuMsPerRequest) : null;
      const goals = (p.scenario.goals ?? []).flatMap((goal) => {
        const measured =
          goal.kind === "× bare" ? vsBare : goal.kind === "× hello" ? helloPaired : goal.kind === "CPU − bare ms" ? overBare : turnsOf(0, 0, (a) => a.cpuMsPerRequest);
        return measured ? [judge(goal, measured.value, measured.interval)] : [];
      });
      return {
        name: p.scenario.name,
        label: p.scenario.label,
        target: p.scenario.target ?? null,
        request: { method: p.scenario.method, path: p.scenario.path, ...(p.scenario.headers ? { headers: p.scenario.headers } : {}) },
        per: p.scenario.per ?? null,
        d1: p.probe ? d1Usage(p.probe.calls) : null,
        responseBytes: p.probe?.bodyBytes ?? null,
        windows: p.windows,
        median: summarize(p.windows),
        // Against the hello-world slices interleaved with it when it has them, else the round's own hello-world window.
        vsHello: p === hello ? null : helloPaired ? helloPaired.value : pairedMedian(p.windows, hello.windows, rateRatio),
        vsHelloInterval: helloPaired?.interval ?? null,
        ...(p.helloWindows.length ? { helloWindows: p.helloWindows } : {}),
        turns: p.turns,
        bare:
          p.bare && vsBare && overBare
            ? {
                kind: p.bare.kind,
                ...(p.bare.kind === "replay" ? { plan: p.bare.plan } : { answer: p.bare.answer }),
                windows: p.bareWindows,
                median: summarize(p.bareWindows),
                throughputRatio: vsBare.value,
                throughputInterval: vsBare.interval,
                cpuOverheadMs: overBare.value,
                cpuOverheadInterval: overBare.interval,
                vsHello: p.helloTurnIndex !== null ? turnMedian(p.turns, 1, p.helloTurnIndex, rateRatio) : pairedMedian(p.bareWindows, hello.windows, rateRatio),
              }
            : null,
        noBare: p.scenario.noBare ?? null,
        verdict: goals.length ? { overall: overallVerdict(goals), goals } : null,
        ...(p.profile ? { profile: p.profile } : {}),
        ...(p.bareProfile ? { bareProfile: p.bareProfile } : {}),
      };
    });
    for (const r of results) {
      const errors = r.median.errors + (r.bare?.median.errors ?? 0);
      if (errors) problems.push(`${r.label}: ${errors} failed requests`);
    }

    const loadAfter = machineLoad();
    const markdown = [
      `Measured ${started.toISOString()} on ${loadBefore.cores} cores, load average ${loadBefore.loadAverage.join(" ")} before and ` +
        `${loadAfter.loadAverage.join(" ")} after; ${opts.rounds} round(s) of ${opts.duration} s at ${opts.connections} connections ` +
        `(an endpoint and its reference interleaved in ${opts.slices} slice(s) each: × bare, CPU − bare and a paired × hello are medians over the ` +
        `${opts.rounds * opts.slices} turns, in brackets the interval that holds the true median with at least 90 % confidence; the rest medians over rounds; ` +
        `a goal is met when its whole interval meets it, at the line when the interval holds the bound${intervalRank(opts.rounds * opts.slices) === 0 ? "; so few turns give no interval and no verdict" : ""}); ${seeded.runs} runs seeded${insightEvents ? `, ${insightEvents} insight events` : ""}.`,
      "",
      table(results),
      ...(opts.gc ? ["", collectionsTable(results) ?? "Collections (--gc): none traced."] : []),
      "",
      bundleTable(bundle),
      ...(startup ? ["", startupTable(startup)] : []),
      ...(consumer ? ["", consumerTable(consumer)] : []),
    ].join("\n");
    // Expected: the bench serves the bundle without its rate-limit bindings (each isolate says so once per class).
    const expected = /rate limit binding missing/;
    for (const [line, count] of server.logs) if (!expected.test(line)) log(`bench: the Workers logged ${count} × ${line}`);

    const report = {
      date: started.toISOString(),
      revision: gitRevision(),
      machine: { cores: loadBefore.cores, loadAverageBefore: loadBefore.loadAverage, loadAverageAfter: loadAfter.loadAverage },
      versions: { node: process.version, wrangler: versionOf("wrangler"), miniflare: versionOf("miniflare"), workerd: versionOf("workerd"), autocannon: versionOf("autocannon") },
      options: { ...opts, out: path.relative(ROOT, opts.out) },
      seed: { runs: seeded.runs, sources: seeded.sourceIds.length, workflows: seeded.workflowIds.length, insightEvents, seconds: seeded.seconds },
      bundle,
      startup,
      results,
      consumer,
      workerLogs: Object.fromEntries(server.logs),
      problems,
    };
    mkdirSync(path.dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(opts.out.replace(/\.json$/, "") + ".md", `${markdown}\n`);
    console.log(markdown);
    log(`\nbench: wrote ${path.relative(process.cwd(), opts.out)} and its .md`);
  } finally {
    await server?.dispose().catch(() => {});
    if (opts.keepState) log(`bench: state kept in ${stateDir}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  problems.push(String((err as Error)?.stack ?? err));
}
if (problems.length) {
  console.error(`\nbench: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(1);
}
process.exit(0);
