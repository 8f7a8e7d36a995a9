/**
 * The security suite: every operation of the live OpenAPI document, each against every way in that must be
 * refused (no key, a bad, revoked or expired key, a key of another organization, another organization's
 * resource, too little role, malformed input, a disabled feature), checking the status, the error envelope
 * and that nothing was written.
 *
 * It covers operations by construction: the list of operations is the document's (fetched through the
 * Worker), which must agree with REST_BINDINGS; each needs an entry in VALID_REQUESTS (the compiler asks for
 * one per operation name, and a runtime check for one per documented operation), and the roles and
 * features the document declares are checked against what that table pins, so a role lowered by accident
 * fails here instead of quietly dropping the 403 cases.
 *
 * The MCP API (the last section) serves the same operations as tools: every tool gets the same refusals from the
 * same table, at the HTTP layer (keys: 401 with a Bearer challenge) or as a tool error result (role, feature,
 * another organization's ids).
 */
import type { z } from "@hono/zod-openapi";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { ROLES, type Role } from "../../src/auth/roles";
import { apiKeys } from "../../src/db/schema";
import type { ErrorCode } from "../../src/lib/errors";
import {
  getInsightSearchOp,
  getInsightSessionTraceOp,
  getInsightsOverviewOp,
  getInsightTopicOp,
  listInsightSearchesOp,
  listInsightSessionsOp,
  listInsightTopicsOp,
  updateInsightTopicOp,
} from "../../src/insights/read-operations";
import { createMcpServerOp, getMcpServerOp, listMcpServersOp } from "../../src/mcp-servers/operations";
import type { OperationName } from "../../src/operations";
import { FEATURES, type Feature, type Operation } from "../../src/operations/operation";
import { ingestInsightEventsOp, ingestInsightOtlpTracesOp } from "../../src/insights/operations";
import { getOrg } from "../../src/org/operations";
import { REST_BINDINGS } from "../../src/routes";
import { documentOperations } from "../../src/routes/docs/audit";
import { getRunEvaluationOp, getRunOp, getRunTraceOp, listRunsOp, listRunToolCallsOp } from "../../src/runs/operations";
import {
  archiveWorkflowOp,
  createWorkflowOp,
  dispatchWorkflowRunsOp,
  getWorkflowOp,
  listWorkflowsOp,
  updateWorkflowOp,
} from "../../src/workflows/operations";
import { MCP_TOOLS } from "../../src/mcp-api/tools";
import { callJson, createKey, createOrg, db, errorOf, expectError, type ErrorObject, type JsonResponse, type TestOrg } from "../helpers";
import { connect, postMcp, settle, toolError } from "../mcp-api/fixtures";
import { insertCluster, insertSession, insertTopic } from "../insights/read-fixtures";
import { createRun, createWorkflow as insertWorkflow } from "../runs/fixtures";
import { captureQueue, createMcpSource, createWorkflow } from "../workflows/fixtures";

// Dispatching (and creating workflows) reaches the queue: record it for the whole file, never restore.
const queue = captureQueue();

// ---------------------------------------------------------------------------------------------------------
// A valid request per operation.

/** What a path `{id}` can name; the suite creates a fresh one in the organization it calls. */
type Resource = "mcpServer" | "workflow" | "run" | "insightSession" | "insightTopic" | "searchCluster";

type BodyOf<O> = O extends { input: { body?: infer B } } ? (NonNullable<B> extends z.ZodType ? z.input<NonNullable<B>> : never) : never;

interface ValidRequest<Body = unknown> {
  /**
   * The lowest role the operation must require, pinned here on purpose: the document's `x-armature-role`
   * must say the same, so lowering an operation's role is a deliberate change in two places.
   */
  role: Role;
  /** The feature it must require, pinned like `role`. */
  feature?: Feature;
  /** Exactly the roles allowed, when the operation lists them (`x-armature-roles`), pinned like `role`. */
  roles?: readonly Role[];
  /** What the path's `{id}` names, for operations that have one. */
  id?: Resource;
  /** A valid query string. */
  query?: Record<string, string>;
  /** A valid body for the organization called (it may create what the body refers to). */
  body?: (org: TestOrg) => Promise<Body> | Body;
}

interface TableEntry extends ValidRequest {
  op: Operation;
}

/** Ties an entry to its operation so that the body is checked against the operation's body schema. */
function valid<O extends Operation>(op: O, request: ValidRequest<BodyOf<O>>): TableEntry {
  return { op, ...(request as ValidRequest) };
}

/**
 * "A valid request for operation X", by operation name. The type asks for an entry per operation of
 * OPERATIONS; specOf refuses, by name, a documented operation without one.
 */
const VALID_REQUESTS: { [K in OperationName]: TableEntry } = {
  getOrg: valid(getOrg, { role: "viewer" }),
  listMcpServers: valid(listMcpServersOp, { role: "viewer", query: { page: "1", pageSize: "10" } }),
  createMcpServer: valid(createMcpServerOp, {
    role: "editor",
    body: () => ({ name: `sec-${crypto.randomUUID().slice(0, 8)}`, url: "https://mcp.example.com/mcp" }),
  }),
  getMcpServer: valid(getMcpServerOp, { role: "viewer", id: "mcpServer" }),
  listWorkflows: valid(listWorkflowsOp, { role: "viewer", query: { pageSize: "10", categorySlug: "search" } }),
  getWorkflow: valid(getWorkflowOp, { role: "viewer", id: "workflow" }),
  createWorkflow: valid(createWorkflowOp, {
    role: "editor",
    body: async (org) => ({
      name: "Security suite workflow",
      mcpServerId: (await createMcpSource(org)).id,
      testerPrompt: "List the open issues.",
      testerModelIds: ["armature/scripted"],
      criteria: [{ criterionText: "Lists at least one issue" }],
    }),
  }),
  updateWorkflow: valid(updateWorkflowOp, { role: "editor", id: "workflow", body: () => ({ name: "Renamed by the security suite" }) }),
  archiveWorkflow: valid(archiveWorkflowOp, { role: "editor", id: "workflow" }),
  dispatchWorkflowRuns: valid(dispatchWorkflowRunsOp, { role: "editor", id: "workflow", body: () => ({ reason: "security suite" }) }),
  listRuns: valid(listRunsOp, { role: "viewer", query: { range: "7d", pageSize: "10" } }),
  getRun: valid(getRunOp, { role: "viewer", id: "run" }),
  getRunTrace: valid(getRunTraceOp, { role: "viewer", id: "run" }),
  getRunEvaluation: valid(getRunEvaluationOp, { role: "viewer", id: "run" }),
  listRunToolCalls: valid(listRunToolCallsOp, { role: "viewer", id: "run" }),
  ingestInsightEvents: valid(ingestInsightEventsOp, {
    role: "ingest",
    roles: ["ingest", "editor", "admin", "owner"],
    feature: "mcp-analytics",
    body: async (org) => ({
      events: [
        {
          id: `sec-${crypto.randomUUID()}`,
          sessionId: "security-suite",
          mcpServerId: (await createMcpSource(org)).id,
          type: "tool_call" as const,
          timestamp: "2025-06-01T12:00:00Z",
          toolName: "search_issues",
        },
      ],
    }),
  }),
  ingestInsightOtlpTraces: valid(ingestInsightOtlpTracesOp, {
    role: "ingest",
    roles: ["ingest", "editor", "admin", "owner"],
    feature: "mcp-analytics",
    body: () => ({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: crypto.randomUUID().replaceAll("-", ""),
                  spanId: crypto.randomUUID().replaceAll("-", "").slice(0, 16),
                  name: "tools/call search_issues",
                  startTimeUnixNano: "1748779200000000000",
                  endTimeUnixNano: "1748779200250000000",
                  attributes: [
                    { key: "mcp.method.name", value: { stringValue: "tools/call" } },
                    { key: "gen_ai.tool.name", value: { stringValue: "search_issues" } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    }),
  }),
  getInsightsOverview: valid(getInsightsOverviewOp, { role: "viewer", feature: "mcp-analytics", query: { range: "30d" } }),
  listInsightSessions: valid(listInsightSessionsOp, { role: "viewer", feature: "mcp-analytics", query: { range: "7d", view: "repeat", limit: "10" } }),
  getInsightSessionTrace: valid(getInsightSessionTraceOp, { role: "viewer", feature: "mcp-analytics", id: "insightSession" }),
  listInsightTopics: valid(listInsightTopicsOp, { role: "viewer", feature: "mcp-analytics", query: { range: "7d", sort: "trend", limit: "10" } }),
  getInsightTopic: valid(getInsightTopicOp, { role: "viewer", feature: "mcp-analytics", id: "insightTopic", query: { range: "7d" } }),
  updateInsightTopic: valid(updateInsightTopicOp, {
    role: "editor",
    feature: "mcp-analytics",
    id: "insightTopic",
    body: () => ({ label: "Renamed by the security suite", is_unmet_demand: true }),
  }),
  listInsightSearches: valid(listInsightSearchesOp, { role: "viewer", feature: "mcp-analytics", query: { range: "7d", limit: "10" } }),
  getInsightSearch: valid(getInsightSearchOp, { role: "viewer", feature: "mcp-analytics", id: "searchCluster", query: { range: "7d" } }),
};

const ALL_FEATURES = Object.keys(FEATURES) as Feature[];

/** Creates a resource of `kind` in `org` and answers its id. */
async function createResource(kind: Resource, org: TestOrg): Promise<string> {
  switch (kind) {
    case "mcpServer":
      return (await createMcpSource(org)).id;
    case "workflow":
      return (await createWorkflow(org)).workflow.id;
    case "run": {
      const wf = await insertWorkflow(org.id);
      return (await createRun(org.id, wf)).id;
    }
    case "insightSession":
      return insertSession(org.id, { startedAt: new Date(), summary: { intents: ["security suite"] } });
    case "insightTopic":
      return insertTopic(org.id);
    case "searchCluster":
      return insertCluster(org.id, `security suite query ${crypto.randomUUID().slice(0, 8)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The live document, cross-checked with REST_BINDINGS.

interface DocParameter {
  name: string;
  in: string;
  schema: Record<string, unknown>;
}

/** What the suite reads of one documented operation. */
interface DocOperation {
  name: string;
  method: string;
  /** Relative to API_BASE, as in REST_BINDINGS: `/workflows/{id}`. */
  path: string;
  role: Role;
  /** `x-armature-roles`: exactly the roles allowed, when the operation lists them. */
  roles: Role[] | undefined;
  feature: string | undefined;
  pathParams: DocParameter[];
  queryParams: DocParameter[];
  hasBody: boolean;
}

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

async function loadDocument(): Promise<{ operations: DocOperation[]; problems: string[] }> {
  const r = await callJson<Json>("/openapi");
  if (r.status !== 200) throw new Error(`GET /openapi answered ${r.status}: ${JSON.stringify(r.body)}`);
  const doc = r.body;
  const problems: string[] = [];
  const resolve = (v: unknown): Json => {
    if (!isJson(v)) return {};
    const ref = v.$ref;
    if (typeof ref !== "string") return v;
    let target: unknown = doc;
    for (const part of ref.replace(/^#\//, "").split("/")) target = isJson(target) ? target[part] : undefined;
    return isJson(target) ? target : {};
  };
  const operations = documentOperations(doc).map(({ method, path, operation }): DocOperation => {
    const where = `${method.toUpperCase()} ${path}`;
    const name = typeof operation.operationId === "string" ? operation.operationId : `<no operationId: ${where}>`;
    const role = operation["x-armature-role"];
    if (!(ROLES as readonly unknown[]).includes(role)) problems.push(`${where}: x-armature-role is ${JSON.stringify(role)}, not a role`);
    const feature = operation["x-armature-feature"];
    if (feature !== undefined && typeof feature !== "string") problems.push(`${where}: x-armature-feature is not a string`);
    const roles = operation["x-armature-roles"];
    if (roles !== undefined && !(Array.isArray(roles) && roles.length > 0 && roles.every((r) => (ROLES as readonly unknown[]).includes(r)))) {
      problems.push(`${where}: x-armature-roles is ${JSON.stringify(roles)}, not a list of roles`);
    }
    const params = (Array.isArray(operation.parameters) ? operation.parameters : []).map(resolve).map(
      (p): DocParameter => ({ name: String(p.name), in: String(p.in), schema: resolve(p.schema) }),
    );
    return {
      name,
      method,
      path,
      role: role as Role,
      roles: roles as Role[] | undefined,
      feature: feature as string | undefined,
      pathParams: params.filter((p) => p.in === "path"),
      queryParams: params.filter((p) => p.in === "query"),
      hasBody: operation.requestBody !== undefined,
    };
  });
  return { operations, problems };
}

/** Every way the document and REST_BINDINGS disagree; empty when they describe the same operations. */
function disagreements(operations: DocOperation[]): string[] {
  const out: string[] = [];
  const documented = new Map(operations.map((o) => [o.name, o]));
  const bound = new Map(REST_BINDINGS.map((b) => [b.op.name, b]));
  if (documented.size !== operations.length) out.push("the document repeats an operationId");
  for (const name of documented.keys()) if (!bound.has(name)) out.push(`${name} is documented but not in REST_BINDINGS`);
  for (const [name, b] of bound) {
    const d = documented.get(name);
    if (!d) {
      out.push(`${name} is in REST_BINDINGS but not in the document`);
      continue;
    }
    if (d.method !== b.method || d.path !== b.path) out.push(`${name}: documented as ${d.method} ${d.path}, bound as ${b.method} ${b.path}`);
    if (d.role !== b.op.role) out.push(`${name}: x-armature-role ${d.role}, operation role ${b.op.role}`);
    if (d.feature !== b.op.feature) out.push(`${name}: x-armature-feature ${d.feature}, operation feature ${b.op.feature}`);
    if (JSON.stringify(d.roles) !== JSON.stringify(b.op.roles)) {
      out.push(`${name}: x-armature-roles ${JSON.stringify(d.roles)}, operation roles ${JSON.stringify(b.op.roles)}`);
    }
    if (d.hasBody !== Boolean(b.op.input.body)) out.push(`${name}: requestBody ${d.hasBody}, operation body ${Boolean(b.op.input.body)}`);
    const names = (ps: DocParameter[]) => ps.map((p) => p.name).sort().join(",");
    const shape = (s: z.ZodObject | undefined) => Object.keys(s?.shape ?? {}).sort().join(",");
    if (names(d.pathParams) !== shape(b.op.input.path)) out.push(`${name}: path parameters ${names(d.pathParams)}, operation ${shape(b.op.input.path)}`);
    if (names(d.queryParams) !== shape(b.op.input.query)) out.push(`${name}: query parameters ${names(d.queryParams)}, operation ${shape(b.op.input.query)}`);
  }
  return out;
}

const DOCUMENT = await loadDocument();
/** Every operation, documented or bound, in document order: a name on one side only still gets its tests (which fail). */
const OPERATION_NAMES = [...new Set([...DOCUMENT.operations.map((o) => o.name), ...REST_BINDINGS.map((b) => b.op.name)])];

/** The documented operation and its table entry; throws, naming what is missing, when either is. */
function specOf(name: string): { doc: DocOperation; entry: TableEntry } {
  const doc = DOCUMENT.operations.find((o) => o.name === name);
  if (!doc) throw new Error(`${name} is in REST_BINDINGS but the live OpenAPI document does not list it`);
  const entry = (VALID_REQUESTS as Record<string, TableEntry | undefined>)[name];
  if (!entry) {
    throw new Error(
      `No valid request for operation ${name}: add an entry to VALID_REQUESTS in test/security/operations.security.test.ts`,
    );
  }
  return { doc, entry };
}

// ---------------------------------------------------------------------------------------------------------
// Requests, answers and stored state.

interface Target {
  org: TestOrg;
  /** The value of every path parameter. */
  id?: string;
}

/** The request path and body of the valid request for `target` (with `override` for the parts a case spoils). */
async function buildRequest(
  doc: DocOperation,
  entry: TableEntry,
  target: Target,
  override: { pathParam?: string; query?: Record<string, string>; body?: unknown } = {},
) {
  let path = doc.path;
  for (const p of doc.pathParams) {
    const value = override.pathParam ?? target.id;
    if (value === undefined) throw new Error(`${doc.name}: no value for path parameter ${p.name}`);
    path = path.replace(`{${p.name}}`, encodeURIComponent(value));
  }
  const query = new URLSearchParams(override.query ?? entry.query ?? {}).toString();
  const body = "body" in override ? override.body : entry.body ? await entry.body(target.org) : undefined;
  return { path: `${path}${query ? `?${query}` : ""}`, method: doc.method.toUpperCase(), body };
}

interface Auth {
  key?: string | null;
  headers?: Record<string, string>;
  /** Default: the called organization's own host. */
  host?: string;
}

/** Sends a prepared request. */
function fire(req: Awaited<ReturnType<typeof buildRequest>>, target: Target, auth: Auth): Promise<JsonResponse<unknown>> {
  return callJson(req.path, {
    method: req.method,
    key: auth.key ?? null,
    headers: auth.headers,
    host: auth.host ?? target.org.host,
    ...(req.body === undefined ? {} : { body: req.body }),
  });
}

/**
 * Prepares the request (creating what its body refers to), then sends it and asserts that it wrote
 * nothing stored for `orgIds` and queued nothing.
 */
async function sendExpectingNoWrites(
  orgIds: string[],
  doc: DocOperation,
  entry: TableEntry,
  target: Target,
  auth: Auth,
  override?: Parameters<typeof buildRequest>[3],
): Promise<JsonResponse<unknown>> {
  const req = await buildRequest(doc, entry, target, override);
  const before = await storedState(orgIds);
  const queued = queue.messages.length;
  const r = await fire(req, target, auth);
  const answer = `the answer was ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
  expect(await storedState(orgIds), `stored state changed; ${answer}`).toEqual(before);
  expect(queue.messages.length, `messages were queued; ${answer}`).toBe(queued);
  return r;
}

/** The error envelope with this status and code, a message, and the request id header. */
function expectEnvelope(r: JsonResponse<unknown>, status: number, code: ErrorCode): ErrorObject {
  const error = expectError(r, status, code);
  expect(error.message.length).toBeGreaterThan(0);
  expect(r.res.headers.get("x-request-id")).toMatch(/\S/);
  return error;
}

/** The `field`s of a validation error. */
function fieldsOf(error: ErrorObject): string[] {
  expect(error.details?.fields, JSON.stringify(error)).toBeInstanceOf(Array);
  return (error.details?.fields ?? []).map((f) => f.field);
}

/** Columns that authentication itself writes (key bookkeeping), not the operation. */
const VOLATILE_COLUMNS: Record<string, string[]> = { api_keys: ["last_used_at", "secret_hash", "hash_version"] };

/**
 * Everything stored for these organizations, table by table: rows with their `org_id`, or belonging to
 * their runs or workflows. A table it cannot tie to an organization fails loudly, so a new table is not
 * silently left out.
 */
async function storedState(orgIds: string[], ignore: readonly string[] = []): Promise<Record<string, string[]>> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  const inOrgs = `(${orgIds.map(() => "?").join(", ")})`;
  const state: Record<string, string[]> = {};
  for (const { name } of tables.results) {
    if (ignore.includes(name)) continue;
    const columns = (await env.DB.prepare(`PRAGMA table_info("${name}")`).all<{ name: string }>()).results.map((c) => c.name);
    let where: string;
    if (name === "organizations") where = `id IN ${inOrgs}`;
    else if (columns.includes("org_id")) where = `org_id IN ${inOrgs}`;
    else if (columns.includes("run_id")) where = `run_id IN (SELECT id FROM runs WHERE org_id IN ${inOrgs})`;
    else if (columns.includes("workflow_id")) where = `workflow_id IN (SELECT id FROM workflows WHERE org_id IN ${inOrgs})`;
    else throw new Error(`storedState: table ${name} has no org_id, run_id or workflow_id; teach the security suite how to scope it`);
    const rows = await env.DB.prepare(`SELECT * FROM "${name}" WHERE ${where}`)
      .bind(...orgIds)
      .all<Record<string, unknown>>();
    const volatile = VOLATILE_COLUMNS[name] ?? [];
    state[name] = rows.results
      .map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).filter(([k]) => !volatile.includes(k)))))
      .sort();
  }
  return state;
}

/** A key that has never been used, revoked before its first use (the isolate caches key records). */
async function revokedKey(org: TestOrg): Promise<string> {
  const key = await createKey(org.id, "owner", { name: "revoked key" });
  await db
    .update(apiKeys)
    .set({ revokedAt: new Date(Date.now() - 1000) })
    .where(eq(apiKeys.id, key.split("_")[1]!))
    .run();
  return key;
}

/** A value the parameter's schema refuses, or undefined when the suite does not know how to make one. */
function invalidValue(schema: Record<string, unknown>): string | undefined {
  if (schema.format === "uuid") return "not-a-uuid";
  if (Array.isArray(schema.enum)) return "not-one-of-the-values";
  if ((schema.type === "integer" || schema.type === "number") && typeof schema.minimum === "number") return String(schema.minimum - 1);
  if (schema.type === "integer") return "not-a-number";
  if (schema.type === "string" && typeof schema.maxLength === "number") return "x".repeat(schema.maxLength + 1);
  if (schema.type === "string" && typeof schema.pattern === "string") return " ";
  return undefined;
}

/** The roles an operation allows: exactly `x-armature-roles` when listed, else its role and every role above it. */
function allowedRoles(doc: Pick<DocOperation, "role" | "roles">): Role[] {
  return doc.roles ?? ROLES.filter((r) => ROLES.indexOf(r) >= ROLES.indexOf(doc.role));
}

/** One spoiled variant of the valid request per input part the operation has: its path, its body, its query. */
function spoiledInputs(doc: DocOperation): Array<Parameters<typeof buildRequest>[3]> {
  const out: Array<Parameters<typeof buildRequest>[3]> = [];
  const pathParam = doc.pathParams.map((p) => invalidValue(p.schema)).find((v) => v !== undefined);
  if (pathParam !== undefined) out.push({ pathParam });
  if (doc.hasBody) out.push({ body: [] });
  const q = doc.queryParams.find((p) => invalidValue(p.schema) !== undefined);
  if (q) out.push({ query: { [q.name]: invalidValue(q.schema)! } });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The suite.

describe("the operation list", () => {
  it("is read from the live document and agrees with REST_BINDINGS", () => {
    expect(DOCUMENT.problems).toEqual([]);
    expect(disagreements(DOCUMENT.operations)).toEqual([]);
    expect(DOCUMENT.operations.length).toBeGreaterThan(0);
  });

  it("has a valid request for every operation, and the table has no stale entries", () => {
    for (const name of OPERATION_NAMES) specOf(name);
    for (const [name, entry] of Object.entries(VALID_REQUESTS)) {
      expect(entry.op.name, `VALID_REQUESTS.${name} is built from another operation`).toBe(name);
      expect(OPERATION_NAMES, `VALID_REQUESTS.${name} names no documented operation`).toContain(name);
    }
  });

  it("never opens a write to viewers", () => {
    for (const o of DOCUMENT.operations) if (o.method !== "get") expect(allowedRoles(o), `${o.method} ${o.path}`).not.toContain("viewer");
  });
});

describe.each(OPERATION_NAMES.map((name) => [name] as const))("%s", (name) => {
  // Read at collection time to decide which cases apply; each test re-reads through spec(), which fails
  // loudly when the operation is missing from the document or from VALID_REQUESTS.
  const documented = DOCUMENT.operations.find((o) => o.name === name);
  const pinned = (VALID_REQUESTS as Record<string, TableEntry | undefined>)[name];
  const spec = () => specOf(name);

  /** The organization called, and another; both with every feature, so that only the case at hand refuses. */
  let a: TestOrg;
  let b: TestOrg;
  /** The valid request's target: `a`, with a resource of `a` for the path's `{id}`. */
  let own: Target;

  beforeAll(async () => {
    const { entry } = spec();
    a = await createOrg({ features: ALL_FEATURES });
    b = await createOrg({ features: ALL_FEATURES });
    own = { org: a, ...(entry.id ? { id: await createResource(entry.id, a) } : {}) };
  });

  /** Sends the valid request for `target` (spoiled by `override`) and asserts nothing was written for `orgIds`. */
  const refused = (orgIds: string[], target: Target, auth: Auth, override?: Parameters<typeof buildRequest>[3]) => {
    const { doc, entry } = spec();
    return sendExpectingNoWrites(orgIds, doc, entry, target, auth, override);
  };

  it("declares the role and feature the suite pins, and has what its path needs", () => {
    const { doc, entry } = spec();
    expect(doc.role, `x-armature-role of ${name}; if the change is meant, update VALID_REQUESTS too`).toBe(entry.role);
    expect(doc.feature, `x-armature-feature of ${name}; if the change is meant, update VALID_REQUESTS too`).toBe(entry.feature);
    expect(doc.roles, `x-armature-roles of ${name}; if the change is meant, update VALID_REQUESTS too`).toEqual(entry.roles);
    if (doc.pathParams.length > 0) expect(entry.id, `VALID_REQUESTS.${name}.id: what does the path's id name?`).toBeDefined();
    else expect(entry.id, `VALID_REQUESTS.${name}.id: the path has no parameter`).toBeUndefined();
    for (const p of doc.pathParams) expect(invalidValue(p.schema), `no invalid value known for path parameter ${p.name}`).toBeDefined();
  });

  it("succeeds with the valid request and a key of exactly its role (the control for every refusal below)", async () => {
    const { doc, entry } = spec();
    const binding = REST_BINDINGS.find((x) => x.op.name === name);
    const target: Target = { org: a, ...(entry.id ? { id: await createResource(entry.id, a) } : {}) };
    const r = await fire(await buildRequest(doc, entry, target), target, { key: await a.keyFor(entry.role) });
    expect(r.status, JSON.stringify(r.body)).toBe(binding?.status);
  });

  describe("authentication: 401 unauthorized, nothing written", () => {
    it("without a key", async () => {
      expectEnvelope(await refused([a.id], own, { key: null }), 401, "unauthorized");
    });

    it.each([
      ["not a key", "Bearer not-a-key"],
      ["another scheme", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"],
      ["a scheme without a key", "Bearer"],
      ["a key with extra characters", "<owner key>x"],
    ])("with a malformed key: %s", async (_what, authorization) => {
      const headers = { authorization: authorization.replace("<owner key>", `Bearer ${a.ownerKey}`) };
      expectEnvelope(await refused([a.id], own, { headers }), 401, "unauthorized");
    });

    it("with a key whose secret is wrong", async () => {
      const wrong = `${a.ownerKey.slice(0, -1)}${a.ownerKey.endsWith("A") ? "B" : "A"}`;
      expectEnvelope(await refused([a.id], own, { key: wrong }), 401, "unauthorized");
    });

    it("with a revoked owner key", async () => {
      expectEnvelope(await refused([a.id], own, { key: await revokedKey(a) }), 401, "unauthorized");
    });

    it("with an expired owner key", async () => {
      const key = await createKey(a.id, "owner", { expiresAt: new Date(Date.now() - 1000) });
      expectEnvelope(await refused([a.id], own, { key }), 401, "unauthorized");
    });

    it("with another organization's owner key on this organization's host", async () => {
      expectEnvelope(await refused([a.id, b.id], own, { key: b.ownerKey, host: a.host }), 401, "unauthorized");
    });
  });

  if (pinned?.id !== undefined) {
    it("answers another organization's resource id with 404 not_found, and changes nothing of either", async () => {
      const { entry } = spec();
      const theirs: Target = { org: a, id: await createResource(entry.id!, b) };
      expectEnvelope(await refused([a.id, b.id], theirs, { key: a.ownerKey }), 404, "not_found");
    });
  }

  // Every role the operation refuses: those below its role, or those not in its exact list (x-armature-roles).
  const below = documented ? ROLES.filter((r) => !allowedRoles(documented).includes(r)) : [];
  if (below.length > 0) {
    it.each(below.map((role) => [role] as const))("refuses a %s key with a valid request: 403 forbidden, nothing written", async (role) => {
      expectEnvelope(await refused([a.id], own, { key: await a.keyFor(role) }), 403, "forbidden");
    });

    // The role is checked before the input: a caller without it learns nothing about what it sent.
    const spoilers = spoiledInputs(documented!);
    if (spoilers.length > 0) {
      it.each(below.map((role) => [role] as const))("refuses a %s key with malformed input: 403 forbidden, not 400", async (role) => {
        const key = await a.keyFor(role);
        for (const override of spoiledInputs(spec().doc)) {
          expectEnvelope(await refused([a.id], own, { key }, override), 403, "forbidden");
        }
      });
    }
  }

  if (documented?.feature !== undefined) {
    it(`refuses an organization without ${documented.feature}, with its owner key: 403 feature_disabled, nothing written`, async () => {
      const { doc, entry } = spec();
      const c = await createOrg({ features: ALL_FEATURES.filter((f) => f !== doc.feature) });
      // The check comes before the resource is looked up: an id that names nothing must not matter.
      const target: Target = { org: c, ...(entry.id ? { id: crypto.randomUUID() } : {}) };
      expectEnvelope(await refused([c.id], target, { key: c.ownerKey }), 403, "feature_disabled");
    });
  }

  if (documented && documented.pathParams.length > 0) {
    it.each(documented.pathParams.map((p) => [p.name] as const))(
      "refuses an invalid path parameter %s with the owner key: 400 naming path.<param>",
      async (param) => {
        const p = spec().doc.pathParams.find((x) => x.name === param)!;
        const r = await refused([a.id], own, { key: a.ownerKey }, { pathParam: invalidValue(p.schema) });
        expect(fieldsOf(expectEnvelope(r, 400, "validation_failed"))).toContain(`path.${param}`);
      },
    );
  }

  if (documented?.hasBody) {
    it("refuses a valid body with an unknown field, with the owner key: 400 naming body.unknownField", async () => {
      const { entry } = spec();
      const body = { ...((entry.body ? await entry.body(a) : {}) as object), unknownField: 1 };
      const r = await refused([a.id], own, { key: a.ownerKey }, { body });
      expect(fieldsOf(expectEnvelope(r, 400, "validation_failed"))).toEqual(["body.unknownField"]);
    });

    it.each([
      ["an array", []],
      ["a string", "a string"],
      ["a number", 42],
      ["null", null],
    ])("refuses a body that is %s, with the owner key: 400 naming body", async (_what, body) => {
      const fields = fieldsOf(expectEnvelope(await refused([a.id], own, { key: a.ownerKey }, { body }), 400, "validation_failed"));
      expect(fields.length).toBeGreaterThan(0);
      for (const f of fields) expect(f).toMatch(/^body(\.|$)/);
    });
  }

  if (documented && documented.queryParams.length > 0) {
    // pageSize=0 when the operation pages; otherwise the first parameter the suite knows how to spoil.
    const param =
      documented.queryParams.find((p) => p.name === "pageSize") ?? documented.queryParams.find((p) => invalidValue(p.schema) !== undefined);
    it(`refuses an invalid query parameter ${param?.name ?? "(none found)"} with the owner key: 400 naming query.<param>`, async () => {
      if (!param) throw new Error(`${name}: no query parameter the suite knows how to make invalid; extend invalidValue()`);
      const value = param.name === "pageSize" ? "0" : invalidValue(param.schema)!;
      const r = await refused([a.id], own, { key: a.ownerKey }, { query: { ...spec().entry.query, [param.name]: value } });
      expect(fieldsOf(expectEnvelope(r, 400, "validation_failed"))).toContain(`query.${param.name}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// The MCP API: every tool, the refusals of its operation.

/**
 * What the MCP API's own usage recording writes (docs/mcp-api.md): a refused tool call is recorded as usage of
 * an organization with MCP Analytics, so these tables may change when a call is refused; nothing else may.
 */
const USAGE_TABLES = [
  "insight_events",
  "insight_sessions",
  "insight_buckets",
  "insight_bucket_days",
  "insight_session_tools",
  "insight_tool_days",
  "insight_topic_sessions",
  "insight_search_clusters",
  "insight_search_misses",
  "insight_topic_days",
  "insight_cluster_days",
  "insight_session_days",
];

describe("the MCP tool list", () => {
  it("has a tool for every operation but ingestion, each refused what its operation is refused", () => {
    const bound = MCP_TOOLS.map((t) => t.op.name);
    expect(OPERATION_NAMES.filter((n) => !bound.includes(n))).toEqual(["ingestInsightEvents", "ingestInsightOtlpTraces"]);
  });
});

describe.each(MCP_TOOLS.map((t) => [t.name, t] as const))("MCP tool %s", (toolName, tool) => {
  const entry = (VALID_REQUESTS as Record<string, TableEntry>)[tool.op.name]!;
  const refusedRoles = ROLES.filter((r) => !allowedRoles({ role: entry.role, roles: entry.roles as Role[] | undefined }).includes(r));
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    a = await createOrg({ features: ALL_FEATURES });
    b = await createOrg({ features: ALL_FEATURES });
  });

  /** The valid request's arguments for `org` (path id, query and body side by side), `id` naming the resource. */
  const argsFor = async (org: TestOrg, id?: string) => ({
    ...(entry.id ? { id: id ?? (await createResource(entry.id, org)) } : {}),
    ...entry.query,
    ...((entry.body ? await entry.body(org) : {}) as object),
  });

  /** Calls the tool with `key` and asserts nothing but usage was written for `orgIds` and nothing queued. */
  async function callExpectingNoWrites(orgIds: string[], key: string, args: Record<string, unknown>, opts: { host?: string } = {}) {
    const client = await connect({ key, host: opts.host });
    await settle();
    const before = await storedState(orgIds, USAGE_TABLES);
    const queued = queue.messages.length;
    const result = await client.callTool({ name: toolName, arguments: args });
    await settle();
    const answer = `the answer was ${JSON.stringify(result.structuredContent).slice(0, 300)}`;
    expect(await storedState(orgIds, USAGE_TABLES), `stored state changed; ${answer}`).toEqual(before);
    expect(queue.messages.length, `messages were queued; ${answer}`).toBe(queued);
    return result;
  }

  it("succeeds with the valid arguments and a key of exactly its role (the control)", async () => {
    const client = await connect({ key: await a.keyFor(entry.role) });
    const result = await client.callTool({ name: toolName, arguments: await argsFor(a) });
    expect(result.isError ?? false, JSON.stringify(result.structuredContent)).toBe(false);
  });

  it("refuses at the HTTP layer, before any tool runs: 401 with a Bearer challenge for no key and every bad key", async () => {
    const args = await argsFor(a);
    const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: toolName, arguments: args } };
    const wrong = `${a.ownerKey.slice(0, -1)}${a.ownerKey.endsWith("A") ? "B" : "A"}`;
    const expired = await createKey(a.id, "owner", { expiresAt: new Date(Date.now() - 1000) });
    const cases: Array<[string, Parameters<typeof postMcp>[0]]> = [
      ["no key", { key: null }],
      ["a malformed key", { authorization: "Bearer not-a-key" }],
      ["another scheme", { authorization: "Basic YWxhZGRpbjpvcGVuc2VzYW1l" }],
      ["a wrong secret", { key: wrong }],
      ["a revoked key", { key: await revokedKey(a) }],
      ["an expired key", { key: expired }],
      ["another organization's key on this organization's host", { key: b.ownerKey, host: a.host }],
    ];
    const before = await storedState([a.id, b.id]);
    for (const [what, auth] of cases) {
      const res = await postMcp({ ...auth, body });
      expect(res.status, what).toBe(401);
      expect(res.headers.get("www-authenticate"), what).toMatch(/^Bearer realm="armature"/);
      expect(errorOf(await res.json())?.code, what).toBe("unauthorized");
    }
    await settle();
    expect(await storedState([a.id, b.id])).toEqual(before);
  });

  if (entry.id !== undefined) {
    it("answers another organization's id not_found, and changes nothing of either", async () => {
      const theirs = await createResource(entry.id!, b);
      const result = await callExpectingNoWrites([a.id, b.id], a.ownerKey, await argsFor(a, theirs));
      toolError(result, "not_found");
    });
  }

  if (refusedRoles.length > 0) {
    it.each(refusedRoles.map((role) => [role] as const))("refuses a %s key: forbidden, nothing written", async (role) => {
      toolError(await callExpectingNoWrites([a.id], await a.keyFor(role), await argsFor(a)), "forbidden");
    });

    it.each(refusedRoles.map((role) => [role] as const))("refuses a %s key with malformed arguments: forbidden, not validation_failed", async (role) => {
      const spoiled = { ...(await argsFor(a)), ...(entry.id ? { id: "not-a-uuid" } : {}), unknownArgument: [] };
      toolError(await callExpectingNoWrites([a.id], await a.keyFor(role), spoiled), "forbidden");
    });
  }

  if (entry.feature !== undefined) {
    it(`refuses an organization without ${entry.feature}, with its owner key: feature_disabled, nothing written`, async () => {
      const c = await createOrg({ features: ALL_FEATURES.filter((f) => f !== entry.feature) });
      const result = await callExpectingNoWrites([c.id], c.ownerKey, await argsFor(c, entry.id ? crypto.randomUUID() : undefined));
      toolError(result, "feature_disabled");
    });
  }
});
