import { z } from "@hono/zod-openapi";
import { PageInfoFields, paginationQuery } from "../lib/pagination";
import { uuidInput } from "../lib/openapi";
import { CriterionCheck } from "../workflows/schemas";
import { StoredSpan } from "./records";
import { RUN_CLASSIFICATION_IDS, RUN_CLASSIFICATIONS, RUN_STATUSES, RUN_TRIGGERS } from "./status";

export const RUN_RANGES = { "24h": 24 * 3600_000, "7d": 7 * 24 * 3600_000, "30d": 30 * 24 * 3600_000 } as const;
export type RunRange = keyof typeof RUN_RANGES;

export const RUN_SORT_KEYS = ["createdAt", "startedAt", "finishedAt", "durationMs", "costUsd", "status"] as const;
export type RunSortKey = (typeof RUN_SORT_KEYS)[number];
const SORT_VALUES = RUN_SORT_KEYS.flatMap((k) => [k, `-${k}`]) as [string, ...string[]];

export const MAX_SEARCH_LENGTH = 200;

/** A comma-separated list of `values`, answered as a de-duplicated array; an unknown entry fails validation. */
function enumList<const T extends readonly [string, ...string[]]>(values: T) {
  const allowed = new Set<string>(values);
  return z.string().transform((raw, ctx) => {
    const items = [...new Set(raw.split(",").map((s) => s.trim()))];
    const bad = items.filter((s) => !allowed.has(s));
    if (bad.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `Unknown value${bad.length > 1 ? "s" : ""} ${bad.map((b) => `'${b}'`).join(", ")}; expected one or more of ${values.join(", ")}, comma-separated`,
      });
      return z.NEVER;
    }
    return items as Array<T[number]>;
  });
}

export const ListRunsQuery = z.object({
  range: z
    .enum(Object.keys(RUN_RANGES) as [RunRange, ...RunRange[]])
    .default("24h")
    .openapi({
      param: { name: "range", in: "query" },
      description: "Only runs created within this long before now (inclusive).",
      example: "7d",
    }),
  workflowId: uuidInput().optional().openapi({ param: { name: "workflowId", in: "query" }, description: "Only this workflow's runs." }),
  status: enumList(RUN_STATUSES)
    .optional()
    .openapi({
      param: { name: "status", in: "query" },
      type: "string",
      description: `Only runs in these statuses, comma-separated: ${RUN_STATUSES.join(", ")}.`,
      example: "fail,partial",
    }),
  classification: enumList(RUN_CLASSIFICATION_IDS)
    .optional()
    .openapi({
      param: { name: "classification", in: "query" },
      type: "string",
      description: `Only runs with these classifications, comma-separated: ${RUN_CLASSIFICATION_IDS.join(", ")}.`,
      example: "required_criteria_failed",
    }),
  search: z
    .string()
    .max(MAX_SEARCH_LENGTH)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "Must not contain control characters")
    .optional()
    .openapi({
      param: { name: "search", in: "query" },
      description:
        "Substring matched against the workflow name, the run's reason, its model id and its id; case-insensitive for ASCII letters. `%` and `_` match themselves.",
      example: "checkout",
    }),
  ...paginationQuery(),
  sort: z
    .enum(SORT_VALUES)
    .default("-createdAt")
    .openapi({
      param: { name: "sort", in: "query" },
      description: `Sort key, \`-\` prefix for descending: ${RUN_SORT_KEYS.join(", ")}. Ties are broken by creation time (newest first), then id. Runs without a value for the key (e.g. an unfinished run's durationMs) come last in both directions.`,
      example: "-createdAt",
    }),
});
export type ListRunsInput = z.infer<typeof ListRunsQuery>;

const Timestamp = z.iso.datetime();

export const RunSummarySchema = z
  .object({
    id: z.uuid(),
    workflow: z.object({
      id: z.uuid(),
      name: z.string().openapi({ description: "The workflow's name as recorded on the run when it was created." }),
    }),
    workflowVersion: z.object({ id: z.uuid(), version: z.number().int().min(1) }),
    status: z.enum(RUN_STATUSES).openapi({ description: "`queued` and `running` are in progress; `pass`, `fail` and `partial` are terminal." }),
    classification: z
      .enum(RUN_CLASSIFICATION_IDS)
      .nullable()
      .openapi({
        description: `Why the run ended as it did; null until it does. ${Object.entries(RUN_CLASSIFICATIONS)
          .map(([k, v]) => `\`${k}\`: ${v}`)
          .join(" ")}`,
      }),
    trigger: z.enum(RUN_TRIGGERS),
    reason: z.string().nullable().openapi({ description: "The reason given when the run was dispatched." }),
    modelId: z.string().openapi({ example: "claude-sonnet-4-5" }),
    skillMode: z.enum(["none", "skill"]).openapi({ description: "`skill` ran the tester with the skill version `skillVersionId`." }),
    skillVersionId: z.string().nullable(),
    baselineRunId: z.uuid().nullable(),
    createdAt: Timestamp,
    enqueuedAt: Timestamp.nullable(),
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    durationMs: z.number().int().nullable(),
    cost: z.object({
      usd: z.number().nullable(),
      inputTokens: z.number().int().nullable(),
      outputTokens: z.number().int().nullable(),
    }),
    error: z.string().nullable().openapi({ description: "What ended the run, when it was an infrastructure failure. Redacted." }),
    mcp: z
      .object({
        protocolVersion: z.string().openapi({ example: "2026-07-28" }),
        era: z.enum(["2025", "2026"]).openapi({ description: "`2026`: the stateless 2026 protocol; `2025`: the initialize handshake." }),
      })
      .nullable()
      .openapi({ description: "The MCP protocol revision the source answered in; null until the run connected." }),
    skillDigest: z.string().nullable().openapi({ description: "The digest of the skill the tester ran with (skillMode `skill`)." }),
    attempt: z.number().int().min(1).openapi({ description: "1, or n for the (n-1)th retry of an infrastructure failure (the workflow's retryPolicy)." }),
    retryOfRunId: z.uuid().nullable().openapi({ description: "The run this one retries." }),
  })
  .openapi("RunSummary");

export const RunSchema = RunSummarySchema.extend({
  evaluatorOutput: z
    .record(z.string(), z.unknown())
    .nullable()
    .openapi({ description: "The evaluator's structured output, null until the run is evaluated. Redacted." }),
}).openapi("Run");

export const RunListSchema = z
  .object({ runs: z.array(RunSummarySchema), ...PageInfoFields })
  .openapi("RunList");


/** Answer fields shared by the run's sub-resources. */
const RunProgress = {
  runId: z.uuid(),
  status: z.enum(RUN_STATUSES),
  complete: z.boolean().openapi({
    description:
      "False while the run is `queued` or `running`: what is returned is what has been recorded so far and may grow. True once the run is terminal.",
  }),
};

export const SpanSchema = StoredSpan;

export const RunTraceSchema = z
  .object({ ...RunProgress, spans: z.array(SpanSchema) })
  .openapi("RunTrace");

export const CriterionResultSchema = z
  .object({
    criterionText: z.string(),
    isRequired: z.boolean(),
    verdict: z.enum(["pass", "fail"]).openapi({ description: "Whether this criterion was met." }),
    reasoning: z.string().nullable(),
    excerpts: z.array(z.string()).openapi({ description: "Supporting excerpts from the run's trace (redacted)." }),
    passed: z.boolean().optional().openapi({ description: "Whether this criterion was met (`verdict` as a boolean); absent in evaluations recorded before it existed." }),
    method: z
      .enum(["check", "judge"])
      .optional()
      .openapi({ description: "`check`: decided by the criterion's deterministic check; `judge`: by the judge (`judgeModelId`)." }),
    check: CriterionCheck.optional(), // the check that decided the criterion (method `check`)
    baseline: z
      .enum(["regressed", "fixed", "unchanged", "new"])
      .optional()
      .openapi({
        description:
          "Compared with the same criterion (same text) in the baseline run: `regressed` (passed there, fails now), `fixed`, `unchanged`, or `new` (not in the baseline). Present when the run had a baseline.",
      }),
  })
  .catchall(z.unknown())
  .openapi("CriterionResult");

export const EvaluationSchema = z
  .object({
    verdict: z.enum(["pass", "fail", "partial"]),
    judgeModelId: z.string().openapi({
      description: "The judge of the criteria without a check (e.g. `armature/heuristic`); `armature/checks` when every criterion had a check.",
    }),
    summary: z.string().nullable(),
    criteria: z.array(CriterionResultSchema),
    baselineRunId: z.uuid().nullable().optional().openapi({ description: "The run the criteria were compared with, if any." }),
    createdAt: Timestamp,
  })
  .openapi("Evaluation");

export const RunEvaluationSchema = z
  .object({
    ...RunProgress,
    evaluation: EvaluationSchema.nullable().openapi({
      description: "Null while the run is in progress, and for a terminal run that was never evaluated (e.g. it failed before it started).",
    }),
  })
  .openapi("RunEvaluation");

export const ToolCallSchema = z
  .object({
    id: z.string(),
    seq: z.number().int().min(0).openapi({ description: "Order of the call within the run." }),
    toolName: z.string().openapi({ example: "search_issues" }),
    arguments: z.unknown().openapi({ description: "The arguments sent to the tool (redacted)." }),
    result: z.unknown().openapi({ description: "The tool's result body (redacted)." }),
    isError: z.boolean(),
    policyRefused: z.boolean().openapi({ description: "True when the workflow's tool policy refused the call: it never reached the source, and `result` says why." }),
    durationMs: z.number().int(),
    startedAt: Timestamp,
  })
  .openapi("ToolCall");

export const RunToolCallsSchema = z
  .object({ ...RunProgress, toolCalls: z.array(ToolCallSchema) })
  .openapi("RunToolCalls");

export type RunSummaryView = z.infer<typeof RunSummarySchema>;
export type RunView = z.infer<typeof RunSchema>;
export type RunTraceView = z.infer<typeof RunTraceSchema>;
export type RunEvaluationView = z.infer<typeof RunEvaluationSchema>;
export type RunToolCallsView = z.infer<typeof RunToolCallsSchema>;
