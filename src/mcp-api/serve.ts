/**
 * The MCP API's answer once the request passed its checks (src/mcp-api/endpoint.ts): a fresh McpServer for
 * this caller, answered by the SDK's `createMcpHandler`, usage recorded after the answer. A module of its own so
 * that the endpoint imports it, and with it the SDK, on the first MCP request only.
 */
import { createMcpHandler } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { errorFields } from "../lib/logger";
import { operationContext } from "../routes/rest";
import { createArmatureMcpServer, TOOL_NAMES } from "./server";
import { usageRecorder, type RpcMessage } from "./usage";

export async function serveMcp(c: Context<AppEnv>, msgs: RpcMessage[]): Promise<Response> {
  const ctx = operationContext(c);
  const usage = usageRecorder(ctx, c.req.raw, msgs);
  const handler = createMcpHandler(() => createArmatureMcpServer(ctx, usage), {
    // No tool emits anything before its result (so answers are plain JSON): never hold a stream open.
    keepAliveMs: 0,
    onerror: (err) => ctx.log.warn("MCP request refused", { error: errorFields(err) }),
  });
  const res = await handler.fetch(c.req.raw);
  if (res.status < 300) usage?.exchange(msgs, TOOL_NAMES);
  return res;
}
