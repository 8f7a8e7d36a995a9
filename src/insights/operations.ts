import { defineOperation } from "../operations/operation";
import type { Role } from "../auth/roles";
import { ingestEvents } from "./ingest";
import { ingestOtlpTraces } from "./otlp";
import { IngestEventsBody, IngestResult, OtlpIngestResult, OtlpTracesBody } from "./schemas";

/** Who may send usage events: ingest keys (embedded in MCP servers) and editors and above; viewers only read. */
export const INGEST_ROLES: readonly Role[] = ["ingest", "editor", "admin", "owner"];

export const ingestInsightEventsOp = defineOperation({
  name: "ingestInsightEvents",
  tag: "insights",
  summary: "Send MCP usage events (ingest, editor, admin or owner)",
  description:
    "Stores a batch of 1 to 1,000 usage events of MCP sessions (request bodies up to 1 MiB). Idempotent per event: an event " +
    "whose `id` was already ingested is counted as a duplicate and changes nothing. One invalid event refuses the whole " +
    "batch (400 naming `body.events.<index>.<field>`). Credentials in free-form fields are redacted before they are stored.",
  role: "ingest",
  roles: INGEST_ROLES,
  feature: "mcp-analytics",
  readOnly: false,
  input: { body: IngestEventsBody },
  output: IngestResult,
  outputDescription: "How many events were stored, and how many were duplicates.",
  run: (ctx, { events }) => ingestEvents(ctx, ctx.principal.org.id, events),
});

export const ingestInsightOtlpTracesOp = defineOperation({
  name: "ingestInsightOtlpTraces",
  tag: "insights",
  summary: "Send MCP usage as OpenTelemetry traces (OTLP/HTTP JSON)",
  description:
    "An OTLP/HTTP JSON trace export (`ExportTraceServiceRequest`). Spans following the OpenTelemetry semantic conventions " +
    "for MCP (`mcp.method.name`, `mcp.session.id`, `gen_ai.tool.name`, …) become the same events as `POST /insights/events`, " +
    "with ids derived from trace and span id (re-sending spans is idempotent); other spans are ignored and counted.",
  role: "ingest",
  roles: INGEST_ROLES,
  feature: "mcp-analytics",
  readOnly: false,
  input: { body: OtlpTracesBody },
  output: OtlpIngestResult,
  outputDescription: "How many events the spans gave were stored, how many were duplicates, and how many spans were ignored.",
  run: (ctx, body) => ingestOtlpTraces(ctx, ctx.principal.org.id, body),
});
