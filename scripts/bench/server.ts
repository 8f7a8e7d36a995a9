// One Miniflare instance (one workerd process) serving every Worker of the benchmark, each on its own port
// (Miniflare's direct sockets: a request reaches the Worker without Miniflare's entry Worker or wrangler's proxy):
//
//   armature        the bundle under test, with its real bindings from wrangler.toml (D1, the runs queue
//                   producer, vars), generated secrets, and neither rate limits nor static assets (below)
//   armature-probe  the same bundle behind workers/probe.js, which records the D1 calls of a request (never timed)
//   hello-world     workers/hello-world.js
//   bare            workers/bare.js: an endpoint's recorded D1 statements and queue sends, with nothing around them
//   static          workers/static.js: an endpoint's own answer, captured once, from a module-level buffer
//   queue-sink      workers/queue-sink.js: consumes the runs queue by acknowledging every message
//
// Left out of the bundle's bindings on purpose: the [[ratelimits]] (without them the API serves unlimited, see
// src/lib/rate-limit.ts; with them the bench would measure 429s), [assets] (the assets router is an extra Worker
// in front of every request locally, done by Cloudflare's edge in production; no measured endpoint reads
// assets), the queue consumers (runs are not executed while HTTP endpoints are measured) and the cron trigger.
// The consumer scenario (consumer.ts) starts its own instance with `runConsumer`: the bundle alone, consumers on.
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT } from "../lib/project";
import { findWorkerdPids } from "./cpu";
import type { GcTrace } from "./gc";

export const WORKERS = ["armature", "armature-probe", "hello-world", "bare", "static"] as const;
export type ServedWorker = (typeof WORKERS)[number];

export interface BenchServer {
  mf: Miniflare;
  urls: Record<ServedWorker, URL>;
  /** The workerd process(es) serving all of them. */
  pids: number[];
  inspectorPort: number | null;
  /** Warnings and errors the Workers logged (deduplicated), for the report. */
  logs: Map<string, number>;
  dispose(): Promise<void>;
}

const WORKER_DIR = path.join(import.meta.dirname, "workers");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startServer(opts: {
  bundleDir: string;
  stateDir: string;
  secrets: { API_KEY_PEPPERS: string; SECRETS_ENCRYPTION_KEY: string };
  inspector: boolean;
  /** With --gc: workerd traces V8's collections (--trace-gc-nvp) and each line goes to this trace (gc.ts). */
  gcTrace?: GcTrace;
  /**
   * The consumer scenario's own instance: only the armature Worker, with its queue consumers from wrangler.toml
   * (runs are executed, as in production) and ARMATURE_ALLOW_PRIVATE_SOURCES=true (the MCP server is on
   * 127.0.0.1); no probe, references or queue sink.
   */
  runConsumer?: boolean;
}): Promise<BenchServer> {
  // The bindings wrangler itself derives from wrangler.toml (as `wrangler dev` does). It also reads .dev.vars
  // if there is one; the generated secrets below replace those.
  // Its notes go to stderr: stdout is the result table.
  const consoleLog = console.log;
  console.log = (...args: unknown[]) => console.error(...args);
  let fromConfig: Record<string, unknown>;
  try {
    fromConfig = unstable_getMiniflareWorkerOptions(path.join(ROOT, "wrangler.toml")).workerOptions as Record<string, unknown>;
  } finally {
    console.log = consoleLog;
  }
  const {
    ratelimits: _ratelimits,
    assets: _assets,
    queueConsumers: _consumers,
    cronTriggers: _crons,
    modulesRules: _rules,
    rootPath: _root,
    ...bindings
  } = fromConfig;
  const vars = {
    ...(fromConfig.bindings as Record<string, unknown>),
    ...opts.secrets,
    ...(opts.runConsumer ? { ARMATURE_ALLOW_PRIVATE_SOURCES: "true" } : {}),
  };
  const queueProducers = fromConfig.queueProducers as Record<string, { queueName: string }>;
  const queueName = queueProducers.RUNS_QUEUE?.queueName ?? "armature-runs";
  const compat = { compatibilityDate: fromConfig.compatibilityDate as string, compatibilityFlags: fromConfig.compatibilityFlags as string[] };
  const bundle = path.join(opts.bundleDir, "index.js");
  const direct = [{ host: "127.0.0.1", port: 0 }];

  /** A reference Worker of this harness: `workers/<name>.js`, with the bundle's compatibility settings. */
  const referenceWorker = (name: string, extra: Record<string, unknown>) =>
    ({
      ...compat,
      name,
      modulesRoot: WORKER_DIR,
      modules: [{ type: "ESModule", path: path.join(WORKER_DIR, `${name}.js`) }],
      ...extra,
    }) as V4WorkerOptions;
  const all: V4WorkerOptions[] = [
    {
      ...(bindings as object),
      ...(opts.runConsumer ? { queueConsumers: fromConfig.queueConsumers } : {}),
      bindings: vars,
      name: "armature",
      modulesRoot: opts.bundleDir,
      modules: [{ type: "ESModule", path: bundle }],
      unsafeDirectSockets: direct,
    } as V4WorkerOptions,
    {
      ...(bindings as object),
      bindings: vars,
      name: "armature-probe",
      modulesRoot: opts.bundleDir,
      modules: [
        { type: "ESModule", path: path.join(opts.bundleDir, "probe.js"), contents: readFileSync(path.join(WORKER_DIR, "probe.js"), "utf8") },
        { type: "ESModule", path: bundle },
      ],
      unsafeDirectSockets: direct,
    } as V4WorkerOptions,
    referenceWorker("hello-world", { unsafeDirectSockets: direct }),
    referenceWorker("bare", {
      d1Databases: bindings.d1Databases as V4WorkerOptions["d1Databases"],
      queueProducers,
      unsafeDirectSockets: direct,
    }),
    referenceWorker("static", { unsafeDirectSockets: direct }),
    referenceWorker("queue-sink", { queueConsumers: { [queueName]: { maxBatchSize: 100, maxBatchTimeout: 1 } } }),
  ];

  const workers = opts.runConsumer ? all.slice(0, 1) : all;
  const served = opts.runConsumer ? (["armature"] as const) : WORKERS;

  const logs = new Map<string, number>();
  const inspectorPort = opts.inspector ? await freePort() : null;
  if (opts.gcTrace) {
    // Miniflare passes this variable's flags to workerd's V8 (read when it builds workerd's configuration).
    const flags = (process.env.MINIFLARE_WORKERD_V8_FLAGS ?? "").split(" ").filter(Boolean);
    if (!flags.includes("--trace-gc-nvp")) process.env.MINIFLARE_WORKERD_V8_FLAGS = [...flags, "--trace-gc-nvp"].join(" ");
  }
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      resourcePersistencePath: opts.stateDir,
      cf: false,
      logRequests: false,
      log: new Log(LogLevel.WARN),
      ...(inspectorPort ? { inspectorPort } : {}),
      handleStructuredLogs: ({ level, message }) => {
        if (opts.gcTrace?.line(message)) return;
        if (level !== "warn" && level !== "error") return;
        // One entry per distinct message (without its timestamps and ids), with a count.
        const key = `${level}: ${message.replace(/"(time|requestId)":"[^"]*",?/g, "").slice(0, 300)}`;
        logs.set(key, (logs.get(key) ?? 0) + 1);
      },
      workers,
    }),
  );
  await mf.ready;
  const urls = Object.fromEntries(
    await Promise.all(served.map(async (name) => [name, await mf.unsafeGetDirectURL(name)] as const)),
  ) as Record<ServedWorker, URL>;
  const pids = findWorkerdPids();
  if (pids.length === 0) throw new Error("could not find the workerd process Miniflare started (is this Linux?)");
  return { mf, urls, pids, inspectorPort, logs, dispose: () => mf.dispose() };
}
