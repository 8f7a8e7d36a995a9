/**
 * A tool's input and output schemas, derived from its operation's zod schemas (the same ones REST validates
 * with), as the Standard Schema objects the MCP SDK takes.
 *
 * - Arguments: one object holding the operation's path, query and body fields. The SDK only advertises the
 *   schema (`tools/list`); the tool validates the arguments itself, after the access check, so a caller
 *   without access learns nothing about its input and a bad argument is the API's own `validation_failed`
 *   naming the field relative to the arguments (`criteria.0.criterionText`). Each part is validated with its
 *   own schema, as REST does: object-level rules of a body hold, and unknown arguments are refused when the
 *   operation takes a body (REST refuses unknown body fields) and ignored otherwise (REST ignores unknown
 *   query parameters).
 * - Output: the operation's output schema, validated by the SDK with zod (no code generation: zod never
 *   compiles validators on Workers).
 * - JSON Schema: zod's conversion, with the descriptions and examples the OpenAPI document shows.
 */
import { z } from "@hono/zod-openapi";
import { getOpenApiMetadata } from "@asteasolutions/zod-to-openapi";
import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import { validationError, type FieldIssue } from "../lib/errors";
import { jsonValueIssues } from "../lib/json-body";
import { fieldIssues } from "../lib/validation";
import { inputLocations, type Operation } from "../operations/operation";

type JsonSchema = Record<string, unknown>;
type Io = "input" | "output";

const PARTS = ["path", "query", "body"] as const;

/** Where an issue of the arguments object as a whole is reported. */
const ROOT_FIELD = "arguments";

/** zod's JSON Schema of `schema`, with the OpenAPI metadata's descriptions and examples. */
function toJsonSchema(schema: z.ZodType, io: Io, target: string): JsonSchema {
  return z.toJSONSchema(schema, {
    io,
    target: target as "draft-2020-12",
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      const meta = getOpenApiMetadata(zodSchema as never) as { description?: string; example?: unknown };
      if (meta.description && jsonSchema.description === undefined) jsonSchema.description = meta.description;
      if (meta.example !== undefined && jsonSchema.examples === undefined) jsonSchema.examples = [meta.example];
    },
  }) as JsonSchema;
}

/** The arguments' JSON Schema: the parts' properties side by side; strict when the body is. */
function argumentsJsonSchema(op: Operation, target: string): JsonSchema {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  let additionalProperties: unknown;
  for (const part of PARTS) {
    const schema = op.input[part];
    if (!schema) continue;
    const js = toJsonSchema(schema, "input", target);
    Object.assign(properties, js.properties);
    const needed = (js.required as string[] | undefined) ?? [];
    // A body the operation may leave out has no required field as an argument either.
    if (part !== "body" || op.input.bodyRequired !== false) required.push(...needed);
    if (part === "body") additionalProperties = js.additionalProperties;
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(additionalProperties !== undefined ? { additionalProperties } : {}),
  };
}

/** A Standard Schema with a JSON Schema (memoised per target) and the given validation. */
function standardSchema(json: (io: Io, target: string) => JsonSchema, validate: (value: unknown) => ReturnType<StandardSchemaWithJSON["~standard"]["validate"]>) {
  const memo = new Map<string, JsonSchema>();
  const jsonSchema = (io: Io) => (options: { target: string }) => {
    const key = `${io}:${options.target}`;
    if (!memo.has(key)) memo.set(key, json(io, options.target));
    return memo.get(key)!;
  };
  return {
    "~standard": { version: 1, vendor: "armature", validate, jsonSchema: { input: jsonSchema("input"), output: jsonSchema("output") } },
  } as StandardSchemaWithJSON<Record<string, unknown>>;
}

/**
 * The tool's arguments schema for the SDK: it advertises the arguments and accepts any object, since the
 * tool validates them itself (`parseArguments`) after the access check.
 */
export function argumentsSchema(op: Operation): StandardSchemaWithJSON<Record<string, unknown>> {
  const collisions = collidingFields(op);
  if (collisions.length > 0) throw new Error(`${op.name}: ${collisions.join(", ")} in more than one input part; the tool cannot take them as one object`);
  return standardSchema(
    (_io, target) => argumentsJsonSchema(op, target),
    (value) => ({ value: value as Record<string, unknown> }),
  );
}

/** The tool's output schema for the SDK: the operation's output schema, which the SDK validates with. */
export function outputSchema(op: Operation): StandardSchemaWithJSON<Record<string, unknown>> {
  const validate = op.output["~standard"].validate;
  return standardSchema((io, target) => toJsonSchema(op.output, io, target), (value) => validate(value) as never);
}

function collidingFields(op: Operation): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of PARTS) {
    for (const key of Object.keys(op.input[part]?.shape ?? {})) {
      if (seen.has(key)) out.push(key);
      seen.add(key);
    }
  }
  return out;
}

/**
 * The operation's input from a tool's arguments, validated as REST validates a request: every part with its
 * own schema, every bad argument named at once (`validation_failed`, fields relative to the arguments).
 */
export function parseArguments(op: Operation, args: Record<string, unknown>): Record<string, unknown> {
  const issues: FieldIssue[] = jsonValueIssues(args);
  if (issues.length > 0) throw validationError(issues.map((i) => ({ ...i, field: i.field || ROOT_FIELD })));
  const locations = inputLocations(op);
  // Arguments no part declares go to the body when there is one (a strict body refuses them), else to the query.
  const rest = op.input.body ? "body" : "query";
  const parts: Record<(typeof PARTS)[number], Record<string, unknown>> = { path: {}, query: {}, body: {} };
  for (const [key, value] of Object.entries(args)) parts[locations.get(key) ?? rest][key] = value;
  const input: Record<string, unknown> = {};
  for (const part of PARTS) {
    const schema = op.input[part];
    if (!schema) continue;
    const result = schema.safeParse(parts[part]);
    if (result.success) Object.assign(input, result.data);
    else issues.push(...fieldIssues(result.error, "").map((i) => ({ ...i, field: i.field || ROOT_FIELD })));
  }
  if (issues.length > 0) throw validationError(issues);
  return input;
}
