import type { KeyPrincipal } from "./auth/verify-api-key";
import { createDb, type Database } from "./db/client";
import type { Env, RunMessage } from "./env";
import { createLogger, type LogFields, type Logger } from "./lib/logger";

/** Settings read from the Worker's bindings, once per context. */
export interface AppConfig {
  /** Organizations are served on `<slug>.<baseDomain>`. */
  baseDomain: string;
  /** The tester model a workflow without one uses (unset: the catalog's default). */
  defaultTesterModel?: string;
  /** The judge model (unset: the catalog's default). */
  defaultJudgeModel?: string;
  /** Base64 of the AES-256-GCM key that seals MCP auth profile secrets. */
  secretsEncryptionKey: string;
  /**
   * True only in local development (`npm run dev`): MCP sources may then be private or loopback hosts, IP
   * literals and plain http. A deployment refuses them.
   */
  allowPrivateSources: boolean;
}

/**
 * What any piece of logic may need, built the same way for `fetch`, `queue`, `scheduled` and the MCP API:
 * the database, the runs queue, the clock, the configuration, a logger, and a way to finish work after the
 * answer. Logic takes the parts it uses (`Pick<AppContext, "db" | "now">`), so tests pass only those.
 */
export interface AppContext {
  env: Env;
  db: Database;
  queue: Queue<RunMessage>;
  /** The current time; tests pin it. */
  now(): Date;
  config: AppConfig;
  log: Logger;
  /** Keeps the invocation alive for `work` after the response (ExecutionContext.waitUntil). */
  waitUntil(work: Promise<unknown>): void;
  /** The network, for outbound requests (MCP sources, model providers); tests put an in-process server here. */
  fetch: typeof fetch;
}

/** An AppContext acting for an authenticated API key: what an operation runs with. */
export interface OperationContext extends AppContext {
  principal: KeyPrincipal;
  requestId: string;
}

export interface ContextOptions {
  /** Fields every log line of this context carries (requestId, runId, cron…). */
  logFields?: LogFields;
  /** A fixed time or a clock; default the real clock. */
  now?: Date | (() => Date);
  logger?: Logger;
  db?: Database;
  fetch?: typeof fetch;
}

// Built once: a request's context is made on every request, and these need nothing of it.
const realClock = () => new Date();
const rootLogger = createLogger();
const detached = (work: Promise<unknown>) => void work.catch(() => {});
const globalFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

/**
 * The one factory of contexts.
 *
 * @example
 * const ctx = createContext(env, executionCtx, { logFields: { runId } });
 */
export function createContext(env: Env, exec: Pick<ExecutionContext, "waitUntil"> | undefined, opts: ContextOptions = {}): AppContext {
  const fixed = opts.now;
  return {
    env,
    db: opts.db ?? createDb(env.DB),
    queue: env.RUNS_QUEUE,
    now: typeof fixed === "function" ? fixed : fixed ? () => fixed : realClock,
    config: {
      baseDomain: env.ARMATURE_BASE_DOMAIN,
      defaultTesterModel: env.ARMATURE_DEFAULT_TESTER_MODEL,
      defaultJudgeModel: env.ARMATURE_DEFAULT_JUDGE_MODEL,
      secretsEncryptionKey: env.SECRETS_ENCRYPTION_KEY,
      allowPrivateSources: env.ARMATURE_ALLOW_PRIVATE_SOURCES === "true",
    },
    log: opts.logger ? opts.logger.child(opts.logFields ?? {}) : opts.logFields ? rootLogger.child(opts.logFields) : rootLogger,
    waitUntil: exec ? exec.waitUntil.bind(exec) : detached,
    fetch: opts.fetch ?? globalFetch,
  };
}
