import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { authenticate } from "./auth/middleware";
import { createDb } from "./db/client";
import type { AppEnv } from "./env";
import { errorResponse, handleError } from "./lib/error-handler";
import { ApiError } from "./lib/errors";
import { API_BASE } from "./lib/openapi";
import { requestId } from "./lib/request-id";
import { validationHook } from "./lib/validation";
import { registerDocs } from "./routes/docs";
import { registerMcpServers } from "./routes/mcp-servers";
import { registerOrg } from "./routes/org";
import { registerRuns } from "./routes/runs";
import { registerWorkflows } from "./routes/workflows";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 256 * 1024;

export type ApiApp = OpenAPIHono<AppEnv>;

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
  registerOrg(api);
  registerMcpServers(api);
  registerWorkflows(api);
  registerRuns(api);
  return api;
}

/** Path templates and methods of the API's operations, for 405 answers. */
function operationMatchers(api: ApiApp) {
  return api.openAPIRegistry.definitions.flatMap((d) =>
    d.type === "route"
      ? [
          {
            method: d.route.method.toUpperCase(),
            pattern: new RegExp(`^${API_BASE}${d.route.path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
          },
        ]
      : [],
  );
}

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const api = createApiApp();
  const matchers = operationMatchers(api);

  app.use("*", requestId);
  app.use(
    "*",
    createMiddleware<AppEnv>(async (c, next) => {
      c.set("db", createDb(c.env.DB));
      await next();
      c.res.headers.set("x-content-type-options", "nosniff");
      if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
    }),
  );
  app.use(
    `${API_BASE}/*`,
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError("payload_too_large", `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  registerDocs(app, api);
  app.route(API_BASE, api);

  app.onError(handleError);
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const allowed = matchers.filter((m) => m.pattern.test(path)).map((m) => m.method);
    if (allowed.length > 0) {
      const res = errorResponse(
        c,
        new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`),
      );
      res.headers.set("allow", allowed.join(", "));
      return res;
    }
    return errorResponse(c, new ApiError("not_found", `No route for ${c.req.method} ${path}`));
  });
  return app;
}
