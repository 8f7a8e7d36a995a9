import type { Hook } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import { validationError, type FieldIssue } from "./errors";

const TARGET_NAMES: Record<string, string> = { json: "body", param: "path", query: "query", header: "header" };

/** Turns zod issues into `{ field, message }` pairs, field as `body.criteria.0.criterionText`. */
export function fieldIssues(error: z.ZodError, prefix: string): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: path ? `${path}.${key}` : key, message: "Unknown field" });
    } else {
      out.push({ field: path || prefix, message: issue.message });
    }
  }
  return out;
}

/** The 400 for a request part (`json`, `param`, `query`, `header`) that failed its schema, naming each field. */
export function requestValidationError(error: z.ZodError, target: string) {
  return validationError(fieldIssues(error, TARGET_NAMES[target] ?? target));
}

/** The OpenAPIHono defaultHook: every request validation failure becomes a 400 naming each field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (!result.success) throw requestValidationError(result.error as z.ZodError, (result as { target?: string }).target ?? "");
};
