/**
 * Deterministic criterion checks (docs/run-engine.md#evaluating). A check reads the tester's final answer and
 * the run's recorded tool calls and decides the criterion without a judge.
 *
 * Refused attempts: a call the workflow's tool policy refused never reached the MCP source. It is an attempt,
 * not a call, for every check: it does not count as a call of its tool (`tool_called`, `tool_not_called`,
 * `max_tool_calls`), it has no result (`tool_result_matches`), and it is not a tool error (`no_tool_errors`
 * judges the source's answers, not the workflow's policy). Each check's reasoning mentions the refused attempts
 * that concern it, and a required criterion whose check failed only because its tool was refused classifies
 * the run as `tool_policy_refused` (see `failedByPolicy`).
 */
import type { CriterionCheck } from "../../workflows/schemas";
import type { RecordedToolCall } from "../types";
import { compilePattern, findMatch, MAX_MATCH_INPUT, MATCH_STEP_BUDGET, StepBudget, type CompiledPattern } from "./pattern";

export type { CriterionCheck };

/** What a check (and the judge) reads. */
export interface CheckEvidence {
  answer: string;
  toolCalls: readonly RecordedToolCall[];
}

export interface CheckResult {
  passed: boolean;
  reasoning: string;
  /** Quotes of the answer or tool calls that support the verdict, each at most MAX_EXCERPT_LENGTH characters. */
  excerpts: string[];
}

/** The longest excerpt. */
export const MAX_EXCERPT_LENGTH = 300;
/** The most excerpts one criterion quotes. */
export const MAX_EXCERPTS = 3;

/** Runs one check against the run's evidence. Never throws for anything the evidence contains. */
export function runCheck(check: CriterionCheck, evidence: CheckEvidence): CheckResult {
  const calls = evidence.toolCalls;
  switch (check.type) {
    case "tool_called":
      return toolCalled(check, calls);
    case "tool_not_called":
      return toolNotCalled(check.tool, calls);
    case "no_tool_errors":
      return noToolErrors(calls);
    case "answer_matches":
      return answerMatches(check, evidence.answer);
    case "tool_result_matches":
      return toolResultMatches(check, calls);
    case "max_tool_calls":
      return maxToolCalls(check.max, calls);
  }
}

/**
 * True when the tool policy explains a failed check: the check needs a tool (`tool_called`,
 * `tool_result_matches`) whose every attempt was refused by the policy, so it was never called.
 */
export function failedByPolicy(check: CriterionCheck, toolCalls: readonly RecordedToolCall[]): boolean {
  if (check.type !== "tool_called" && check.type !== "tool_result_matches") return false;
  const { executed, refused } = attemptsOf(check.tool, toolCalls);
  return executed.length === 0 && refused.length > 0;
}

// ---------------------------------------------------------------------------------------------------------

function toolCalled(check: Extract<CriterionCheck, { type: "tool_called" }>, all: readonly RecordedToolCall[]): CheckResult {
  const { executed, refused } = attemptsOf(check.tool, all);
  const wanted = check.arguments;
  if (executed.length === 0) return neverCalled(check.tool, all, refused);
  const matching = wanted ? executed.filter((c) => includesArguments(c.arguments, wanted)) : executed;
  const refusedNote = refused.length ? ` ${refusedSentence(refused.length)}` : "";
  if (matching.length === 0) {
    return {
      passed: false,
      reasoning: `'${check.tool}' was called ${times(executed.length)}, but no call had the arguments ${clip(json(wanted), 200)}.${refusedNote}`,
      excerpts: executed.slice(0, MAX_EXCERPTS).map(describeCall),
    };
  }
  const first = matching[0]!;
  const withArgs = wanted ? `; call #${first.seq} has the arguments ${clip(json(wanted), 200)}` : "";
  const errorNote = first.isError ? ` (that call answered an error; use no_tool_errors to require success)` : "";
  return {
    passed: true,
    reasoning: `'${check.tool}' was called ${times(executed.length)}${withArgs}${errorNote}.${refusedNote}`,
    excerpts: matching.slice(0, MAX_EXCERPTS).map(describeCall),
  };
}

function toolNotCalled(tool: string, all: readonly RecordedToolCall[]): CheckResult {
  const { executed, refused } = attemptsOf(tool, all);
  if (executed.length > 0) {
    return {
      passed: false,
      reasoning: `'${tool}' was called ${times(executed.length)}.`,
      excerpts: executed.slice(0, MAX_EXCERPTS).map(describeCall),
    };
  }
  if (refused.length > 0) {
    return {
      passed: true,
      reasoning: `'${tool}' was not called: the tester attempted it ${times(refused.length)}, and the workflow's tool policy refused ${refused.length === 1 ? "it" : "each attempt"} before it reached the MCP source.`,
      excerpts: refused.slice(0, MAX_EXCERPTS).map(describeCall),
    };
  }
  return { passed: true, reasoning: `'${tool}' was not called.`, excerpts: [] };
}

function noToolErrors(all: readonly RecordedToolCall[]): CheckResult {
  const executed = all.filter((c) => !c.policyRefused);
  const refused = all.length - executed.length;
  const refusedNote = refused ? ` ${refused} ${refused === 1 ? "attempt" : "attempts"} refused by the tool policy ${refused === 1 ? "is" : "are"} not counted as tool errors.` : "";
  const errors = executed.filter((c) => c.isError);
  if (errors.length === 0) {
    const what = executed.length === 0 ? "No tool was called, so no tool answered an error." : `None of the ${executed.length} tool ${executed.length === 1 ? "call" : "calls"} answered an error.`;
    return { passed: true, reasoning: `${what}${refusedNote}`, excerpts: [] };
  }
  const named = errors.slice(0, 10).map((c) => `'${c.toolName}' (#${c.seq})`);
  return {
    passed: false,
    reasoning: `${errors.length} of ${executed.length} tool ${executed.length === 1 ? "call" : "calls"} answered an error: ${named.join(", ")}${errors.length > 10 ? ", …" : ""}.${refusedNote}`,
    excerpts: errors.slice(0, MAX_EXCERPTS).map(describeCall),
  };
}

function answerMatches(check: Extract<CriterionCheck, { type: "answer_matches" }>, answer: string): CheckResult {
  const compiled = compilePattern(check.pattern, check.flags ?? "");
  if ("problem" in compiled) return unusablePattern(check.pattern, compiled.problem);
  const match = findMatch(compiled, answer, new StepBudget());
  if (match === "budget") return overBudget(compiled, "the answer");
  const cut = answer.length > MAX_MATCH_INPUT ? ` (the first ${MAX_MATCH_INPUT} of its ${answer.length} characters were read)` : "";
  if (match) {
    return {
      passed: true,
      reasoning: `The answer matches ${compiled.display}${cut}.`,
      excerpts: [excerptAround(answer, match.start, match.end)],
    };
  }
  if (answer.length === 0) return { passed: false, reasoning: `The answer is empty, so it does not match ${compiled.display}.`, excerpts: [] };
  return {
    passed: false,
    reasoning: `The answer (${answer.length} characters) does not match ${compiled.display}${cut}.`,
    excerpts: [clip(answer)],
  };
}

function toolResultMatches(check: Extract<CriterionCheck, { type: "tool_result_matches" }>, all: readonly RecordedToolCall[]): CheckResult {
  const compiled = compilePattern(check.pattern, check.flags ?? "");
  if ("problem" in compiled) return unusablePattern(check.pattern, compiled.problem);
  const { executed, refused } = attemptsOf(check.tool, all);
  if (executed.length === 0) return neverCalled(check.tool, all, refused);
  const budget = new StepBudget();
  const refusedNote = refused.length ? ` ${refusedSentence(refused.length)}` : "";
  for (const call of executed) {
    const text = resultText(call);
    const match = findMatch(compiled, text, budget);
    if (match === "budget") return overBudget(compiled, `the results of '${check.tool}'`);
    if (match) {
      const errorNote = call.isError ? " (an error result)" : "";
      return {
        passed: true,
        reasoning: `The result of '${check.tool}' call #${call.seq}${errorNote} matches ${compiled.display}.${refusedNote}`,
        excerpts: [clip(`${check.tool} #${call.seq} → ${excerptAround(text, match.start, match.end, Math.max(60, MAX_EXCERPT_LENGTH - check.tool.length - 10))}`)],
      };
    }
  }
  return {
    passed: false,
    reasoning: `None of the ${executed.length} ${executed.length === 1 ? "result" : "results"} of '${check.tool}' matches ${compiled.display}.${refusedNote}`,
    excerpts: executed.slice(0, MAX_EXCERPTS).map(describeCall),
  };
}

function maxToolCalls(max: number, all: readonly RecordedToolCall[]): CheckResult {
  const executed = all.filter((c) => !c.policyRefused);
  const refused = all.length - executed.length;
  const refusedNote = refused ? ` ${refused} ${refused === 1 ? "attempt" : "attempts"} refused by the tool policy ${refused === 1 ? "is" : "are"} not counted.` : "";
  const counts = new Map<string, number>();
  for (const c of executed) counts.set(c.toolName, (counts.get(c.toolName) ?? 0) + 1);
  const tally = [...counts].map(([name, n]) => `${name} ×${n}`).join(", ");
  const n = executed.length;
  if (n <= max) {
    return {
      passed: true,
      reasoning: `${n} tool ${n === 1 ? "call" : "calls"}, within the maximum of ${max}.${refusedNote}`,
      excerpts: tally ? [clip(tally)] : [],
    };
  }
  return {
    passed: false,
    reasoning: `${n} tool calls, more than the maximum of ${max}.${refusedNote}`,
    excerpts: [clip(tally)],
  };
}

// ---------------------------------------------------------------------------------------------------------

function attemptsOf(tool: string, all: readonly RecordedToolCall[]) {
  const named = all.filter((c) => c.toolName === tool);
  return { executed: named.filter((c) => !c.policyRefused), refused: named.filter((c) => c.policyRefused) };
}

function neverCalled(tool: string, all: readonly RecordedToolCall[], refused: RecordedToolCall[]): CheckResult {
  if (refused.length > 0) {
    return {
      passed: false,
      reasoning: `'${tool}' was never called: the workflow's tool policy refused ${refused.length === 1 ? "the one attempt" : `all ${refused.length} attempts`}, and a refused call never reaches the MCP source, so it does not count.`,
      excerpts: refused.slice(0, MAX_EXCERPTS).map(describeCall),
    };
  }
  const others = [...new Set(all.filter((c) => !c.policyRefused).map((c) => c.toolName))];
  const made = others.length ? ` Tools called: ${others.slice(0, 10).map((t) => `'${t}'`).join(", ")}${others.length > 10 ? ", …" : ""}.` : " No tool was called.";
  return { passed: false, reasoning: `'${tool}' was never called.${made}`, excerpts: [] };
}

function refusedSentence(n: number): string {
  return `${n} more ${n === 1 ? "attempt was" : "attempts were"} refused by the tool policy and ${n === 1 ? "does" : "do"} not count.`;
}

function unusablePattern(pattern: string, problem: string): CheckResult {
  return { passed: false, reasoning: `The pattern /${clip(pattern, 100)}/ cannot be evaluated: ${problem}.`, excerpts: [] };
}

function overBudget(p: CompiledPattern, what: string): CheckResult {
  return {
    passed: false,
    reasoning: `Matching ${p.display} against ${what} needed more than ${MATCH_STEP_BUDGET} steps, so the check fails; use a simpler pattern (fewer or smaller repetition counts).`,
    excerpts: [],
  };
}

/** Each key of `wanted` deep-equals the same key of the call's arguments (other keys are ignored). */
export function includesArguments(actual: unknown, wanted: Record<string, unknown>): boolean {
  if (!isPlainObject(actual)) return false;
  return Object.entries(wanted).every(([k, v]) => Object.prototype.hasOwnProperty.call(actual, k) && deepEqual(actual[k], v));
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The text of a call's result the checks and the judge read: what the model saw, else the recorded result as JSON. */
export function resultText(call: RecordedToolCall): string {
  if (call.text) return call.text;
  if (call.result === undefined || call.result === null) return "";
  return json(call.result);
}

/** One line describing a call: `name(arguments) → result`, at most MAX_EXCERPT_LENGTH characters. */
export function describeCall(call: RecordedToolCall): string {
  const args = clip(json(call.arguments ?? {}), 100);
  const outcome = call.policyRefused ? "refused by the tool policy" : `${call.isError ? "error: " : ""}${resultText(call).replace(/\s+/g, " ").trim()}`;
  return clip(`${call.toolName}(${args}) → ${outcome}`);
}

function json(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function times(n: number): string {
  return n === 1 ? "once" : `${n} times`;
}

/** `text` cut to `max` characters with an ellipsis. */
export function clip(text: string, max = MAX_EXCERPT_LENGTH): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  if (/[\uD800-\uDBFF]/.test(text[cut - 1] ?? "")) cut--; // never split a surrogate pair
  return `${text.slice(0, cut)}…`;
}

/** The part of `text` around [start, end), at most `max` characters, with ellipses where it was cut. */
export function excerptAround(text: string, start: number, end: number, max = MAX_EXCERPT_LENGTH): string {
  if (text.length <= max) return text;
  if (end - start >= max - 2) return clip(text.slice(start), max);
  const room = max - 2 - (end - start); // two characters for the ellipses
  let from = Math.max(0, start - Math.floor(room / 2));
  let to = Math.min(text.length, from + max - 2);
  if (to === text.length) from = Math.max(0, to - (max - 2));
  if (from === 0) to = Math.min(text.length, max - 1);
  return `${from > 0 ? "…" : ""}${text.slice(from, to)}${to < text.length ? "…" : ""}`;
}
