import { z } from "@hono/zod-openapi";
import { uuidInput } from "../lib/openapi";
import { RUN_CLASSIFICATION_IDS, RUN_STATUSES, RUN_TRIGGERS } from "../runs/status";
import { FLAGS_PATTERN, MAX_PATTERN_LENGTH, patternProblem } from "../runner/evaluate/pattern";

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const slug = z.string().regex(SLUG_PATTERN, "Must be a lowercase slug: letters, digits and hyphens, up to 64 characters");
const modelId = z.string().trim().min(1).max(200).openapi({ example: "claude-sonnet-4" });

/** Documented bounds of the execution policies. */
export const LIMIT_BOUNDS = {
  // A run must fit one queue consumer invocation (15 minutes of wall clock on Workers), with room to record it.
  timeoutSeconds: { min: 10, max: 840, default: 300 },
  maxTurns: { min: 1, max: 100, default: 20 },
  maxToolCalls: { min: 1, max: 500, default: 50 },
  maxOutputTokens: { min: 256, max: 64_000, default: 4096 },
  maxCostUsd: { min: 0, max: 100, default: 5 },
} as const;

const bounded = (b: { min: number; max: number; default: number }, int = true) =>
  (int ? z.number().int() : z.number())
    .min(b.min)
    .max(b.max)
    .openapi({ description: `${b.min} to ${b.max}; default ${b.default}.` });

export const TesterTarget = z
  .strictObject({
    modelId,
    skillMode: z
      .enum(["none", "skill"])
      .default("none")
      .openapi({ description: "`skill` runs the tester with the skill version named by `skillVersionId`." }),
    skillVersionId: z.string().trim().min(1).max(200).nullish(),
  })
  .superRefine((t, ctx) => {
    if (t.skillMode === "skill" && !t.skillVersionId) {
      ctx.addIssue({ code: "custom", path: ["skillVersionId"], message: "Required when skillMode is 'skill'" });
    }
    if (t.skillMode === "none" && t.skillVersionId) {
      ctx.addIssue({ code: "custom", path: ["skillVersionId"], message: "Only allowed when skillMode is 'skill'" });
    }
  })
  .openapi("TesterTarget");
export type TesterTargetInput = z.infer<typeof TesterTarget>;

// Deterministic checks a criterion may carry (evaluated by src/runner/evaluate/checks.ts; docs/run-engine.md).
const checkTool = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((t) => !/[\u0000-\u001f\u007f]/.test(t), "Must not contain control characters")
  .openapi({ description: "The tool's name as the MCP source lists it.", example: "get-sum" });
const checkPattern = z.string().min(1, "Must not be empty").max(MAX_PATTERN_LENGTH).openapi({
  description: `A JavaScript regular expression (a subset: no lookaround, backreferences or nested quantifiers such as \`(a+)+\`), at most ${MAX_PATTERN_LENGTH} characters. It reads the first 64 KiB of the text.`,
  example: "\\b5\\b",
});
const checkFlags = z
  .string()
  .regex(FLAGS_PATTERN, "Only the flags i, m, s and u are allowed, each at most once")
  .optional()
  .openapi({ description: "Regular expression flags: any of `i`, `m`, `s`, `u`, each at most once.", example: "i" });
const MAX_CHECK_ARGUMENTS_JSON = 8 * 1024;

/** Reports a pattern that is not valid, not supported, or too complex, on the `pattern` field. */
function refinePattern(v: { pattern: unknown; flags?: unknown }, ctx: z.RefinementCtx) {
  if (typeof v.pattern !== "string" || v.pattern.length === 0 || v.pattern.length > MAX_PATTERN_LENGTH) return; // reported already
  // With bad flags (reported on their own field) the pattern is still checked, with the valid ones.
  const flags = typeof v.flags === "string" && FLAGS_PATTERN.test(v.flags) ? v.flags : [...new Set(String(v.flags ?? "").replace(/[^imsu]/g, ""))].join("");
  const problem = patternProblem(v.pattern, flags);
  if (problem) ctx.addIssue({ code: "custom", path: ["pattern"], message: problem });
}

export const ToolCalledCheck = z
  .strictObject({
    type: z.literal("tool_called"),
    tool: checkTool,
    arguments: z
      .record(z.string().max(200), z.unknown())
      .refine((a) => JSON.stringify(a).length <= MAX_CHECK_ARGUMENTS_JSON, `At most ${MAX_CHECK_ARGUMENTS_JSON} characters of JSON`)
      .optional()
      .openapi({
        description: "Only calls whose arguments include these: each key given must deep-equal the call's value (other keys are ignored).",
        example: { a: 2 },
      }),
  })
  .openapi("ToolCalledCheck", { description: "Passes when the tool was called (a call the tool policy refused does not count)." });

export const ToolNotCalledCheck = z
  .strictObject({ type: z.literal("tool_not_called"), tool: checkTool })
  .openapi("ToolNotCalledCheck", { description: "Passes when the tool was not called (an attempt the tool policy refused is not a call)." });

export const NoToolErrorsCheck = z
  .strictObject({ type: z.literal("no_tool_errors") })
  .openapi("NoToolErrorsCheck", { description: "Passes when no tool call answered an error (refusals by the tool policy are not tool errors)." });

export const AnswerMatchesCheck = z
  .strictObject({ type: z.literal("answer_matches"), pattern: checkPattern, flags: checkFlags })
  .superRefine(refinePattern)
  .openapi("AnswerMatchesCheck", { description: "Passes when the tester's final answer matches the pattern." });

export const ToolResultMatchesCheck = z
  .strictObject({ type: z.literal("tool_result_matches"), tool: checkTool, pattern: checkPattern, flags: checkFlags })
  .superRefine(refinePattern)
  .openapi("ToolResultMatchesCheck", { description: "Passes when the result text of at least one call of the tool matches the pattern." });

export const MaxToolCallsCheck = z
  .strictObject({
    type: z.literal("max_tool_calls"),
    max: z.number().int().min(0).max(500).openapi({ description: "0 to 500.", example: 3 }),
  })
  .openapi("MaxToolCallsCheck", { description: "Passes when the run made at most `max` tool calls (refused attempts are not counted)." });

export const CriterionCheck = z
  .discriminatedUnion("type", [
    ToolCalledCheck,
    ToolNotCalledCheck,
    NoToolErrorsCheck,
    AnswerMatchesCheck,
    ToolResultMatchesCheck,
    MaxToolCallsCheck,
  ])
  .openapi("CriterionCheck", {
    description:
      "A deterministic check that decides the criterion instead of the judge: `tool_called`, `tool_not_called`, `no_tool_errors`, `answer_matches`, `tool_result_matches` or `max_tool_calls`.",
  });
export type CriterionCheck = z.infer<typeof CriterionCheck>;

export const Criterion = z
  .strictObject({
    criterionText: z.string().trim().min(1, "Must not be empty").max(2000),
    isRequired: z.boolean().default(true),
    check: CriterionCheck.optional(),
  })
  .openapi("Criterion");

export const ScheduleInput = z
  .strictObject({
    cron: z
      .string()
      .trim()
      .min(1)
      .max(120)
      .openapi({ description: "Five-field cron expression (minute hour day-of-month month day-of-week).", example: "0 9 * * 1-5" }),
    timezone: z.string().max(64).default("UTC").openapi({ description: "IANA time zone; default UTC.", example: "Europe/Berlin" }),
    enabled: z.boolean().default(true),
  })
  .openapi("ScheduleInput");

export const Limits = z
  .strictObject({
    timeoutSeconds: bounded(LIMIT_BOUNDS.timeoutSeconds).optional(),
    maxTurns: bounded(LIMIT_BOUNDS.maxTurns).optional(),
    maxToolCalls: bounded(LIMIT_BOUNDS.maxToolCalls).optional(),
    maxOutputTokens: bounded(LIMIT_BOUNDS.maxOutputTokens).optional(),
    maxCostUsd: bounded(LIMIT_BOUNDS.maxCostUsd, false).optional(),
  })
  .openapi("Limits");

export const RetryPolicy = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(5).optional().openapi({ description: "1 to 5; default 1 (no retry)." }),
    backoffSeconds: z.number().int().min(0).max(600).optional().openapi({ description: "0 to 600; default 30." }),
    retryOn: z
      .array(z.enum(["infrastructure", "fail", "partial"]))
      .max(3)
      .optional()
      .openapi({ description: "Which outcomes are retried; default ['infrastructure']." }),
  })
  .openapi("RetryPolicy");

const toolPattern = z
  .string()
  .regex(/^[A-Za-z0-9_.:*\/-]{1,200}$/, "Must be a tool name or a glob of letters, digits, _ . : / - and *");

export const ToolPolicy = z
  .strictObject({
    allow: z.array(toolPattern).max(100).optional().openapi({ description: "Only these tools (globs) may be called." }),
    deny: z.array(toolPattern).max(100).optional().openapi({ description: "These tools (globs) may never be called." }),
    allowDestructive: z
      .boolean()
      .optional()
      .openapi({ description: "Allow tools annotated destructive (MCP `destructiveHint`); default false." }),
  })
  .openapi("ToolPolicy");

const metadataValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);
export const Metadata = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "Keys are 1 to 64 letters, digits, _ . : or -")
      .refine((k) => !["__proto__", "constructor", "prototype"].includes(k), "Reserved key"),
    metadataValue,
  )
  .refine((m) => Object.keys(m).length <= 50, "At most 50 keys")
  .openapi({ description: "Free-form labels: up to 50 keys of strings, numbers, booleans or null." });

const workflowFields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "Search returns recent issues" }),
  mcpServerId: uuidInput(),
  testerPrompt: z
    .string()
    .trim()
    .min(1)
    .max(20_000)
    .openapi({ example: "Search for the most recent open issue and summarize it." }),
  description: z.string().max(2000).nullish(),
  categorySlug: slug.nullish().openapi({ example: "search" }),
  defaultMcpAuthProfileId: uuidInput().nullish(),
  testerModelId: modelId.nullish(),
  testerModelIds: z.array(modelId).min(1).max(10).nullish(),
  testerTargets: z.array(TesterTarget).min(1).max(10).nullish(),
  criteria: z.array(Criterion).max(50).optional(),
  schedule: ScheduleInput.nullish(),
  limits: Limits.optional(),
  retryPolicy: RetryPolicy.optional(),
  toolPolicy: ToolPolicy.optional(),
  metadata: Metadata.optional(),
};

export const CreateWorkflowBody = z.strictObject(workflowFields).openapi("CreateWorkflowRequest");
export type CreateWorkflowInput = z.infer<typeof CreateWorkflowBody>;

export const UpdateWorkflowBody = z
  .strictObject({
    name: workflowFields.name.optional(),
    mcpServerId: workflowFields.mcpServerId.optional(),
    testerPrompt: workflowFields.testerPrompt.optional(),
    description: workflowFields.description,
    categorySlug: workflowFields.categorySlug,
    defaultMcpAuthProfileId: workflowFields.defaultMcpAuthProfileId,
    testerModelId: workflowFields.testerModelId,
    testerModelIds: workflowFields.testerModelIds,
    testerTargets: workflowFields.testerTargets,
    criteria: workflowFields.criteria,
    schedule: ScheduleInput.nullable().optional().openapi({ description: "`null` makes the workflow manual-only." }),
    limits: workflowFields.limits,
    retryPolicy: workflowFields.retryPolicy,
    toolPolicy: workflowFields.toolPolicy,
    metadata: workflowFields.metadata,
  })
  .openapi("UpdateWorkflowRequest");
export type UpdateWorkflowInput = z.infer<typeof UpdateWorkflowBody>;

/** An idempotency key, in the body or the Idempotency-Key header: 1–255 printable ASCII characters, no spaces. */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, "Must be 1 to 255 printable ASCII characters without spaces");

export const DispatchBody = z
  .strictObject({
    reason: z.string().trim().max(500).optional().openapi({ example: "post-deploy smoke test" }),
    baselineRunId: uuidInput().optional(),
    idempotencyKey: IdempotencyKey.optional().openapi({ example: "deploy-abc123" }),
    forceNewRun: z.boolean().optional(),
    testerModelIds: z.array(modelId).min(1).max(10).optional(),
    testerTargets: z.array(TesterTarget).min(1).max(10).optional(),
  })
  .openapi("DispatchRunsRequest");
export type DispatchInput = z.infer<typeof DispatchBody>;

/** A version's resolved configuration: what a run executes. */
export const WorkflowConfigSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    categorySlug: z.string().nullable(),
    mcpServerId: z.uuid(),
    defaultMcpAuthProfileId: z.uuid().nullable(),
    testerPrompt: z.string(),
    testerModelId: z.string().nullable(),
    testerModelIds: z.array(z.string()).nullable(),
    testerTargets: z.array(
      z.object({ modelId: z.string(), skillMode: z.enum(["none", "skill"]), skillVersionId: z.string().nullable() }),
    ),
    criteria: z.array(
      z.object({
        criterionText: z.string(),
        isRequired: z.boolean(),
        check: CriterionCheck.optional(),
      }),
    ),
    schedule: z.object({ cron: z.string(), timezone: z.string(), enabled: z.boolean() }).nullable(),
    limits: z.object({
      timeoutSeconds: z.number().int(),
      maxTurns: z.number().int(),
      maxToolCalls: z.number().int(),
      maxOutputTokens: z.number().int(),
      maxCostUsd: z.number(),
    }),
    retryPolicy: z.object({
      maxAttempts: z.number().int(),
      backoffSeconds: z.number().int(),
      retryOn: z.array(z.enum(["infrastructure", "fail", "partial"])),
    }),
    toolPolicy: z.object({ allow: z.array(z.string()).nullable(), deny: z.array(z.string()), allowDestructive: z.boolean() }),
    metadata: z.record(z.string(), metadataValue),
  })
  .openapi("WorkflowConfig");
export type WorkflowConfig = z.infer<typeof WorkflowConfigSchema>;

export const WorkflowVersionSchema = z
  .object({
    id: z.uuid(),
    workflowId: z.uuid(),
    version: z.number().int().openapi({ example: 1 }),
    config: WorkflowConfigSchema,
    createdAt: z.iso.datetime(),
  })
  .openapi("WorkflowVersion");

export const ScheduleSchema = z
  .object({
    cron: z.string(),
    timezone: z.string(),
    enabled: z.boolean(),
    nextRunAt: z.iso.datetime().nullable().openapi({ description: "When the schedule is next due; null when disabled." }),
  })
  .openapi("Schedule");

export const WorkflowSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    categorySlug: z.string().nullable(),
    mcpServerId: z.uuid(),
    defaultMcpAuthProfileId: z.uuid().nullable(),
    testerPrompt: z.string(),
    testerTargets: WorkflowConfigSchema.shape.testerTargets,
    criteria: WorkflowConfigSchema.shape.criteria,
    schedule: ScheduleSchema.nullable(),
    limits: WorkflowConfigSchema.shape.limits,
    retryPolicy: WorkflowConfigSchema.shape.retryPolicy,
    toolPolicy: WorkflowConfigSchema.shape.toolPolicy,
    metadata: WorkflowConfigSchema.shape.metadata,
    currentVersion: z.object({ id: z.uuid(), version: z.number().int(), createdAt: z.iso.datetime() }),
    archived: z.boolean(),
    archivedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Workflow");
export type WorkflowView = z.infer<typeof WorkflowSchema>;

export const DispatchedRunSchema = z
  .object({
    id: z.uuid(),
    workflowId: z.uuid(),
    workflowVersion: z.number().int(),
    status: z.enum(RUN_STATUSES),
    classification: z.enum(RUN_CLASSIFICATION_IDS).nullable(),
    trigger: z.enum(RUN_TRIGGERS),
    reason: z.string().nullable(),
    modelId: z.string(),
    skillMode: z.enum(["none", "skill"]),
    skillVersionId: z.string().nullable(),
    baselineRunId: z.uuid().nullable(),
    reused: z.boolean().openapi({
      description: "True when this is an identical run that was already queued or running, returned instead of a new one.",
    }),
    createdAt: z.iso.datetime(),
  })
  .openapi("DispatchedRun");
export type DispatchedRun = z.infer<typeof DispatchedRunSchema>;
