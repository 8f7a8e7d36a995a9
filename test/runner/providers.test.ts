import { describe, expect, it } from "vitest";
import { findModel } from "../../src/models/catalog";
import { AgentFailure, runAgent, type AgentLimits } from "../../src/runner/agent/agent";
import { resolveTesterModel, type ProviderEnv, type ResolvedModel } from "../../src/runner/agent/providers";
import { RunFailure, type McpToolInfo, type ToolCallOutcome, type TraceRecorder } from "../../src/runner/types";

// ---------------------------------------------------------------------------------------------------------
// A mock fetch serving recorded-shape provider answers, and the agent around it.

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

type Answer = { status?: number; headers?: Record<string, string>; body: unknown };

function mockFetch(answers: Answer[]) {
  const seen: Seen[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push({
      url: request.url,
      method: request.method,
      headers: Object.fromEntries(request.headers.entries()),
      body: JSON.parse(await request.text()) as Record<string, unknown>,
    });
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
    return new Response(JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { "content-type": "application/json", ...answer.headers },
    });
  }) as typeof fetch;
  return { fetch: fetchFn, seen };
}

const nullTrace: TraceRecorder = { start: () => "span", end: () => {}, event: () => {} };
const LIMITS: AgentLimits = { maxTurns: 10, maxToolCalls: 10, maxOutputTokens: 1024, maxCostUsd: 5 };
const TOOLS: McpToolInfo[] = [
  {
    name: "search_issues",
    description: "Search the issue tracker",
    inputSchema: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
    annotations: { readOnlyHint: true },
  },
];

function agentWith(resolved: ResolvedModel, maxRetries = 0) {
  const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
  const run = () =>
    runAgent({
      model: resolved.model,
      prompt: "Find the newest login bug.",
      tools: TOOLS,
      policy: { allow: null, deny: [], allowDestructive: false },
      limits: LIMITS,
      pricing: resolved.pricing,
      callTool: async (name, args): Promise<ToolCallOutcome> => {
        calls.push({ name, args });
        return { content: [{ type: "text", text: "#812 Login fails with SSO (open)" }], isError: false, text: "#812 Login fails with SSO (open)" };
      },
      trace: nullTrace,
      parentSpanId: "root",
      maxRetries,
      knownSecrets: resolved.secrets,
    });
  return { run, calls };
}

// Recorded shapes of the real APIs (ids shortened).
const anthropicToolUse = {
  id: "msg_01XFDUDYJgAACzvnptvVoYEL",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-20250514",
  content: [
    { type: "text", text: "I'll search the tracker for login bugs." },
    { type: "tool_use", id: "toolu_01A09q90qw90lq917835lq9", name: "search_issues", input: { query: "login bug" } },
  ],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: { input_tokens: 412, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 58, service_tier: "standard" },
};
const anthropicAnswer = {
  id: "msg_01Aq9w938a90dw8q",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-20250514",
  content: [{ type: "text", text: "The newest login bug is #812: Login fails with SSO (open)." }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 520, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 21, service_tier: "standard" },
};
const openaiToolCalls = {
  id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  object: "chat.completion",
  created: 1741569952,
  model: "gpt-4.1-2025-04-14",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_a1B2c3D4e5", type: "function", function: { name: "search_issues", arguments: '{"query":"login bug"}' } }],
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    },
  ],
  usage: {
    prompt_tokens: 120,
    completion_tokens: 18,
    total_tokens: 138,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
  service_tier: "default",
  system_fingerprint: "fp_7e2c8a5c1b",
};
const openaiAnswer = {
  id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcU",
  object: "chat.completion",
  created: 1741569953,
  model: "gpt-4.1-2025-04-14",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "The newest login bug is #812.", refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 170, completion_tokens: 9, total_tokens: 179 },
  service_tier: "default",
  system_fingerprint: "fp_7e2c8a5c1b",
};

const ANTHROPIC_KEY = "sk-ant-api03-TESTKEYabcdefghijklmnopqrstuvwxyz0123456789";
const OPENAI_KEY = "sk-proj-TESTKEYabcdefghijklmnopqrstuvwxyz0123456789";

// ---------------------------------------------------------------------------------------------------------

describe("resolveTesterModel", () => {
  it("serves armature/scripted without any configuration, at price 0", () => {
    const r = resolveTesterModel("armature/scripted", {});
    expect(r).toMatchObject({ modelId: "armature/scripted", provider: "armature", pricing: { inputUsdPerMTok: 0, outputUsdPerMTok: 0 }, secrets: [] });
  });

  it("a provider that is not configured is model_not_configured, naming the missing secret, binding or variable", () => {
    const failure = (id: string, env: ProviderEnv = {}) => {
      try {
        resolveTesterModel(id, env);
      } catch (e) {
        expect(e).toBeInstanceOf(RunFailure);
        expect((e as RunFailure).classification).toBe("model_not_configured");
        return (e as RunFailure).message;
      }
      throw new Error(`${id} resolved`);
    };
    expect(failure("claude-sonnet-4")).toContain("ANTHROPIC_API_KEY");
    expect(failure("claude-sonnet-4", { ANTHROPIC_API_KEY: "  " })).toContain("ANTHROPIC_API_KEY");
    expect(failure("gpt-4.1")).toContain("OPENAI_API_KEY");
    expect(failure("@cf/meta/llama-3.3-70b-instruct-fp8-fast")).toContain("binding AI");
    expect(failure("compatible/llama3")).toContain("ARMATURE_OPENAI_COMPATIBLE_BASE_URL");
    expect(failure("compatible/llama3", { ARMATURE_OPENAI_COMPATIBLE_BASE_URL: "ftp://x" })).toContain("http(s)");
    expect(
      failure("compatible/llama3", { ARMATURE_OPENAI_COMPATIBLE_BASE_URL: "https://llm.example/v1", ARMATURE_OPENAI_COMPATIBLE_INPUT_USD_PER_MTOK: "cheap" }),
    ).toContain("ARMATURE_OPENAI_COMPATIBLE_INPUT_USD_PER_MTOK");
    expect(failure("no-such-model")).toContain("not in the model catalog");
  });

  it("uses the catalog's prices; compatible/<model> ids are known to the catalog and priced by the deployment", () => {
    expect(resolveTesterModel("claude-sonnet-4", { ANTHROPIC_API_KEY: ANTHROPIC_KEY })).toMatchObject({
      provider: "anthropic",
      pricing: { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
      secrets: [ANTHROPIC_KEY],
    });
    expect(findModel("compatible/qwen2.5:7b-instruct")).toMatchObject({ provider: "openai-compatible", providerModel: "qwen2.5:7b-instruct", uses: ["tester", "judge"] });
    expect(findModel("compatible/")).toBeUndefined();
    expect(findModel("compatible/ spaced")).toBeUndefined();
    const r = resolveTesterModel("compatible/qwen2.5:7b-instruct", {
      ARMATURE_OPENAI_COMPATIBLE_BASE_URL: "https://llm.example/v1",
      ARMATURE_OPENAI_COMPATIBLE_INPUT_USD_PER_MTOK: "0.5",
      ARMATURE_OPENAI_COMPATIBLE_OUTPUT_USD_PER_MTOK: "1.5",
    });
    expect(r.pricing).toEqual({ inputUsdPerMTok: 0.5, outputUsdPerMTok: 1.5 });
    expect(resolveTesterModel("compatible/x", { ARMATURE_OPENAI_COMPATIBLE_BASE_URL: "https://llm.example/v1" }).pricing).toEqual({
      inputUsdPerMTok: 0,
      outputUsdPerMTok: 0,
    });
  });
});

describe("Anthropic Messages API (recorded shapes, mock fetch)", () => {
  it("runs the tool loop: tool_use → tools/call → tool_result → answer, with usage and cost", async () => {
    const mock = mockFetch([{ body: anthropicToolUse }, { body: anthropicAnswer }]);
    const resolved = resolveTesterModel("claude-sonnet-4", { ANTHROPIC_API_KEY: ANTHROPIC_KEY }, { fetch: mock.fetch });
    const { run, calls } = agentWith(resolved);
    const result = await run();

    expect(calls).toEqual([{ name: "search_issues", args: { query: "login bug" } }]);
    expect(result.answer).toBe("The newest login bug is #812: Login fails with SSO (open).");
    expect(result.usage).toEqual({ inputTokens: 932, outputTokens: 79 });
    expect(result.costUsd).toBeCloseTo((932 * 3 + 79 * 15) / 1e6, 12);
    expect(result.stoppedBy).toBeNull();

    expect(mock.seen).toHaveLength(2);
    const [first, second] = mock.seen as [Seen, Seen];
    expect(first.url).toBe("https://api.anthropic.com/v1/messages");
    expect(first.headers["x-api-key"]).toBe(ANTHROPIC_KEY);
    expect(first.body).toMatchObject({ model: "claude-sonnet-4-20250514", max_tokens: 1024 });
    expect(first.body.tools).toEqual([
      expect.objectContaining({ name: "search_issues", input_schema: expect.objectContaining({ type: "object", required: ["query"] }) }),
    ]);
    // The tool result goes back as a tool_result block for the tool_use id.
    const messages = second.body.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    expect(messages.at(-1)!.content).toEqual([
      expect.objectContaining({ type: "tool_result", tool_use_id: "toolu_01A09q90qw90lq917835lq9", content: "#812 Login fails with SSO (open)" }),
    ]);
  });

  it("an error answer is model_error with the provider's message and never the key", async () => {
    const mock = mockFetch([
      { status: 401, body: { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" }, request_id: "req_011CSHoEeqs5C35K2UUqR7Fy" } },
    ]);
    const resolved = resolveTesterModel("claude-sonnet-4", { ANTHROPIC_API_KEY: ANTHROPIC_KEY }, { fetch: mock.fetch });
    const err = await agentWith(resolved).run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentFailure);
    expect(err).toMatchObject({ classification: "model_error" });
    expect((err as Error).message).toBe("The tester model failed: the provider answered HTTP 401: invalid x-api-key");
    expect((err as Error).message).not.toContain(ANTHROPIC_KEY);
  });

  it("429: retried after the provider's retry-after, then served", async () => {
    const limited: Answer = {
      status: 429,
      headers: { "retry-after": "0" },
      body: { type: "error", error: { type: "rate_limit_error", message: "Number of request tokens has exceeded your per-minute rate limit" } },
    };
    const mock = mockFetch([limited, { body: anthropicAnswer }]);
    const resolved = resolveTesterModel("claude-sonnet-4", { ANTHROPIC_API_KEY: ANTHROPIC_KEY }, { fetch: mock.fetch });
    const result = await agentWith(resolved, 2).run();
    expect(mock.seen).toHaveLength(2);
    expect(result.answer).toContain("#812");
  });

  it("429 past the retries: model_error saying it was rate-limited", async () => {
    const mock = mockFetch([
      {
        status: 429,
        headers: { "retry-after": "0" },
        body: { type: "error", error: { type: "rate_limit_error", message: "Number of request tokens has exceeded your per-minute rate limit" } },
      },
    ]);
    const resolved = resolveTesterModel("claude-sonnet-4", { ANTHROPIC_API_KEY: ANTHROPIC_KEY }, { fetch: mock.fetch });
    const err = await agentWith(resolved, 1).run().catch((e: unknown) => e);
    expect(mock.seen).toHaveLength(2);
    expect(err).toMatchObject({ classification: "model_error" });
    expect((err as Error).message).toContain("rate-limited the request (HTTP 429)");
    expect((err as Error).message).toContain("per-minute rate limit");
  });
});

describe("OpenAI Chat Completions (recorded shapes, mock fetch)", () => {
  it("runs the tool loop: tool_calls → tools/call → tool message → answer, with usage and cost", async () => {
    const mock = mockFetch([{ body: openaiToolCalls }, { body: openaiAnswer }]);
    const resolved = resolveTesterModel("gpt-4.1", { OPENAI_API_KEY: OPENAI_KEY }, { fetch: mock.fetch });
    const { run, calls } = agentWith(resolved);
    const result = await run();

    expect(calls).toEqual([{ name: "search_issues", args: { query: "login bug" } }]);
    expect(result.answer).toBe("The newest login bug is #812.");
    expect(result.usage).toEqual({ inputTokens: 290, outputTokens: 27 });
    expect(result.costUsd).toBeCloseTo((290 * 2 + 27 * 8) / 1e6, 12);

    const [first, second] = mock.seen as [Seen, Seen];
    expect(first.url).toBe("https://api.openai.com/v1/chat/completions");
    expect(first.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(first.body).toMatchObject({ model: "gpt-4.1" });
    expect(first.body.tools).toEqual([
      expect.objectContaining({ type: "function", function: expect.objectContaining({ name: "search_issues" }) }),
    ]);
    const messages = second.body.messages as Array<Record<string, unknown>>;
    expect(messages.at(-1)).toEqual(expect.objectContaining({ role: "tool", tool_call_id: "call_a1B2c3D4e5", content: "#812 Login fails with SSO (open)" }));
  });

  it("an error answer is model_error, and a key echoed in the provider's message is scrubbed", async () => {
    const mock = mockFetch([
      {
        status: 401,
        body: { error: { message: `Incorrect API key provided: ${OPENAI_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`, type: "invalid_request_error", param: null, code: "invalid_api_key" } },
      },
    ]);
    const resolved = resolveTesterModel("gpt-4.1", { OPENAI_API_KEY: OPENAI_KEY }, { fetch: mock.fetch });
    const err = await agentWith(resolved).run().catch((e: unknown) => e);
    expect(err).toMatchObject({ classification: "model_error" });
    expect((err as Error).message).toContain("HTTP 401: Incorrect API key provided: [REDACTED]");
    expect((err as Error).message).not.toContain("TESTKEY");
  });

  it("429 without retries left: model_error", async () => {
    const mock = mockFetch([
      { status: 429, headers: { "retry-after-ms": "1" }, body: { error: { message: "Rate limit reached for gpt-4.1 on tokens per min (TPM)", type: "tokens", param: null, code: "rate_limit_exceeded" } } },
    ]);
    const resolved = resolveTesterModel("gpt-4.1", { OPENAI_API_KEY: OPENAI_KEY }, { fetch: mock.fetch });
    const err = await agentWith(resolved).run().catch((e: unknown) => e);
    expect(err).toMatchObject({ classification: "model_error" });
    expect((err as Error).message).toContain("HTTP 429");
  });
});

describe("OpenAI-compatible endpoint and Workers AI", () => {
  it("compatible/<model> speaks Chat Completions to the configured base URL with its optional key", async () => {
    const mock = mockFetch([{ body: { ...openaiToolCalls, model: "llama3.1:8b" } }, { body: { ...openaiAnswer, model: "llama3.1:8b" } }]);
    const resolved = resolveTesterModel(
      "compatible/llama3.1:8b",
      { ARMATURE_OPENAI_COMPATIBLE_BASE_URL: "https://llm.internal.example/v1/", ARMATURE_OPENAI_COMPATIBLE_API_KEY: "local-key-123456" },
      { fetch: mock.fetch },
    );
    const { run, calls } = agentWith(resolved);
    const result = await run();
    expect(calls).toHaveLength(1);
    expect(result.answer).toBe("The newest login bug is #812.");
    expect(result.usage).toEqual({ inputTokens: 290, outputTokens: 27 });
    expect(mock.seen[0]!.url).toBe("https://llm.internal.example/v1/chat/completions");
    expect(mock.seen[0]!.headers.authorization).toBe("Bearer local-key-123456");
    expect(mock.seen[0]!.body.model).toBe("llama3.1:8b");
  });

  it("Workers AI models run through the AI binding (native response shape with tool_calls and usage)", async () => {
    const inputs: Array<{ model: string; inputs: Record<string, unknown> }> = [];
    const answers = [
      { response: "", tool_calls: [{ name: "search_issues", arguments: { query: "login bug" } }], usage: { prompt_tokens: 300, completion_tokens: 20, total_tokens: 320 } },
      { response: "The newest login bug is #812.", tool_calls: [], usage: { prompt_tokens: 350, completion_tokens: 10, total_tokens: 360 } },
    ];
    const AI = {
      run: async (model: string, body: Record<string, unknown>) => {
        inputs.push({ model, inputs: body });
        return answers[inputs.length - 1];
      },
    } as unknown as Ai;
    const resolved = resolveTesterModel("@cf/meta/llama-3.3-70b-instruct-fp8-fast", { AI });
    const { run, calls } = agentWith(resolved);
    const result = await run();
    expect(calls).toEqual([{ name: "search_issues", args: { query: "login bug" } }]);
    expect(result.answer).toBe("The newest login bug is #812.");
    expect(result.usage).toEqual({ inputTokens: 650, outputTokens: 30 });
    expect(result.costUsd).toBeCloseTo((650 * 0.29 + 30 * 2.25) / 1e6, 12);
    expect(inputs[0]!.model).toBe("@cf/meta/llama-3.3-70b-instruct-fp8-fast");
    expect(inputs[0]!.inputs.tools).toBeDefined();
  });
});
