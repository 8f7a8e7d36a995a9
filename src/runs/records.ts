import { z } from "@hono/zod-openapi";
import type { CriterionCheck } from "../workflows/schemas";

/**
 * The shapes of a run's evidence as stored: the run engine writes through these schemas (src/runs/lifecycle.ts)
 * and the read surface parses what it reads with the same ones (src/runs/queries.ts), so what is written is
 * what is served.
 */

export const StoredSpan = z
  .object({
    id: z.string(),
    parentId: z.string().nullable().openapi({ description: "The enclosing span; null for the root." }),
    name: z.string().openapi({ example: "tools/call search_issues" }),
    kind: z.string().openapi({ description: "What the span covers: `agent`, `model`, `tool` or `judge`.", example: "tool" }),
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime().nullable().openapi({ description: "Null while the span is open." }),
    attributes: z.record(z.string(), z.unknown()).openapi({ description: "Span attributes as recorded (redacted)." }),
    events: z
      .array(z.record(z.string(), z.unknown()))
      .optional()
      .openapi({ description: "Timestamped events within the span, when recorded." }),
  })
  .catchall(z.unknown())
  .openapi("Span", { description: "One span of the run's trace, as the run engine recorded it, redacted. Unknown fields are passed through." });
export type StoredSpan = z.infer<typeof StoredSpan>;
export const StoredSpans = z.array(StoredSpan);

export const StoredToolCall = z.object({
  id: z.string().min(1),
  seq: z.number().int().min(0),
  toolName: z.string().min(1),
  arguments: z.unknown(),
  result: z.unknown(),
  isError: z.boolean(),
  policyRefused: z.boolean().default(false),
  durationMs: z.number().int().min(0),
  startedAt: z.iso.datetime(),
});
export type StoredToolCall = z.infer<typeof StoredToolCall>;

/** One criterion's result; fields a judge left out get their documented defaults. */
export const StoredCriterionResult = z
  .object({
    criterionText: z.string().default(""),
    isRequired: z.boolean().default(false),
    verdict: z.enum(["pass", "fail"]),
    reasoning: z.string().nullable().default(null),
    excerpts: z.array(z.string()).default([]),
    // Written by the run engine's evaluation (src/runner/evaluate/evaluate.ts); absent in older records.
    passed: z.boolean().optional(),
    method: z.enum(["check", "judge"]).optional(),
    // Read loosely: a check recorded under older rules must not make the whole criterion unreadable.
    check: z.custom<CriterionCheck>((v) => typeof v === "object" && v !== null && !Array.isArray(v)).optional(),
    baseline: z.enum(["regressed", "fixed", "unchanged", "new"]).optional(),
  })
  .catchall(z.unknown());
export type StoredCriterionResult = z.infer<typeof StoredCriterionResult>;
export const StoredCriterionResults = z.array(StoredCriterionResult);

export interface StoredEvaluation {
  verdict: "pass" | "fail" | "partial";
  judgeModelId: string;
  summary: string | null;
  criteria: z.input<typeof StoredCriterionResult>[];
  baselineRunId?: string | null;
}

/** The items of a stored list that fit `schema`, parsed; anything else (a corrupted row) is left out. */
export function parseStored<T extends z.ZodType>(schema: T, items: unknown): Array<z.output<T>> {
  if (!Array.isArray(items)) return [];
  return items.flatMap((item) => {
    const parsed = schema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}
