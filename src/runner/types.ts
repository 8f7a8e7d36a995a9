/**
 * The contracts between the run engine's parts: the MCP session (src/runner/mcp/), the tester agent
 * (src/runner/agent/), the evaluation (src/runner/evaluate/) and the orchestrator that ties them to a run
 * (src/runner/execute-run.ts). Each part depends on these types, not on the others.
 */
import type { RunClassification } from "../runs/status";

/** A JSON Schema object as an MCP server publishes it for a tool's input. */
export type JsonSchema = Record<string, unknown>;

/** MCP tool annotations (hints) as published by the source. */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** One tool the source offers (every page of tools/list). */
export interface McpToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema: JsonSchema;
  annotations?: ToolAnnotations;
}

/** What a tools/call answered. */
export interface ToolCallOutcome {
  /** The result's content blocks as the source sent them (text, image, resource…). */
  content: unknown[];
  structuredContent?: unknown;
  isError: boolean;
  /** The text of the text content blocks, joined by newlines (what the tester model reads). */
  text: string;
}

/** A published skill (MCP skills extension). */
export interface SkillInfo {
  name: string;
  uri: string;
  description?: string;
  digest?: string;
}

/** An open connection to the workflow's MCP source. */
export interface McpSession {
  /** The protocol revision the source answered in, e.g. "2026-07-28" or "2025-06-18". */
  protocolVersion: string;
  /** "2026": the stateless 2026 protocol; "2025": the initialize handshake of the 2025 revisions. */
  era: "2025" | "2026";
  serverInfo?: { name: string; version: string };
  /** Every tool of every tools/list page. */
  tools: McpToolInfo[];
  callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolCallOutcome>;
  /** Skills the source publishes; empty when it does not support the extension. */
  listSkills(): Promise<SkillInfo[]>;
  /** A skill's SKILL.md text and its digest. */
  getSkill(nameOrUri: string): Promise<{ skill: SkillInfo; text: string; digest: string } | null>;
  close(): Promise<void>;
}

/** Ends a run as `fail` with a classification and a message that says why (no stack, no secrets). */
export class RunFailure extends Error {
  constructor(
    readonly classification: RunClassification,
    message: string,
  ) {
    super(message);
    this.name = "RunFailure";
  }
}

/** A tool call as the engine records it (the run_tool_calls row, before redaction). */
export interface RecordedToolCall {
  id: string;
  seq: number;
  toolName: string;
  arguments: Record<string, unknown>;
  /** The result as recorded: `{ content, structuredContent? }`, size-capped (`truncated: true` when cut). */
  result: unknown;
  /** The text the model saw (for checks and the judge). */
  text: string;
  isError: boolean;
  /** True when the tool policy refused the call before it left the Worker. */
  policyRefused: boolean;
  durationMs: number;
  startedAt: string;
}

export type SpanKind = "run" | "mcp.connect" | "model" | "tool" | "judge" | "skill" | "event";

/** Collects the run's spans; the orchestrator stores them as the trace. */
export interface TraceRecorder {
  /** Opens a span; returns its id. */
  start(name: string, kind: SpanKind, parentId: string | null, attributes?: Record<string, unknown>): string;
  /** Closes a span, merging attributes and an error message. */
  end(id: string, update?: { attributes?: Record<string, unknown>; error?: string }): void;
  /** A point event on a span (e.g. an elicitation the tester declined). */
  event(spanId: string, name: string, attributes?: Record<string, unknown>): void;
}
