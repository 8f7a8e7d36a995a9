import type { z } from "@hono/zod-openapi";
import { hasRole, type Role } from "../auth/roles";
import type { OperationContext } from "../context";
import { ApiError, type FieldIssue } from "../lib/errors";

/** Organization features an operation may require. */
export const FEATURES = { "mcp-analytics": "MCP Analytics" } as const;
export type Feature = keyof typeof FEATURES;

/** The OpenAPI tag (and MCP grouping) of an operation. */
export type OperationTag = "org" | "mcpServers" | "workflows" | "runs" | "insights";

type AnyObject = z.ZodObject;
type InferOr<T> = T extends z.ZodType ? z.output<T> : unknown;

/** Where an operation's input comes from on REST; the MCP API takes the same fields as one arguments object. */
export interface OperationInput<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends AnyObject | undefined> {
  /** Identifiers (REST: path parameters). */
  path?: P;
  /** Filters and paging (REST: query string). */
  query?: Q;
  /** The payload (REST: JSON body). */
  body?: B;
  /** False when the payload may be left out entirely (default true when there is one). */
  bodyRequired?: boolean;
}

/** The input `run` receives: the fields of path, query and body merged into one object. */
export type InputOf<P, Q, B> = InferOr<P> & InferOr<Q> & InferOr<B>;

/**
 * One API operation, defined once and bound to every surface (REST today, the MCP API next): its name, the
 * role (and feature) it needs, its input and output schemas, and the function that does it.
 */
export interface Operation<
  P extends AnyObject | undefined = AnyObject | undefined,
  Q extends AnyObject | undefined = AnyObject | undefined,
  B extends AnyObject | undefined = AnyObject | undefined,
  O extends z.ZodType = z.ZodType,
> {
  /** The OpenAPI operationId, camelCase. */
  name: string;
  summary: string;
  description?: string;
  tag: OperationTag;
  /** The lowest role allowed to call it. */
  role: Role;
  /** When set, exactly these roles may call it (ingestion: `ingest` and editor and above, not viewer). */
  roles?: readonly Role[];
  /** An organization feature it needs, if any. */
  feature?: Feature;
  /** True when it changes nothing (MCP `readOnlyHint`). */
  readOnly: boolean;
  input: OperationInput<P, Q, B>;
  output: O;
  /** What the output means (REST: the success response's description). */
  outputDescription: string;
  /** Error statuses it may answer besides those its input implies (400, 404 for an id, 413/415 for a body). */
  errors?: Array<409 | 422>;
  run(ctx: OperationContext, input: InputOf<P, Q, B>): Promise<z.input<O>>;
}

/** Defines an operation, inferring `run`'s input from the schemas. */
export function defineOperation<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  B extends AnyObject | undefined = undefined,
  O extends z.ZodType = z.ZodType,
>(op: Operation<P, Q, B, O>): Operation<P, Q, B, O> {
  return op;
}

/** 403 unless the caller's role and organization allow the operation. */
export function checkAccess(op: Pick<Operation, "role" | "roles" | "feature">, principal: OperationContext["principal"]): void {
  if (op.roles ? !op.roles.includes(principal.role) : !hasRole(principal.role, op.role)) {
    const needed = op.roles ? `one of the roles ${op.roles.join(", ")}` : `the ${op.role} role or higher`;
    throw new ApiError("forbidden", `This operation requires ${needed}; the key has ${principal.role}`);
  }
  if (op.feature && !principal.org.features.includes(op.feature)) {
    throw new ApiError("feature_disabled", `${FEATURES[op.feature]} is not enabled for this organization`);
  }
}

/**
 * Runs an operation for a caller: the access check first, whatever the surface, then the operation.
 * Every surface calls this, never `op.run` directly.
 */
export async function executeOperation<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends AnyObject | undefined, O extends z.ZodType>(
  op: Operation<P, Q, B, O>,
  ctx: OperationContext,
  input: InputOf<P, Q, B>,
): Promise<z.input<O>> {
  checkAccess(op, ctx.principal);
  return op.run(ctx, input);
}

/** The top-level input fields of each part, for surfaces that must say where a field was sent. */
export function inputLocations(op: Operation): Map<string, "path" | "query" | "body"> {
  const out = new Map<string, "path" | "query" | "body">();
  for (const part of ["path", "query", "body"] as const) {
    const schema = op.input[part];
    if (schema) for (const key of Object.keys(schema.shape)) out.set(key, part);
  }
  return out;
}

/**
 * Rewrites the fields of a validation error thrown by an operation (relative to its input:
 * `testerTargets.0.modelId`) with `prefix(topLevelField)` (`body.testerTargets.0.modelId`); any other error
 * passes through unchanged.
 */
export function prefixFieldErrors(err: unknown, prefix: (topLevel: string) => string): unknown {
  if (!(err instanceof ApiError) || err.code !== "validation_failed") return err;
  const details = err.details as { fields?: FieldIssue[] } | undefined;
  if (!details?.fields) return err;
  const fields = details.fields.map((f) => ({ ...f, field: prefix(f.field.split(".")[0]!) + f.field }));
  const message = err.message.replace(/^Invalid ([^:]+):/, (_m, field: string) => `Invalid ${prefix(field.split(".")[0]!)}${field}:`);
  return new ApiError("validation_failed", message, { ...details, fields });
}
