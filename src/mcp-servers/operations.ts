import { z } from "@hono/zod-openapi";
import { UuidParam } from "../lib/openapi";
import { PageInfoFields, paginationQuery } from "../lib/pagination";
import { defineOperation } from "../operations/operation";
import { CreateMcpServerBody, McpServerSchema } from "./schemas";
import { createMcpServer, getMcpServer, listMcpServers } from "./store";

export const listMcpServersOp = defineOperation({
  name: "listMcpServers",
  tag: "mcpServers",
  summary: "List the organization's MCP sources",
  description: "Oldest first, one page at a time.",
  role: "viewer",
  readOnly: true,
  input: { query: z.object(paginationQuery()) },
  output: z.object({ mcpServers: z.array(McpServerSchema), ...PageInfoFields }).openapi("McpServerList"),
  outputDescription: "One page of MCP sources.",
  run: (ctx, query) => listMcpServers(ctx.db, ctx.principal.org.id, query),
});

export const createMcpServerOp = defineOperation({
  name: "createMcpServer",
  tag: "mcpServers",
  summary: "Register an MCP source (editor or higher)",
  role: "editor",
  readOnly: false,
  input: { body: CreateMcpServerBody },
  output: McpServerSchema,
  outputDescription: "The registered MCP source; auth profile secrets are never returned.",
  errors: [409],
  run: (ctx, body) => createMcpServer(ctx.db, ctx.config.secretsEncryptionKey, ctx.principal.org.id, body),
});

export const getMcpServerOp = defineOperation({
  name: "getMcpServer",
  tag: "mcpServers",
  summary: "Get one MCP source",
  role: "viewer",
  readOnly: true,
  input: { path: UuidParam },
  output: McpServerSchema,
  outputDescription: "The MCP source.",
  run: (ctx, { id }) => getMcpServer(ctx.db, ctx.principal.org.id, id),
});
