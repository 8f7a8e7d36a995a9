import { env, exports } from "cloudflare:workers";
import { parsePeppers } from "../src/auth/api-key";
import { mintApiKey } from "../src/auth/key-records";
import type { Role } from "../src/auth/roles";
import { createDb } from "../src/db/client";
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

/** Calls and parses the JSON body. */
export async function callJson<T = any>(path: string, opts: CallOptions = {}): Promise<{ status: number; body: T; res: Response }> {
  const res = await call(path, opts);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as T) : (undefined as T), res };
}

/** Asserts the error envelope and returns it. */
export function expectError(
  r: { status: number; body: any },
  status: number,
  code: string,
): { code: string; message: string; details?: any } {
  if (r.status !== status || r.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
  }
  return r.body.error;
}

/** The sorted `field`s of a validation error's details. */
export const errorFields = (error: { details?: { fields: Array<{ field: string }> } }) =>
  error.details!.fields.map((f) => f.field).sort();
