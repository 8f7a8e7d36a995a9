import { z } from "@hono/zod-openapi";
import { uuidInput } from "../lib/openapi";

/** The event types, as stored in `insight_events.type`. */
export const INSIGHT_EVENT_TYPES = ["session_start", "tool_call", "search", "log", "feedback", "session_end", "tools_list"] as const;
export type InsightEventType = (typeof INSIGHT_EVENT_TYPES)[number];

/** Documented limits of one ingestion request. */
export const INGEST_LIMITS = {
  /** Events per request. */
  maxEvents: 1000,
  /** Request body bytes on the ingestion paths (other routes: 256 KiB). */
  maxBodyBytes: 1024 * 1024,
  /** A tool call's `result` is stored up to this many characters (JSON text for a non-string result), then cut. */
  maxResultChars: 16_384,
  /** A tool call's `arguments`, as JSON text. */
  maxArgumentsChars: 65_536,
  /** How far after the server's clock an event's timestamp may be (client clocks drift); later is refused. */
  maxClockSkewMs: 5 * 60_000,
} as const;

/** Printable ASCII (space to tilde): client ids and session ids. */
const PRINTABLE = /^[\x20-\x7e]+$/;
const printableId = (example: string) =>
  z.string().min(1).max(200).regex(PRINTABLE, "Must be 1 to 200 printable ASCII characters").openapi({ example });

/** The level of a log event: the MCP logging levels (RFC 5424). */
export const LOG_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] as const;

const common = {
  id: printableId("evt_01J8Z3").openapi({
    description: "The client's id of the event, unique per organization: an event whose id was already ingested is a duplicate and ignored.",
  }),
  sessionId: printableId("sess_42").openapi({ description: "The MCP session the event belongs to." }),
  mcpServerId: uuidInput()
    .optional()
    .openapi({ description: "The MCP source (an id from `/mcp-servers`) that served the session; it must belong to the organization." }),
  timestamp: z.iso.datetime({ offset: true }).openapi({ description: "When it happened, ISO 8601 (`2025-06-01T12:00:00Z`).", example: "2025-06-01T12:00:00Z" }),
  client: z
    .strictObject({ name: z.string().min(1).max(200), version: z.string().min(1).max(100).optional() })
    .optional()
    .openapi({ description: "The MCP client (its `clientInfo`)." }),
  intent: z.string().min(1).max(500).optional().openapi({ description: "What the agent was trying to do, in its words (up to 500 characters)." }),
  protocolVersion: z.string().min(1).max(50).optional().openapi({ description: "The MCP protocol version of the session.", example: "2025-06-18" }),
};

const isError = z.boolean().optional();

const argumentsSchema = z
  .record(z.string(), z.unknown())
  .refine((v) => JSON.stringify(v).length <= INGEST_LIMITS.maxArgumentsChars, `At most ${INGEST_LIMITS.maxArgumentsChars} characters as JSON`)
  .openapi({ description: "The tool's arguments (credentials in them are redacted before they are stored)." });

const resultSchema = z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown()), z.number(), z.boolean(), z.null()]).openapi({
  description: `The tool's result, text or JSON; stored redacted and cut at ${INGEST_LIMITS.maxResultChars} characters (JSON text for a non-string result).`,
});

export const SessionStartEvent = z.strictObject({ ...common, type: z.literal("session_start") }).openapi("InsightSessionStartEvent");

export const ToolCallEvent = z
  .strictObject({
    ...common,
    type: z.literal("tool_call"),
    toolName: z.string().min(1).max(200),
    arguments: argumentsSchema.optional(),
    result: resultSchema.optional(),
    isError,
    durationMs: z.number().int().min(0).max(86_400_000).optional(),
  })
  .openapi("InsightToolCallEvent");

export const SearchEvent = z
  .strictObject({
    ...common,
    type: z.literal("search"),
    query: z.string().min(1).max(2000),
    resultCount: z.number().int().min(0),
    isError,
  })
  .openapi("InsightSearchEvent", { description: "A search the agent made through the source: no results (or an error) is a failed search." });

export const LogEvent = z
  .strictObject({ ...common, type: z.literal("log"), level: z.enum(LOG_LEVELS), message: z.string().min(1).max(8000) })
  .openapi("InsightLogEvent");

export const FeedbackEvent = z
  .strictObject({ ...common, type: z.literal("feedback"), rating: z.enum(["positive", "negative"]), comment: z.string().max(2000).optional() })
  .openapi("InsightFeedbackEvent");

export const SessionEndEvent = z.strictObject({ ...common, type: z.literal("session_end") }).openapi("InsightSessionEndEvent");

export const ToolsListEvent = z
  .strictObject({ ...common, type: z.literal("tools_list"), toolNames: z.array(z.string().min(1).max(200)).max(1000) })
  .openapi("InsightToolsListEvent", { description: "The tools the source offered (its `tools/list` answer)." });

export const InsightEvent = z
  .discriminatedUnion("type", [SessionStartEvent, ToolCallEvent, SearchEvent, LogEvent, FeedbackEvent, SessionEndEvent, ToolsListEvent])
  .openapi("InsightEvent");
export type InsightEvent = z.output<typeof InsightEvent>;

export const IngestEventsBody = z
  .strictObject({
    events: z.array(InsightEvent).min(1).max(INGEST_LIMITS.maxEvents).openapi({ description: `1 to ${INGEST_LIMITS.maxEvents} events.` }),
  })
  .openapi("IngestEventsBody");

export const IngestResult = z
  .object({
    accepted: z.number().int().openapi({ description: "Events stored by this request." }),
    duplicates: z.number().int().openapi({ description: "Events ignored: their id was already ingested, or repeated within the request." }),
  })
  .openapi("IngestResult");

// ---------------------------------------------------------------------------------------------------------
// OTLP/HTTP JSON (ExportTraceServiceRequest): only what the mapping reads is checked; the rest passes.

/** An OTLP `AnyValue`; array elements are read by the mapping (src/insights/otlp.ts). */
const otlpAnyValue = z.looseObject({
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: z.union([z.string(), z.number()]).optional(),
  doubleValue: z.union([z.number(), z.string()]).optional(),
  arrayValue: z.looseObject({ values: z.array(z.unknown()).optional() }).optional(),
});

const OtlpKeyValue = z.looseObject({ key: z.string(), value: otlpAnyValue.optional() });
const attributes = z.array(OtlpKeyValue).optional();
const nanos = z.union([z.string().regex(/^\d{1,20}$/, "Unix nanoseconds as a decimal string"), z.number().int().min(0)]);

export const OtlpSpan = z.looseObject({
  traceId: z.string().regex(/^[0-9a-fA-F]{32}$/, "32 hex digits"),
  spanId: z.string().regex(/^[0-9a-fA-F]{16}$/, "16 hex digits"),
  name: z.string().optional(),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos.optional(),
  attributes,
  status: z.looseObject({ code: z.union([z.number(), z.string()]).optional(), message: z.string().optional() }).optional(),
});
export type OtlpSpan = z.output<typeof OtlpSpan>;

export const OtlpTracesBody = z
  .strictObject({
    resourceSpans: z
      .array(
        z.looseObject({
          resource: z.looseObject({ attributes }).optional(),
          scopeSpans: z.array(z.looseObject({ spans: z.array(OtlpSpan).optional() })).optional(),
        }),
      )
      .openapi({ description: "OTLP/HTTP JSON `ExportTraceServiceRequest.resourceSpans`." }),
  })
  .openapi("OtlpTracesBody");
export type OtlpTracesBody = z.output<typeof OtlpTracesBody>;

export const OtlpIngestResult = IngestResult.extend({
  ignoredSpans: z.number().int().openapi({ description: "Spans that are not MCP operations Armature maps onto events." }),
}).openapi("OtlpIngestResult");
