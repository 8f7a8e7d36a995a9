/**
 * Rate limits per API key and per organization, with the Workers rate-limiting binding (wrangler.toml
 * `[[ratelimits]]`). See docs/api-behaviour.md#rate-limits.
 *
 * Every authenticated request belongs to one class (reads, writes, dispatches) and is counted against two
 * policies of that class: its key's and its organization's. The key policy is consulted first; only a request
 * the key policy allows is counted against the organization, so a key hammering away while refused does not
 * use up its colleagues' budget.
 *
 * The binding answers only allowed / refused. The `RateLimit` header's remaining count is therefore an
 * estimate from an isolate-local counter of the requests allowed in the current window; the window is taken
 * as aligned to the wall-clock minute, which is what `t` and `Retry-After` count down to.
 */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { ApiApp, AppEnv, Env } from "../env";
import { errorResponse } from "./error-handler";
import { ApiError } from "./errors";
import { createLogger, errorFields } from "./logger";

export type RateLimitClass = "reads" | "writes" | "dispatches" | "ingest";
export type RateLimitScope = "key" | "org";

/** The window of every policy, in seconds (the binding's `simple.period`); messages call it "a minute". */
export const RATE_LIMIT_WINDOW_SECONDS = 60;

/**
 * Requests allowed per window, by class and scope. wrangler.toml's `[[ratelimits]]` must say the same: the
 * binding enforces its own number, these are the numbers the headers, messages and documentation state.
 */
export const RATE_LIMITS = {
  reads: { key: 600, org: 3000 },
  writes: { key: 120, org: 600 },
  dispatches: { key: 60, org: 300 },
  ingest: { key: 1200, org: 6000 },
} as const satisfies Record<RateLimitClass, Record<RateLimitScope, number>>;

/** The binding that enforces each policy. */
export const RATE_LIMIT_BINDINGS = {
  reads: { key: "RATE_LIMIT_READS_PER_KEY", org: "RATE_LIMIT_READS_PER_ORG" },
  writes: { key: "RATE_LIMIT_WRITES_PER_KEY", org: "RATE_LIMIT_WRITES_PER_ORG" },
  dispatches: { key: "RATE_LIMIT_DISPATCHES_PER_KEY", org: "RATE_LIMIT_DISPATCHES_PER_ORG" },
  ingest: { key: "RATE_LIMIT_INGEST_PER_KEY", org: "RATE_LIMIT_INGEST_PER_ORG" },
} as const satisfies Record<RateLimitClass, Record<RateLimitScope, keyof Env>>;

const SCOPES: readonly RateLimitScope[] = ["key", "org"];
const SCOPE_WORDS: Record<RateLimitScope, string> = { key: "API key", org: "organization" };

/** `POST /workflows/{id}/runs`, the one dispatch operation. */
const DISPATCH_PATH = /\/workflows\/[^/]+\/runs$/;

/** The MCP usage event ingestion paths: MCP servers send often, in batches, so they have a class of their own. */
const INGEST_PATH = /\/insights\/(?:events|otlp\/v1\/traces)$/;

/**
 * The class of a request: GET/HEAD/OPTIONS read, dispatching a workflow dispatches, sending usage events
 * ingests, anything else writes.
 */
export function rateLimitClass(method: string, path: string): RateLimitClass {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD" || m === "OPTIONS") return "reads";
  if (m === "POST" && DISPATCH_PATH.test(path)) return "dispatches";
  if (m === "POST" && INGEST_PATH.test(path)) return "ingest";
  return "writes";
}

/** The policy's name in the RateLimit headers: `writes-per-key`, `writes-per-org`. */
export const policyName = (cls: RateLimitClass, scope: RateLimitScope) => `${cls}-per-${scope}`;

/** `RateLimit-Policy` for a class: both of its policies, key first. */
export function policyHeader(cls: RateLimitClass): string {
  return SCOPES.map((s) => `"${policyName(cls, s)}";q=${RATE_LIMITS[cls][s]};w=${RATE_LIMIT_WINDOW_SECONDS}`).join(", ");
}

// ---------------------------------------------------------------------------------------------------------
// The isolate-local estimate of what is left.

let windowIndex = -1;
/** Requests this isolate saw allowed in the current window, by `<policy>:<id>`. */
const used = new Map<string, number>();

function currentWindow(nowMs: number): { resetSeconds: number } {
  const windowMs = RATE_LIMIT_WINDOW_SECONDS * 1000;
  const index = Math.floor(nowMs / windowMs);
  if (index !== windowIndex) {
    windowIndex = index;
    used.clear();
  }
  return { resetSeconds: Math.max(1, Math.ceil((windowMs - (nowMs % windowMs)) / 1000)) };
}

// ---------------------------------------------------------------------------------------------------------
// Logging: a missing binding once per isolate, a failing one at most once per window.

const fallbackLog = createLogger();
/** The request's logger (it carries the request id), or a bare one outside the app's context. */
const logOf = (c: Context<AppEnv>) => (c.get("app")?.log ?? fallbackLog).child({ component: "rate-limit" });
const missingLogged = new Set<string>();
/** Binding name -> the window its last failure was logged in. */
const failureLogged = new Map<string, number>();

// ---------------------------------------------------------------------------------------------------------
// The middleware.

interface PolicyOutcome {
  scope: RateLimitScope;
  name: string;
  limit: number;
  remaining: number;
}

const bindingOf = (c: Context<AppEnv>, cls: RateLimitClass, scope: RateLimitScope) => c.env?.[RATE_LIMIT_BINDINGS[cls][scope]];

/** Logs a missing binding, once per isolate and binding. */
function noteMissing(c: Context<AppEnv>, cls: RateLimitClass, scope: RateLimitScope) {
  const bindingName = RATE_LIMIT_BINDINGS[cls][scope];
  if (missingLogged.has(bindingName)) return;
  missingLogged.add(bindingName);
  logOf(c).warn("rate limit binding missing: this policy is not enforced", { binding: bindingName, policy: policyName(cls, scope) });
}

/** Consults the key policy, then the organization policy; stops at the first that refuses. */
async function consult(c: Context<AppEnv>, cls: RateLimitClass) {
  const principal = c.get("principal");
  const outcomes: PolicyOutcome[] = [];
  let refused: PolicyOutcome | undefined;
  for (const scope of SCOPES) {
    const binding = bindingOf(c, cls, scope);
    if (!binding) {
      noteMissing(c, cls, scope);
      continue;
    }
    const bindingName = RATE_LIMIT_BINDINGS[cls][scope];
    const id = scope === "key" ? principal.keyId : principal.org.id;
    const name = policyName(cls, scope);
    const limit = RATE_LIMITS[cls][scope];
    const counter = `${name}:${id}`;
    if (refused) {
      // Not consulted: the request was already refused and is not counted against this policy.
      outcomes.push({ scope, name, limit, remaining: Math.max(0, limit - (used.get(counter) ?? 0)) });
      continue;
    }
    let success: boolean;
    try {
      ({ success } = await binding.limit({ key: id }));
    } catch (err) {
      // Fail open: a broken limiter must not take the API down with it.
      if (failureLogged.get(bindingName) !== windowIndex) {
        failureLogged.set(bindingName, windowIndex);
        logOf(c).warn("rate limit binding failed: request not limited", { binding: bindingName, error: errorFields(err) });
      }
      continue;
    }
    // Read after the await: concurrent requests of this isolate interleave there.
    const now = success ? Math.min(limit, (used.get(counter) ?? 0) + 1) : limit;
    used.set(counter, now);
    const outcome = { scope, name, limit, remaining: limit - now };
    outcomes.push(outcome);
    if (!success) refused = outcome;
  }
  return { outcomes, refused };
}

/**
 * After `authenticate`: counts the request against its key's and organization's policy of its class, answers
 * 429 `rate_limited` with `Retry-After` past either, and puts `RateLimit-Policy` and `RateLimit` on every
 * response (success or error) of the policies it could consult.
 */
export const rateLimit = rateLimitBy((c) => rateLimitClass(c.req.method, c.req.path));

/**
 * The rate-limit middleware for requests whose class `classify` tells (REST: `rateLimitClass` of the method and
 * path; the MCP API: the class of the REST request of the operation a tool call runs).
 */
export function rateLimitBy(classify: (c: Context<AppEnv>) => RateLimitClass | Promise<RateLimitClass>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    // Mounted before authentication by mistake, it limits nothing rather than failing every request.
    if (!c.get("principal")) return next();
    const classified = classify(c);
    const cls = typeof classified === "string" ? classified : await classified;
    // No binding for either policy of the class (a deployment or the bench without [[ratelimits]]): nothing to
    // consult and no header to add, so the request goes on as it is (each missing binding logged once).
    if (!bindingOf(c, cls, "key") && !bindingOf(c, cls, "org")) {
      for (const scope of SCOPES) noteMissing(c, cls, scope);
      return next();
    }
    const { resetSeconds } = currentWindow(Date.now());
    const { outcomes, refused } = await consult(c, cls);
    if (refused) {
      const res = errorResponse(
        c,
        new ApiError(
          "rate_limited",
          `Rate limit exceeded: at most ${refused.limit} ${cls} a minute per ${SCOPE_WORDS[refused.scope]}; retry in ${resetSeconds} seconds`,
          { policy: refused.name, limit: refused.limit, windowSeconds: RATE_LIMIT_WINDOW_SECONDS, retryAfterSeconds: resetSeconds },
        ),
      );
      applyHeaders(res.headers, outcomes, resetSeconds);
      res.headers.set("retry-after", String(resetSeconds));
      return res;
    }
    await next();
    applyHeaders(c.res.headers, outcomes, resetSeconds);
  });
}

/** `RateLimit-Policy` and `RateLimit` of the policies consulted; nothing when none was. */
function applyHeaders(headers: Headers, outcomes: PolicyOutcome[], resetSeconds: number) {
  if (outcomes.length === 0) return;
  headers.set("ratelimit-policy", outcomes.map((o) => `"${o.name}";q=${o.limit};w=${RATE_LIMIT_WINDOW_SECONDS}`).join(", "));
  headers.set("ratelimit", outcomes.map((o) => `"${o.name}";r=${o.remaining};t=${resetSeconds}`).join(", "));
}

// ---------------------------------------------------------------------------------------------------------
// The OpenAPI side.

const CLASS_WORDS: Record<RateLimitClass, string> = {
  reads: "reads (GET)",
  writes: "writes (POST, PATCH, DELETE)",
  dispatches: "dispatches (POST /workflows/{id}/runs)",
  ingest: "ingest (POST /insights/events and /insights/otlp/v1/traces)",
};

/** One clause per class: `writes (POST, PATCH, DELETE): 120 per API key and 600 per organization`. */
export const RATE_LIMIT_SUMMARY = (Object.keys(RATE_LIMITS) as RateLimitClass[])
  .map((cls) => `${CLASS_WORDS[cls]}: ${RATE_LIMITS[cls].key} per API key and ${RATE_LIMITS[cls].org} per organization`)
  .join("; ");

/** The rate-limit response headers as OpenAPI 3.0 header objects, registered as `components.headers`. */
const HEADER_COMPONENTS = {
  RateLimitPolicy: {
    description:
      "The quota policies this request counts against (IETF draft-ietf-httpapi-ratelimit-headers): its class's " +
      'policy per API key and per organization, each `"<class>-per-<key|org>";q=<requests>;w=<seconds>`. ' +
      `Per minute: ${RATE_LIMIT_SUMMARY}.`,
    schema: { type: "string" as const },
    example: policyHeader("writes"),
  },
  RateLimit: {
    description:
      "What is left of each policy: `r` more requests for `t` more seconds. `r` is an estimate: the limiter " +
      "says only allowed or refused, and this count is the answering instance's.",
    schema: { type: "string" as const },
    example: `"writes-per-key";r=117;t=42, "writes-per-org";r=597;t=42`,
  },
  RetryAfter: {
    description: "Seconds until the exhausted policy's window resets.",
    schema: { type: "integer" as const, minimum: 1 },
    example: 42,
  },
};

const headerRef = (name: keyof typeof HEADER_COMPONENTS) => ({ $ref: `#/components/headers/${name}` });

/**
 * `RateLimit-Policy` and `RateLimit`, for a response's `headers`: references to `components.headers`, which
 * `useRateLimits` registers (every response but 401 gets them from there).
 */
export const RATE_LIMIT_HEADERS = {
  "ratelimit-policy": headerRef("RateLimitPolicy"),
  ratelimit: headerRef("RateLimit"),
};

/** `Retry-After`, for a 429's `headers`. */
export const RETRY_AFTER_HEADER = { "retry-after": headerRef("RetryAfter") };

type RouteDefinition = Extract<OpenAPIRegistry["definitions"][number], { type: "route" }>;
type RouteResponses = RouteDefinition["route"]["responses"];

/** The route with the RateLimit headers on every response but 401, and its class as `x-armature-rate-limit`. */
export function withRateLimitDocs(route: RouteDefinition["route"]): RouteDefinition["route"] {
  const responses: RouteResponses = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const headers = (response as { headers?: unknown }).headers;
    const documentable = status !== "401" && !("$ref" in response) && (headers === undefined || !("_zod" in (headers as object)));
    responses[status] = documentable ? { ...response, headers: { ...RATE_LIMIT_HEADERS, ...(headers as object) } } : response;
  }
  return {
    ...route,
    responses,
    "x-armature-rate-limit": rateLimitClass(route.method, route.path),
  } as RouteDefinition["route"];
}

/** Registers the header components the rate-limit references name. */
function registerRateLimitHeaders(registry: OpenAPIRegistry): void {
  for (const [name, header] of Object.entries(HEADER_COMPONENTS)) registry.registerComponent("headers", name, header);
}

/**
 * Mounts authentication and rate limiting on the API app as one middleware, authentication first (src/app.ts: one
 * layer fewer on every request), and registers the headers its documentation references; each route adds its own
 * part with withRateLimitDocs (src/routes/rest.ts does for every operation).
 */
export function useRateLimits(api: ApiApp, authenticate: (c: Context<AppEnv>) => void | Promise<void>): void {
  api.use("*", async (c, next) => {
    const pending = authenticate(c);
    if (pending) await pending;
    return rateLimit(c, next);
  });
  registerRateLimitHeaders(api.openAPIRegistry);
}
