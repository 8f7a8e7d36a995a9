import { OPERATIONS, type OperationName } from "../operations";
import { IdempotencyKey } from "../workflows/schemas";
import type { RestBinding } from "./rest";

/** How each operation is served over REST: method, path and success status. Paths are relative to API_BASE. */
const REST: { [K in OperationName]: Omit<RestBinding, "op"> } = {
  getOrg: { method: "get", path: "/org", status: 200 },
  listMcpServers: { method: "get", path: "/mcp-servers", status: 200, paginated: true },
  createMcpServer: { method: "post", path: "/mcp-servers", status: 201 },
  getMcpServer: { method: "get", path: "/mcp-servers/{id}", status: 200 },
  listWorkflows: { method: "get", path: "/workflows", status: 200, paginated: true },
  getWorkflow: { method: "get", path: "/workflows/{id}", status: 200 },
  createWorkflow: { method: "post", path: "/workflows", status: 201 },
  updateWorkflow: { method: "patch", path: "/workflows/{id}", status: 200 },
  archiveWorkflow: { method: "delete", path: "/workflows/{id}", status: 200 },
  dispatchWorkflowRuns: {
    method: "post",
    path: "/workflows/{id}/runs",
    status: 202,
    headerFields: [
      {
        header: "idempotency-key",
        field: "idempotencyKey",
        schema: IdempotencyKey,
        description: "Alternative to the body's idempotencyKey; they must agree when both are sent.",
      },
    ],
    responseHeaders: {
      docs: {
        "idempotent-replayed": {
          description: "`true` when an idempotency key replayed the runs of an earlier dispatch.",
          schema: { type: "string" },
        },
      },
      from: (output): Record<string, string> => ((output as { replayed?: boolean }).replayed ? { "idempotent-replayed": "true" } : {}),
    },
  },
  listRuns: { method: "get", path: "/runs", status: 200, paginated: true },
  getRun: { method: "get", path: "/runs/{id}", status: 200 },
  getRunTrace: { method: "get", path: "/runs/{id}/trace", status: 200 },
  getRunEvaluation: { method: "get", path: "/runs/{id}/evaluation", status: 200 },
  listRunToolCalls: { method: "get", path: "/runs/{id}/tool-calls", status: 200 },
  ingestInsightEvents: { method: "post", path: "/insights/events", status: 202 },
  ingestInsightOtlpTraces: {
    method: "post",
    path: "/insights/otlp/v1/traces",
    status: 202,
    unsupportedMediaType:
      "OTLP/HTTP is accepted as JSON only: send 'Content-Type: application/json' (set the exporter's protocol to http/json, e.g. OTEL_EXPORTER_OTLP_PROTOCOL=http/json); protobuf is not accepted",
  },
  getInsightsOverview: { method: "get", path: "/insights/overview", status: 200 },
  listInsightSessions: { method: "get", path: "/insights/sessions", status: 200 },
  getInsightSessionTrace: { method: "get", path: "/insights/sessions/{id}/trace", status: 200 },
  listInsightTopics: { method: "get", path: "/insights/topics", status: 200 },
  getInsightTopic: { method: "get", path: "/insights/topics/{id}", status: 200 },
  updateInsightTopic: { method: "patch", path: "/insights/topics/{id}", status: 200 },
  listInsightSearches: { method: "get", path: "/insights/searches", status: 200 },
  getInsightSearch: { method: "get", path: "/insights/searches/{id}", status: 200 },
};

/** Every operation with its REST binding. */
export const REST_BINDINGS: RestBinding[] = (Object.keys(REST) as OperationName[]).map((name) => ({ op: OPERATIONS[name], ...REST[name] }));
