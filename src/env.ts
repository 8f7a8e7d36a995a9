import type { KeyPrincipal } from "./auth/verify-api-key";
import type { Database } from "./db/client";

/** A message on the runs queue: ids only, everything else is read from D1. */
export interface RunMessage {
  runId: string;
  orgId: string;
}

/** The Worker's bindings (wrangler.toml, secrets, and .dev.vars locally). */
export interface Env {
  DB: D1Database;
  RUNS_QUEUE: Queue<RunMessage>;
  /** Organizations are served on `<slug>.<ARMATURE_BASE_DOMAIN>`. */
  ARMATURE_BASE_DOMAIN: string;
  /** Optional: the tester model used when a workflow names none (default armature/scripted). */
  ARMATURE_DEFAULT_TESTER_MODEL?: string;
  /** Optional: the judge model (default armature/scripted). */
  ARMATURE_DEFAULT_JUDGE_MODEL?: string;
  /** Secret: versioned API key peppers, "<version>:<pepper>[,<version>:<pepper>…]", the first is current. */
  API_KEY_PEPPERS: string;
  /** Secret: base64 of 32 bytes, the AES-256-GCM key for MCP auth profile secrets. */
  SECRETS_ENCRYPTION_KEY: string;
}

/** Hono's environment: bindings and the per-request variables set by middleware. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Database;
    principal: KeyPrincipal;
  };
}
