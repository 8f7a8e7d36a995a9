import type { AppContext } from "../context";
import { validationError } from "../lib/errors";
import { ingestEvents, type IngestResult } from "./ingest";
import { INGEST_LIMITS, type OtlpSpan, type OtlpTracesBody } from "./schemas";

/**
 * OTLP/HTTP JSON traces → insight events, following the OpenTelemetry semantic conventions for MCP
 * (`mcp.method.name`, `mcp.session.id`, `gen_ai.tool.name`, …). docs/insights.md ("Ingestion") has the table.
 */

/** The resource (or span) attribute naming the Armature MCP source the spans come from. */
export const OTLP_SOURCE_ATTRIBUTE = "armature.mcp_server.id";
/** A `tools/list` span's offered tool names (string array); without it the span is ignored. */
export const OTLP_TOOL_NAMES_ATTRIBUTE = "armature.mcp.tool_names";

type Attributes = Map<string, unknown>;

/** An OTLP AnyValue as a plain value: strings, numbers (int64 strings as numbers), booleans, arrays. */
function plain(value: unknown): unknown {
  if (!value || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.stringValue === "string") return v.stringValue;
  if (typeof v.boolValue === "boolean") return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue && typeof v.arrayValue === "object") {
    const values = (v.arrayValue as { values?: unknown }).values;
    return Array.isArray(values) ? values.map(plain) : [];
  }
  return undefined;
}

function attributesOf(list: Array<{ key: string; value?: unknown }> | undefined): Attributes {
  const out: Attributes = new Map();
  for (const kv of list ?? []) out.set(kv.key, plain(kv.value));
  return out;
}

const str = (a: Attributes, key: string) => {
  const v = a.get(key);
  return typeof v === "string" && v !== "" ? v : undefined;
};

/** Unix nanoseconds (decimal string or number) → milliseconds. */
const nanosToMs = (n: string | number) => Number(BigInt(typeof n === "number" ? Math.trunc(n) : n) / 1_000_000n);

/** A JSON text attribute (`gen_ai.tool.call.arguments` / `.result`) as a value: parsed when it is JSON, else the text. */
function jsonOrText(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** The event id of a span: re-sending the same span is a duplicate. */
export const spanEventId = (span: Pick<OtlpSpan, "traceId" | "spanId">) => `otlp-${span.traceId.toLowerCase()}-${span.spanId.toLowerCase()}`;

/**
 * The event a span maps onto, or null when the span is not one Armature maps (not MCP, or an MCP method
 * without an event type). The event is validated by ingestEvents like any other.
 */
export function spanToEvent(span: OtlpSpan, resource: Attributes): Record<string, unknown> | null {
  const attrs = attributesOf(span.attributes);
  const method = str(attrs, "mcp.method.name");
  if (!method) return null;
  const startMs = nanosToMs(span.startTimeUnixNano);
  const common: Record<string, unknown> = {
    id: spanEventId(span),
    sessionId: str(attrs, "mcp.session.id") ?? span.traceId.toLowerCase(),
    timestamp: new Date(startMs).toISOString(),
  };
  const source = str(attrs, OTLP_SOURCE_ATTRIBUTE) ?? str(resource, OTLP_SOURCE_ATTRIBUTE);
  if (source) common.mcpServerId = source;
  const protocolVersion = str(attrs, "mcp.protocol.version");
  if (protocolVersion) common.protocolVersion = protocolVersion;
  const statusCode = span.status?.code;
  const isError = str(attrs, "error.type") !== undefined || statusCode === 2 || statusCode === "STATUS_CODE_ERROR";

  switch (method) {
    case "initialize":
      return { ...common, type: "session_start" };
    case "tools/call": {
      const event: Record<string, unknown> = { ...common, type: "tool_call", toolName: str(attrs, "gen_ai.tool.name"), isError };
      if (span.endTimeUnixNano !== undefined) event.durationMs = Math.max(0, nanosToMs(span.endTimeUnixNano) - startMs);
      if (attrs.has("gen_ai.tool.call.arguments")) event.arguments = jsonOrText(attrs.get("gen_ai.tool.call.arguments"));
      if (attrs.has("gen_ai.tool.call.result")) event.result = jsonOrText(attrs.get("gen_ai.tool.call.result"));
      return event;
    }
    case "tools/list": {
      const names = attrs.get(OTLP_TOOL_NAMES_ATTRIBUTE);
      if (!Array.isArray(names)) return null;
      return { ...common, type: "tools_list", toolNames: names };
    }
    default:
      return null;
  }
}

export interface OtlpIngestResult extends IngestResult {
  /** Spans not mapped onto an event (not MCP, or an MCP method without an event type). */
  ignoredSpans: number;
}

/** Maps the spans onto events and ingests them with ingestEvents; a bad event is named by its span. */
export async function ingestOtlpTraces(
  ctx: Pick<AppContext, "db" | "now" | "log" | "waitUntil">,
  orgId: string,
  body: OtlpTracesBody,
): Promise<OtlpIngestResult> {
  const events: Record<string, unknown>[] = [];
  const where: string[] = [];
  let ignoredSpans = 0;
  body.resourceSpans.forEach((rs, r) => {
    const resource = attributesOf(rs.resource?.attributes);
    (rs.scopeSpans ?? []).forEach((ss, s) => {
      (ss.spans ?? []).forEach((span, p) => {
        const event = spanToEvent(span, resource);
        if (!event) {
          ignoredSpans++;
          return;
        }
        events.push(event);
        where.push(`resourceSpans.${r}.scopeSpans.${s}.spans.${p}`);
      });
    });
  });
  if (events.length === 0) return { accepted: 0, duplicates: 0, ignoredSpans };
  if (events.length > INGEST_LIMITS.maxEvents) {
    throw validationError([
      { field: "resourceSpans", message: `At most ${INGEST_LIMITS.maxEvents} MCP spans per request; got ${events.length}` },
    ]);
  }
  const result = await ingestEvents(ctx, orgId, events, {
    issue: (index, path, message) => ({ field: where[index]!, message: path ? `As the event's ${path}: ${message}` : message }),
  });
  return { ...result, ignoredSpans };
}
