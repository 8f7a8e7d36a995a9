import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ApiApp } from "../../app";
import type { AppEnv } from "../../env";
import { API_BASE } from "../../lib/openapi";
import { buildOpenApiDocument } from "./document";

export { buildOpenApiDocument, OPENAPI_VERSION, TAG_DESCRIPTIONS, type OpenApiDocument } from "./document";

export function registerDocs(app: OpenAPIHono<AppEnv>, api: ApiApp) {
  app.get(`${API_BASE}/openapi`, (c) => {
    const doc = buildOpenApiDocument(api, new URL(c.req.url).origin);
    c.header("access-control-allow-origin", "*");
    return c.json(doc, 200);
  });
}
