import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp } from "../../app";
import { requireRole } from "../../auth/middleware";
import { BODY_ERRORS, errorResponses, json, jsonBody, UuidParam } from "../../lib/openapi";
import { createMcpServer, getMcpServer, listMcpServers } from "../../mcp-servers/store";
import { CreateMcpServerBody, McpServerSchema } from "../../mcp-servers/schemas";

const security = [{ bearerAuth: [] }];
const tags = ["mcpServers"];

const list = createRoute({
  method: "get",
  path: "/mcp-servers",
  operationId: "listMcpServers",
  tags,
  security,
  summary: "List the organization's MCP sources",
  responses: {
    200: json(z.object({ mcpServers: z.array(McpServerSchema) }).openapi("McpServerList"), "The MCP sources."),
    ...errorResponses(),
  },
});

const create = createRoute({
  method: "post",
  path: "/mcp-servers",
  operationId: "createMcpServer",
  tags,
  security,
  summary: "Register an MCP source (editor or higher)",
  middleware: [requireRole("editor")] as const,
  request: { body: jsonBody(CreateMcpServerBody) },
  responses: {
    201: json(McpServerSchema, "The registered MCP source; auth profile secrets are never returned."),
    ...errorResponses(...BODY_ERRORS, 409),
  },
});

const get = createRoute({
  method: "get",
  path: "/mcp-servers/{id}",
  operationId: "getMcpServer",
  tags,
  security,
  summary: "Get one MCP source",
  request: { params: UuidParam },
  responses: {
    200: json(McpServerSchema, "The MCP source."),
    ...errorResponses(400, 404),
  },
});

export function registerMcpServers(app: ApiApp) {
  app.openapi(list, async (c) => {
    return c.json({ mcpServers: await listMcpServers(c.var.db, c.var.principal.org.id) }, 200);
  });
  app.openapi(create, async (c) => {
    const server = await createMcpServer(c.var.db, c.env.SECRETS_ENCRYPTION_KEY, c.var.principal.org.id, c.req.valid("json"));
    return c.json(server, 201);
  });
  app.openapi(get, async (c) => {
    return c.json(await getMcpServer(c.var.db, c.var.principal.org.id, c.req.valid("param").id), 200);
  });
}
