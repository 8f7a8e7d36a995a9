import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ApiApp, AppEnv } from "../../env";
import { API_BASE } from "../../lib/openapi";
import { buildOpenApiDocument } from "./document";
import { DOCS_PATH, servePage } from "./page";

export { buildOpenApiDocument, OPENAPI_VERSION, TAG_DESCRIPTIONS, type OpenApiDocument } from "./document";

/**
 * The unauthenticated documentation routes: the live OpenAPI document at `/openapi` and the interactive
 * reference page at `/docs` (Swagger UI, whose files are static assets). Register them before the API is
 * mounted so that its authentication middleware never runs for them.
 */
export function registerDocs(app: OpenAPIHono<AppEnv>, api: ApiApp) {
  app.get(`${API_BASE}/openapi`, (c) => {
    const doc = buildOpenApiDocument(api, new URL(c.req.url).origin);
    c.header("access-control-allow-origin", "*");
    return c.json(doc, 200);
  });
  // The document is public and readable cross-origin (client generators, Postman): answer CORS preflights.
  app.options(`${API_BASE}/openapi`, (c) => {
    c.header("access-control-allow-origin", "*");
    c.header("access-control-allow-methods", "GET, OPTIONS");
    c.header("access-control-max-age", "86400");
    c.header("allow", "GET, OPTIONS");
    return c.body(null, 204);
  });
  // The page only; its files (Swagger UI, our start-up script) are static assets under /docs/assets/,
  // served by the Workers assets layer before the Worker runs (wrangler.toml [assets]).
  app.get(DOCS_PATH, servePage);
}
