// `npm run dev`: local secrets, local D1 migrations, the demo organization with its owner and viewer keys, then
// `wrangler dev` on http://127.0.0.1:8787, and once it answers the demo content (src/admin/demo-seed.ts) through
// the REST API. Extra arguments go to wrangler dev (`npm run dev -- --port 9000`).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import net from "node:net";
import { constants } from "node:os";
import path from "node:path";
import { parsePeppers } from "../src/auth/api-key";
import { DEMO_ORG, ensureDemo } from "../src/admin/demo";
import { DEMO_SESSION_IDS, type DemoSeedReport, latestRuns, seedChangedAnything, seedDemo } from "../src/admin/demo-seed";
import { AdminError } from "../src/admin/errors";
import { ensureDevVars } from "./lib/dev-vars";
import { DATABASE, DEFAULT_STATE_DIR, demoKeyPath, demoViewerKeyPath, ROOT } from "./lib/project";
import { d1Executor, runWrangler, spawnWrangler, wranglerEnv } from "./lib/wrangler";

const API_PATH = "/api/armature/v1";
const READY_TIMEOUT_MS = 90_000;

/** Reads `--name value` / `--name=value` from wrangler dev's arguments. */
function optionValue(args: string[], name: string): { value: string; index: number; inline: boolean } | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === `--${name}` && i + 1 < args.length) return { value: args[i + 1]!, index: i, inline: false };
    if (arg.startsWith(`--${name}=`)) return { value: arg.slice(name.length + 3), index: i, inline: true };
  }
  return null;
}

/** wrangler dev's arguments: ours by default, the user's where given; --persist-to made absolute. */
function devArguments(userArgs: string[]) {
  const args = [...userArgs];
  const persist = optionValue(args, "persist-to");
  let stateDir = DEFAULT_STATE_DIR;
  if (persist) {
    stateDir = path.resolve(process.cwd(), persist.value);
    args.splice(persist.index, persist.inline ? 1 : 2, "--persist-to", stateDir);
  }
  const ip = optionValue(args, "ip")?.value ?? "127.0.0.1";
  const port = Number(optionValue(args, "port")?.value ?? 8787);
  if (!optionValue(args, "ip")) args.push("--ip", ip);
  if (!optionValue(args, "port")) args.push("--port", String(port));
  return { args, stateDir, persistTo: persist ? stateDir : undefined, ip, port };
}

function fail(message: string): never {
  console.error(`\nnpm run dev: ${message}`);
  process.exit(1);
}

function portIsFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function applyMigrations(persistTo: string | undefined) {
  const target = persistTo ? ["--local", "--persist-to", persistTo] : ["--local"];
  // CI=true: wrangler takes its non-interactive default ("yes") instead of asking to confirm.
  const result = await runWrangler(["d1", "migrations", "apply", DATABASE, ...target], { CI: "true" });
  if (result.code !== 0) {
    console.error(result.stdout + result.stderr);
    fail("applying the D1 migrations to the local database failed (output above)");
  }
  const applied = /No migrations to apply/i.test(result.stdout)
    ? []
    : [...new Set(result.stdout.split("\n").flatMap((l) => (l.includes("✅") ? (/[\w.-]+\.sql/.exec(l) ?? []) : [])))];
  console.log(applied.length ? `Applied migrations: ${applied.join(", ")}` : "Local database schema is up to date.");
}

function readStoredKey(file: string): string | null {
  return existsSync(file) ? readFileSync(file, "utf8").trim() || null : null;
}

/** A path as the user should read it: relative to the project when inside it. */
function shown(file: string): string {
  const rel = path.relative(ROOT, file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

function writeKey(file: string, key: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
}

type SeedOutcome = { report: DemoSeedReport } | { error: string };

/** The demo content through the REST API; a failure is reported, never fatal (the API itself works). */
async function seed(base: string, ownerKey: string, viewerKey: string): Promise<SeedOutcome> {
  try {
    return { report: await seedDemo({ baseUrl: base, ownerKey, viewerKey, fetch: (input, init) => fetch(input, init) }) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function demoLines(outcome: SeedOutcome, viewerKeyFile: string): string[] {
  if ("error" in outcome) {
    return [
      `demo: WARNING: seeding the demo content failed: ${outcome.error}`,
      "demo: the API works; the demo source, workflows or insights may be missing. The next npm run dev tries again.",
    ];
  }
  const { source, workflows, events } = outcome.report;
  const lines = [
    `demo: MCP source '${source.name}' is this server's own MCP API (${source.url}), read with the demo viewer key` +
      ` (kept in ${shown(viewerKeyFile)})${source.created ? ": registered now" : ""}`,
    ...workflows.map(
      (w) =>
        `demo: workflow '${w.name}', ends ${w.expect.status} by design` +
        (w.created ? ": created now, its first run is queued" : w.movedToSource ? ": moved to this source" : ""),
    ),
    `demo: insights: ${Object.keys(DEMO_SESSION_IDS).length} demo usage sessions (${events.accepted + events.duplicates} events` +
      `${events.accepted ? ", stored now" : ""}) and the MCP calls of the demo runs`,
  ];
  if (!seedChangedAnything(outcome.report)) lines.push("demo: already seeded, nothing new was created");
  return lines;
}

/**
 * Waits (up to a minute) for the latest run of each demo workflow to end and prints how it ended, with a
 * warning when that is not what the demo promises. Never fatal.
 */
async function reportDemoRuns(base: string, ownerKey: string, report: DemoSeedReport, stillRunning: () => boolean) {
  const deadline = Date.now() + 60_000;
  const pending = new Map(report.workflows.map((w) => [w.id, w]));
  while (pending.size > 0 && Date.now() < deadline && stillRunning()) {
    try {
      const ids = [...pending.keys()];
      const runs = await latestRuns({ baseUrl: base, ownerKey, fetch: (input, init) => fetch(input, init) }, ids);
      runs.forEach((run, i) => {
        const w = pending.get(ids[i]!)!;
        if (!run || !["pass", "fail", "partial"].includes(run.status)) return;
        pending.delete(w.id);
        const asDesigned = run.status === w.expect.status && run.classification === w.expect.classification;
        const as = asDesigned ? "as designed" : `WARNING: expected ${w.expect.status} (${w.expect.classification})`;
        console.log(`demo: latest run of '${w.name}': ${run.status} (${run.classification}), ${as}; ${API_PATH}/runs/${run.id}`);
      });
    } catch {
      // the server may be restarting: try again
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 1_000));
  }
  for (const w of pending.values()) console.log(`demo: WARNING: the latest run of '${w.name}' did not end within a minute`);
}

function banner(base: string, key: string, keyFile: string, ready: boolean, demo: string[]) {
  const api = `${base}${API_PATH}`;
  const lines = [
    "",
    "────────────────────────────────────────────────────────────────────────",
    ready ? `Armature API running at ${api}` : `Armature API starting at ${api} (it has not answered yet)`,
    `Organization '${DEMO_ORG.slug}', owner key (kept in ${shown(keyFile)}):`,
    "",
    `ARMATURE_API_KEY=${key}`,
    "",
    ...demo,
    ...(demo.length ? [""] : []),
    "Try it (README.md walks through the demo):",
    `  curl -s ${api}/org -H "authorization: Bearer ${key}"`,
    `  curl -s ${api}/runs -H "authorization: Bearer ${key}"`,
    `OpenAPI document: ${api}/openapi   API reference: ${api}/docs`,
    "Admin CLI (keys, organizations, features): npm run armature -- --help",
    process.env.ARMATURE_DEV_CRON === "0"
      ? "The cron sweep is off (ARMATURE_DEV_CRON=0)."
      : "The cron sweep (schedules, stuck runs) fires every minute, as when deployed.",
    "────────────────────────────────────────────────────────────────────────",
    "",
  ];
  console.log(lines.join("\n"));
}

async function waitUntilReady(base: string, stillRunning: () => boolean): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && stillRunning()) {
    try {
      const res = await fetch(`${base}${API_PATH}/openapi`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return false;
}

/**
 * wrangler dev does not fire Cron Triggers by itself; this does, at every minute boundary, through wrangler's
 * local scheduled route, so schedules and the stuck-run sweep work locally as deployed. ARMATURE_DEV_CRON=0
 * turns it off.
 */
function emulateCron(base: string, stillRunning: () => boolean) {
  if (process.env.ARMATURE_DEV_CRON === "0") return;
  const tick = async () => {
    if (!stillRunning()) return;
    try {
      const res = await fetch(`${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}`, {
        signal: AbortSignal.timeout(30_000),
      });
      await res.body?.cancel();
    } catch {
      // The server may be restarting; the next minute tries again.
    }
    setTimeout(tick, 60_000 - (Date.now() % 60_000)).unref();
  };
  setTimeout(tick, 60_000 - (Date.now() % 60_000)).unref();
}

async function main() {
  const dev = devArguments(process.argv.slice(2));
  const { vars, created } = (() => {
    try {
      return ensureDevVars();
    } catch (err) {
      return fail((err as Error).message);
    }
  })();
  if (created) console.log("Created .dev.vars with fresh local secrets (API_KEY_PEPPERS, SECRETS_ENCRYPTION_KEY).");

  if (!(await portIsFree(dev.ip, dev.port))) {
    fail(`${dev.ip}:${dev.port} is already in use (another \`npm run dev\`?). Stop it, or pick a port: npm run dev -- --port 8788`);
  }

  await applyMigrations(dev.persistTo);

  const keyFile = demoKeyPath(dev.stateDir);
  const viewerKeyFile = demoViewerKeyPath(dev.stateDir);
  let demo;
  try {
    demo = await ensureDemo(d1Executor({ remote: false, persistTo: dev.persistTo }), parsePeppers(vars.API_KEY_PEPPERS), {
      owner: readStoredKey(keyFile),
      viewer: readStoredKey(viewerKeyFile),
    });
  } catch (err) {
    fail(err instanceof AdminError ? err.message : `preparing the demo organization failed: ${(err as Error).message}`);
  }
  if (demo.orgCreated) console.log(`Created organization '${DEMO_ORG.slug}' (${DEMO_ORG.name}).`);
  if (demo.minted) {
    writeKey(keyFile, demo.key);
    console.log("Minted a new demo owner key.");
  }
  if (demo.viewerMinted) {
    writeKey(viewerKeyFile, demo.viewerKey);
    console.log("Minted a new demo viewer key (the demo MCP source's key).");
  }
  for (const id of demo.revokedKeyIds) console.log(`Revoked the previous demo key ${id}.`);

  // Local development only: MCP sources on this machine (http://127.0.0.1:3001/mcp) are allowed; a
  // deployment never sets this var and refuses private, loopback and plain-http sources.
  const child = spawnWrangler(["dev", "--var", "ARMATURE_ALLOW_PRIVATE_SOURCES:true", ...dev.args], {
    stdio: "inherit",
    env: wranglerEnv(),
  });
  let exited = false;
  const forward = (signal: NodeJS.Signals) => {
    if (!exited) child.kill(signal);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, forward);
  child.on("exit", (code, signal) => {
    exited = true;
    if (signal) {
      for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(s, forward);
      process.exitCode = 128 + (constants.signals[signal] ?? 0);
      process.kill(process.pid, signal);
    } else {
      process.exit(code ?? 1);
    }
  });
  child.on("error", (err) => fail(`could not start wrangler dev: ${err.message}`));

  const host = dev.ip === "0.0.0.0" || dev.ip === "::" ? "127.0.0.1" : dev.ip.includes(":") ? `[${dev.ip}]` : dev.ip;
  const protocol = optionValue(dev.args, "local-protocol")?.value === "https" ? "https" : "http";
  const base = `${protocol}://${host}:${dev.port}`;
  const ready = await waitUntilReady(base, () => !exited);
  const seeded = ready && !exited ? await seed(base, demo.key, demo.viewerKey) : null;
  if (!exited) banner(base, demo.key, keyFile, ready, seeded ? demoLines(seeded, viewerKeyFile) : []);
  if (ready) emulateCron(base, () => !exited);
  if (seeded && "report" in seeded) await reportDemoRuns(base, demo.key, seeded.report, () => !exited);
}

await main();
