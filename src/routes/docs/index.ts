import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ApiApp } from "../../app";
import type { AppEnv } from "../../env";
import { API_BASE } from "../../lib/openapi";

/** OpenAPI version of the live document. */
export const OPENAPI_VERSION = "3.0.3";

/** The live OpenAPI document for the host it is fetched from. */
export function buildOpenApiDocument(api: ApiApp, origin: string) {
  return api.getOpenAPIDocument({
    openapi: OPENAPI_VERSION,
    info: {
      title: "Armature REST API",
      version: "1.0.0",
      description:
        "Programmatic access to Armature: MCP sources, workflows, runs and insights. Authenticate with an Armature API key as a bearer token.",
      license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    },
    servers: [{ url: `${origin}${API_BASE}`, description: "This host" }],
    tags: [
      { name: "org", description: "The calling key's organization." },
      { name: "mcpServers", description: "MCP sources under test." },
      { name: "workflows", description: "Workflows and manual dispatch." },
      { name: "runs", description: "Run history, traces, evaluations and tool calls." },
    ],
    security: [{ bearerAuth: [] }],
  });
}

export function registerDocs(app: OpenAPIHono<AppEnv>, api: ApiApp) {
  app.get(`${API_BASE}/openapi`, (c) => {
    const doc = buildOpenApiDocument(api, new URL(c.req.url).origin);
    c.header("access-control-allow-origin", "*");
    return c.json(doc, 200);
  });
}
