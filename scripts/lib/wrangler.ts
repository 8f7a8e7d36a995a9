import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { AdminError } from "../../src/admin/errors";
import type { SqlExecutor, SqlRow } from "../../src/admin/executor";
import { DATABASE, ROOT } from "./project";

const require = createRequire(import.meta.url);

/** The project's own wrangler CLI entry point. */
export const WRANGLER_BIN = path.join(
  path.dirname(require.resolve("wrangler/package.json", { paths: [ROOT] })),
  "bin",
  "wrangler.js",
);

/** Environment for wrangler children: no usage metrics (there may be no network). */
export function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, WRANGLER_SEND_METRICS: "false", ...extra };
}

/** Starts wrangler with the running Node (22, from the project's node devDependency) in the project root. */
export function spawnWrangler(args: string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [WRANGLER_BIN, ...args], { cwd: ROOT, env: wranglerEnv(), ...options });
}

export interface WranglerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs wrangler to completion and collects its output. stdin is closed, so it can never wait for an answer. */
export function runWrangler(args: string[], env: Record<string, string> = {}): Promise<WranglerResult> {
  return new Promise((resolve, reject) => {
    const child = spawnWrangler(args, { stdio: ["ignore", "pipe", "pipe"], env: wranglerEnv(env) });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout, stderr }));
  });
}

export interface D1Target {
  remote: boolean;
  /** Local state directory; wrangler's default (.wrangler/state) when undefined. */
  persistTo?: string;
}

export function targetArgs(target: D1Target): string[] {
  if (target.remote) return ["--remote"];
  return target.persistTo ? ["--local", "--persist-to", target.persistTo] : ["--local"];
}

/**
 * Runs statements through `wrangler d1 execute armature --json --command`, in one call.
 * A failed statement becomes an AdminError with wrangler's message.
 */
export function d1Executor(target: D1Target): SqlExecutor {
  return async (statements) => {
    const sql = statements.map((s) => `${s};`).join("\n");
    const args = ["d1", "execute", DATABASE, ...targetArgs(target), "--json", "--yes", "--command", sql];
    const result = await runWrangler(args);
    if (result.code !== 0) throw new AdminError("database", wranglerFailure(result, target));
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.stdout);
    } catch {
      throw new AdminError("database", `wrangler printed no JSON:\n${tail(result.stdout + result.stderr)}`);
    }
    const sets = Array.isArray(parsed) ? parsed : [parsed];
    return sets.map((set: { results?: SqlRow[]; success?: boolean }) => {
      if (set?.success === false || !Array.isArray(set?.results)) {
        throw new AdminError("database", `A statement failed: ${JSON.stringify(set).slice(0, 500)}`);
      }
      return set.results;
    });
  };
}

/** wrangler's own error message, with a hint for the usual causes. */
function wranglerFailure(result: WranglerResult, target: D1Target): string {
  let message = "";
  for (const stream of [result.stderr, result.stdout]) {
    const start = stream.indexOf("{");
    if (start === -1) continue;
    try {
      const body = JSON.parse(stream.slice(start)) as { error?: { text?: string; notes?: Array<{ text?: string }> } };
      if (body.error?.text) {
        message = [body.error.text, ...(body.error.notes ?? []).map((n) => n.text ?? "")].filter(Boolean).join("\n");
        break;
      }
    } catch {
      // not JSON: fall back to the raw output below
    }
  }
  message ||= tail(`${result.stderr}\n${result.stdout}`) || `wrangler exited with code ${result.code}`;
  if (/CLOUDFLARE_API_TOKEN/.test(message)) {
    message += "\nLog in once with `npx wrangler login`, or set CLOUDFLARE_API_TOKEN (a token with D1 edit permission).";
  }
  if (/no such table/i.test(message)) {
    message += target.remote
      ? "\nThe remote database has no schema yet: run `npx wrangler d1 migrations apply armature --remote`."
      : "\nThe local database has no schema yet: run `npm run dev` once (or `npx wrangler d1 migrations apply armature --local`).";
  }
  return `wrangler d1 execute failed: ${message}`;
}

function tail(text: string, lines = 15): string {
  return text
    .split("\n")
    .filter((l) => l.trim() && !l.includes('Unknown user config "nodedir"'))
    .slice(-lines)
    .join("\n");
}
