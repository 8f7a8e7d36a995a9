/**
 * A run's evaluation (docs/run-engine.md#evaluating): each criterion is decided by its check when it has one,
 * else by the judge; then the verdict, the classification and a summary, compared with a baseline run when
 * there is one.
 */
import type { StoredCriterionResult, StoredEvaluation } from "../../runs/records";
import type { RunClassification } from "../../runs/status";
import type { CriterionCheck, WorkflowConfig } from "../../workflows/schemas";
import { RunFailure, type RecordedToolCall } from "../types";
import { clip, failedByPolicy, runCheck } from "./checks";
import { checkedVerdict, judgeFailure, type Judge } from "./judge";

export type WorkflowCriterion = WorkflowConfig["criteria"][number];

/** How a criterion compares with the same criterion (same `criterionText`) in the baseline run. */
export type BaselineComparison = "regressed" | "fixed" | "unchanged" | "new";

/** The run this one is compared with: its id and each criterion's outcome there. */
export interface EvaluationBaseline {
  runId: string;
  criteria: ReadonlyArray<{ criterionText: string; passed: boolean }>;
}

// A type rather than an interface, so it fits the stored record's open shape (StoredCriterionResult).
export type CriterionEvaluation = {
  criterionText: string;
  isRequired: boolean;
  passed: boolean;
  verdict: "pass" | "fail";
  reasoning: string;
  excerpts: string[];
  /** `check`: decided by the criterion's deterministic check; `judge`: by the judge. */
  method: "check" | "judge";
  /** The check that decided it (method `check`). */
  check?: CriterionCheck;
  /** Present when the run was compared with a baseline. */
  baseline?: BaselineComparison;
};

export type EvaluationClassification = Extract<
  RunClassification,
  "all_criteria_met" | "optional_criteria_failed" | "required_criteria_failed" | "tool_policy_refused" | "regression"
>;

export interface EvaluateRunInput {
  criteria: readonly WorkflowCriterion[];
  /** The tester's final answer. */
  answer: string;
  toolCalls: readonly RecordedToolCall[];
  /** Decides the criteria without a check. */
  judge: Judge;
  baseline?: EvaluationBaseline | null;
  /** Aborts model judge requests (the run's deadline). */
  signal?: AbortSignal;
  /** Criteria judged at the same time (default 4). */
  judgeConcurrency?: number;
}

export interface RunEvaluationResult {
  criteria: CriterionEvaluation[];
  verdict: "pass" | "fail" | "partial";
  classification: EvaluationClassification;
  summary: string;
  /** The judge's id when at least one criterion went to the judge, else `armature/checks` (checks only). */
  judgeModelId: string;
  baselineRunId: string | null;
  /** Tokens the judge spent over all criteria (0 for the heuristic judge). */
  judgeUsage: { inputTokens: number; outputTokens: number };
}

/** The `judgeModelId` of an evaluation whose criteria were all decided by checks. */
export const CHECKS_ONLY_JUDGE_ID = "armature/checks";

/**
 * Evaluates a run. Throws `RunFailure("judge_error")` when the judge throws or answers malformed output for
 * any criterion; nothing else it reads can make it throw.
 */
export async function evaluateRun(input: EvaluateRunInput): Promise<RunEvaluationResult> {
  const { criteria, answer, toolCalls, judge } = input;
  const evidence = { answer, toolCalls };
  const results: CriterionEvaluation[] = new Array(criteria.length);
  const judged: number[] = [];
  const usage = { inputTokens: 0, outputTokens: 0 };

  criteria.forEach((c, i) => {
    if (!c.check) {
      judged.push(i);
      return;
    }
    const r = runCheck(c.check, evidence);
    results[i] = criterionResult(c, r, "check");
  });

  await forEachLimited(judged, Math.max(1, input.judgeConcurrency ?? 4), async (i) => {
    const c = criteria[i]!;
    let answered: unknown;
    try {
      answered = await judge.judge({ criterionText: c.criterionText, isRequired: c.isRequired }, { ...evidence, signal: input.signal });
    } catch (err) {
      // A RunFailure the judge chose keeps its classification; anything else is a judge_error.
      const failure = judgeFailure(err, judge.id);
      throw new RunFailure(failure.classification, `${failure.message} (criterion ${i + 1})`);
    }
    const verdict = checkedVerdict(answered, judge.id);
    if (verdict.usage) {
      usage.inputTokens += verdict.usage.inputTokens;
      usage.outputTokens += verdict.usage.outputTokens;
    }
    results[i] = criterionResult(c, verdict, "judge");
  });

  const baseline = input.baseline ?? null;
  if (baseline) compareWithBaseline(results, baseline);

  const verdict = verdictOf(results);
  const refusedRequired = results.filter((r) => !r.passed && r.isRequired && r.check && failedByPolicy(r.check, toolCalls));
  const regressed = results.filter((r) => r.baseline === "regressed");
  const classification: EvaluationClassification =
    verdict === "pass"
      ? "all_criteria_met"
      : refusedRequired.length > 0
        ? "tool_policy_refused"
        : regressed.length > 0
          ? "regression"
          : verdict === "fail"
            ? "required_criteria_failed"
            : "optional_criteria_failed";

  return {
    criteria: results,
    verdict,
    classification,
    summary: summarize(results, verdict, classification, baseline, refusedRequired),
    judgeModelId: judged.length > 0 ? judge.id : CHECKS_ONLY_JUDGE_ID,
    baselineRunId: baseline?.runId ?? null,
    judgeUsage: usage,
  };
}

/** The evaluation as `finishRun` stores it. */
export function toStoredEvaluation(result: RunEvaluationResult): StoredEvaluation {
  return {
    verdict: result.verdict,
    judgeModelId: result.judgeModelId,
    summary: result.summary,
    criteria: result.criteria,
    baselineRunId: result.baselineRunId,
  };
}

/** A baseline from a stored evaluation's criteria (`passed` when recorded, else `verdict === "pass"`). */
export function baselineFromStored(runId: string, criteria: ReadonlyArray<StoredCriterionResult>): EvaluationBaseline {
  return {
    runId,
    criteria: criteria.map((c) => ({ criterionText: c.criterionText, passed: typeof c.passed === "boolean" ? c.passed : c.verdict === "pass" })),
  };
}

/**
 * pass: every criterion passed (also when there are none: nothing was required); partial: every required
 * criterion passed and an optional one failed; fail: a required criterion failed.
 */
export function verdictOf(results: ReadonlyArray<Pick<CriterionEvaluation, "passed" | "isRequired">>): "pass" | "fail" | "partial" {
  if (results.some((r) => !r.passed && r.isRequired)) return "fail";
  if (results.some((r) => !r.passed)) return "partial";
  return "pass";
}

function criterionResult(
  c: WorkflowCriterion,
  r: { passed: boolean; reasoning: string; excerpts: string[] },
  method: "check" | "judge",
): CriterionEvaluation {
  return {
    criterionText: c.criterionText,
    isRequired: c.isRequired,
    passed: r.passed,
    verdict: r.passed ? "pass" : "fail",
    reasoning: r.reasoning,
    excerpts: r.excerpts,
    method,
    ...(method === "check" && c.check ? { check: c.check } : {}),
  };
}

/**
 * Marks each criterion against the baseline's criterion of the same text (exact match; repeated texts pair
 * up in order): regressed (passed there, fails now), fixed (failed there, passes now), unchanged, or new (no
 * criterion of that text in the baseline).
 */
function compareWithBaseline(results: CriterionEvaluation[], baseline: EvaluationBaseline): void {
  const pool = new Map<string, boolean[]>();
  for (const b of baseline.criteria) {
    const list = pool.get(b.criterionText) ?? [];
    list.push(b.passed);
    pool.set(b.criterionText, list);
  }
  for (const r of results) {
    const before = pool.get(r.criterionText)?.shift();
    r.baseline = before === undefined ? "new" : before === r.passed ? "unchanged" : before ? "regressed" : "fixed";
  }
}

function summarize(
  results: CriterionEvaluation[],
  verdict: "pass" | "fail" | "partial",
  classification: EvaluationClassification,
  baseline: EvaluationBaseline | null,
  refused: CriterionEvaluation[],
): string {
  const quote = (r: CriterionEvaluation) => `“${clip(r.criterionText, 80)}”`;
  const listOf = (rs: CriterionEvaluation[]) =>
    `${rs.slice(0, 5).map(quote).join(", ")}${rs.length > 5 ? ` and ${rs.length - 5} more` : ""}`;
  const parts: string[] = [];
  if (results.length === 0) {
    parts.push("No criteria to evaluate, so the run passes.");
  } else if (verdict === "pass") {
    parts.push(results.length === 1 ? "The criterion passed." : `All ${results.length} criteria passed.`);
  } else {
    const passed = results.filter((r) => r.passed).length;
    const failedRequired = results.filter((r) => !r.passed && r.isRequired);
    const failedOptional = results.filter((r) => !r.passed && !r.isRequired);
    parts.push(`${passed} of ${results.length} criteria passed.`);
    if (failedRequired.length) parts.push(`Required criteria failed: ${listOf(failedRequired)}.`);
    if (failedOptional.length) parts.push(`Optional criteria failed: ${listOf(failedOptional)}.`);
  }
  if (classification === "tool_policy_refused") {
    parts.push(`The workflow's tool policy refused the tool calls ${refused.length === 1 ? "this criterion needs" : "these criteria need"}: ${listOf(refused)}.`);
  }
  if (baseline) {
    const regressed = results.filter((r) => r.baseline === "regressed");
    const fixed = results.filter((r) => r.baseline === "fixed");
    const changes: string[] = [];
    if (regressed.length) changes.push(`regressed: ${listOf(regressed)}`);
    if (fixed.length) changes.push(`fixed: ${listOf(fixed)}`);
    parts.push(changes.length ? `Compared with run ${baseline.runId}, ${changes.join("; ")}.` : `No change from run ${baseline.runId}.`);
  }
  return parts.join(" ");
}

/** Runs `fn` over `items` with at most `limit` at a time; the first failure is thrown once every started call settled. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
}
