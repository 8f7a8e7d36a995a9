/**
 * The MCP API's HTTP endpoint, `/api/armature/mcp`: Streamable HTTP served by the official SDK
 * (`createMcpHandler`: the stateless 2026-07-28 protocol, and 2025-era clients through its stateless fallback)
 * behind the API's own Origin check, authentication and rate limits. docs/mcp-api.md.
 *
 * request → (app: request id, context, 256 KiB body limit) → Origin (403) → API key (401 with
 * `WWW-Authenticate: Bearer`) → rate limits (a tool call counts in the class of its operation's REST request)
 * → a fresh McpServer for this caller → the SDK answers → usage recorded after the answer.
 *
 * The SDK and the server built on it (./serve, ./origin) are imported on the first request that needs them, not
 * when the Worker starts: an isolate serving only the REST API never builds their modules' objects (their
 * schemas and tables), which keeps its start-up shorter and its heap smaller (docs/benchmarks.md, "Start-up and
 * the isolate's heap"). The first MCP request in an isolate pays for building them.
 */
import type { Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { authenticate } from "../auth/middleware";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import { rateLimitBy, type RateLimitClass } from "../lib/rate-limit";
import type { OperationName } from "../operations";
import { toolNamed } from "./tools";
import type { RpcMessage } from "./usage";

/** Where the MCP API is served. */
export const MCP_PATH = "/api/armature/mcp";

export interface McpApiOptions {
  /**
   * The rate-limit class of an operation: its REST request's (app.ts derives it from the REST table), so a
   * tool call and the same REST call count alike.
   */
  rateLimitClassOf(operation: OperationName): RateLimitClass;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const messages = new WeakMap<Context, Promise<RpcMessage[]>>();

/** The request's JSON-RPC messages (one, or a 2025 batch), read once from a copy of the body; none when not JSON. */
function messagesOf(c: Context<AppEnv>): Promise<RpcMessage[]> {
  let read = messages.get(c);
  if (!read) {
    read = (async () => {
      if (c.req.method !== "POST") return [];
      try {
        const parsed: unknown = JSON.parse(await c.req.raw.clone().text());
        return (Array.isArray(parsed) ? parsed : [parsed]).filter(isRecord);
      } catch {
        return [];
      }
    })();
    messages.set(c, read);
  }
  return read;
}

const checkOrigin = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header("origin");
  const { originAllowed } = await import("./origin");
  if (!originAllowed(origin, c.var.app.config.baseDomain)) {
    throw new ApiError(
      "forbidden",
      `Origin '${origin}' may not call the MCP API: only local development hosts and this deployment's own hosts may (DNS-rebinding protection)`,
    );
  }
  await next();
});

const CLASS_ORDER: readonly RateLimitClass[] = ["reads", "ingest", "writes", "dispatches"];

/** A tool call counts in its operation's class; anything else (initialize, tools/list, ping…) is a read. */
const classify = (opts: McpApiOptions) => async (c: Context<AppEnv>) => {
  let cls: RateLimitClass = "reads";
  for (const m of await messagesOf(c)) {
    const tool = m.method === "tools/call" && isRecord(m.params) && typeof m.params.name === "string" ? toolNamed(m.params.name) : undefined;
    const own = tool ? opts.rateLimitClassOf(tool.op.name as OperationName) : "reads";
    if (CLASS_ORDER.indexOf(own) > CLASS_ORDER.indexOf(cls)) cls = own;
  }
  return cls;
};

async function serve(c: Context<AppEnv>): Promise<Response> {
  const { serveMcp } = await import("./serve");
  return serveMcp(c, await messagesOf(c));
}

/** Serves the MCP API on `app` at MCP_PATH (after the app's request id, context and body limit). */
export function registerMcpApi(app: Hono<AppEnv>, opts: McpApiOptions): void {
  app.all(MCP_PATH, checkOrigin, authenticate, rateLimitBy(classify(opts)), serve);
}
