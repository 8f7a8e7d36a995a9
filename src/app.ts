import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { authenticate } from "./auth/middleware";
import { createContext } from "./context";
import { INGEST_LIMITS } from "./insights/schemas";
import type { ApiApp, AppEnv } from "./env";
import { errorResponse, handleError } from "./lib/error-handler";
import { ApiError } from "./lib/errors";
import { API_BASE } from "./lib/openapi";
import { rateLimitClass, useRateLimits } from "./lib/rate-limit";
import { requestId } from "./lib/request-id";
import { validationHook } from "./lib/validation";
import { MCP_PATH, registerMcpApi } from "./mcp-api/endpoint";
import { registerDocs } from "./routes/docs";
import { REST_BINDINGS } from "./routes";
import { registerRest } from "./routes/rest";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Largest body on the MCP usage ingestion paths (batches of up to 1,000 events). */
export const MAX_INGEST_BODY_BYTES = INGEST_LIMITS.maxBodyBytes;
const INGEST_PATHS = new Set([`${API_BASE}/insights/events`, `${API_BASE}/insights/otlp/v1/traces`]);

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
  api.use("*", authenticate);
  useRateLimits(api);
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

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const api = createApiApp();

  app.use("*", requestId);
  app.use(
    "*",
    createMiddleware<AppEnv>(async (c, next) => {
      c.set("app", createContext(c.env, executionContextOf(c), { logFields: { requestId: c.var.requestId } }));
      await next();
      c.res.headers.set("x-content-type-options", "nosniff");
      if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
    }),
  );
  const limitTo = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload_too_large", `Request bodies are limited to ${maxSize} bytes`);
      },
    });
  const defaultLimit = limitTo(MAX_BODY_BYTES);
  const ingestLimit = limitTo(MAX_INGEST_BODY_BYTES);
  app.use(`${API_BASE}/*`, (c, next) => (INGEST_PATHS.has(c.req.path) ? ingestLimit : defaultLimit)(c, next));
  app.use(MCP_PATH, defaultLimit);
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
