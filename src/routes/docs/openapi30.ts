/**
 * Repairs for what @asteasolutions/zod-to-openapi emits from zod 4 schemas that OpenAPI 3.0 does not allow.
 *
 * 3.0 has no `null` type: `nullable: true` only means something next to a `type` (and Redocly's
 * `nullable-type-sibling` rule enforces it). The generator writes `{ nullable: true }` on its own for
 * `z.unknown()`, `z.any()` and `.catchall(z.unknown())`, `allOf: [{ $ref }, { nullable: true }]` for a
 * nullable named schema, and a `{ nullable: true }` branch in the `anyOf` of a nullable union.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const COMPOSITIONS = ["allOf", "anyOf", "oneOf"] as const;

/** Keys that make a schema more than a bare "also null" marker. */
const STRUCTURAL = ["type", "$ref", "allOf", "anyOf", "oneOf", "not", "properties", "items", "enum", "additionalProperties"];

/** `{ nullable: true }`, possibly with annotations (description, example): what the generator uses for "or null". */
function isNullMarker(v: unknown): v is Json {
  return isObject(v) && v.nullable === true && STRUCTURAL.every((k) => !(k in v));
}

/** The JSON types a schema can have, following `$ref`s into `components.schemas` and through compositions. */
function typesOf(schema: unknown, schemas: Json, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (!isObject(schema)) return out;
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "");
    if (seen.has(name)) return out;
    seen.add(name);
    return typesOf(schemas[name], schemas, seen);
  }
  if (typeof schema.type === "string") return new Set([schema.type]);
  if (Array.isArray(schema.allOf)) {
    for (const part of schema.allOf) {
      const types = typesOf(part, schemas, seen);
      if (types.size > 0) return types;
    }
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) for (const part of branches) for (const t of typesOf(part, schemas, seen)) out.add(t);
  }
  return out;
}

function fixSchema(schema: Json, schemas: Json) {
  // "or null" branches of a composition become `nullable` on the composing schema.
  for (const key of COMPOSITIONS) {
    const parts = schema[key];
    if (!Array.isArray(parts) || !parts.some(isNullMarker)) continue;
    const kept = parts.filter((p) => !isNullMarker(p));
    for (const marker of parts.filter(isNullMarker)) {
      for (const [k, v] of Object.entries(marker)) if (!(k in schema)) schema[k] = v;
    }
    schema.nullable = true;
    if (kept.length === 1 && key !== "allOf") {
      delete schema[key];
      schema.allOf = kept;
    } else {
      schema[key] = kept;
    }
  }
  if (schema.nullable !== true || "type" in schema) return;
  const composed = COMPOSITIONS.find((k) => Array.isArray(schema[k]));
  if (!composed) {
    // z.unknown() / z.any(): any value, null included; nothing to say in 3.0 but `{}`.
    delete schema.nullable;
    return;
  }
  const types = typesOf(schema, schemas);
  if (types.size === 1) {
    schema.type = [...types][0];
    return;
  }
  // Mixed types (e.g. string | number | null): 3.0 can only say "null" as a typed schema that allows null only.
  delete schema.nullable;
  const nullOnly = { type: [...types][0] ?? "string", nullable: true, enum: [null] };
  if (composed === "allOf") {
    schema.anyOf = [{ allOf: schema.allOf }, nullOnly];
    delete schema.allOf;
  } else {
    (schema[composed] as unknown[]).push(nullOnly);
  }
}

function walk(node: unknown, schemas: Json) {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, schemas);
    return;
  }
  if (!isObject(node)) return;
  // Pre-order: a composition must see its `{ nullable: true }` branches before they are rewritten.
  fixSchema(node, schemas);
  for (const value of Object.values(node)) walk(value, schemas);
}

/**
 * Rewrites, in place, the generator's 3.1-style "or null" output into valid OpenAPI 3.0:
 * `{ nullable: true }` alone becomes `{}`; `allOf: [{ $ref }, { nullable: true }]` becomes
 * `{ type, nullable: true, allOf: [{ $ref }] }` (the type taken from the referenced schema); a nullable
 * union of one JSON type gets that type; a nullable union of several gets a null-only branch.
 *
 * @example
 * toOpenApi30({ components: { schemas: { E: { type: "object", additionalProperties: { nullable: true } } } } });
 * // -> additionalProperties: {}
 */
export function toOpenApi30<T extends object>(doc: T): T {
  const components = (doc as Json).components;
  const schemas = isObject(components) && isObject(components.schemas) ? components.schemas : {};
  walk(doc, schemas);
  return doc;
}
