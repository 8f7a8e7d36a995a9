// The `consumer` scenario of `npm run bench`: runs executed per second by the real queue consumer, with the
// `armature/scripted` model against a local MCP server (issue 10: "the consumer's runs per second").
//
// It has its own Miniflare instance (server.ts `runConsumer`: the bundle with its wrangler.toml queue consumers
// and ARMATURE_ALLOW_PRIVATE_SOURCES=true) on its own temporary D1, started and stopped before the HTTP
// scenarios' instance, so neither measures the other's work. The MCP server is
// `mcp-server-everything streamableHttp` (a Node process of its own, not counted in the CPU) on a free port.
//
// The window: N runs dispatched through the API (POST /workflows/{id}/runs, forceNewRun, 10 at a time) until
// every one is terminal (polled in D1 every 100 ms). CPU is the workerd process's over the window, dispatch
// requests included, divided by N. With --profile, a second batch of runs (after the measured one, so the
// profiler costs the figures nothing) is dispatched under workerd's CPU profiler: where a run's CPU goes.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../lib/project";
import { cpuMs } from "./cpu";
import { settle } from "./measure";
import { profileWhile, type ProfileSummary } from "./profile";
import { applyMigrations, callApi, createOrg } from "./seed";
import { freePort, startServer } from "./server";

export interface ConsumerResult {
  runs: number;
  seconds: number;
  runsPerSec: number;
  /** workerd CPU over the window (dispatch requests, consumer, D1, queue) ÷ runs. */
  cpuMsPerRun: number;
  /** The measured runs by final status. */
  statuses: Record<string, number>;
  /** Seconds from the first dispatch to the last dispatch answered. */
  dispatchSeconds: number;
  mcpServer: string;
  prompt: string;
  /** With --profile: the CPU profile of a second batch of runs (CONSUMER_PROFILE_RUNS), per run. */
  profile?: ProfileSummary;
}

/** Runs dispatched under the profiler (a profile of many more grows past what the inspector sends). */
const CONSUMER_PROFILE_RUNS = 100;

/** The script: one call of the everything server's `echo` tool per run (a real tools/call over Streamable HTTP). */
export const CONSUMER_PROMPT = 'call echo {"message": "bench"}';

async function startMcpServer(port: number): Promise<ChildProcess> {
  const bin = path.join(ROOT, "node_modules", ".bin", "mcp-server-everything");
  const child = spawn(bin, ["streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`mcp-server-everything exited ${child.exitCode}: ${stderr}`);
    try {
      // Any HTTP answer means it listens (a GET without a session is refused, which is fine).
      await fetch(`http://127.0.0.1:${port}/mcp`, { signal: AbortSignal.timeout(1000) });
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  child.kill();
  throw new Error(`mcp-server-everything did not listen on ${port} within 20 s: ${stderr}`);
}

export async function measureConsumer(opts: {
  bundleDir: string;
  workDir: string;
  secrets: { API_KEY_PEPPERS: string; SECRETS_ENCRYPTION_KEY: string };
  runs: number;
  log: (line: string) => void;
  /** Profile a second batch of runs into this directory (the bundle's source map names the frames). */
  profile?: { dir: string; bundleFile: string };
}): Promise<ConsumerResult> {
  const port = await freePort();
  const mcp = await startMcpServer(port);
  const stateDir = path.join(opts.workDir, "consumer-state");
  mkdirSync(stateDir, { recursive: true });
  const server = await startServer({ bundleDir: opts.bundleDir, stateDir, secrets: opts.secrets, inspector: opts.profile !== undefined, runConsumer: true });
  try {
    const base = server.urls.armature;
    const db = await server.mf.getD1Database("DB", "armature");
    await applyMigrations(db);
    const org = await createOrg(db, opts.secrets.API_KEY_PEPPERS, "bench-consumer", []);
    const mcpUrl = `http://127.0.0.1:${port}/mcp`;
    const source = await callApi(base, org.key, "POST", "/mcp-servers", { name: "everything (local)", url: mcpUrl });
    const created = await callApi(base, org.key, "POST", "/workflows", {
      name: "bench: consumer",
      mcpServerId: source.id,
      testerModelId: "armature/scripted",
      testerPrompt: CONSUMER_PROMPT,
      criteria: [
        { criterionText: "The tester called echo", check: { type: "tool_called", tool: "echo" } },
        { criterionText: "No tool answered an error", check: { type: "no_tool_errors" } },
      ],
      limits: { timeoutSeconds: 60 },
    });
    const workflowId = (created.workflow as { id: string }).id;
    const dispatch = () => callApi(base, org.key, "POST", `/workflows/${workflowId}/runs`, { forceNewRun: true, reason: "bench" });
    const counts = async () => {
      const rows = await db
        .prepare("SELECT status, count(*) AS n FROM runs WHERE workflow_id = ? GROUP BY status")
        .bind(workflowId)
        .all<{ status: string; n: number }>();
      return Object.fromEntries(rows.results.map((r) => [r.status, r.n])) as Record<string, number>;
    };
    const terminal = (c: Record<string, number>) => (c.pass ?? 0) + (c.fail ?? 0) + (c.partial ?? 0);

    // Warm-up: a few runs end to end (isolate, MCP client, the server's sessions), then a quiet process.
    opts.log(`bench: consumer: MCP server ${mcpUrl}, workflow ${workflowId}; warming up with 5 runs`);
    for (let i = 0; i < 5; i++) await dispatch();
    const warmUntil = Date.now() + 60_000;
    while (terminal(await counts()) < 5 && Date.now() < warmUntil) await new Promise((r) => setTimeout(r, 100));
    const warmed = await counts();
    if (terminal(warmed) < 5) throw new Error(`consumer: the warm-up runs did not finish within 60 s: ${JSON.stringify(warmed)}`);
    await settle(server.pids, 10_000);

    opts.log(`bench: consumer: dispatching ${opts.runs} runs`);
    /** Dispatches `n` runs, 10 at a time, and waits until `want` runs of the workflow are terminal. */
    const batch = async (n: number, want: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < n) {
            next++;
            await dispatch();
          }
        }),
      );
      const dispatched = performance.now();
      const deadline = Date.now() + Math.max(120_000, n * 2_000);
      let last = await counts();
      while (terminal(last) < want && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        last = await counts();
      }
      return { dispatched, last };
    };
    const cpu0 = cpuMs(server.pids);
    const t0 = performance.now();
    const want = opts.runs + 5;
    const { dispatched, last } = await batch(opts.runs, want);
    const dispatchSeconds = (dispatched - t0) / 1000;
    const seconds = (performance.now() - t0) / 1000;
    await settle(server.pids, 10_000);
    const cpu = cpuMs(server.pids) - cpu0;
    if (terminal(last) < want) throw new Error(`consumer: ${want - terminal(last)} run(s) not finished after ${seconds.toFixed(0)} s: ${JSON.stringify(last)}`);
    const statuses = { ...last };
    for (const [k, v] of Object.entries(warmed)) statuses[k] = (statuses[k] ?? 0) - v;
    let profile: ProfileSummary | undefined;
    if (opts.profile) {
      opts.log(`bench: consumer: profiling ${CONSUMER_PROFILE_RUNS} more runs`);
      profile = await profileWhile(server, "consumer", opts.profile.dir, opts.profile.bundleFile, async () => {
        const done = await batch(CONSUMER_PROFILE_RUNS, want + CONSUMER_PROFILE_RUNS);
        if (terminal(done.last) < want + CONSUMER_PROFILE_RUNS) throw new Error(`consumer: the profiled runs did not finish: ${JSON.stringify(done.last)}`);
        return CONSUMER_PROFILE_RUNS;
      });
    }
    return {
      ...(profile ? { profile } : {}),
      runs: opts.runs,
      seconds,
      runsPerSec: opts.runs / seconds,
      cpuMsPerRun: cpu / opts.runs,
      statuses,
      dispatchSeconds,
      mcpServer: "mcp-server-everything streamableHttp",
      prompt: CONSUMER_PROMPT,
    };
  } finally {
    await server.dispose().catch(() => {});
    mcp.kill();
  }
}
