import type { LanguageModelV4FunctionTool, LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { runAgent, type AgentLimits } from "../../src/runner/agent/agent";
import type { ToolPolicy } from "../../src/runner/agent/policy";
import {
  bestTool,
  createScriptedModel,
  fillArguments,
  NO_TOOLS_ANSWER,
  planCalls,
  promptValues,
  words,
} from "../../src/runner/agent/scripted";
import type { McpToolInfo, ToolCallOutcome } from "../../src/runner/types";
import { fakeTrace } from "./fake-trace";

// ---------------------------------------------------------------------------------------------------------
// Fakes: the trace and the MCP side.


const text = (t: string, isError = false): ToolCallOutcome => ({ content: [{ type: "text", text: t }], isError, text: t });

/** A fake MCP source: each tool answers with a function of its arguments; every call is logged. */
function fakeSource(handlers: Record<string, (args: Record<string, unknown>) => ToolCallOutcome>) {
  const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
  const callTool = async (name: string, args: Record<string, unknown>) => {
    calls.push({ name, args });
    const h = handlers[name];
    return h ? h(args) : text(`no such tool ${name}`, true);
  };
  return { calls, callTool };
}

const readOnly = (name: string, extra: Partial<McpToolInfo> = {}): McpToolInfo => ({
  name,
  inputSchema: { type: "object", properties: {} },
  annotations: { readOnlyHint: true },
  ...extra,
});

const LIMITS: AgentLimits = { maxTurns: 20, maxToolCalls: 50, maxOutputTokens: 4096, maxCostUsd: 5 };
const OPEN: ToolPolicy = { allow: null, deny: [], allowDestructive: false };

async function runScripted(prompt: string, tools: McpToolInfo[], source: ReturnType<typeof fakeSource>, policy = OPEN) {
  const t = fakeTrace();
  const result = await runAgent({
    model: createScriptedModel(),
    prompt,
    tools,
    policy,
    limits: LIMITS,
    pricing: { inputUsdPerMTok: 0, outputUsdPerMTok: 0 },
    callTool: source.callTool,
    trace: t.trace,
    parentSpanId: "root",
  });
  return { result, ...t };
}

const fn = (name: string, description?: string, inputSchema: Record<string, unknown> = { type: "object", properties: {} }, title?: string): LanguageModelV4FunctionTool => ({
  type: "function",
  name,
  inputSchema,
  ...(description ? { description } : {}),
  ...(title ? { providerOptions: { armature: { sourceName: name, title } } } : {}),
});

// ---------------------------------------------------------------------------------------------------------

describe("armature/scripted, mode (a): call lines", () => {
  it("makes exactly the listed calls in order, one per step, and answers with their results' text", async () => {
    const source = fakeSource({
      search_issues: (a) => text(`found 2 issues for ${String(a.query)}`),
      get_issue: (a) => text(`issue ${String(a.id)}: login fails`),
    });
    const prompt = [
      "Check the tracker.",
      'call search_issues {"query": "login", "limit": 2}',
      "  call get_issue {\"id\": 42}  ",
      "Then report.",
    ].join("\n");
    const { result, spans } = await runScripted(prompt, [readOnly("search_issues"), readOnly("get_issue")], source);

    expect(source.calls).toEqual([
      { name: "search_issues", args: { query: "login", limit: 2 } },
      { name: "get_issue", args: { id: 42 } },
    ]);
    expect(result.answer).toBe("found 2 issues for login\nissue 42: login fails");
    expect(result.stoppedBy).toBeNull();
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(result.costUsd).toBe(0);
    expect(result.toolCalls.map((c) => [c.seq, c.toolName, c.isError, c.policyRefused])).toEqual([
      [0, "search_issues", false, false],
      [1, "get_issue", false, false],
    ]);
    // One tool call per step: three model requests (call, call, answer).
    expect(spans.filter((s) => s.kind === "model")).toHaveLength(3);
    expect(spans.filter((s) => s.kind === "tool").map((s) => s.name)).toEqual(["tools/call search_issues", "tools/call get_issue"]);
  });

  it("repeats a call as often as it is listed, and includes error results in the answer", async () => {
    let n = 0;
    const source = fakeSource({ ping: () => (++n === 2 ? text("boom", true) : text(`pong ${n}`)) });
    const { result } = await runScripted("call ping {}\ncall ping {}\ncall ping {}", [readOnly("ping")], source);
    expect(source.calls).toHaveLength(3);
    expect(result.answer).toBe("pong 1\nboom\npong 3");
    expect(result.toolCalls.map((c) => c.isError)).toEqual([false, true, false]);
  });

  it("names a tool by its MCP name even when the model-facing name differs (dots, slashes)", async () => {
    const source = fakeSource({ "github.search/issues": () => text("ok") });
    const { result } = await runScripted('call github.search/issues {"q": "x"}', [readOnly("github.search/issues")], source);
    expect(source.calls).toEqual([{ name: "github.search/issues", args: { q: "x" } }]);
    expect(result.answer).toBe("ok");
  });

  it("a call to a tool the policy refuses is recorded as refused and never sent; the answer holds the refusal", async () => {
    const source = fakeSource({ delete_repo: () => text("deleted"), read: () => text("read ok") });
    const tools = [readOnly("read"), { name: "delete_repo", inputSchema: { type: "object" } }];
    const { result } = await runScripted("call delete_repo {}\ncall read {}", tools, source, { allow: null, deny: ["delete_*"], allowDestructive: false });
    expect(source.calls.map((c) => c.name)).toEqual(["read"]);
    expect(result.toolCalls[0]).toMatchObject({ seq: 0, toolName: "delete_repo", isError: true, policyRefused: true });
    expect(result.toolCalls[0]!.text).toContain("toolPolicy.deny");
    expect(result.answer.split("\n")[0]).toContain('matches toolPolicy.deny pattern "delete_*"');
    expect(result.answer.split("\n")[1]).toBe("read ok");
  });

  it("a call line whose arguments are not a JSON object makes no calls and says which line", async () => {
    const source = fakeSource({ a: () => text("A") });
    const { result } = await runScripted('call a {}\ncall a {"unclosed": ', [readOnly("a")], source);
    expect(source.calls).toEqual([]);
    expect(result.answer).toContain("line 2");
    expect(result.answer).toContain("call <tool-name> <json-object>");
  });

  it("prose that merely starts with 'call' is not a call line", () => {
    const plan = planCalls("call the search tool and tell me\nCall search {}\ncall search [1]", [fn("search")]);
    // None of these is `call <name> {…}` in lower case: mode (b) picks the search tool.
    expect(plan).toEqual({ kind: "calls", calls: [{ toolName: "search", input: {} }] });
  });
});

describe("armature/scripted, mode (b): best-matching tool", () => {
  it("picks the tool whose name, title and description match the prompt, fills its required arguments, calls it once", async () => {
    const source = fakeSource({
      search_issues: (a) => text(`results for ${JSON.stringify(a)}`),
      create_issue: () => text("created"),
      list_users: () => text("users"),
    });
    const tools: McpToolInfo[] = [
      {
        name: "search_issues",
        description: "Full-text search over the tracker",
        inputSchema: {
          type: "object",
          properties: {
            query: { type: "string" },
            state: { type: "string", enum: ["open", "closed"] },
            limit: { type: "integer" },
            page: { type: "integer", default: 1 },
            verbose: { type: "boolean" },
            label: { type: "string" },
          },
          required: ["query", "state", "limit", "page", "verbose"],
        },
        annotations: { readOnlyHint: true },
      },
      readOnly("create_issue", { description: "Open a new issue" }),
      readOnly("list_users", { description: "Lists users" }),
    ];
    const { result } = await runScripted('Search the issues for "login timeout", show the top 5.', tools, source);
    expect(source.calls).toEqual([
      { name: "search_issues", args: { query: "login timeout", state: "open", limit: 5, page: 1, verbose: false } },
    ]);
    expect(result.answer).toBe(`results for ${JSON.stringify(source.calls[0]!.args)}`);
    expect(result.toolCalls).toHaveLength(1);
  });

  it("scores name words 3, title words 2, description words 1; ties go to the name that sorts first", () => {
    const tools = [
      fn("zeta", "weather forecast lookup"), // description: weather, forecast → 2
      fn("alpha", undefined, undefined, "Weather"), // title: weather → 2
      fn("weather_now"), // name: weather → 3
    ];
    expect(bestTool("What is the weather forecast?", tools)?.name).toBe("weather_now");
    expect(bestTool("forecast weather please", tools.slice(0, 2))?.name).toBe("alpha");
    // Nothing matches: the first name wins.
    expect(bestTool("hello there", tools)?.name).toBe("alpha");
    expect(bestTool("anything", [])).toBeUndefined();
  });

  it("matches words across camelCase, snake_case, plurals and case", () => {
    expect([...words("listOpenIssues get_user-Names the Tools")].sort()).toEqual(["get", "issue", "list", "name", "open", "user"]);
    expect(bestTool("list the open issues", [fn("getUser"), fn("listOpenIssues")])?.name).toBe("listOpenIssues");
  });

  it("takes quoted strings and numbers in order; defaults and enums do not consume them", () => {
    expect(promptValues(`Find "a b" and 'c' (it's “d”), ids 3, -4.5 and v2 in 2024.`)).toEqual({
      strings: ["a b", "c", "d"],
      numbers: [3, -4.5, 2024],
    });
    const schema = {
      type: "object",
      properties: {
        mode: { type: "string", enum: ["fast", "slow"] },
        first: { type: "string" },
        n: { type: "number" },
        second: { type: ["string", "null"] },
        missing: { type: "string" },
        optional: { type: "string" },
      },
      required: ["second", "n", "first", "mode", "missing"],
    };
    expect(fillArguments('x "one" 7 "two"', schema)).toEqual({ mode: "fast", first: "one", n: 7, second: "two" });
  });

  it("with no tools offered it answers a fixed sentence and calls nothing", async () => {
    const source = fakeSource({});
    const { result } = await runScripted("Do something useful.", [], source);
    expect(result.answer).toBe(NO_TOOLS_ANSWER);
    expect(source.calls).toEqual([]);
    expect(result.toolCalls).toEqual([]);
  });

  it("never throws for odd prompts", async () => {
    const source = fakeSource({ echo: (a) => text(JSON.stringify(a)) });
    const tools = [readOnly("echo", { inputSchema: { type: "object", properties: { s: { type: "string" } }, required: ["s"] } })];
    for (const prompt of ["", "   ", "call", "call {}", '"""', "\u0000\uFFFF", "x".repeat(20_000), "call echo {}\u2028call echo {}", "🙂 'unterminated"]) {
      const { result } = await runScripted(prompt, tools, source);
      expect(typeof result.answer).toBe("string");
    }
  });

  it("streams the same content it generates", async () => {
    const model = createScriptedModel();
    const options = {
      prompt: [{ role: "user" as const, content: [{ type: "text" as const, text: "call a {\"x\": 1}" }] }],
      tools: [fn("a")],
    };
    const generated = await model.doGenerate(options);
    expect(generated.content).toEqual([{ type: "tool-call", toolCallId: "scripted-call-1", toolName: "a", input: '{"x":1}' }]);
    const { stream } = await model.doStream(options);
    const parts: LanguageModelV4StreamPart[] = [];
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    expect(parts.map((p) => p.type)).toEqual(["stream-start", "tool-call", "finish"]);
  });
});
