/**
 * `armature/scripted`: the offline, deterministic tester model. It implements the ai SDK's language model
 * interface (v4), so it runs behind the very same tool loop, tool policy, limits and trace as a real model;
 * it needs no provider and no key. Its contract (docs/run-engine.md, "Tester agents"):
 *
 * (a) Script mode. When the tester prompt holds lines `call <tool-name> <json-object>` (one per line, `call`
 *     in lower case at the start of the line, the arguments a JSON object), it makes exactly those calls, in
 *     order, one per step, then answers with the text of their results joined by newlines. A line of that
 *     form whose arguments are not a JSON object makes no call at all: the model answers at once with a
 *     message naming the line.
 * (b) Otherwise it picks the offered tool that best matches the prompt's words (scoring below), fills the
 *     tool's required arguments from the prompt, calls it once and answers with the result's text. With no
 *     tools offered it answers NO_TOOLS_ANSWER.
 *
 * Usage is reported as 0 tokens; it never throws for an odd prompt.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FunctionTool,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4ToolResultOutput,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";

export const SCRIPTED_MODEL_ID = "armature/scripted";

/** The answer when no tools are offered and the prompt has no call lines. */
export const NO_TOOLS_ANSWER = "No tools were offered to the tester, so the scripted model made no tool calls.";

/** Words that do not count when matching the prompt against tools. */
const STOP_WORDS = new Set([
  "the", "and", "for", "with", "that", "this", "from", "into", "then", "than", "are", "was", "were", "you",
  "your", "our", "all", "any", "its", "use", "using", "tool", "tools", "call", "calls", "please",
]);

/** The provider options key under which the run engine gives the scripted model a tool's MCP name and title. */
export const ARMATURE_TOOL_OPTIONS = "armature";

const ZERO_USAGE: LanguageModelV4Usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

interface ScriptedCall {
  toolName: string;
  input: Record<string, unknown>;
}

type Plan = { kind: "calls"; calls: ScriptedCall[] } | { kind: "answer"; text: string };

/** The scripted tester model. */
export function createScriptedModel(): LanguageModelV4 {
  return {
    specificationVersion: "v4",
    provider: "armature",
    modelId: "scripted-v1",
    supportedUrls: {},
    doGenerate: async (options) => generate(options),
    doStream: async (options) => {
      const result = generate(options);
      const parts: LanguageModelV4StreamPart[] = [{ type: "stream-start", warnings: [] }];
      result.content.forEach((part, i) => {
        if (part.type === "text") {
          parts.push({ type: "text-start", id: `t${i}` }, { type: "text-delta", id: `t${i}`, delta: part.text }, { type: "text-end", id: `t${i}` });
        } else {
          parts.push(part as LanguageModelV4StreamPart);
        }
      });
      parts.push({ type: "finish", usage: result.usage, finishReason: result.finishReason });
      return {
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          start(controller) {
            for (const p of parts) controller.enqueue(p);
            controller.close();
          },
        }),
      };
    },
  };
}

function generate(options: LanguageModelV4CallOptions): LanguageModelV4GenerateResult {
  let content: LanguageModelV4Content[];
  try {
    content = step(options);
  } catch (err) {
    // Never throw for odd input: say what went wrong as the answer.
    content = [{ type: "text", text: `The scripted model could not follow the prompt: ${err instanceof Error ? err.message : String(err)}` }];
  }
  const calls = content.some((c) => c.type === "tool-call");
  return {
    content,
    finishReason: calls ? { unified: "tool-calls", raw: "tool_use" } : { unified: "stop", raw: "end_turn" },
    usage: ZERO_USAGE,
    warnings: [],
  };
}

function step(options: LanguageModelV4CallOptions): LanguageModelV4Content[] {
  const tools = (options.tools ?? []).filter((t): t is LanguageModelV4FunctionTool => t.type === "function");
  const prompt = userText(options.prompt);
  const made = previousCalls(options.prompt);
  const plan = planCalls(prompt, tools);
  if (plan.kind === "answer") return made.length === 0 ? [{ type: "text", text: plan.text }] : [{ type: "text", text: resultsText(options.prompt, made) }];
  const next = plan.calls[made.length];
  if (next === undefined || options.toolChoice?.type === "none") {
    return [{ type: "text", text: resultsText(options.prompt, made) }];
  }
  return [{ type: "tool-call", toolCallId: `scripted-call-${made.length + 1}`, toolName: next.toolName, input: JSON.stringify(next.input) }];
}

/** The text of the user messages (the tester prompt), joined by newlines. */
function userText(prompt: LanguageModelV4Prompt): string {
  const texts: string[] = [];
  for (const m of prompt) {
    if (m.role !== "user") continue;
    for (const part of m.content) if (part.type === "text") texts.push(part.text);
  }
  return texts.join("\n");
}

/** The ids of the tool calls this conversation holds already, in order. */
function previousCalls(prompt: LanguageModelV4Prompt): string[] {
  const ids: string[] = [];
  for (const m of prompt) {
    if (m.role !== "assistant") continue;
    for (const part of m.content) if (part.type === "tool-call") ids.push(part.toolCallId);
  }
  return ids;
}

/** The text of the results of the calls `ids`, in that order, joined by newlines. */
function resultsText(prompt: LanguageModelV4Prompt, ids: string[]): string {
  const byId = new Map<string, string>();
  for (const m of prompt) {
    if (m.role !== "tool") continue;
    for (const part of m.content) if (part.type === "tool-result") byId.set(part.toolCallId, outputText(part.output));
  }
  return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])).join("\n");
}

function outputText(output: LanguageModelV4ToolResultOutput): string {
  switch (output.type) {
    case "text":
    case "error-text":
      return output.value;
    case "json":
    case "error-json":
      return JSON.stringify(output.value);
    case "execution-denied":
      return output.reason ?? "The tool call was denied.";
    case "content":
      return output.value.flatMap((v) => (v.type === "text" ? [v.text] : [])).join("\n");
    default:
      return "";
  }
}

// ---------------------------------------------------------------------------------------------------------
// Planning.

const CALL_LINE = /^call[ \t]+([^\s{]+)[ \t]+(\{.*)$/;

/** What the model does for this prompt: the calls to make in order, or a direct answer. */
export function planCalls(prompt: string, tools: readonly LanguageModelV4FunctionTool[]): Plan {
  const lines = prompt.split(/\r?\n/);
  const calls: ScriptedCall[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = CALL_LINE.exec(lines[i]!.trim());
    if (!match) continue;
    const input = parseObject(match[2]!);
    if (input === null) {
      return {
        kind: "answer",
        text: `The scripted model made no calls: line ${i + 1} ("call ${match[1]} …") does not end in a JSON object. Write each call as: call <tool-name> <json-object>`,
      };
    }
    calls.push({ toolName: resolveName(match[1]!, tools), input });
  }
  if (calls.length > 0) return { kind: "calls", calls };
  const tool = bestTool(prompt, tools);
  if (!tool) return { kind: "answer", text: NO_TOOLS_ANSWER };
  return { kind: "calls", calls: [{ toolName: tool.name, input: fillArguments(prompt, tool.inputSchema as Record<string, unknown>) }] };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The MCP name and title the run engine attached to an offered tool (its model-facing name may differ). */
function armatureInfo(tool: LanguageModelV4FunctionTool): { sourceName?: string; title?: string } {
  const info = tool.providerOptions?.[ARMATURE_TOOL_OPTIONS] ?? {};
  return {
    ...(typeof info.sourceName === "string" ? { sourceName: info.sourceName } : {}),
    ...(typeof info.title === "string" ? { title: info.title } : {}),
  };
}

/** The model-facing name of the tool a call line names: by its model-facing name, else by its MCP name. */
function resolveName(name: string, tools: readonly LanguageModelV4FunctionTool[]): string {
  if (tools.some((t) => t.name === name)) return name;
  return tools.find((t) => armatureInfo(t).sourceName === name)?.name ?? name;
}

/** Lower-case words of 3+ letters or digits (camelCase split), stop words left out, a plural `s` dropped. */
export function words(text: string): Set<string> {
  const out = new Set<string>();
  const split = text.replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, "$1 $2").toLowerCase();
  for (const w of split.match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (w.length < 3 || STOP_WORDS.has(w)) continue;
    out.add(w.length > 3 && w.endsWith("s") ? w.slice(0, -1) : w);
  }
  return out;
}

/**
 * The offered tool that best matches the prompt. Each distinct prompt word scores 3 when it is a word of the
 * tool's name, else 2 when it is a word of its title, else 1 when it is a word of its description; the tool
 * with the highest total wins, ties (also all-zero) going to the name that sorts first.
 */
export function bestTool(prompt: string, tools: readonly LanguageModelV4FunctionTool[]): LanguageModelV4FunctionTool | undefined {
  const promptWords = words(prompt);
  let best: { tool: LanguageModelV4FunctionTool; score: number } | undefined;
  for (const tool of tools) {
    const info = armatureInfo(tool);
    const name = words(info.sourceName ?? tool.name);
    const title = words(info.title ?? "");
    const description = words(tool.description ?? "");
    let score = 0;
    for (const w of promptWords) score += name.has(w) ? 3 : title.has(w) ? 2 : description.has(w) ? 1 : 0;
    if (!best || score > best.score || (score === best.score && tool.name < best.tool.name)) best = { tool, score };
  }
  return best?.tool;
}

const QUOTED = /"([^"\n]*)"|“([^”\n]*)”|(?<![\p{L}\p{N}_])'([^'\n]*)'(?![\p{L}\p{N}_])/gu;
const NUMBER = /(?<![\p{L}\p{N}_.])-?\d+(?:\.\d+)?(?![\p{L}\p{N}_]|\.\d)/gu;

/** The prompt's quoted strings and (outside the quotes) its numbers, in order. */
export function promptValues(prompt: string): { strings: string[]; numbers: number[] } {
  const strings: string[] = [];
  const rest = prompt.replace(QUOTED, (_m, a?: string, b?: string, c?: string) => {
    strings.push(a ?? b ?? c ?? "");
    return " ";
  });
  const numbers = (rest.match(NUMBER) ?? []).map(Number);
  return { strings, numbers };
}

function schemaType(schema: Record<string, unknown>): string | undefined {
  const t = schema.type;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === "string" && x !== "null");
  return undefined;
}

/**
 * The required arguments of a tool, filled from the prompt, in the order of the schema's `properties`: a
 * parameter with a `default` takes it, else one with an `enum` takes its first value; otherwise a string
 * parameter takes the next quoted string of the prompt, a number or integer parameter the next number, a
 * boolean `false`. A parameter left without a value is left out (the source then says what is missing).
 */
export function fillArguments(prompt: string, inputSchema: Record<string, unknown>): Record<string, unknown> {
  const properties = (inputSchema.properties && typeof inputSchema.properties === "object" ? inputSchema.properties : {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(inputSchema.required) ? inputSchema.required.filter((r): r is string => typeof r === "string") : []);
  const { strings, numbers } = promptValues(prompt);
  const args: Record<string, unknown> = {};
  const names = [...Object.keys(properties).filter((k) => required.has(k)), ...[...required].filter((k) => !(k in properties))];
  for (const name of names) {
    const schema = (properties[name] && typeof properties[name] === "object" ? properties[name] : {}) as Record<string, unknown>;
    if ("default" in schema) {
      args[name] = schema.default;
      continue;
    }
    if (Array.isArray(schema.enum) && schema.enum.length > 0) {
      args[name] = schema.enum[0];
      continue;
    }
    const type = schemaType(schema);
    if (type === "string" && strings.length > 0) args[name] = strings.shift();
    else if ((type === "number" || type === "integer") && numbers.length > 0) args[name] = numbers.shift();
    else if (type === "boolean") args[name] = false;
  }
  return args;
}
