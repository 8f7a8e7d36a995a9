import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { Context } from "hono";
import { authenticateRequest } from "./auth/middleware";
import { createContext } from "./context";
import { INGEST_LIMITS } from "./insights/schemas";
import type { ApiApp, AppEnv, Env } from "./env";
import { finishHeaders } from "./lib/answer";
import { errorResponse, handleError } from "./lib/error-handler";
import { ApiError } from "./lib/errors";
import { API_BASE } from "./lib/openapi";
import { rateLimitClass, useRateLimits } from "./lib/rate-limit";
import { requestIdFor } from "./lib/request-id";
import { validationHook } from "./lib/validation";
import { MCP_PATH, registerMcpApi } from "./mcp-api/endpoint";
import { openApiRequestOrigin, registerDocs, serveOpenApiDirect } from "./routes/docs";
import { REST_BINDINGS } from "./routes";
import { registerRest } from "./routes/rest";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Largest body on the MCP usage ingestion paths (batches of up to 1,000 events). */
export const MAX_INGEST_BODY_BYTES = INGEST_LIMITS.maxBodyBytes;
/** The ingestion operations' paths: those in the rate limits' `ingest` class (src/lib/rate-limit.ts). */
const INGEST_PATHS = new Set(REST_BINDINGS.filter((b) => rateLimitClass(b.method, b.path) === "ingest").map((b) => `${API_BASE}${b.path}`));

export type { ApiApp };

/** The authenticated API: every operation of the OpenAPI document, paths relative to API_BASE. */
export function createApiApp(): ApiApp {
  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "amt_<key-id>_<secret>",
    description: "An Armature API key, sent as `Authorization: Bearer amt_<key-id>_<secret>`.",
  });
  // Authentication and the rate limits, as one middleware.
  useRateLimits(api, authenticateRequest);
  for (const binding of REST_BINDINGS) registerRest(api, binding);
  return api;
}

/** The invocation's ExecutionContext; absent when the app is called outside a Worker (app.request in scripts). */
function executionContextOf(c: Context<AppEnv>): Pick<ExecutionContext, "waitUntil"> | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/** The methods `path` is served with, from every route registered on `app` (the API's and the docs'), for 405 answers. */
function allowedMethods(app: OpenAPIHono<AppEnv>, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const pattern = new RegExp(`^${route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+")}$`);
    if (pattern.test(path)) methods.add(route.method);
  }
  return [...methods];
}

export function createApp(api: ApiApp = createApiApp()) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  const limitTo = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload_too_large", `Request bodies are limited to ${maxSize} bytes`);
      },
    });
  const defaultLimit = limitTo(MAX_BODY_BYTES);
  const ingestLimit = limitTo(MAX_INGEST_BODY_BYTES);
  const API_PREFIX = `${API_BASE}/`;
  /** The body limit of a request with a body: ingestion's on its paths, the default elsewhere under the API and on MCP. */
  const limitOf = (path: string) =>
    INGEST_PATHS.has(path) ? ingestLimit : path.startsWith(API_PREFIX) || path === API_BASE || path === MCP_PATH ? defaultLimit : undefined;

  // One middleware around everything (one layer, not three): the request id, the request's context, the body
  // limit for a request with a body, and the headers every answer carries.
  app.use("*", async (c, next) => {
    const id = requestIdFor(c.req.header("x-request-id"));
    c.set("requestId", id);
    c.set("app", createContext(c.env, executionContextOf(c), { logFields: { requestId: id } }));
    const limit = c.req.raw.body ? limitOf(c.req.path) : undefined;
    if (!limit) await next();
    else {
      try {
        await limit(c, next);
      } catch (err) {
        // What hono's compose does with an error a middleware throws (the body limit's 413): the app's onError answers.
        if (!(err instanceof Error)) throw err;
        c.error = err;
        c.res = await handleError(err, c);
      }
    }
    finishHeaders(c.res, id);
  });
  /** 405 with Allow when `path` is served with other methods; null when it is not served at all. */
  const methodNotAllowed = (c: Context<AppEnv>) => {
    const path = new URL(c.req.url).pathname;
    const allowed = allowedMethods(app, path);
    if (allowed.length === 0) return null;
    const res = errorResponse(c, new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`));
    res.headers.set("allow", allowed.join(", "));
    return res;
  };

  registerDocs(app, api);
  // The public documentation paths answer other methods here, before the API's authentication sees them.
  const docsPaths = new Set(app.routes.filter((r) => r.method !== "ALL" && r.path.startsWith(API_BASE)).map((r) => r.path));
  for (const path of docsPaths) app.all(path, (c) => methodNotAllowed(c)!);
  app.route(API_BASE, api);
  // The MCP API (docs/mcp-api.md): the same operations as tools; a tool call counts in its REST request's class.
  const restClass = new Map(REST_BINDINGS.map((b) => [b.op.name, rateLimitClass(b.method, b.path)]));
  registerMcpApi(app, { rateLimitClassOf: (name) => restClass.get(name)! });

  app.onError(handleError);
  app.notFound((c) => methodNotAllowed(c) ?? errorResponse(c, new ApiError("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`)));
  return app;
}

/** The Worker's fetch, typed as the app's (tests call it with any Request). */
export type WorkerFetch = (request: Request, env?: Env | object, ctx?: ExecutionContext) => Response | Promise<Response>;

/**
 * The Worker's fetch: `GET`/`HEAD /openapi` answered before the app (src/routes/docs: the bytes built once per
 * isolate, the same status, headers and body as the app's route and middleware give), everything else by the
 * app. Should the document fail to build, the app answers (its error handling, a 500 envelope).
 */
export function createFetch(): WorkerFetch {
  const api = createApiApp();
  const app = createApp(api);
  const viaApp: WorkerFetch = (request, env, ctx) => app.fetch(request, env, ctx);
  return (request, env, ctx) => {
    const origin = openApiRequestOrigin(request);
    if (origin === null) return viaApp(request, env, ctx);
    try {
      const answer = serveOpenApiDirect(request, api, origin, requestIdFor(request.headers.get("x-request-id")));
      return answer instanceof Response ? answer : answer.catch(() => viaApp(request, env, ctx));
    } catch {
      return viaApp(request, env, ctx);
    }
  };
}
