/**
 * The MCP API's own usage, recorded as MCP Analytics events of the caller's organization (when it has the
 * feature), so that Armature's insights describe how agents use Armature. docs/mcp-api.md#usage-analytics.
 *
 * - `tool_call` for every tool call (tool name, arguments, error flag, duration, the text the agent got or the
 *   error envelope), plus a `search` event for a call of a search tool with a query (`search_runs` with
 *   `search`): its result count, so a search that finds nothing is a failed search;
 * - `session_start` for a connection (`initialize`, or the 2026 `server/discover` probe), `tools_list` for a
 *   `tools/list`.
 * Events go through the one ingestion service (`ingestEvents`: validation, redaction, rollup) after the answer
 * (`waitUntil`); a failure is logged and never reaches the caller.
 */
import { CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY } from "@modelcontextprotocol/server";
import type { OperationContext } from "../context";
import { INGEST_LIMITS } from "../insights/schemas";
import { ingestEvents } from "../insights/ingest";
import { errorFields } from "../lib/logger";
import { jsonValueIssues } from "../lib/json-body";

/** One JSON-RPC message of the request, as far as recording (and rate limiting) reads it. */
export interface RpcMessage {
  method?: unknown;
  params?: unknown;
}

/** What a tool call leaves behind. */
export interface ToolCallRecord {
  toolName: string;
  arguments: Record<string, unknown>;
  isError: boolean;
  durationMs: number;
  /** The error envelope, or the text rendering the agent got. */
  result: unknown;
  /** For search tools: the query and how many results it found. */
  search?: { query: string; resultCount: number };
}

export interface UsageRecorder {
  toolCall(record: ToolCallRecord): void;
  /** After a successful exchange: the connection and tool-list events of its messages. */
  exchange(messages: readonly RpcMessage[], toolNames: readonly string[]): void;
}

const PRINTABLE = /^[\x20-\x7e]{1,200}$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown, max: number): string | undefined =>
  typeof v === "string" && v.length > 0 ? v.slice(0, max) : undefined;

/**
 * The insights session of a request. The stateless protocol has no session: a client's `Mcp-Session-Id`
 * header is used when it sends one (1 to 200 printable ASCII characters), else every call of one API key on
 * one UTC day is one session, `mcp-api:<key id>:<YYYY-MM-DD>`.
 */
export function sessionIdOf(request: Request, keyId: string, now: Date): string {
  const header = request.headers.get("mcp-session-id");
  if (header && PRINTABLE.test(header)) return header;
  return `mcp-api:${keyId}:${now.toISOString().slice(0, 10)}`;
}

const metaOf = (m: RpcMessage) => (isRecord(m.params) && isRecord(m.params._meta) ? m.params._meta : {});

/** The client's `clientInfo`: the 2026 per-request envelope's, or the 2025 `initialize` params'. */
function clientOf(messages: readonly RpcMessage[]): { name: string; version?: string } | undefined {
  for (const m of messages) {
    const info = metaOf(m)[CLIENT_INFO_META_KEY] ?? (m.method === "initialize" && isRecord(m.params) ? m.params.clientInfo : undefined);
    const name = isRecord(info) ? text(info.name, 200) : undefined;
    if (name) {
      const version = text((info as Record<string, unknown>).version, 100);
      return version ? { name, version } : { name };
    }
  }
  return undefined;
}

/** The protocol version: the envelope's, the `initialize` request's, else the `MCP-Protocol-Version` header. */
function protocolVersionOf(messages: readonly RpcMessage[], request: Request): string | undefined {
  for (const m of messages) {
    const v = metaOf(m)[PROTOCOL_VERSION_META_KEY] ?? (m.method === "initialize" && isRecord(m.params) ? m.params.protocolVersion : undefined);
    if (text(v, 50)) return text(v, 50);
  }
  return text(request.headers.get("mcp-protocol-version"), 50);
}

/** Arguments as an event can hold them: left out when too long or not storable as text. */
function storableArguments(args: Record<string, unknown>): Record<string, unknown> | undefined {
  if (jsonValueIssues(args).length > 0) return undefined;
  return JSON.stringify(args).length <= INGEST_LIMITS.maxArgumentsChars ? args : undefined;
}

/**
 * The recorder of one MCP request, or undefined when the caller's organization does not have MCP Analytics
 * (nothing is recorded then).
 */
export function usageRecorder(ctx: OperationContext, request: Request, messages: readonly RpcMessage[]): UsageRecorder | undefined {
  if (!ctx.principal.org.features.includes("mcp-analytics")) return undefined;
  const client = clientOf(messages);
  const protocolVersion = protocolVersionOf(messages, request);
  const event = (type: string, fields: Record<string, unknown>) => {
    const now = ctx.now();
    return {
      id: `mcp-api:${crypto.randomUUID()}`,
      sessionId: sessionIdOf(request, ctx.principal.keyId, now),
      type,
      timestamp: now.toISOString(),
      ...(client ? { client } : {}),
      ...(protocolVersion ? { protocolVersion } : {}),
      ...fields,
    };
  };
  const send = (events: unknown[]) => {
    if (events.length === 0) return;
    ctx.waitUntil(
      ingestEvents(ctx, ctx.principal.org.id, events).catch((err: unknown) =>
        ctx.log.error("recording MCP API usage failed", { orgId: ctx.principal.org.id, events: events.length, error: errorFields(err) }),
      ),
    );
  };
  return {
    toolCall(r) {
      const args = storableArguments(r.arguments);
      const events: unknown[] = [
        event("tool_call", {
          toolName: r.toolName,
          ...(args ? { arguments: args } : {}),
          result: r.result,
          isError: r.isError,
          durationMs: Math.max(0, Math.round(r.durationMs)),
        }),
      ];
      if (r.search) events.push(event("search", { query: r.search.query.slice(0, 2000), resultCount: r.search.resultCount, isError: r.isError }));
      send(events);
    },
    exchange(msgs, toolNames) {
      const events: unknown[] = [];
      for (const m of msgs) {
        if (m.method === "initialize" || m.method === "server/discover") events.push(event("session_start", {}));
        else if (m.method === "tools/list") events.push(event("tools_list", { toolNames: [...toolNames] }));
      }
      send(events);
    },
  };
}
