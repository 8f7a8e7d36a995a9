/**
 * The tester agent: the ai SDK's tool loop (`generateText`) over the MCP source's tools, with the workflow's
 * tool policy applied before a call leaves the Worker, the workflow's limits as stop conditions, every tool
 * call recorded, and a trace span per model step and per tool call. Documented in docs/run-engine.md
 * ("Tester agents").
 */
import {
  APICallError,
  generateText,
  jsonSchema,
  NoSuchToolError,
  RetryError,
  tool,
  type LanguageModel,
  type ModelMessage,
  type ToolSet,
} from "ai";
import { redactValue } from "../../lib/redaction";
import type { RunClassification } from "../../runs/status";
import { RunFailure, type McpToolInfo, type RecordedToolCall, type ToolCallOutcome, type TraceRecorder } from "../types";
import { modelToolNames } from "./names";
import { offeredTools, refusal, type ToolPolicy } from "./policy";
import type { ModelPricing } from "./providers";
import { ARMATURE_TOOL_OPTIONS } from "./scripted";

export type { ToolPolicy } from "./policy";
export type { ModelPricing } from "./providers";

/** The workflow limits the agent enforces (`limits` of the workflow config; the run timeout is the caller's). */
export interface AgentLimits {
  /** Model requests (steps) at most. */
  maxTurns: number;
  /** Tool calls sent to the source at most. */
  maxToolCalls: number;
  /** Output tokens per model request and in total. */
  maxOutputTokens: number;
  /** USD of model usage at most (usage × pricing). */
  maxCostUsd: number;
}

export type AgentStop = "maxTurns" | "maxToolCalls" | "maxOutputTokens" | "maxCostUsd";

export interface RunAgentOptions {
  model: LanguageModel;
  /** Extra instructions after the built-in tester instructions, e.g. a skill's SKILL.md. */
  system?: string;
  /** The workflow's tester prompt. */
  prompt: string;
  /** Every tool the source offers; the policy decides which the model sees. */
  tools: McpToolInfo[];
  policy: ToolPolicy;
  limits: AgentLimits;
  pricing: ModelPricing;
  /** Sends one tools/call to the source. A RunFailure it throws ends the agent with that failure. */
  callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolCallOutcome>;
  trace: TraceRecorder;
  /** The span the agent's model and tool spans are children of. */
  parentSpanId: string;
  /** Aborts the loop (the run's timeout); runAgent then rejects with the signal's reason. */
  signal?: AbortSignal;
  now?: () => Date;
  /** Provider retries per model request for retryable errors (429, 5xx); default 2. */
  maxRetries?: number;
  /** Secret values (the provider's key) scrubbed from error messages. */
  knownSecrets?: readonly string[];
}

export interface AgentResult {
  /** The text of the model's last request: its answer, or (after a limit stop) whatever it wrote alongside its last calls. */
  answer: string;
  /** The calls in the order the model made them, seq from 0. */
  toolCalls: RecordedToolCall[];
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
  /** The limit that stopped the agent, or null when the model answered within them. */
  stoppedBy: AgentStop | null;
}

/** A RunFailure from the agent, with the evidence gathered before it. */
export class AgentFailure extends RunFailure {
  constructor(
    classification: RunClassification,
    message: string,
    readonly partial: AgentResult,
  ) {
    super(classification, message);
    this.name = "AgentFailure";
  }
}

/** The instructions every tester model gets; `system` (a skill) follows them. */
export const TESTER_INSTRUCTIONS = [
  "You are the tester agent of an Armature run: you carry out the user's task with the tools of one MCP server.",
  "Call the tools you need, one step at a time, and read their results. When you are done, answer with what you did",
  "and what the tools returned, quoting the relevant results. A call may be refused by the workflow's tool policy;",
  "do not repeat a refused call.",
].join(" ");

/** The longest tool result text the model is given (characters); the rest is cut with a note. */
export const MODEL_TEXT_CAP = 50_000;
/** The largest recorded result (JSON characters); a larger one is recorded as its text, cut, with `truncated: true`. */
export const RECORD_RESULT_CAP = 64 * 1024;

interface ToolReply {
  text: string;
  isError: boolean;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function capText(text: string, cap: number): string {
  return text.length <= cap ? text : `${text.slice(0, cap)}\n[truncated: ${text.length - cap} more characters]`;
}

/** A tool's input schema as providers accept it: a JSON Schema object with `type: "object"`. */
function providerSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema, type: "object" };
  if (!isPlainObject(out.properties)) out.properties = {};
  return out;
}

const title = (t: McpToolInfo): string | undefined => t.title ?? t.annotations?.title;

/** What the model reads about a tool: its title and description. */
function describe(t: McpToolInfo): string | undefined {
  const parts = [title(t), t.description].filter((p): p is string => !!p && p.trim() !== "");
  return parts.length ? parts.join("\n") : undefined;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** A model or provider error as the run's message: status and the provider's message, no request, no secrets. */
function modelErrorMessage(err: unknown, secrets: readonly string[]): string {
  let e = err;
  if (RetryError.isInstance(e) && e.lastError !== undefined) e = e.lastError;
  let text: string;
  if (APICallError.isInstance(e)) {
    const status = e.statusCode;
    text =
      status === 429
        ? `the provider rate-limited the request (HTTP 429): ${e.message}`
        : status !== undefined
          ? `the provider answered HTTP ${status}: ${e.message}`
          : `the request to the provider failed: ${e.message}`;
  } else {
    text = errorText(e);
  }
  const scrubbed = redactValue(text, secrets);
  return `The tester model failed: ${scrubbed.length > 500 ? `${scrubbed.slice(0, 500)}…` : scrubbed}`;
}

/**
 * Runs the tester: the model works through the offered tools until it answers or a limit stops it. Resolves
 * with the answer and the evidence (a limit stop too: `stoppedBy` says which limit). Rejects with a
 * RunFailure (`model_error` for the model or its provider, or the failure `callTool` threw), an AgentFailure
 * carrying the evidence so far where there is any, or the abort signal's reason.
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentResult> {
  const { policy, limits, pricing, trace, parentSpanId } = options;
  const now = options.now ?? (() => new Date());
  const offered = offeredTools(options.tools, policy);
  const sourceTools = new Map<string, McpToolInfo>();
  for (const t of options.tools) if (!sourceTools.has(t.name)) sourceTools.set(t.name, t);
  const names = modelToolNames(offered.map((t) => t.name));

  const records = new Map<string, Omit<RecordedToolCall, "seq">>();
  /** Tool call ids in the order the model made them. */
  const callOrder: string[] = [];
  /** Refusals of calls the SDK could not match to an offered tool: the model is told these instead. */
  const refusedUnknown = new Map<string, string>();
  let executed = 0;
  let stoppedBy: AgentStop | null = null;
  let fatal: unknown = null;
  let inputTokens = 0;
  let outputTokens = 0;
  let costUsd = 0;
  let step = 0;
  let modelSpan: string | null = null;

  const record = (
    toolCallId: string,
    toolName: string,
    args: Record<string, unknown>,
    outcome: { content: unknown[]; structuredContent?: unknown; text: string; isError: boolean },
    policyRefused: boolean,
    startedAt: Date,
  ) => {
    const full = { content: outcome.content, ...(outcome.structuredContent !== undefined ? { structuredContent: outcome.structuredContent } : {}) };
    let result: unknown = full;
    let size = 0;
    try {
      size = JSON.stringify(full).length;
    } catch {
      size = Infinity;
    }
    if (size > RECORD_RESULT_CAP) {
      result = { content: [{ type: "text", text: capText(outcome.text, RECORD_RESULT_CAP / 2) }], truncated: true };
    }
    records.set(toolCallId, {
      id: crypto.randomUUID(),
      toolName,
      arguments: args,
      result,
      text: capText(outcome.text, MODEL_TEXT_CAP),
      isError: outcome.isError,
      policyRefused,
      durationMs: Math.max(0, Math.round(now().getTime() - startedAt.getTime())),
      startedAt: startedAt.toISOString(),
    });
  };

  const refuse = (toolCallId: string, toolName: string, args: Record<string, unknown>, text: string): ToolReply => {
    const startedAt = now();
    const span = trace.start(`tools/call ${toolName}`, "tool", parentSpanId, { toolName, arguments: args, toolCallId });
    record(toolCallId, toolName, args, { content: [{ type: "text", text }], text, isError: true }, true, startedAt);
    trace.end(span, { attributes: { isError: true, refused: true, refusal: text } });
    return { text, isError: true };
  };

  const invoke = async (t: McpToolInfo, toolCallId: string, args: Record<string, unknown>, signal: AbortSignal | undefined): Promise<ToolReply> => {
    if (fatal !== null) return { text: "Not called: the run is ending.", isError: true };
    const refused = refusal(t, t.name, policy);
    if (refused !== null) return refuse(toolCallId, t.name, args, refused);
    if (executed >= limits.maxToolCalls) {
      stoppedBy ??= "maxToolCalls";
      trace.event(parentSpanId, "limit.maxToolCalls", { toolName: t.name, maxToolCalls: limits.maxToolCalls });
      return { text: `Not called: the run's tool call limit (maxToolCalls = ${limits.maxToolCalls}) is reached.`, isError: true };
    }
    executed++;
    const startedAt = now();
    const span = trace.start(`tools/call ${t.name}`, "tool", parentSpanId, { toolName: t.name, arguments: args, toolCallId });
    try {
      const outcome = await options.callTool(t.name, args, signal);
      record(toolCallId, t.name, args, outcome, false, startedAt);
      trace.end(span, { attributes: { isError: outcome.isError, refused: false } });
      return { text: capText(outcome.text, MODEL_TEXT_CAP), isError: outcome.isError };
    } catch (err) {
      if (err instanceof RunFailure || options.signal?.aborted) {
        fatal = err;
        trace.end(span, { attributes: { isError: true, refused: false }, error: errorText(err) });
        return { text: "Not called: the run is ending.", isError: true };
      }
      const text = `The tool call failed: ${errorText(err)}`;
      record(toolCallId, t.name, args, { content: [{ type: "text", text }], text, isError: true }, false, startedAt);
      trace.end(span, { attributes: { isError: true, refused: false }, error: errorText(err) });
      return { text, isError: true };
    }
  };

  const tools: ToolSet = {};
  for (const t of offered) {
    const modelName = names.toModel.get(t.name)!;
    tools[modelName] = tool({
      ...(describe(t) !== undefined ? { description: describe(t) } : {}),
      inputSchema: jsonSchema<Record<string, unknown>>(providerSchema(t.inputSchema) as Parameters<typeof jsonSchema>[0], {
        validate: (value) =>
          isPlainObject(value)
            ? { success: true, value }
            : { success: false, error: new Error("The tool's arguments must be a JSON object") },
      }),
      // The scripted model reads the MCP name and title here; other providers ignore this key.
      providerOptions: { [ARMATURE_TOOL_OPTIONS]: { sourceName: t.name, ...(title(t) ? { title: title(t)! } : {}) } },
      execute: (input, { toolCallId, abortSignal }): Promise<ToolReply> => invoke(t, toolCallId, input, abortSignal),
      toModelOutput: ({ output }: { output: ToolReply }) => (output.isError ? { type: "error-text", value: output.text } : { type: "text", value: output.text }),
    });
  }

  /** Tells the model the policy's refusal instead of the SDK's "unavailable tool" for calls it refused. */
  const withRefusals = (messages: ModelMessage[]): ModelMessage[] | undefined => {
    if (refusedUnknown.size === 0) return undefined;
    let changed = false;
    const out = messages.map((m) => {
      if (m.role !== "tool") return m;
      const content = m.content.map((part) => {
        if (part.type !== "tool-result") return part;
        const text = refusedUnknown.get(part.toolCallId);
        if (text === undefined || (part.output.type === "error-text" && part.output.value === text)) return part;
        changed = true;
        return { ...part, output: { type: "error-text" as const, value: text } };
      });
      return { ...m, content };
    });
    return changed ? out : undefined;
  };

  const result = () => ({
    // In the order the model made the calls (a call the model never saw answered comes last).
    toolCalls: [...new Set([...callOrder, ...records.keys()])]
      .flatMap((id) => {
        const r = records.get(id);
        return r ? [r] : [];
      })
      .map((r, seq): RecordedToolCall => ({ ...r, seq })),
    usage: { inputTokens, outputTokens },
    costUsd,
  });

  try {
    const out = await generateText({
      model: options.model,
      instructions: options.system?.trim() ? `${TESTER_INSTRUCTIONS}\n\n${options.system}` : TESTER_INSTRUCTIONS,
      prompt: options.prompt,
      tools,
      maxOutputTokens: limits.maxOutputTokens,
      maxRetries: options.maxRetries ?? 2,
      toolCallConcurrency: 1,
      ...(options.signal ? { abortSignal: options.signal } : {}),
      stopWhen: ({ steps }) => {
        if (fatal !== null || stoppedBy !== null) return true;
        if (costUsd > limits.maxCostUsd) stoppedBy = "maxCostUsd";
        else if (outputTokens >= limits.maxOutputTokens) stoppedBy = "maxOutputTokens";
        else if (steps.length >= limits.maxTurns) stoppedBy = "maxTurns";
        return stoppedBy !== null;
      },
      prepareStep: ({ messages }) => {
        const rewritten = withRefusals(messages);
        return {
          maxOutputTokens: Math.max(1, Math.min(limits.maxOutputTokens, limits.maxOutputTokens - outputTokens)),
          ...(rewritten ? { messages: rewritten } : {}),
        };
      },
      repairToolCall: async ({ toolCall, error }) => {
        const name = toolCall.toolName;
        if (NoSuchToolError.isInstance(error)) {
          // The model used the MCP name of an offered tool whose model-facing name differs: that is the tool.
          const modelName = names.toModel.get(name);
          if (modelName !== undefined && modelName !== name) return { ...toolCall, toolName: modelName };
          let args: Record<string, unknown> = {};
          try {
            const parsed: unknown = JSON.parse(toolCall.input || "{}");
            if (isPlainObject(parsed)) args = parsed;
          } catch {
            // Arguments that are not JSON are recorded as none.
          }
          const text =
            refusal(sourceTools.get(name), name, policy) ??
            `Refused: tool ${JSON.stringify(name)} is not offered to the tester, so the call was not sent.`;
          refusedUnknown.set(toolCall.toolCallId, text);
          refuse(toolCall.toolCallId, name, args, text);
          return null;
        }
        trace.event(parentSpanId, "tool.invalid_arguments", { toolName: names.toSource.get(name) ?? name, error: errorText(error) });
        return null;
      },
      onLanguageModelCallStart: (event) => {
        step++;
        modelSpan = trace.start(`chat ${event.modelId}`, "model", parentSpanId, { step, provider: event.provider, model: event.modelId });
      },
      onLanguageModelCallEnd: (event) => {
        const inTok = event.usage.inputTokens ?? 0;
        const outTok = event.usage.outputTokens ?? 0;
        inputTokens += inTok;
        outputTokens += outTok;
        costUsd += (inTok * pricing.inputUsdPerMTok + outTok * pricing.outputUsdPerMTok) / 1_000_000;
        let calls = 0;
        for (const part of event.content) {
          if (part.type !== "tool-call") continue;
          calls++;
          if (!callOrder.includes(part.toolCallId)) callOrder.push(part.toolCallId);
        }
        if (modelSpan !== null) {
          trace.end(modelSpan, {
            attributes: { inputTokens: inTok, outputTokens: outTok, finishReason: event.finishReason, toolCalls: calls },
          });
          modelSpan = null;
        }
      },
    });
    if (fatal !== null) throw fatal;
    if (stoppedBy === null && out.finishReason === "length") stoppedBy = "maxOutputTokens";
    if (stoppedBy === null && costUsd > limits.maxCostUsd) stoppedBy = "maxCostUsd";
    if (stoppedBy !== null) trace.event(parentSpanId, "limit.stopped", { limit: stoppedBy, value: limits[stoppedBy] });
    return { answer: out.text, ...result(), stoppedBy };
  } catch (err) {
    if (modelSpan !== null) {
      trace.end(modelSpan, { error: errorText(err) });
      modelSpan = null;
    }
    if (options.signal?.aborted) {
      // The signal's reason ends the agent; a RunFailure reason (the run's timeout) keeps the evidence so far.
      const reason: unknown = options.signal.reason ?? err;
      if (reason instanceof RunFailure && !(reason instanceof AgentFailure)) {
        throw new AgentFailure(reason.classification, reason.message, { answer: "", ...result(), stoppedBy });
      }
      throw reason;
    }
    const failure = fatal ?? err;
    if (failure instanceof RunFailure) {
      if (failure instanceof AgentFailure) throw failure;
      throw new AgentFailure(failure.classification, failure.message, { answer: "", ...result(), stoppedBy });
    }
    throw new AgentFailure("model_error", modelErrorMessage(err, options.knownSecrets ?? []), { answer: "", ...result(), stoppedBy });
  }
}
