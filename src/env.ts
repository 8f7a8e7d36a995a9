import type { KeyPrincipal } from "./auth/verify-api-key";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext } from "./context";

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
  /**
   * Tester model providers (src/runner/agent/providers.ts, docs/run-engine.md). Each is optional: a run of a
   * model whose provider is not configured fails as `model_not_configured`, naming what is missing.
   * Secret: the Anthropic API key (Claude models).
   */
  ANTHROPIC_API_KEY?: string;
  /** Secret: the OpenAI API key (GPT models). */
  OPENAI_API_KEY?: string;
  /** The Workers AI binding (wrangler.toml `[ai] binding = "AI"`), for the `@cf/…` models. */
  AI?: Ai;
  /** The base URL of an OpenAI-compatible endpoint (e.g. `https://llm.example.com/v1`), for `compatible/<model>` ids. */
  ARMATURE_OPENAI_COMPATIBLE_BASE_URL?: string;
  /** Secret, optional: the bearer key of that endpoint. */
  ARMATURE_OPENAI_COMPATIBLE_API_KEY?: string;
  /** Optional: USD per million input / output tokens of the endpoint's models, for run cost (default 0). */
  ARMATURE_OPENAI_COMPATIBLE_INPUT_USD_PER_MTOK?: string;
  ARMATURE_OPENAI_COMPATIBLE_OUTPUT_USD_PER_MTOK?: string;
  /**
   * "true" only for local development (set by `npm run dev`): MCP sources may be private or loopback hosts,
   * IP literals and plain http. Never set it on a deployment.
   */
  ARMATURE_ALLOW_PRIVATE_SOURCES?: string;
  /** Secret: versioned API key peppers, "<version>:<pepper>[,<version>:<pepper>…]", the first is current. */
  API_KEY_PEPPERS: string;
  /** Secret: base64 of 32 bytes, the AES-256-GCM key for MCP auth profile secrets. */
  SECRETS_ENCRYPTION_KEY: string;
  /** The Worker's static assets (wrangler.toml [assets]): the API reference page's files. */
  ASSETS?: Fetcher;
  /**
   * Rate limits (wrangler.toml `[[ratelimits]]`, src/lib/rate-limit.ts): per request class and per API key or
   * organization. Optional: a deployment without one serves that scope unlimited.
   */
  RATE_LIMIT_READS_PER_KEY?: RateLimit;
  RATE_LIMIT_READS_PER_ORG?: RateLimit;
  RATE_LIMIT_WRITES_PER_KEY?: RateLimit;
  RATE_LIMIT_WRITES_PER_ORG?: RateLimit;
  RATE_LIMIT_DISPATCHES_PER_KEY?: RateLimit;
  RATE_LIMIT_DISPATCHES_PER_ORG?: RateLimit;
  RATE_LIMIT_INGEST_PER_KEY?: RateLimit;
  RATE_LIMIT_INGEST_PER_ORG?: RateLimit;
}

/** Hono's environment: bindings and the per-request variables set by middleware. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The request's context (db, queue, clock, config, logger); the principal is added by authentication. */
    app: AppContext;
    principal: KeyPrincipal;
    /** What a 415 on this route says, when the route has its own hint (`RestBinding.unsupportedMediaType`). */
    unsupportedMediaType?: string;
  };
}

/** The authenticated API's Hono app: every operation of the OpenAPI document, paths relative to API_BASE. */
export type ApiApp = OpenAPIHono<AppEnv>;
