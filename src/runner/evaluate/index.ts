/** The evaluation of a run: deterministic checks, judges, the verdict (docs/run-engine.md#evaluating). */
export {
  baselineFromStored,
  CHECKS_ONLY_JUDGE_ID,
  evaluateRun,
  toStoredEvaluation,
  verdictOf,
  type BaselineComparison,
  type CriterionEvaluation,
  type EvaluateRunInput,
  type EvaluationBaseline,
  type EvaluationClassification,
  type RunEvaluationResult,
  type WorkflowCriterion,
} from "./evaluate";
export { failedByPolicy, runCheck, type CheckEvidence, type CheckResult, type CriterionCheck } from "./checks";
export {
  createHeuristicJudge,
  createModelJudge,
  HEURISTIC_JUDGE_ID,
  heuristicJudge,
  type Judge,
  type JudgeCriterion,
  type JudgeEvidence,
  type JudgeVerdict,
  type ModelJudgeOptions,
} from "./judge";
export { compilePattern, findMatch, patternProblem, MAX_MATCH_INPUT, MAX_PATTERN_LENGTH } from "./pattern";
