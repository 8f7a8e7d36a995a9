import { env, exports } from "cloudflare:workers";
import { parsePeppers } from "../src/auth/api-key";
import { mintApiKey } from "../src/auth/key-records";
import type { Role } from "../src/auth/roles";
import { createContext, type AppContext } from "../src/context";
import { createDb } from "../src/db/client";
import type { Env } from "../src/env";
import { silentLogger } from "../src/lib/logger";
import type { ErrorCode, FieldIssue } from "../src/lib/errors";
import { apiKeys, organizations } from "../src/db/schema";

export const db = createDb(env.DB);
export const API = "/api/armature/v1";

export interface TestOrg {
  id: string;
  slug: string;
  name: string;
  /** The organization's own host, `<slug>.armature.app`. */
  host: string;
  /** An owner key of this organization. */
  ownerKey: string;
  keyFor(role: Role): Promise<string>;
}

let counter = 0;

/** A fresh organization with an owner key; `features` as given. */
export async function createOrg(opts: { features?: string[]; slug?: string } = {}): Promise<TestOrg> {
  const id = crypto.randomUUID();
  const slug = opts.slug ?? `org-${Date.now().toString(36)}-${(counter++).toString(36)}-${id.slice(0, 4)}`;
  await db
    .insert(organizations)
    .values({ id, slug, name: `Org ${slug}`, features: opts.features ?? [], createdAt: new Date() })
    .run();
  const keyFor = (role: Role) => createKey(id, role);
  return { id, slug, name: `Org ${slug}`, host: `${slug}.armature.app`, ownerKey: await keyFor("owner"), keyFor };
}

export async function createKey(
  orgId: string,
  role: Role,
  opts: { expiresAt?: Date | null; name?: string; pepperVersion?: number } = {},
): Promise<string> {
  const { key, row } = await mintApiKey(parsePeppers(env.API_KEY_PEPPERS), {
    orgId,
    role,
    name: opts.name ?? `${role} key`,
    expiresAt: opts.expiresAt ?? null,
  });
  await db.insert(apiKeys).values(row).run();
  return key;
}

export interface CallOptions {
  key?: string | null;
  method?: string;
  body?: unknown;
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  host?: string;
}

/** Calls the Worker's own fetch at `http://<host>/api/armature/v1<path>`. */
export async function call(path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: BodyInit | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const host = opts.host ?? "127.0.0.1:8787";
  return exports.default.fetch(`http://${host}${path.startsWith("/api/") ? path : API + path}`, {
    method: opts.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
}

/** A parsed JSON response. `T` is what the caller expects the body to be; nothing checks it at run time. */
export interface JsonResponse<T> {
  status: number;
  body: T;
  res: Response;
}

/**
 * Calls and parses the JSON body. Pass the expected body type, e.g. `callJson<WorkflowView>(...)` or
 * `callJson<z.infer<typeof getRunOp.output>>(...)`; without one the body is `unknown`. An error answer is
 * read with `expectError`.
 */
export async function callJson<T = unknown>(path: string, opts: CallOptions = {}): Promise<JsonResponse<T>> {
  const res = await call(path, opts);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as T) : (undefined as T), res };
}

/** The `error` object of the error envelope `{ error: { code, message, details? } }`. */
export interface ErrorObject {
  code: ErrorCode;
  message: string;
  details?: { fields?: FieldIssue[]; [key: string]: unknown };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The `error` object when `body` is the error envelope, else undefined. */
export function errorOf(body: unknown): ErrorObject | undefined {
  if (!isRecord(body) || !isRecord(body.error)) return undefined;
  const { code, message } = body.error;
  return typeof code === "string" && typeof message === "string" ? (body.error as unknown as ErrorObject) : undefined;
}

/**
 * Asserts a response is the error envelope with this status and code (and a message string), and returns
 * its `error` object, typed. Takes any response, whatever body type it was read as.
 */
export function expectError(r: { status: number; body: unknown }, status: number, code: ErrorCode): ErrorObject {
  const error = errorOf(r.body);
  if (r.status !== status || error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
  }
  if (error.details !== undefined && !isRecord(error.details)) {
    throw new Error(`expected error.details to be an object, got ${JSON.stringify(error.details)}`);
  }
  return error;
}

/** The sorted `field`s of a validation error's details. */
export const errorFields = (error: { details?: { fields?: Array<{ field: string }> } }): string[] => {
  if (!error.details?.fields) throw new Error(`expected error.details.fields, got ${JSON.stringify(error)}`);
  return error.details.fields.map((f) => f.field).sort();
};

/** A context for calling logic directly (the sweep, the consumer), with a pinned clock and no log output. */
export function testContext(opts: { now?: Date; env?: Env; fetch?: typeof fetch } = {}): AppContext {
  const testEnv = opts.env ?? env;
  return createContext(testEnv, undefined, {
    now: opts.now,
    logger: silentLogger,
    db: opts.env ? createDb(opts.env.DB) : db,
    fetch: opts.fetch,
  });
}
