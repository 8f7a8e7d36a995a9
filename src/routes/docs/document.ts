import type { ApiApp } from "../../env";
import { OpenApiGeneratorV3 } from "@asteasolutions/zod-to-openapi";
import { API_BASE } from "../../lib/openapi";
import { toOpenApi30 } from "./openapi30";

/** OpenAPI version of the live document. */
export const OPENAPI_VERSION = "3.0.3";

export type OpenApiDocument = ReturnType<ApiApp["getOpenAPIDocument"]>;

/**
 * Every tag the API may use, in the order the reference lists them. Only the tags of operations that are
 * registered appear in a document; an operation tagged with a name missing here is listed last without a
 * description, which `npm run lint:openapi` refuses (tag-description).
 */
export const TAG_DESCRIPTIONS: Record<string, string> = {
  org: "The calling key's organization.",
  mcpServers: "MCP sources under test.",
  workflows: "Workflows and manual dispatch.",
  runs: "Run history, traces, evaluations and tool calls.",
  insights: "Topics, searches and sessions observed on MCP analytics.",
};

/** Names for error responses shared by several operations, moved to `components.responses`. */
const SHARED_RESPONSE_NAMES: Record<string, string> = {
  "400": "ValidationFailed",
  "401": "Unauthorized",
  "403": "Forbidden",
  "404": "NotFound",
  "409": "Conflict",
  "413": "PayloadTooLarge",
  "415": "UnsupportedMediaType",
  "422": "IdempotencyKeyReused",
  "429": "RateLimited",
  "500": "InternalError",
  "503": "ServiceUnavailable",
};

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isZod = (v: unknown): v is { _zod: { def: Json } } => isObject(v) && "_zod" in v;

/**
 * The inner schemas of every `.nullable()` reachable from the routes, innermost first.
 *
 * The generator names a component after the first use it meets: if that use is `Named.nullable()`, the
 * component itself comes out nullable and that first reference loses its "or null". Generating these inner
 * schemas before the routes makes every named component non-nullable and every nullable use an explicit
 * "or null" of it. Inner schemas without a name generate nothing.
 */
function nullableInnerSchemas(definitions: readonly unknown[]): unknown[] {
  // Passed to the generator as `{ type: "schema", schema }`: a bare zod 4 schema has its own `type` field and
  // would not be recognised as a plain schema definition.
  const seen = new Set<object>();
  const out: unknown[] = [];
  const visitZod = (schema: { _zod: { def: Json } }) => {
    if (seen.has(schema)) return;
    seen.add(schema);
    const def = schema._zod.def;
    for (const [key, value] of Object.entries(def)) {
      if (key === "checks") continue;
      if (key === "getter" && typeof value === "function") visitAny((value as () => unknown)());
      else visitAny(value);
    }
    if (def.type === "nullable" && isZod(def.innerType)) out.push(def.innerType);
  };
  const visitAny = (value: unknown): void => {
    if (isZod(value)) visitZod(value);
    else if (Array.isArray(value)) value.forEach(visitAny);
    else if (isObject(value)) Object.values(value).forEach(visitAny);
  };
  definitions.forEach(visitAny);
  return out;
}

/** Error responses that several operations share verbatim become `components.responses` references. */
function shareErrorResponses(doc: Json) {
  const operations = Object.values(doc.paths as Json).flatMap((item) =>
    METHODS.flatMap((m) => (isObject(item) && isObject(item[m]) ? [item[m] as Json] : [])),
  );
  const variants = new Map<string, Map<string, number>>();
  for (const op of operations) {
    for (const [status, response] of Object.entries(op.responses as Json)) {
      if (!SHARED_RESPONSE_NAMES[status] || !isObject(response) || "$ref" in response) continue;
      const counts = variants.get(status) ?? new Map<string, number>();
      const key = JSON.stringify(response);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      variants.set(status, counts);
    }
  }
  const shared: Json = {};
  const refs = new Map<string, { key: string; ref: string }>();
  for (const [status, counts] of variants) {
    const [key, count] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    if (count < 2) continue;
    const name = SHARED_RESPONSE_NAMES[status]!;
    shared[name] = JSON.parse(key);
    refs.set(status, { key, ref: `#/components/responses/${name}` });
  }
  for (const op of operations) {
    const responses = op.responses as Json;
    for (const [status, response] of Object.entries(responses)) {
      const target = refs.get(status);
      if (target && JSON.stringify(response) === target.key) responses[status] = { $ref: target.ref };
    }
  }
  if (Object.keys(shared).length > 0) (doc.components as Json).responses = shared;
}

/** Tags of the registered operations, in TAG_DESCRIPTIONS order, unknown ones last. */
function usedTags(doc: Json) {
  const used = new Set<string>();
  for (const item of Object.values(doc.paths as Json)) {
    for (const m of METHODS) {
      const op = isObject(item) ? item[m] : undefined;
      if (isObject(op) && Array.isArray(op.tags)) for (const t of op.tags) used.add(String(t));
    }
  }
  const known = Object.keys(TAG_DESCRIPTIONS);
  const rank = (t: string) => (known.includes(t) ? known.indexOf(t) : known.length);
  return [...used]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((name) => (TAG_DESCRIPTIONS[name] ? { name, description: TAG_DESCRIPTIONS[name] } : { name }));
}

function generate(api: ApiApp): Omit<OpenApiDocument, "servers"> {
  const definitions = api.openAPIRegistry.definitions;
  const prelude = nullableInnerSchemas(definitions).map((schema) => ({ type: "schema", schema }) as (typeof definitions)[number]);
  const generated = new OpenApiGeneratorV3([...prelude, ...definitions], { sortComponents: "alphabetically" }).generateDocument({
    openapi: OPENAPI_VERSION,
    info: {
      title: "Armature REST API",
      version: "1.0.0",
      description:
        "Programmatic access to Armature: MCP sources, workflows, runs and insights. Authenticate with an Armature API key as a bearer token.",
      license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    },
  });
  const doc = toOpenApi30(generated) as unknown as Json;
  shareErrorResponses(doc);
  const { openapi, info, paths, components } = doc;
  return {
    openapi,
    info,
    security: [{ bearerAuth: [] }],
    tags: usedTags(doc),
    paths,
    components,
  } as Omit<OpenApiDocument, "servers">;
}

const cache = new WeakMap<ApiApp, Omit<OpenApiDocument, "servers">>();

/**
 * The live OpenAPI 3.0 document of `api` for the host at `origin`. The origin-free part is generated once
 * per app and shared between calls: treat the result as read-only (clone it before changing it).
 *
 * @example
 * buildOpenApiDocument(createApiApp(), "https://acme.armature.app").servers;
 * // -> [{ url: "https://acme.armature.app/api/armature/v1", description: "This host" }]
 */
export function buildOpenApiDocument(api: ApiApp, origin: string): OpenApiDocument {
  let base = cache.get(api);
  if (!base) {
    base = generate(api);
    cache.set(api, base);
  }
  const { openapi, info, ...rest } = base;
  return { openapi, info, servers: [{ url: `${origin}${API_BASE}`, description: "This host" }], ...rest };
}
