import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import { APICallError } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { AgentFailure, runAgent, TESTER_INSTRUCTIONS, type AgentLimits, type RunAgentOptions } from "../../src/runner/agent/agent";
import { modelToolNames, safeToolName } from "../../src/runner/agent/names";
import { globMatch, isDestructive, offeredTools, refusal, type ToolPolicy } from "../../src/runner/agent/policy";
import { createScriptedModel } from "../../src/runner/agent/scripted";
import { RunFailure, type McpToolInfo, type ToolCallOutcome } from "../../src/runner/types";
import { fakeTrace } from "./fake-trace";

// ---------------------------------------------------------------------------------------------------------
// Fakes: the trace, the MCP side and model answers.

const outcome = (t: string, isError = false): ToolCallOutcome => ({ content: [{ type: "text", text: t }], isError, text: t });

function fakeSource(handler: (name: string, args: Record<string, unknown>) => ToolCallOutcome | Promise<ToolCallOutcome> = (n) => outcome(`${n} ok`)) {
  const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
  return {
    calls,
    callTool: async (name: string, args: Record<string, unknown>) => {
      calls.push({ name, args });
      return handler(name, args);
    },
  };
}

const usage = (input: number, output: number): LanguageModelV4GenerateResult["usage"] => ({
  inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: output, text: output, reasoning: 0 },
});

let callIds = 0;
const toolCalls = (calls: Array<[string, Record<string, unknown>]>, u = usage(10, 5)): LanguageModelV4GenerateResult => ({
  content: calls.map(([toolName, input]) => ({ type: "tool-call", toolCallId: `call-${++callIds}`, toolName, input: JSON.stringify(input) })),
  finishReason: { unified: "tool-calls", raw: "tool_use" },
  usage: u,
  warnings: [],
});
const answer = (text: string, u = usage(10, 5), finish: "stop" | "length" = "stop"): LanguageModelV4GenerateResult => ({
  content: [{ type: "text", text }],
  finishReason: { unified: finish, raw: finish },
  usage: u,
  warnings: [],
});

const readOnly = (name: string, extra: Partial<McpToolInfo> = {}): McpToolInfo => ({
  name,
  inputSchema: { type: "object", properties: { q: { type: "string" } } },
  annotations: { readOnlyHint: true },
  ...extra,
});

const LIMITS: AgentLimits = { maxTurns: 20, maxToolCalls: 50, maxOutputTokens: 4096, maxCostUsd: 5 };
const OPEN: ToolPolicy = { allow: null, deny: [], allowDestructive: false };

type Overrides = Partial<Omit<RunAgentOptions, "model">> & { model: LanguageModelV4 };

function setup({ model, ...overrides }: Overrides, source = fakeSource()) {
  const t = fakeTrace();
  const options: RunAgentOptions = {
    model,
    prompt: "Test the tracker.",
    tools: [readOnly("search"), readOnly("get")],
    policy: OPEN,
    limits: LIMITS,
    pricing: { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
    callTool: source.callTool,
    trace: t.trace,
    parentSpanId: "root",
    maxRetries: 0,
    ...overrides,
  };
  return { options, source, ...t };
}

/** The text of the tool results the model was given in its last request. */
function toolResultsSeen(call: LanguageModelV4CallOptions | undefined): Array<{ type: string; value?: unknown }> {
  return (call?.prompt ?? []).flatMap((m) => (m.role === "tool" ? m.content.flatMap((p) => (p.type === "tool-result" ? [p.output as { type: string; value?: unknown }] : [])) : []));
}

// ---------------------------------------------------------------------------------------------------------

describe("tool policy", () => {
  it("globs: * matches any run of characters, everything else is literal and case-sensitive", () => {
    expect(globMatch("search", "search")).toBe(true);
    expect(globMatch("search", "Search")).toBe(false);
    expect(globMatch("*", "")).toBe(true);
    expect(globMatch("*", "anything.at/all")).toBe(true);
    expect(globMatch("get_*", "get_issue")).toBe(true);
    expect(globMatch("get_*", "get_")).toBe(true);
    expect(globMatch("get_*", "xget_issue")).toBe(false);
    expect(globMatch("*_issue", "get_issue")).toBe(true);
    expect(globMatch("a*b*c", "abc")).toBe(true);
    expect(globMatch("a*b*c", "aXbYbZc")).toBe(true);
    expect(globMatch("a*b*c", "acb")).toBe(false);
    expect(globMatch("a*a", "a")).toBe(false);
    expect(globMatch("github.*", "github.search")).toBe(true);
    expect(globMatch("github.*", "githubXsearch")).toBe(false); // "." is literal
    expect(globMatch("**x**", "yyxyy")).toBe(true);
  });

  it("globs match in time linear-ish in the input: no backtracking blow-up", () => {
    const name = "a".repeat(100_000);
    const pattern = `${"a*".repeat(100)}b`;
    const started = Date.now();
    expect(globMatch(pattern, name)).toBe(false);
    expect(globMatch(`${"a*".repeat(100)}a`, name)).toBe(true);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it("offers the allow list's tools only (all when null) and never the denied ones", () => {
    const tools = ["search_issues", "get_issue", "delete_issue", "admin.reset"].map((n) => readOnly(n));
    const names = (p: ToolPolicy) => offeredTools(tools, p).map((t) => t.name);
    expect(names(OPEN)).toEqual(["search_issues", "get_issue", "delete_issue", "admin.reset"]);
    expect(names({ ...OPEN, deny: ["delete_*", "admin.*"] })).toEqual(["search_issues", "get_issue"]);
    expect(names({ ...OPEN, allow: ["*_issue*"] })).toEqual(["search_issues", "get_issue", "delete_issue"]);
    expect(names({ ...OPEN, allow: ["*_issue*"], deny: ["delete_issue"] })).toEqual(["search_issues", "get_issue"]);
    expect(names({ ...OPEN, allow: [] })).toEqual([]);
  });

  it("destructive by the MCP rules: destructiveHint defaults to true unless the tool is read-only", () => {
    const t = (annotations?: McpToolInfo["annotations"]): McpToolInfo => ({ name: "x", inputSchema: {}, ...(annotations ? { annotations } : {}) });
    expect(isDestructive(t())).toBe(true);
    expect(isDestructive(t({}))).toBe(true);
    expect(isDestructive(t({ readOnlyHint: false }))).toBe(true);
    expect(isDestructive(t({ destructiveHint: true }))).toBe(true);
    expect(isDestructive(t({ readOnlyHint: true }))).toBe(false);
    expect(isDestructive(t({ readOnlyHint: true, destructiveHint: true }))).toBe(false);
    expect(isDestructive(t({ destructiveHint: false }))).toBe(false);
    expect(isDestructive(t({ readOnlyHint: false, destructiveHint: false }))).toBe(false);
  });

  it("refusals say why and how to allow the call, checked deny → allow → unknown → destructive", () => {
    const writer: McpToolInfo = { name: "write_file", inputSchema: {} };
    expect(refusal(writer, "write_file", { allow: null, deny: ["write_*"], allowDestructive: true })).toMatch(
      /matches toolPolicy\.deny pattern "write_\*"\. To allow it, remove that pattern from toolPolicy\.deny\./,
    );
    expect(refusal(writer, "write_file", { allow: ["read_*"], deny: [], allowDestructive: true })).toMatch(/matches no pattern of toolPolicy\.allow.*add it/);
    expect(refusal(undefined, "nope", OPEN)).toMatch(/offers no tool named "nope"/);
    expect(refusal(writer, "write_file", OPEN)).toMatch(/may be destructive.*set toolPolicy\.allowDestructive to true/);
    expect(refusal(writer, "write_file", { ...OPEN, allowDestructive: true })).toBeNull();
    expect(refusal(readOnly("read"), "read", OPEN)).toBeNull();
    // A long hallucinated name is quoted, cut.
    expect(refusal(undefined, "x".repeat(5000), OPEN)!.length).toBeLessThan(400);
  });

  it("model-facing names: safe names unchanged, others made provider-safe and unique", () => {
    expect(safeToolName("search_issues")).toBe("search_issues");
    expect(safeToolName("github.search/issues")).toBe("github_search_issues");
    const map = modelToolNames(["a.b", "a_b", "a/b", "x".repeat(70)]);
    expect(map.toModel.get("a_b")).toBe("a_b");
    expect(map.toModel.get("a.b")).toBe("a_b_2");
    expect(map.toModel.get("a/b")).toBe("a_b_3");
    expect(map.toModel.get("x".repeat(70))).toBe("x".repeat(64));
    expect(map.toSource.get("a_b_2")).toBe("a.b");
  });
});

describe("runAgent: the tool loop", () => {
  it("runs tool calls through callTool, feeds results back, and returns the answer, usage, cost and evidence", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: [toolCalls([["search", { q: "login" }]], usage(100, 20)), answer("Found it: search ok", usage(200, 30))],
    });
    const { options, source, spans } = setup({ model, system: "SKILL: be brief" });
    const started = new Date("2026-01-01T00:00:00Z");
    options.now = () => started;
    const result = await runAgent(options);

    expect(source.calls).toEqual([{ name: "search", args: { q: "login" } }]);
    expect(result.answer).toBe("Found it: search ok");
    expect(result.stoppedBy).toBeNull();
    expect(result.usage).toEqual({ inputTokens: 300, outputTokens: 50 });
    expect(result.costUsd).toBeCloseTo((300 * 3 + 50 * 15) / 1e6, 12);
    expect(result.toolCalls).toEqual([
      {
        id: expect.any(String),
        seq: 0,
        toolName: "search",
        arguments: { q: "login" },
        result: { content: [{ type: "text", text: "search ok" }] },
        text: "search ok",
        isError: false,
        policyRefused: false,
        durationMs: 0,
        startedAt: "2026-01-01T00:00:00.000Z",
      },
    ]);

    // The request: instructions + skill, the prompt, the offered tools with their schemas and the limit.
    const first = model.doGenerateCalls[0]!;
    expect(first.prompt[0]).toEqual({ role: "system", content: `${TESTER_INSTRUCTIONS}\n\nSKILL: be brief` });
    expect(first.tools?.map((t) => t.name)).toEqual(["search", "get"]);
    expect(first.tools?.[0]).toMatchObject({ type: "function", inputSchema: { type: "object", properties: { q: { type: "string" } } } });
    expect(first.maxOutputTokens).toBe(4096);
    expect(toolResultsSeen(model.doGenerateCalls[1])).toEqual([{ type: "text", value: "search ok" }]);

    // The trace: a model span per step with token counts, a tool span per call, all under the parent.
    expect(spans.map((s) => [s.kind, s.name, s.parentId, s.ended])).toEqual([
      ["model", "chat mock-model-id", "root", true],
      ["tool", "tools/call search", "root", true],
      ["model", "chat mock-model-id", "root", true],
    ]);
    expect(spans[0]!.attributes).toMatchObject({ step: 1, inputTokens: 100, outputTokens: 20, finishReason: "tool-calls", toolCalls: 1 });
    expect(spans[1]!.attributes).toMatchObject({ toolName: "search", arguments: { q: "login" }, isError: false, refused: false });
    expect(spans[2]!.attributes).toMatchObject({ step: 2, inputTokens: 200, outputTokens: 30, finishReason: "stop", toolCalls: 0 });
  });

  it("runs several calls of one step in the order the model made them", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: [toolCalls([["get", { q: "1" }], ["search", { q: "2" }], ["get", { q: "3" }]]), answer("done")],
    });
    const { options, source } = setup({ model });
    const result = await runAgent(options);
    expect(source.calls.map((c) => c.args.q)).toEqual(["1", "2", "3"]);
    expect(result.toolCalls.map((c) => [c.seq, c.toolName, c.arguments])).toEqual([
      [0, "get", { q: "1" }],
      [1, "search", { q: "2" }],
      [2, "get", { q: "3" }],
    ]);
  });

  it("an MCP tool name that providers refuse is offered under a safe name and called by its real name", async () => {
    const model = new MockLanguageModelV4({ doGenerate: [toolCalls([["github_search", { q: "x" }]]), answer("ok")] });
    const { options, source } = setup({ model, tools: [readOnly("github.search")] });
    const result = await runAgent(options);
    expect(model.doGenerateCalls[0]!.tools?.map((t) => t.name)).toEqual(["github_search"]);
    expect(source.calls).toEqual([{ name: "github.search", args: { q: "x" } }]);
    expect(result.toolCalls[0]!.toolName).toBe("github.search");
  });

  it("an erroring tool is recorded as an error and the model is told so", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: [toolCalls([["search", { q: "a" }], ["get", { q: "b" }]]), answer("both failed")],
    });
    const source = fakeSource((name) => {
      if (name === "search") return outcome("Error: index unavailable", true);
      throw new Error("socket hang up");
    });
    const { options, spans } = setup({ model }, source);
    const result = await runAgent(options);
    expect(result.toolCalls.map((c) => [c.toolName, c.isError, c.policyRefused, c.text])).toEqual([
      ["search", true, false, "Error: index unavailable"],
      ["get", true, false, "The tool call failed: socket hang up"],
    ]);
    expect(toolResultsSeen(model.doGenerateCalls[1])).toEqual([
      { type: "error-text", value: "Error: index unavailable" },
      { type: "error-text", value: "The tool call failed: socket hang up" },
    ]);
    expect(spans.filter((s) => s.kind === "tool").map((s) => [s.attributes.isError, s.error])).toEqual([
      [true, undefined],
      [true, "socket hang up"],
    ]);
    expect(result.answer).toBe("both failed");
  });

  it("a RunFailure from callTool (the source went away) ends the agent with it, with the evidence so far", async () => {
    const model = new MockLanguageModelV4({ doGenerate: [toolCalls([["search", {}]]), toolCalls([["get", {}]]), answer("never")] });
    const source = fakeSource((name) => {
      if (name === "get") throw new RunFailure("mcp_connection_failed", "The MCP source closed the connection");
      return outcome("fine");
    });
    const { options } = setup({ model }, source);
    const err = await runAgent(options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentFailure);
    expect(err).toMatchObject({ classification: "mcp_connection_failed", message: "The MCP source closed the connection" });
    expect((err as AgentFailure).partial.toolCalls.map((c) => c.toolName)).toEqual(["search"]);
    expect(model.doGenerateCalls).toHaveLength(2);
  });

  it("arguments that are not a JSON object never reach the source", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: [
        { ...toolCalls([]), content: [{ type: "tool-call", toolCallId: "bad", toolName: "search", input: "[1,2]" }] },
        answer("gave up"),
      ],
    });
    const { options, source, events } = setup({ model });
    const result = await runAgent(options);
    expect(source.calls).toEqual([]);
    expect(result.toolCalls).toEqual([]);
    expect(events.map((e) => e.name)).toContain("tool.invalid_arguments");
    expect(toolResultsSeen(model.doGenerateCalls[1])[0]!.type).toBe("error-text");
  });
});

describe("runAgent: tool policy", () => {
  const writer: McpToolInfo = { name: "write_file", description: "Writes a file", inputSchema: { type: "object" } };

  it("refuses a destructive-by-default tool (no annotations) before it leaves the Worker", async () => {
    const model = new MockLanguageModelV4({ doGenerate: [toolCalls([["write_file", { path: "/x" }]]), answer("could not write")] });
    const { options, source, spans } = setup({ model, tools: [writer, readOnly("search")] });
    const result = await runAgent(options);
    expect(source.calls).toEqual([]);
    expect(result.toolCalls).toEqual([
      expect.objectContaining({ seq: 0, toolName: "write_file", arguments: { path: "/x" }, isError: true, policyRefused: true }),
    ]);
    const text = result.toolCalls[0]!.text;
    expect(text).toContain("set toolPolicy.allowDestructive to true");
    expect(result.toolCalls[0]!.result).toEqual({ content: [{ type: "text", text }] });
    expect(toolResultsSeen(model.doGenerateCalls[1])).toEqual([{ type: "error-text", value: text }]);
    expect(spans.find((s) => s.kind === "tool")!.attributes).toMatchObject({ refused: true, isError: true });
  });

  it("calls it when allowDestructive is true; an explicit destructiveHint: false or readOnlyHint is not refused", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: [toolCalls([["write_file", {}], ["safe_write", {}], ["reader", {}]]), answer("ok")],
    });
    const tools = [writer, { name: "safe_write", inputSchema: {}, annotations: { destructiveHint: false } }, readOnly("reader")];
    const { options, source } = setup({ model, tools, policy: { ...OPEN, allowDestructive: true } });
    await runAgent(options);
    expect(source.calls.map((c) => c.name)).toEqual(["write_file", "safe_write", "reader"]);

    const model2 = new MockLanguageModelV4({ doGenerate: [toolCalls([["write_file", {}], ["safe_write", {}], ["reader", {}]]), answer("ok")] });
    const second = setup({ model: model2, tools });
    const result = await runAgent(second.options);
    expect(second.source.calls.map((c) => c.name)).toEqual(["safe_write", "reader"]);
    expect(result.toolCalls.map((c) => c.policyRefused)).toEqual([true, false, false]);
  });

  it("deny globs: the tool is not offered, and a call to it anyway is refused with the deny reason", async () => {
    const model = new MockLanguageModelV4({ doGenerate: [toolCalls([["admin_reset", { all: true }], ["search", {}]]), answer("ok")] });
    const tools = [readOnly("admin_reset"), readOnly("search")];
    const { options, source } = setup({ model, tools, policy: { ...OPEN, deny: ["admin_*"] } });
    const result = await runAgent(options);
    expect(model.doGenerateCalls[0]!.tools?.map((t) => t.name)).toEqual(["search"]);
    expect(source.calls.map((c) => c.name)).toEqual(["search"]);
    expect(result.toolCalls.map((c) => [c.seq, c.toolName, c.policyRefused, c.isError])).toEqual([
      [0, "admin_reset", true, true],
      [1, "search", false, false],
    ]);
    expect(result.toolCalls[0]!.arguments).toEqual({ all: true });
    expect(result.toolCalls[0]!.text).toContain('matches toolPolicy.deny pattern "admin_*"');
    // The model reads the policy's reason, not a generic "unavailable tool".
    expect(toolResultsSeen(model.doGenerateCalls[1])[0]).toEqual({ type: "error-text", value: result.toolCalls[0]!.text });
  });

  it("allow globs: only matching tools are offered; others and unknown names are refused", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: [toolCalls([["get_issue", {}], ["list_users", {}], ["made_up", {}]]), answer("ok")],
    });
    const tools = [readOnly("get_issue"), readOnly("search_issues"), readOnly("list_users")];
    const { options, source } = setup({ model, tools, policy: { ...OPEN, allow: ["*_issue*"] } });
    const result = await runAgent(options);
    expect(model.doGenerateCalls[0]!.tools?.map((t) => t.name)).toEqual(["get_issue", "search_issues"]);
    expect(source.calls.map((c) => c.name)).toEqual(["get_issue"]);
    expect(result.toolCalls.map((c) => [c.toolName, c.policyRefused])).toEqual([
      ["get_issue", false],
      ["list_users", true],
      ["made_up", true],
    ]);
    expect(result.toolCalls[1]!.text).toContain("toolPolicy.allow");
    expect(result.toolCalls[2]!.text).toContain("matches no pattern of toolPolicy.allow");
  });

  it("an unknown tool name with no allow list is refused as not offered by the source", async () => {
    const model = new MockLanguageModelV4({ doGenerate: [toolCalls([["ghost", {}]]), answer("ok")] });
    const { options, source } = setup({ model });
    const result = await runAgent(options);
    expect(source.calls).toEqual([]);
    expect(result.toolCalls[0]).toMatchObject({ toolName: "ghost", policyRefused: true });
    expect(result.toolCalls[0]!.text).toContain('offers no tool named "ghost"');
  });
});

describe("runAgent: limits", () => {
  const looping = () => new MockLanguageModelV4({ doGenerate: async () => toolCalls([["search", {}]]) });

  it("maxTurns: stops after that many model requests when the model still wants to go on", async () => {
    const model = looping();
    const { options, source, events } = setup({ model, limits: { ...LIMITS, maxTurns: 3 } });
    const result = await runAgent(options);
    expect(result.stoppedBy).toBe("maxTurns");
    expect(model.doGenerateCalls).toHaveLength(3);
    expect(source.calls).toHaveLength(3);
    expect(result.toolCalls).toHaveLength(3);
    expect(result.answer).toBe("");
    expect(events).toContainEqual({ spanId: "root", name: "limit.stopped", attributes: { limit: "maxTurns", value: 3 } });
  });

  it("maxTurns: a model that answers within the limit is not stopped", async () => {
    const model = new MockLanguageModelV4({ doGenerate: [toolCalls([["search", {}]]), answer("done")] });
    const { options } = setup({ model, limits: { ...LIMITS, maxTurns: 2 } });
    expect((await runAgent(options)).stoppedBy).toBeNull();
  });

  it("maxToolCalls: counts calls over all steps; the call past the limit is not made and the loop stops", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: [toolCalls([["search", { q: "1" }], ["get", { q: "2" }]]), toolCalls([["search", { q: "3" }], ["get", { q: "4" }]]), answer("x")],
    });
    const { options, source, events } = setup({ model, limits: { ...LIMITS, maxToolCalls: 3 } });
    const result = await runAgent(options);
    expect(result.stoppedBy).toBe("maxToolCalls");
    expect(source.calls.map((c) => c.args.q)).toEqual(["1", "2", "3"]);
    expect(result.toolCalls.map((c) => c.arguments.q)).toEqual(["1", "2", "3"]);
    expect(model.doGenerateCalls).toHaveLength(2);
    expect(events.map((e) => e.name)).toContain("limit.maxToolCalls");
  });

  it("maxToolCalls: exactly the limit and then an answer is not a stop", async () => {
    const model = new MockLanguageModelV4({ doGenerate: [toolCalls([["search", {}]]), answer("done")] });
    const { options } = setup({ model, limits: { ...LIMITS, maxToolCalls: 1 } });
    const result = await runAgent(options);
    expect(result.stoppedBy).toBeNull();
    expect(result.answer).toBe("done");
  });

  it("maxOutputTokens: each request may use what is left of the total; reaching the total stops the loop", async () => {
    const model = new MockLanguageModelV4({ doGenerate: async () => toolCalls([["search", {}]], usage(10, 400)) });
    const { options } = setup({ model, limits: { ...LIMITS, maxOutputTokens: 1000 } });
    const result = await runAgent(options);
    expect(model.doGenerateCalls.map((c) => c.maxOutputTokens)).toEqual([1000, 600, 200]);
    expect(result.stoppedBy).toBe("maxOutputTokens");
    expect(result.usage.outputTokens).toBe(1200);
    expect(result.toolCalls).toHaveLength(3);
  });

  it("maxOutputTokens: an answer cut off at the limit (finish reason length) is a stop", async () => {
    const model = new MockLanguageModelV4({ doGenerate: [answer("The results are", usage(10, 256), "length")] });
    const { options } = setup({ model, limits: { ...LIMITS, maxOutputTokens: 256 } });
    const result = await runAgent(options);
    expect(result.stoppedBy).toBe("maxOutputTokens");
    expect(result.answer).toBe("The results are");
  });

  it("maxCostUsd: usage × pricing past the limit stops the loop", async () => {
    // $3 / $15 per MTok: 100k input + 10k output = $0.45 per step.
    const model = new MockLanguageModelV4({ doGenerate: async () => toolCalls([["search", {}]], usage(100_000, 10_000)) });
    const { options } = setup({ model, limits: { ...LIMITS, maxCostUsd: 1, maxOutputTokens: 64_000 } });
    const result = await runAgent(options);
    expect(result.stoppedBy).toBe("maxCostUsd");
    expect(model.doGenerateCalls).toHaveLength(3);
    expect(result.costUsd).toBeCloseTo(1.35, 10);
  });

  it("maxCostUsd: a final answer that goes over the budget is reported too; a free model never is", async () => {
    const model = new MockLanguageModelV4({ doGenerate: [answer("pricey", usage(1_000_000, 0))] });
    const { options } = setup({ model, limits: { ...LIMITS, maxCostUsd: 0 } });
    const result = await runAgent(options);
    expect(result).toMatchObject({ answer: "pricey", stoppedBy: "maxCostUsd", costUsd: 3 });

    const scripted = setup({ model: createScriptedModel(), prompt: "call search {}", limits: { ...LIMITS, maxCostUsd: 0 }, pricing: { inputUsdPerMTok: 0, outputUsdPerMTok: 0 } });
    expect((await runAgent(scripted.options)).stoppedBy).toBeNull();
  });
});

describe("runAgent: model errors and aborts", () => {
  it("a provider error becomes model_error with the status and message, without secrets or the request", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: async () => {
        throw new APICallError({
          message: "Incorrect API key provided: sk-live-abcdefghijklmnopqrstuvwxyz0123",
          url: "https://api.example.com/v1/chat",
          requestBodyValues: { messages: [{ role: "user", content: "TOP-SECRET PROMPT" }] },
          statusCode: 401,
          isRetryable: false,
        });
      },
    });
    const { options, spans } = setup({ model, knownSecrets: ["sk-live-abcdefghijklmnopqrstuvwxyz0123"] });
    const err = await runAgent(options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailure);
    expect(err).toMatchObject({ classification: "model_error" });
    const message = (err as Error).message;
    expect(message).toContain("HTTP 401");
    expect(message).toContain("Incorrect API key provided");
    expect(message).not.toContain("abcdefghijklmnop");
    expect(message).not.toContain("TOP-SECRET");
    expect(message).not.toContain("api.example.com");
    expect(spans[0]).toMatchObject({ kind: "model", ended: true });
    expect(spans[0]!.error).toBeDefined();
  });

  it("an error in a later step keeps the evidence gathered before it", async () => {
    let n = 0;
    const model = new MockLanguageModelV4({
      doGenerate: async () => {
        if (++n === 1) return toolCalls([["search", {}]]);
        throw new Error("overloaded");
      },
    });
    const { options } = setup({ model });
    const err = (await runAgent(options).catch((e: unknown) => e)) as AgentFailure;
    expect(err).toBeInstanceOf(AgentFailure);
    expect(err.classification).toBe("model_error");
    expect(err.message).toBe("The tester model failed: overloaded");
    expect(err.partial.toolCalls.map((c) => c.toolName)).toEqual(["search"]);
    expect(err.partial.usage).toEqual({ inputTokens: 10, outputTokens: 5 });
  });

  it("an aborted run rejects with the signal's reason, not as a model error", async () => {
    const controller = new AbortController();
    const model = new MockLanguageModelV4({ doGenerate: async () => toolCalls([["search", {}]]) });
    const source = fakeSource(() => {
      controller.abort(new RunFailure("run_timeout", "The run exceeded its time limit"));
      return outcome("late");
    });
    const { options } = setup({ model, signal: controller.signal }, source);
    const err = await runAgent(options).catch((e: unknown) => e);
    expect(err).toMatchObject({ classification: "run_timeout" });
  });
});
