import { OPERATIONS, type OperationName } from "../operations";
import type { Operation } from "../operations/operation";

/**
 * Operations the MCP API does not serve: usage ingestion is for MCP servers reporting their own traffic
 * (REST `POST /insights/events` and OTLP), not a tool an agent calls. The MCP API records its own usage
 * (src/mcp-api/usage.ts).
 */
type NotATool = "ingestInsightEvents" | "ingestInsightOtlpTraces";

/** How one operation is served as an MCP tool: the MCP-specific facts only (the rest is the operation's). */
export interface ToolBinding {
  /** The tool's name, snake_case. */
  name: string;
  /**
   * Hints for writes (MCP `destructiveHint`, `idempotentHint`); reads are `readOnlyHint: true` from the
   * operation. A write that only adds (create, register, dispatch) is not destructive.
   */
  destructive?: boolean;
  idempotent?: boolean;
  /** The tool reaches beyond Armature's own data (dispatching runs calls MCP sources and models). */
  openWorld?: boolean;
  /** The call is a search: recorded as an insights `search` event too (its query argument, how many it found). */
  search?: { argument: string; resultCount(output: unknown): number };
}

/** How each operation is served over MCP. Typed so that every operation but ingestion has a tool. */
const TOOLS: { [K in Exclude<OperationName, NotATool>]: ToolBinding } = {
  getOrg: { name: "get_org" },
  listMcpServers: { name: "list_mcp_servers" },
  getMcpServer: { name: "get_mcp_server" },
  createMcpServer: { name: "register_mcp_server", destructive: false, idempotent: false },
  listWorkflows: { name: "list_workflows" },
  getWorkflow: { name: "get_workflow" },
  createWorkflow: { name: "create_workflow", destructive: false, idempotent: false },
  updateWorkflow: { name: "update_workflow", destructive: true, idempotent: true },
  archiveWorkflow: { name: "archive_workflow", destructive: true, idempotent: true },
  dispatchWorkflowRuns: { name: "dispatch_workflow_run", destructive: false, idempotent: false, openWorld: true },
  listRuns: {
    name: "search_runs",
    search: { argument: "search", resultCount: (output) => (output as { total: number }).total },
  },
  getRun: { name: "get_run" },
  getRunTrace: { name: "get_run_trace" },
  getRunEvaluation: { name: "get_run_evaluation" },
  listRunToolCalls: { name: "list_run_tool_calls" },
  getInsightsOverview: { name: "get_insights_overview" },
  listInsightSessions: { name: "list_sessions" },
  getInsightSessionTrace: { name: "get_session_trace" },
  listInsightTopics: { name: "list_topics" },
  getInsightTopic: { name: "get_topic" },
  updateInsightTopic: { name: "update_topic", destructive: true, idempotent: true },
  listInsightSearches: { name: "list_failed_searches" },
  getInsightSearch: { name: "get_failed_search" },
};

/** A tool: its binding and the operation behind it. */
export interface Tool extends ToolBinding {
  op: Operation;
}

/** Every tool, in the order of OPERATIONS (the reference's order). */
export const MCP_TOOLS: readonly Tool[] = (Object.keys(OPERATIONS) as OperationName[]).flatMap((name) => {
  const binding = (TOOLS as Partial<Record<OperationName, ToolBinding>>)[name];
  return binding ? [{ ...binding, op: OPERATIONS[name] }] : [];
});

const BY_NAME = new Map(MCP_TOOLS.map((t) => [t.name, t]));

/** The tool of this name, if there is one. */
export const toolNamed = (name: string): Tool | undefined => BY_NAME.get(name);
