export const RUN_STATUSES = ["queued", "running", "pass", "fail", "partial"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES = ["pass", "fail", "partial"] as const satisfies readonly RunStatus[];

export const RUN_TRIGGERS = ["manual", "initial", "schedule"] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export function isTerminal(status: RunStatus): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/**
 * Why a run ended as it did. Evaluation outcomes first, then the infrastructure failures that also end a
 * run in a terminal status (always `fail`), so a poller never waits forever.
 */
export const RUN_CLASSIFICATIONS = {
  all_criteria_met: "Every criterion passed.",
  required_criteria_failed: "At least one required criterion failed.",
  optional_criteria_failed: "Every required criterion passed; some optional ones did not.",
  regression: "A criterion that passed in the baseline run failed in this one.",
  tool_policy_refused: "A required criterion failed because the workflow's tool policy refused the tool call it needed.",
  limit_exceeded: "The run was stopped by a limit of its workflow (maxTurns, maxToolCalls, maxOutputTokens or maxCostUsd); the error names it.",
  dispatch_failed: "The run could not be put on the queue.",
  queue_timeout: "The run waited in the queue past its limit and was given up.",
  run_timeout: "The run exceeded its time limit.",
  mcp_connection_failed: "The MCP source could not be reached or refused the connection.",
  mcp_address_refused: "The MCP source's address is not allowed: a private, loopback, link-local, metadata or IP-literal host, plain http when deployed, or a redirect to one.",
  mcp_protocol_error: "The MCP source answered outside the protocol (malformed JSON-RPC, an unsupported version).",
  model_error: "The tester model failed (an error from its provider).",
  model_not_configured: "The tester model's provider is not configured in this deployment (its key or endpoint is missing).",
  skill_not_found: "The skill the tester target names is not published by the MCP source.",
  skill_changed: "The skill the tester target pins has a different digest now.",
  judge_error: "The judge model failed to evaluate the run.",
  workflow_archived: "The workflow was archived before the run started.",
  internal_error: "An internal error ended the run.",
} as const;
export type RunClassification = keyof typeof RUN_CLASSIFICATIONS;
export const RUN_CLASSIFICATION_IDS = Object.keys(RUN_CLASSIFICATIONS) as [RunClassification, ...RunClassification[]];
