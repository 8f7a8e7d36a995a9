import { TAG_DESCRIPTIONS } from "./document";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

export interface DocumentOperation {
  method: (typeof HTTP_METHODS)[number];
  /** The OpenAPI path template, relative to the server URL: `/mcp-servers/{id}`. */
  path: string;
  operation: Json;
}

/** Every operation of an OpenAPI document, in document order. */
export function documentOperations(doc: object): DocumentOperation[] {
  const paths = (doc as Json).paths;
  if (!isObject(paths)) return [];
  return Object.entries(paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => (isObject(item) && isObject(item[method]) ? [{ method, path, operation: item[method] as Json }] : [])),
  );
}

/**
 * The house rules Redocly does not check, for the live document: one bearer scheme used by every operation,
 * one known tag each, unique operationIds, a documented success body and 401 everywhere, tags listed only
 * when used, non-nullable named schemas, `nullable` always next to `type`, and every `$ref` resolving.
 * Answers one readable line per problem; an empty list means the document passes.
 */
export function auditOpenApiDocument(doc: object): string[] {
  const d = doc as Json;
  const problems: string[] = [];
  if (typeof d.openapi !== "string" || !/^3\.0\.\d+$/.test(d.openapi)) problems.push(`openapi is ${String(d.openapi)}, not 3.0.x`);
  const components = isObject(d.components) ? d.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  const bearer = schemes.bearerAuth;
  if (!isObject(bearer) || bearer.type !== "http" || bearer.scheme !== "bearer") problems.push("components.securitySchemes.bearerAuth is not an http bearer scheme");
  for (const name of Object.keys(schemes)) if (name !== "bearerAuth") problems.push(`unexpected security scheme ${name}`);

  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const { method, path, operation: op } of documentOperations(doc)) {
    const where = `${method.toUpperCase()} ${path}`;
    if (typeof op.operationId !== "string" || op.operationId === "") problems.push(`${where}: no operationId`);
    else if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} is also used by ${ids.get(op.operationId)}`);
    else ids.set(op.operationId, where);
    const tags = Array.isArray(op.tags) ? op.tags.map(String) : [];
    if (tags.length !== 1) problems.push(`${where}: has ${tags.length} tags, needs exactly one`);
    for (const t of tags) {
      used.add(t);
      if (!(t in TAG_DESCRIPTIONS)) problems.push(`${where}: tag ${t} is not one of ${Object.keys(TAG_DESCRIPTIONS).join(", ")}`);
    }
    if (JSON.stringify(op.security) !== JSON.stringify([{ bearerAuth: [] }])) problems.push(`${where}: security is not [{ bearerAuth: [] }]`);
    if (typeof op.summary !== "string" || op.summary === "") problems.push(`${where}: no summary`);
    const responses = isObject(op.responses) ? op.responses : {};
    const success = Object.keys(responses).filter((s) => /^2\d\d$/.test(s));
    if (success.length === 0) problems.push(`${where}: no 2xx response`);
    for (const s of success) {
      const r = responses[s];
      const schema = isObject(r) && isObject(r.content) && isObject(r.content["application/json"]) ? r.content["application/json"].schema : undefined;
      if (s !== "204" && !isObject(schema)) problems.push(`${where}: ${s} response has no application/json schema`);
    }
    if (!responses["401"]) problems.push(`${where}: 401 is not documented`);
    const params = Array.isArray(op.parameters) ? op.parameters.filter(isObject) : [];
    for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
      if (!params.some((p) => p.in === "path" && p.name === name && p.required === true)) problems.push(`${where}: path parameter ${name} is not documented`);
    }
  }

  const listed = Array.isArray(d.tags) ? d.tags.filter(isObject).map((t) => String(t.name)) : [];
  for (const t of listed) if (!used.has(t)) problems.push(`tag ${t} is listed but no operation uses it`);
  for (const t of used) if (!listed.includes(t)) problems.push(`tag ${t} is used but not listed`);

  const schemas = isObject(components.schemas) ? components.schemas : {};
  for (const [name, schema] of Object.entries(schemas)) {
    if (isObject(schema) && schema.nullable === true) {
      problems.push(`components.schemas.${name} is nullable itself: name the non-null schema and use .nullable() where it is used`);
    }
  }
  const visit = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((v, i) => visit(v, `${at}/${i}`));
    if (!isObject(node)) return;
    if ("nullable" in node && !("type" in node)) problems.push(`${at}: nullable without type is not OpenAPI 3.0`);
    if (typeof node.$ref === "string") {
      const target = node.$ref.replace(/^#\//, "").split("/").reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), d);
      if (target === undefined) problems.push(`${at}: $ref ${node.$ref} does not resolve`);
    }
    for (const [k, v] of Object.entries(node)) visit(v, `${at}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`);
  };
  visit(d, "#");
  return problems;
}
