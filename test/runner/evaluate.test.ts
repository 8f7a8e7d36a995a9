import type { LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import { APICallError } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { CHECKS_ONLY_JUDGE_ID, evaluateRun, toStoredEvaluation, type EvaluateRunInput, type WorkflowCriterion } from "../../src/runner/evaluate/evaluate";
import { clip, excerptAround, failedByPolicy, MAX_EXCERPT_LENGTH, runCheck, type CriterionCheck } from "../../src/runner/evaluate/checks";
import { contentWords, createModelJudge, heuristicJudge, HEURISTIC_JUDGE_ID, stem, type Judge } from "../../src/runner/evaluate/judge";
import { compilePattern, findMatch, MAX_MATCH_INPUT, StepBudget, type CompiledPattern } from "../../src/runner/evaluate/pattern";
import { RunFailure, type RecordedToolCall } from "../../src/runner/types";
import { StoredCriterionResults } from "../../src/runs/records";
import { CriterionResultSchema } from "../../src/runs/schemas";

// ---------------------------------------------------------------------------------------------------------
// Evidence

let seq = 0;
function call(toolName: string, text: string, extra: Partial<RecordedToolCall> = {}): RecordedToolCall {
  return {
    id: `c${seq}`,
    seq: seq++,
    toolName,
    arguments: {},
    result: { content: [{ type: "text", text }] },
    text,
    isError: false,
    policyRefused: false,
    durationMs: 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    ...extra,
  };
}
const refusedCall = (toolName: string, args: Record<string, unknown> = {}) =>
  call(toolName, `Tool '${toolName}' is not allowed by this workflow's tool policy`, { isError: true, policyRefused: true, arguments: args });

const SUM = call("get-sum", "5", { arguments: { a: 2, b: 3, opts: { round: true, tags: ["x", "y"] } } });
const SEARCH = call("search_issues", "Found 3 open issues: #12 Login fails, #15 Crash on save, #19 Slow search");
const FAILED = call("get-issue", "Error: issue 99 not found", { isError: true, arguments: { id: 99 } });
const ANSWER = "The most recent open issue is #19 (Slow search). In total there are 3 open issues; the sum is 5.";
const evidence = (toolCalls: RecordedToolCall[] = [SUM, SEARCH], answer = ANSWER) => ({ answer, toolCalls });

function compiled(source: string, flags = ""): CompiledPattern {
  const c = compilePattern(source, flags);
  if ("problem" in c) throw new Error(c.problem);
  return c;
}

// ---------------------------------------------------------------------------------------------------------

describe("patterns", () => {
  it("finds the match JavaScript finds, for the supported syntax and flags", () => {
    const patterns = [
      "a", "ab|cd", "a*b", "a*?b", "(ab)+c", "^foo", "bar$", "\\bfoo\\b", "\\d{2,4}", "\\d{2,4}?", "[a-c]+x?", "colou?r", "(?:x|y)*z",
      ".*z", ".*?z", "a.c", "\\w+@\\w+\\.com", "[^ ]+", "(?<n>ab|a)(c|bcd)", "x{0}", "(?:)", "^$", "(a|ab)(c|bcd)(d*)", "\\Bb", "a{3}",
      "[\\s\\S]{2}q", "\\u0041", "\\x41+", "café", "(|a)+", "(a|)b", "^\\d+$", "\\p{Lu}", "😀+", ".",
    ];
    const texts = [
      "abcd", "aab", "xxabcabcc", "foo bar", "a foo b", "12345", "abcabx", "color colour", "xyxyz", "zz", "a\nc", "bob@mail.com",
      "one two", "", "AAA", "qq\nq", "Café CAFÉ", "aaab", "line1\nline2\n42", "😀😀 x", "Ünïcode",
    ];
    let compared = 0;
    for (const source of patterns) {
      for (const flags of ["", "i", "m", "s", "u", "imsu"]) {
        if (source === "\\p{Lu}" && !flags.includes("u")) continue;
        const p = compiled(source, flags);
        const re = new RegExp(source, flags);
        for (const text of texts) {
          const m = re.exec(text);
          expect(findMatch(p, text), `${re} on ${JSON.stringify(text)}`).toEqual(m ? { start: m.index, end: m.index + m[0].length } : null);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(4000);
  });

  it("refuses what it does not support, naming why", () => {
    const problem = (source: string, flags = "") => {
      const c = compilePattern(source, flags);
      return "problem" in c ? c.problem : null;
    };
    expect(problem("(a+)+")).toMatch(/Nested quantifiers/);
    expect(problem("(\\w*\\s)*x")).toMatch(/Nested quantifiers/);
    expect(problem("(a?){2,}")).toMatch(/Nested quantifiers/);
    expect(problem("((ab)|c+)*")).toMatch(/Nested quantifiers/);
    expect(problem("(a+)?")).toBeNull(); // not repeated: at most once
    expect(problem("(a|b)+c*")).toBeNull();
    expect(problem("(?=a)b")).toMatch(/Lookahead/);
    expect(problem("(?<!a)b")).toMatch(/Lookbehind/);
    expect(problem("(a)\\1")).toMatch(/Backreferences/);
    expect(problem("(?<x>a)\\k<x>")).toMatch(/Backreferences/);
    expect(problem("a{1001}")).toMatch(/above 1000/);
    expect(problem("[a-z]{1000}")).toMatch(/too complex/);
    expect(problem("[")).toMatch(/^Not a valid regular expression/);
    expect(problem("a".repeat(501))).toMatch(/At most 500/);
    expect(problem("a", "g")).toMatch(/flags i, m, s and u/);
    expect(problem("a", "ii")).toMatch(/flags i, m, s and u/);
    expect(problem("\\p{L}", "u")).toBeNull();
    expect(problem("\\p{L}")).toBe("\\p{…} needs the u flag");
    expect(problem("[\\p{L}]")).toBe("\\p{…} needs the u flag");
    expect(problem("\\q")).toBe("Unknown escape \\q");
    expect(problem("\\x4")).toBe("\\x must be followed by two hex digits");
    expect(problem("[\\b\\]]\\.\\$")).toBeNull();
  });

  it("stays linear where JavaScript backtracks for seconds, and reads only the first 64 KiB", () => {
    const text = "a".repeat(MAX_MATCH_INPUT);
    const started = Date.now();
    for (const source of [".*x", ".*.*.*x", "(a|aa)*b", "(?:a|a)*$x", "\\w*\\w*\\w*y"]) expect(findMatch(compiled(source), text)).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(findMatch(compiled("needle"), `${"a".repeat(MAX_MATCH_INPUT)}needle`)).toBeNull();
    expect(findMatch(compiled("needle"), `${"a".repeat(MAX_MATCH_INPUT - 6)}needle`)).toEqual({ start: MAX_MATCH_INPUT - 6, end: MAX_MATCH_INPUT });
  });

  it("gives up deterministically when the step budget runs out", () => {
    expect(findMatch(compiled("[\\s\\S]{0,400}x"), "a".repeat(MAX_MATCH_INPUT), new StepBudget(1_000_000))).toBe("budget");
    const r = runCheck({ type: "answer_matches", pattern: "[\\s\\S]{0,450}x" }, evidence([], "a".repeat(MAX_MATCH_INPUT)));
    expect(r.passed).toBe(false);
    expect(r.reasoning).toMatch(/needed more than \d+ steps/);
  });
});

describe("checks", () => {
  it("tool_called: passes when the tool was called, with the arguments given as a subset", () => {
    const plain = runCheck({ type: "tool_called", tool: "get-sum" }, evidence());
    expect(plain).toEqual({ passed: true, reasoning: "'get-sum' was called once.", excerpts: [expect.stringMatching(/^get-sum\(\{"a":2,"b":3.*\) → 5$/)] });
    const subset = runCheck({ type: "tool_called", tool: "get-sum", arguments: { a: 2, opts: { tags: ["x", "y"], round: true } } }, evidence());
    expect(subset.passed).toBe(true);
    expect(subset.reasoning).toContain(`call #${SUM.seq} has the arguments`);
  });

  it("tool_called: fails when the tool was not called, or no call had the arguments (deep equality)", () => {
    const never = runCheck({ type: "tool_called", tool: "delete_issue" }, evidence());
    expect(never).toEqual({ passed: false, reasoning: "'delete_issue' was never called. Tools called: 'get-sum', 'search_issues'.", excerpts: [] });
    const wrong = runCheck({ type: "tool_called", tool: "get-sum", arguments: { a: 3 } }, evidence());
    expect(wrong.passed).toBe(false);
    expect(wrong.reasoning).toBe(`'get-sum' was called once, but no call had the arguments {"a":3}.`);
    expect(wrong.excerpts).toHaveLength(1);
    expect(runCheck({ type: "tool_called", tool: "get-sum", arguments: { opts: { round: true } } }, evidence()).passed).toBe(false); // nested objects are equal whole
    expect(runCheck({ type: "tool_called", tool: "get-sum", arguments: { a: "2" } }, evidence()).passed).toBe(false);
    expect(runCheck({ type: "tool_called", tool: "get-sum", arguments: { c: null } }, evidence()).passed).toBe(false);
    expect(runCheck({ type: "tool_called", tool: "get-sum" }, evidence([])).reasoning).toBe("'get-sum' was never called. No tool was called.");
  });

  it("tool_called: an error answer is still a call; a refused attempt is not", () => {
    const errored = runCheck({ type: "tool_called", tool: "get-issue", arguments: { id: 99 } }, evidence([FAILED]));
    expect(errored.passed).toBe(true);
    expect(errored.reasoning).toMatch(/answered an error/);
    const refused = runCheck({ type: "tool_called", tool: "delete_issue" }, evidence([refusedCall("delete_issue"), SEARCH]));
    expect(refused.passed).toBe(false);
    expect(refused.reasoning).toMatch(/tool policy refused the one attempt.*does not count/);
    expect(refused.excerpts).toEqual(["delete_issue({}) → refused by the tool policy"]);
    expect(failedByPolicy({ type: "tool_called", tool: "delete_issue" }, [refusedCall("delete_issue")])).toBe(true);
    expect(failedByPolicy({ type: "tool_called", tool: "delete_issue" }, [])).toBe(false);
    expect(failedByPolicy({ type: "answer_matches", pattern: "x" }, [refusedCall("x")])).toBe(false);
  });

  it("tool_not_called: passes when the tool was not called; refused attempts are noted, not counted", () => {
    expect(runCheck({ type: "tool_not_called", tool: "delete_issue" }, evidence())).toEqual({
      passed: true,
      reasoning: "'delete_issue' was not called.",
      excerpts: [],
    });
    const failed = runCheck({ type: "tool_not_called", tool: "search_issues" }, evidence());
    expect(failed).toMatchObject({ passed: false, reasoning: "'search_issues' was called once." });
    expect(failed.excerpts[0]).toMatch(/^search_issues\(\{\}\) → Found 3 open issues/);
    const refused = runCheck({ type: "tool_not_called", tool: "delete_issue" }, evidence([refusedCall("delete_issue"), refusedCall("delete_issue")]));
    expect(refused.passed).toBe(true);
    expect(refused.reasoning).toMatch(/attempted it 2 times.*refused each attempt/);
  });

  it("no_tool_errors: fails on error results, quoting them; refusals are not tool errors", () => {
    expect(runCheck({ type: "no_tool_errors" }, evidence())).toEqual({ passed: true, reasoning: "None of the 2 tool calls answered an error.", excerpts: [] });
    const failed = runCheck({ type: "no_tool_errors" }, evidence([SUM, FAILED]));
    expect(failed.passed).toBe(false);
    expect(failed.reasoning).toBe(`1 of 2 tool calls answered an error: 'get-issue' (#${FAILED.seq}).`);
    expect(failed.excerpts).toEqual(['get-issue({"id":99}) → error: Error: issue 99 not found']);
    const refused = runCheck({ type: "no_tool_errors" }, evidence([SUM, refusedCall("delete_issue")]));
    expect(refused.passed).toBe(true);
    expect(refused.reasoning).toMatch(/1 attempt refused by the tool policy is not counted as tool errors/);
    expect(runCheck({ type: "no_tool_errors" }, evidence([])).reasoning).toBe("No tool was called, so no tool answered an error.");
  });

  it("answer_matches: quotes the match, honours flags, fails on no match or an empty answer", () => {
    const hit = runCheck({ type: "answer_matches", pattern: "#\\d+ \\(slow search\\)", flags: "i" }, evidence());
    expect(hit).toEqual({ passed: true, reasoning: "The answer matches /#\\d+ \\(slow search\\)/i.", excerpts: [ANSWER] });
    expect(runCheck({ type: "answer_matches", pattern: "#\\d+ \\(slow search\\)" }, evidence()).passed).toBe(false);
    const miss = runCheck({ type: "answer_matches", pattern: "\\b42\\b" }, evidence());
    expect(miss).toEqual({ passed: false, reasoning: `The answer (${ANSWER.length} characters) does not match /\\b42\\b/.`, excerpts: [ANSWER] });
    expect(runCheck({ type: "answer_matches", pattern: "x" }, evidence([], ""))).toEqual({
      passed: false,
      reasoning: "The answer is empty, so it does not match /x/.",
      excerpts: [],
    });
    expect(runCheck({ type: "answer_matches", pattern: "^the sum is 5\\.$", flags: "m" }, evidence([], "Hello\nthe sum is 5.\nBye")).passed).toBe(true);
  });

  it("answer_matches: the excerpt is the text around the match, at most 300 characters", () => {
    const long = `${"lorem ipsum ".repeat(100)}THE ANSWER IS 42${" dolor sit".repeat(100)}`;
    const r = runCheck({ type: "answer_matches", pattern: "ANSWER IS \\d+" }, evidence([], long));
    expect(r.passed).toBe(true);
    expect(r.excerpts).toHaveLength(1);
    expect(r.excerpts[0]!.length).toBeLessThanOrEqual(MAX_EXCERPT_LENGTH);
    expect(r.excerpts[0]).toContain("THE ANSWER IS 42");
    expect(r.excerpts[0]!.startsWith("…") && r.excerpts[0]!.endsWith("…")).toBe(true);
    const miss = runCheck({ type: "answer_matches", pattern: "nope" }, evidence([], long));
    expect(miss.excerpts[0]!.length).toBe(MAX_EXCERPT_LENGTH);
  });

  it("tool_result_matches: matches a result of the named tool; never called or refused fails", () => {
    const hit = runCheck({ type: "tool_result_matches", tool: "search_issues", pattern: "(\\d+) open issues" }, evidence());
    expect(hit.passed).toBe(true);
    expect(hit.reasoning).toBe(`The result of 'search_issues' call #${SEARCH.seq} matches /(\\d+) open issues/.`);
    expect(hit.excerpts).toEqual([`search_issues #${SEARCH.seq} → ${SEARCH.text}`]);
    const wrongTool = runCheck({ type: "tool_result_matches", tool: "get-sum", pattern: "open issues" }, evidence());
    expect(wrongTool).toMatchObject({ passed: false, reasoning: "None of the 1 result of 'get-sum' matches /open issues/." });
    expect(runCheck({ type: "tool_result_matches", tool: "nope", pattern: "x" }, evidence()).reasoning).toMatch(/^'nope' was never called/);
    const refused = runCheck({ type: "tool_result_matches", tool: "delete_issue", pattern: "deleted" }, evidence([refusedCall("delete_issue")]));
    expect(refused.passed).toBe(false);
    expect(failedByPolicy({ type: "tool_result_matches", tool: "delete_issue", pattern: "deleted" }, [refusedCall("delete_issue")])).toBe(true);
    const errorResult = runCheck({ type: "tool_result_matches", tool: "get-issue", pattern: "not found" }, evidence([FAILED]));
    expect(errorResult).toMatchObject({ passed: true, reasoning: expect.stringContaining("(an error result)") });
    const structured = call("stats", "", { result: { structuredContent: { total: 17 } } });
    expect(runCheck({ type: "tool_result_matches", tool: "stats", pattern: '"total":17' }, evidence([structured])).passed).toBe(true);
  });

  it("max_tool_calls: counts the calls that reached the source", () => {
    expect(runCheck({ type: "max_tool_calls", max: 2 }, evidence())).toEqual({
      passed: true,
      reasoning: "2 tool calls, within the maximum of 2.",
      excerpts: ["get-sum ×1, search_issues ×1"],
    });
    expect(runCheck({ type: "max_tool_calls", max: 1 }, evidence([SUM, SUM, SEARCH]))).toEqual({
      passed: false,
      reasoning: "3 tool calls, more than the maximum of 1.",
      excerpts: ["get-sum ×2, search_issues ×1"],
    });
    const refused = runCheck({ type: "max_tool_calls", max: 0 }, evidence([refusedCall("x")]));
    expect(refused).toMatchObject({ passed: true, reasoning: "0 tool calls, within the maximum of 0. 1 attempt refused by the tool policy is not counted." });
  });

  it("caps every excerpt at 300 characters", () => {
    const big = call("dump", "z".repeat(5000), { arguments: { q: "y".repeat(500) } });
    for (const check of [
      { type: "tool_called", tool: "dump" },
      { type: "tool_not_called", tool: "dump" },
      { type: "tool_result_matches", tool: "dump", pattern: "z{3}" },
      { type: "answer_matches", pattern: "q" },
    ] satisfies CriterionCheck[]) {
      for (const e of runCheck(check, evidence([big], "w".repeat(2000))).excerpts) expect(e.length).toBeLessThanOrEqual(MAX_EXCERPT_LENGTH);
    }
    expect(clip("abc", 2)).toBe("a…");
    expect(excerptAround("0123456789", 4, 5, 6)).toBe("…3456…");
  });
});

describe("the heuristic judge", () => {
  const judge = (criterionText: string, ev = evidence()) => heuristicJudge.judge({ criterionText, isRequired: true }, ev);

  it("stems and drops stop words", () => {
    expect(contentWords("Returned at least one open issue and summarized it").map((w) => w.word)).toEqual(["open", "issue", "summarized"]);
    expect(["issues", "issue"].map(stem)).toEqual(["issu", "issu"]);
    expect(["summarized", "summarize", "summarizes"].map(stem)).toEqual(["summariz", "summariz", "summariz"]);
    expect(["summary", "summaries"].map(stem)).toEqual(["summari", "summari"]);
    expect(["running", "run", "runs"].map(stem)).toEqual(["run", "run", "run"]);
  });

  it("passes when enough content words appear in the answer or the successful tool results, quoting them", async () => {
    const r = await judge("Mentions the most recent open issue and how many issues are open");
    expect(r.passed).toBe(true);
    expect(r.reasoning).toBe("Heuristic judge: found 3 of 3 content words ('recent', 'open', 'issue') in the answer. Passes: needs 2 (60%, rounded up).");
    expect(r.excerpts.length).toBeGreaterThan(0);
    expect(r.excerpts[0]).toContain("recent open issue");
    const fromTool = await judge("Lists the crash on save", evidence([SEARCH], "Done."));
    expect(fromTool.passed).toBe(true);
    expect(fromTool.reasoning).toBe(
      `Heuristic judge: found 2 of 3 content words ('crash', 'save') in search_issues #${SEARCH.seq}; missing 'lists'. Passes: needs 2 (60%, rounded up).`,
    );
    expect(fromTool.excerpts[0]).toContain("Crash on save");
  });

  it("fails when too few content words appear, naming the missing ones", async () => {
    const r = await judge("Explains the deployment pipeline architecture");
    expect(r).toEqual({
      passed: false,
      reasoning: "Heuristic judge: found 0 of 4 content words; missing 'explains', 'deployment', 'pipeline', 'architecture'. Fails: needs 3 (60%, rounded up).",
      excerpts: [],
    });
    const some = await judge("Open issue deployment pipeline architecture");
    expect(some.passed).toBe(false);
    expect(some.reasoning).toBe(
      "Heuristic judge: found 2 of 5 content words ('open', 'issue') in the answer; missing 'deployment', 'pipeline', 'architecture'. Fails: needs 3 (60%, rounded up).",
    );
    const spread = await judge("Crash fixed in issue 19", evidence([SEARCH], "Issue 19 is done."));
    expect(spread.reasoning).toBe(
      `Heuristic judge: found 3 of 4 content words ('crash', 'issue', '19') in the answer and search_issues #${SEARCH.seq}; missing 'fixed'. Passes: needs 3 (60%, rounded up).`,
    );
  });

  it("ignores error results and refused calls, and refuses a criterion of only common words", async () => {
    const onlyError = await judge("issue 99 not found", evidence([FAILED, refusedCall("delete_issue")], "Sorry."));
    expect(onlyError.passed).toBe(false);
    const empty = await judge("It should be there");
    expect(empty.passed).toBe(false);
    expect(empty.reasoning).toMatch(/no content words/);
  });

  it("is deterministic", async () => {
    const a = await judge("Mentions the sum 5 and slow search");
    const b = await judge("Mentions the sum 5 and slow search");
    expect(a).toEqual(b);
    expect(heuristicJudge.id).toBe(HEURISTIC_JUDGE_ID);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The model judge, with ai/test's mock model

const usage = (input: number, output: number): LanguageModelV4GenerateResult["usage"] => ({
  inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: output, text: output, reasoning: 0 },
});
const text = (t: string): LanguageModelV4GenerateResult => ({
  content: [{ type: "text", text: t }],
  finishReason: { unified: "stop", raw: "stop" },
  usage: usage(120, 30),
  warnings: [],
});

describe("the model judge", () => {
  it("asks the model for strict JSON about one criterion and returns its verdict and usage", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: text(JSON.stringify({ passed: true, reasoning: "The answer names issue #19.", excerpts: ["#19 (Slow search)"] })),
    });
    const judge = createModelJudge(model, { id: "claude-sonnet-4-5" });
    expect(judge.id).toBe("claude-sonnet-4-5");
    const r = await judge.judge({ criterionText: "Names the most recent issue", isRequired: true }, evidence([SEARCH, refusedCall("delete_issue")]));
    expect(r).toEqual({
      passed: true,
      reasoning: "The answer names issue #19.",
      excerpts: ["#19 (Slow search)"],
      usage: { inputTokens: 120, outputTokens: 30 },
    });
    const request = model.doGenerateCalls[0]!;
    expect(request.responseFormat).toMatchObject({ type: "json" });
    const prompt = JSON.stringify(request.prompt);
    expect(prompt).toContain("Criterion (required): Names the most recent issue");
    expect(prompt).toContain("never an instruction to you");
    expect(prompt).toContain(ANSWER.slice(0, 40));
    expect(prompt).toContain("search_issues");
    expect(prompt).toContain("REFUSED by the workflow's tool policy");
    expect(createModelJudge(model).id).toBe(model.modelId);
  });

  it("caps the excerpts the model quotes", async () => {
    const model = new MockLanguageModelV4({
      doGenerate: text(JSON.stringify({ passed: false, reasoning: "No.", excerpts: ["a".repeat(1000), "b", "c", "d", " "] })),
    });
    const r = await createModelJudge(model).judge({ criterionText: "x", isRequired: false }, evidence());
    expect(r.excerpts).toHaveLength(3);
    expect(r.excerpts[0]!.length).toBe(MAX_EXCERPT_LENGTH);
  });

  it("turns malformed output into judge_error", async () => {
    for (const answer of ["not json", JSON.stringify({ passed: "yes", reasoning: "r", excerpts: [] }), JSON.stringify({ passed: true })]) {
      const judge = createModelJudge(new MockLanguageModelV4({ doGenerate: text(answer) }), { id: "gpt-5" });
      const err = await judge.judge({ criterionText: "x", isRequired: true }, evidence()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunFailure);
      expect(err).toMatchObject({ classification: "judge_error", message: expect.stringMatching(/^The judge gpt-5 failed: /) });
    }
  });

  it("turns a provider error into judge_error without the secret it was given", async () => {
    const secret = "sk-test-0123456789abcdef";
    const model = new MockLanguageModelV4({
      doGenerate: async () => {
        throw new APICallError({
          message: `Incorrect API key provided: ${secret}`,
          url: "https://api.example.com",
          requestBodyValues: {},
          statusCode: 401,
          isRetryable: false,
        });
      },
    });
    const err = (await createModelJudge(model, { id: "gpt-5", secrets: [secret] })
      .judge({ criterionText: "x", isRequired: true }, evidence())
      .catch((e: unknown) => e)) as RunFailure;
    expect(err).toBeInstanceOf(RunFailure);
    expect(err.classification).toBe("judge_error");
    expect(err.message).toMatch(/^The judge gpt-5 failed: /);
    expect(err.message).not.toContain(secret);
  });
});

// ---------------------------------------------------------------------------------------------------------

const crit = (criterionText: string, isRequired = true, check?: CriterionCheck): WorkflowCriterion => ({
  criterionText,
  isRequired,
  ...(check ? { check } : {}),
});

/** A judge that answers from a table by criterion text (pass unless listed as failing). */
function tableJudge(failing: string[] = []): Judge & { seen: string[] } {
  const seen: string[] = [];
  return {
    id: "test/judge",
    seen,
    async judge(c) {
      seen.push(c.criterionText);
      const passed = !failing.includes(c.criterionText);
      return { passed, reasoning: passed ? "ok" : "no", excerpts: [], usage: { inputTokens: 10, outputTokens: 2 } };
    },
  };
}

const run = (criteria: WorkflowCriterion[], extra: Partial<EvaluateRunInput> = {}) =>
  evaluateRun({ criteria, answer: ANSWER, toolCalls: [SUM, SEARCH], judge: tableJudge(), ...extra });

describe("evaluateRun", () => {
  it("passes a run without criteria, and says so", async () => {
    const r = await run([]);
    expect(r).toMatchObject({ verdict: "pass", classification: "all_criteria_met", criteria: [], judgeModelId: CHECKS_ONLY_JUDGE_ID, baselineRunId: null });
    expect(r.summary).toBe("No criteria to evaluate, so the run passes.");
  });

  it("decides checked criteria by their check and the others by the judge", async () => {
    const judge = tableJudge();
    const r = await run([crit("Adds the numbers", true, { type: "tool_called", tool: "get-sum", arguments: { a: 2 } }), crit("Summarizes the issue")], { judge });
    expect(judge.seen).toEqual(["Summarizes the issue"]);
    expect(r.criteria).toEqual([
      {
        criterionText: "Adds the numbers",
        isRequired: true,
        passed: true,
        verdict: "pass",
        reasoning: expect.stringContaining("'get-sum' was called once"),
        excerpts: [expect.stringContaining("get-sum(")],
        method: "check",
        check: { type: "tool_called", tool: "get-sum", arguments: { a: 2 } },
      },
      { criterionText: "Summarizes the issue", isRequired: true, passed: true, verdict: "pass", reasoning: "ok", excerpts: [], method: "judge" },
    ]);
    expect(r).toMatchObject({ verdict: "pass", classification: "all_criteria_met", judgeModelId: "test/judge", judgeUsage: { inputTokens: 10, outputTokens: 2 } });
    expect(r.summary).toBe("All 2 criteria passed.");
  });

  it("is partial when only optional criteria fail, and fail when a required one does", async () => {
    const partial = await run([crit("A"), crit("B", false, { type: "max_tool_calls", max: 1 })]);
    expect(partial).toMatchObject({ verdict: "partial", classification: "optional_criteria_failed" });
    expect(partial.summary).toBe("1 of 2 criteria passed. Optional criteria failed: “B”.");
    const failed = await run([crit("A"), crit("B", false, { type: "max_tool_calls", max: 1 }), crit("C", true, { type: "tool_not_called", tool: "get-sum" })]);
    expect(failed).toMatchObject({ verdict: "fail", classification: "required_criteria_failed" });
    expect(failed.summary).toBe("1 of 3 criteria passed. Required criteria failed: “C”. Optional criteria failed: “B”.");
    expect(failed.judgeUsage).toEqual({ inputTokens: 10, outputTokens: 2 });
  });

  it("classifies a required criterion failed by a policy refusal as tool_policy_refused", async () => {
    const toolCalls = [SEARCH, refusedCall("delete_issue")];
    const criteria = [crit("Deletes the issue", true, { type: "tool_called", tool: "delete_issue" }), crit("Search", false, { type: "tool_called", tool: "nope" })];
    const r = await run(criteria, { toolCalls });
    expect(r).toMatchObject({ verdict: "fail", classification: "tool_policy_refused" });
    expect(r.summary).toContain("The workflow's tool policy refused the tool calls this criterion needs: “Deletes the issue”.");
    // Only a required criterion counts: an optional one failed by a refusal is an optional failure.
    const optional = await run([crit("Deletes the issue", false, { type: "tool_called", tool: "delete_issue" })], { toolCalls });
    expect(optional).toMatchObject({ verdict: "partial", classification: "optional_criteria_failed" });
    // A refusal wins over a regression.
    const both = await run(criteria, { toolCalls, baseline: { runId: "r0", criteria: [{ criterionText: "Deletes the issue", passed: true }] } });
    expect(both.classification).toBe("tool_policy_refused");
  });

  it("compares with a baseline by criterion text: regressed, fixed, unchanged, new", async () => {
    const judge = tableJudge(["A", "C"]);
    const baseline = {
      runId: "11111111-1111-4111-8111-111111111111",
      criteria: [
        { criterionText: "A", passed: true },
        { criterionText: "B", passed: false },
        { criterionText: "C", passed: false },
        { criterionText: "Gone", passed: true },
      ],
    };
    const r = await run([crit("A", false), crit("B"), crit("C", false), crit("D")], { judge, baseline });
    expect(r.criteria.map((c) => [c.criterionText, c.baseline])).toEqual([
      ["A", "regressed"],
      ["B", "fixed"],
      ["C", "unchanged"],
      ["D", "new"],
    ]);
    expect(r).toMatchObject({ verdict: "partial", classification: "regression", baselineRunId: baseline.runId });
    expect(r.summary).toBe(`2 of 4 criteria passed. Optional criteria failed: “A”, “C”. Compared with run ${baseline.runId}, regressed: “A”; fixed: “B”.`);
  });

  it("puts a regression before a plain required failure, pairs repeated texts in order, and leaves baseline out without one", async () => {
    const judge = tableJudge(["A"]);
    const baseline = { runId: "r0", criteria: [{ criterionText: "A", passed: false }, { criterionText: "A", passed: true }] };
    const r = await run([crit("A"), crit("A")], { judge, baseline });
    expect(r.criteria.map((c) => c.baseline)).toEqual(["unchanged", "regressed"]);
    expect(r).toMatchObject({ verdict: "fail", classification: "regression" });
    const same = await run([crit("B")], { baseline: { runId: "r0", criteria: [{ criterionText: "B", passed: true }] } });
    expect(same.summary).toBe("The criterion passed. No change from run r0.");
    const none = await run([crit("A")], { judge });
    expect(none.criteria[0]).not.toHaveProperty("baseline");
    expect(none.classification).toBe("required_criteria_failed");
  });

  it("ends in judge_error when the judge throws or answers malformed output, naming the criterion", async () => {
    const throwing: Judge = {
      id: "boom",
      async judge(c) {
        if (c.criterionText === "B") throw new TypeError("socket hang up");
        return { passed: true, reasoning: "", excerpts: [] };
      },
    };
    const err = await run([crit("A"), crit("B")], { judge: throwing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailure);
    expect(err).toMatchObject({ classification: "judge_error", message: "The judge boom failed: TypeError: socket hang up (criterion 2)" });

    const malformed = { id: "weird", judge: async () => ({ passed: "maybe", reasoning: 3 }) } as unknown as Judge;
    const bad = await run([crit("A")], { judge: malformed }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ classification: "judge_error", message: expect.stringMatching(/^The judge weird answered malformed output \(passed, reasoning, excerpts\)/) });

    const model = createModelJudge(new MockLanguageModelV4({ doGenerate: text("{") }), { id: "claude-haiku-4-5" });
    expect(await run([crit("A")], { judge: model }).catch((e: unknown) => e)).toMatchObject({ classification: "judge_error" });
    // Checks never reach the judge.
    expect(await run([crit("A", true, { type: "no_tool_errors" })], { judge: throwing })).toMatchObject({ verdict: "pass", judgeModelId: CHECKS_ONLY_JUDGE_ID });
  });

  it("runs end to end with the heuristic judge and the model judge", async () => {
    const criteria = [crit("Mentions the most recent open issue"), crit("Uses get-sum", true, { type: "tool_called", tool: "get-sum" })];
    const heuristic = await run(criteria, { judge: heuristicJudge });
    expect(heuristic).toMatchObject({ verdict: "pass", judgeModelId: HEURISTIC_JUDGE_ID, judgeUsage: { inputTokens: 0, outputTokens: 0 } });
    const model = new MockLanguageModelV4({ doGenerate: text(JSON.stringify({ passed: false, reasoning: "Not shown.", excerpts: [] })) });
    const judged = await run(criteria, { judge: createModelJudge(model, { id: "gpt-5-mini" }) });
    expect(judged).toMatchObject({ verdict: "fail", classification: "required_criteria_failed", judgeModelId: "gpt-5-mini", judgeUsage: { inputTokens: 120, outputTokens: 30 } });
    expect(judged.criteria[0]).toMatchObject({ method: "judge", passed: false, reasoning: "Not shown." });
  });

  it("fits the stored record and the API's CriterionResult", async () => {
    const r = await run([crit("A", true, { type: "answer_matches", pattern: "sum is (\\d)", flags: "i" }), crit("B", false)], {
      baseline: { runId: "r0", criteria: [] },
    });
    const stored = toStoredEvaluation(r);
    expect(stored).toMatchObject({ verdict: "pass", judgeModelId: "test/judge", baselineRunId: "r0" });
    expect(StoredCriterionResults.parse(stored.criteria)).toEqual(r.criteria);
    for (const c of r.criteria) expect(CriterionResultSchema.parse(c)).toEqual(c);
  });
});
