import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { OperationContext } from "../context";
import type { ApiApp, AppEnv } from "../env";
import { validationError } from "../lib/errors";
import { requestValidationError } from "../lib/validation";
import { checkJsonBody } from "../lib/json-body";
import { jsonAnswer } from "../lib/answer";
import { jsonBodyOf } from "../lib/json-text";
import { errorResponses, json, UuidParam } from "../lib/openapi";
import { LINK_HEADER, pageLinks, type PageRequest } from "../lib/pagination";
import { withRateLimitDocs } from "../lib/rate-limit";
import { checkAccess, executeOperation, inputLocations, prefixFieldErrors, type Operation } from "../operations/operation";

/** A request header folded into one input field (the body's field wins; both sent must agree). */
export interface HeaderField {
  header: string;
  field: string;
  schema: z.ZodType;
  description: string;
}

/** How one operation is served over REST. */
export interface RestBinding {
  op: Operation;
  method: "get" | "post" | "patch" | "delete";
  /** OpenAPI path template relative to API_BASE, e.g. `/workflows/{id}`. */
  path: string;
  status: 200 | 201 | 202;
  headerFields?: HeaderField[];
  /** Response headers taken from the output, with their documentation. */
  responseHeaders?: {
    docs: Record<string, { description: string; schema: { type: "string" } }>;
    from(output: unknown): Record<string, string>;
  };
  /** The output is a page (`page`, `pageSize`, `total`): answer a `Link` header too. */
  paginated?: boolean;
  /** What a 415 (a body that is not JSON) says on this route, instead of the general message. */
  unsupportedMediaType?: string;
}

/** The caller's context; authentication has run, so the principal is there. */
export function operationContext(c: Context<AppEnv>): OperationContext {
  // c.get, not c.var: hono builds a new object of every variable on each c.var read.
  return { ...c.get("app"), principal: c.get("principal"), requestId: c.get("requestId") };
}

/** The route contract of a binding, as the OpenAPI document describes it. */
function routeOf(b: RestBinding) {
  const { op } = b;
  const { path, query, body, bodyRequired = true } = op.input;
  const statuses: Array<400 | 404 | 409 | 413 | 415 | 422> = [];
  if (path || query || body || b.headerFields) statuses.push(400);
  if (path && "id" in path.shape) statuses.push(404);
  if (body) statuses.push(413, 415);
  statuses.push(...(op.errors ?? []));
  const headers = headerSchema(b);
  const success = json(op.output, op.outputDescription);
  return createRoute({
    method: b.method,
    path: b.path,
    operationId: op.name,
    tags: [op.tag],
    security: [{ bearerAuth: [] }],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    "x-armature-role": op.role,
    ...(op.roles ? { "x-armature-roles": [...op.roles] } : {}),
    ...(op.feature ? { "x-armature-feature": op.feature } : {}),
    // Before validation: a caller without access learns nothing about the input.
    middleware: [accessAndInputs(op, headers), ...(body ? [checkJsonBody(!bodyRequired, b.unsupportedMediaType)] : [])],
    request: {
      ...(path ? { params: path } : {}),
      ...(query ? { query } : {}),
      ...(headers ? { headers } : {}),
      ...(body ? { body: { required: bodyRequired, content: { "application/json": { schema: body } } } } : {}),
    },
    responses: {
      [b.status]: {
        ...success,
        headers: { ...(b.paginated ? LINK_HEADER : {}), ...(b.responseHeaders?.docs ?? {}) },
      },
      ...errorResponses(...new Set(statuses)),
    },
  });
}

/** What the query string holds as the zod-openapi validator reads it: a key sent once is a string, repeated an array. */
function queryValues(c: Context<AppEnv>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, values] of Object.entries(c.req.queries())) out[key] = values.length === 1 ? values[0]! : values;
  return out;
}

/**
 * The request's headers that `schema` names, keyed as it names them (HTTP header names are case-insensitive). The
 * schema strips any other key, so only these are read: not an object of every header on each request.
 */
function headerValues(c: Context<AppEnv>, names: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const sent = c.req.raw.headers;
  for (const [lower, key] of names) {
    const value = sent.get(lower);
    if (value !== null) out[key] = value;
  }
  return out;
}

/**
 * The route's first middleware: the access check, then the query, path and header inputs validated against the
 * route contract's schemas, in that order (the body's validators, which must read the body, come after it). In
 * place of @hono/zod-openapi's per-part validators: one synchronous layer instead of an access layer and one
 * async validator per part (each a safeParseAsync and a chain of awaits on every request), with the same 400s
 * (requestValidationError) and the same validated data for `c.req.valid`. Not async: a refusal throws before
 * next(), which hono's compose turns into the error answer alike.
 */
function accessAndInputs(op: Operation, headers: z.ZodObject | undefined): MiddlewareHandler<AppEnv> {
  const parts: Array<{ target: "query" | "param" | "header"; validate: (c: Context<AppEnv>) => unknown }> = [];
  const { path, query } = op.input;
  if (query) parts.push({ target: "query", validate: validator("query", query, queryValues) });
  if (path) {
    const validate = validator("param", path, (c) => c.req.param());
    parts.push({ target: "param", validate: path === UuidParam ? uuidParam(validate) : validate });
  }
  if (headers) {
    const names = new Map(Object.keys(headers.shape).map((k) => [k.toLowerCase(), k]));
    parts.push({ target: "header", validate: validator("header", headers, (c) => headerValues(c, names)) });
  }
  return (c, next) => {
    checkAccess(op, c.get("principal"));
    for (const { target, validate } of parts) c.req.addValidatedData(target, validate(c) as never);
    return next();
  };
}

/** What `schema` makes of the part `read` reads, or the 400 naming its fields. */
function validator(target: "query" | "param" | "header", schema: z.ZodType, read: (c: Context<AppEnv>) => unknown) {
  return (c: Context<AppEnv>) => {
    const result = schema.safeParse(read(c));
    if (!result.success) throw requestValidationError(result.error, target);
    return result.data;
  };
}

/** The pattern `z.uuid()` checks (zod's own), the one UuidParam's `id` is validated with. */
const UUID_PATTERN = z.regexes.uuid();

/**
 * UuidParam's validation of the path's `{id}` for the point reads: a well-formed id gives what the schema gives
 * (`{ id }` in lower case) without running it; anything else goes to the schema, for its 400. zod's object parse
 * without code generation (workerd forbids it) was the largest part of a point read's input handling;
 * test/routes/uuid-param.test.ts holds both to the same answers.
 */
export function uuidParam(validate: (c: Context<AppEnv>) => unknown) {
  return (c: Context<AppEnv>) => {
    const id = c.req.param("id");
    return id !== undefined && UUID_PATTERN.test(id) ? { id: id.toLowerCase() } : validate(c);
  };
}

/** The header inputs of a binding as one schema, or undefined when it has none. */
function headerSchema(b: RestBinding): z.ZodObject | undefined {
  if (!b.headerFields?.length) return undefined;
  return z.object(Object.fromEntries(b.headerFields.map((h) => [h.header, h.schema.optional().openapi({ description: h.description })])) as z.ZodRawShape);
}

/** What the route's validator produced for `target` (param, query, json, header). */
const validated = (c: Context<AppEnv>, target: string) => c.req.valid(target as never) as Record<string, unknown> | undefined;

/** Serves `b.op` on `api`: validation by the route contract, then executeOperation, then the answer. */
export function registerRest(api: ApiApp, b: RestBinding) {
  const locations = inputLocations(b.op);
  const prefix = (top: string) => `${locations.get(top) ?? (b.op.input.body ? "body" : "query")}.`;
  const route = withRateLimitDocs(routeOf(b)) as ReturnType<typeof routeOf>;
  // The document describes every part of the request; the app validates the query, path and headers itself
  // (accessAndInputs, the route's first middleware), so zod-openapi is given only the body to validate.
  const { middleware: _served, ...documented } = route;
  api.openAPIRegistry.registerPath(documented);
  const { body } = route.request;
  const served = { ...route, hide: true, request: body ? { body } : {} } as typeof route;
  api.openapi(served, async (c) => {
    const input: Record<string, unknown> = {
      ...(b.op.input.path ? validated(c, "param") : {}),
      ...(b.op.input.query ? validated(c, "query") : {}),
      ...(b.op.input.body ? (validated(c, "json") ?? {}) : {}),
    };
    for (const h of b.headerFields ?? []) foldHeader(input, h, validated(c, "header")?.[h.header]);
    let output: unknown;
    try {
      output = await executeOperation(b.op, operationContext(c), input as never);
    } catch (err) {
      throw prefixFieldErrors(err, prefix);
    }
    let headers: Record<string, string> | undefined;
    if (b.paginated) {
      const page = output as PageRequest & { total: number };
      const link = pageLinks(c.req.url, page, page.total);
      if (link) headers = { link };
    }
    if (b.responseHeaders) headers = { ...headers, ...b.responseHeaders.from(output) };
    // An answer whose JSON is written already (src/lib/json-text.ts: a list page SQLite serialized, a workflow with
    // its stored config) is sent as it is: a string, or a Blob for a large page.
    const body = jsonBodyOf(output) ?? JSON.stringify(output);
    return jsonAnswer(body, b.status, c.get("requestId"), headers) as never;
  });
}

function foldHeader(input: Record<string, unknown>, h: HeaderField, value: unknown) {
  if (value === undefined) return;
  if (input[h.field] === undefined) input[h.field] = value;
  else if (input[h.field] !== value) {
    throw validationError([{ field: `body.${h.field}`, message: `Differs from the ${h.header} header` }]);
  }
}
