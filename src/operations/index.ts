import {
  getInsightSearchOp,
  getInsightSessionTraceOp,
  getInsightsOverviewOp,
  getInsightTopicOp,
  listInsightSearchesOp,
  listInsightSessionsOp,
  listInsightTopicsOp,
  updateInsightTopicOp,
} from "../insights/read-operations";
import { ingestInsightEventsOp, ingestInsightOtlpTracesOp } from "../insights/operations";
import { createMcpServerOp, getMcpServerOp, listMcpServersOp } from "../mcp-servers/operations";
import { getOrg } from "../org/operations";
import { getRunEvaluationOp, getRunOp, getRunTraceOp, listRunsOp, listRunToolCallsOp } from "../runs/operations";
import {
  archiveWorkflowOp,
  createWorkflowOp,
  dispatchWorkflowRunsOp,
  getWorkflowOp,
  listWorkflowsOp,
  updateWorkflowOp,
} from "../workflows/operations";
import type { Operation } from "./operation";

const operations = {
  getOrg,
  listMcpServers: listMcpServersOp,
  createMcpServer: createMcpServerOp,
  getMcpServer: getMcpServerOp,
  listWorkflows: listWorkflowsOp,
  getWorkflow: getWorkflowOp,
  createWorkflow: createWorkflowOp,
  updateWorkflow: updateWorkflowOp,
  archiveWorkflow: archiveWorkflowOp,
  dispatchWorkflowRuns: dispatchWorkflowRunsOp,
  listRuns: listRunsOp,
  getRun: getRunOp,
  getRunTrace: getRunTraceOp,
  getRunEvaluation: getRunEvaluationOp,
  listRunToolCalls: listRunToolCallsOp,
  ingestInsightEvents: ingestInsightEventsOp,
  ingestInsightOtlpTraces: ingestInsightOtlpTracesOp,
  getInsightsOverview: getInsightsOverviewOp,
  listInsightSessions: listInsightSessionsOp,
  getInsightSessionTrace: getInsightSessionTraceOp,
  listInsightTopics: listInsightTopicsOp,
  getInsightTopic: getInsightTopicOp,
  updateInsightTopic: updateInsightTopicOp,
  listInsightSearches: listInsightSearchesOp,
  getInsightSearch: getInsightSearchOp,
};

export type OperationName = keyof typeof operations;

/**
 * Every API operation by name, in the order the reference lists them. Each surface binds every one of them
 * (REST: src/routes/index.ts, whose table the compiler holds to this list).
 */
export const OPERATIONS = operations as unknown as Record<OperationName, Operation>;
