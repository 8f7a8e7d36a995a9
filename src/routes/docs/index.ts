import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ApiApp, AppEnv } from "../../env";
import { toBase64Url } from "../../lib/encoding";
import { API_BASE } from "../../lib/openapi";
import { buildOpenApiDocument } from "./document";
import { DOCS_PATH, servePage } from "./page";

export { buildOpenApiDocument, OPENAPI_VERSION, TAG_DESCRIPTIONS, type OpenApiDocument } from "./document";

/** The served form of the document for one origin: its JSON bytes and their strong ETag. */
export interface SerializedDocument {
  bytes: Uint8Array<ArrayBuffer>;
  /** `"<base64url SHA-256 of bytes>"`: changes whenever a byte of the document does (the host's URL included). */
  etag: string;
}

/**
 * How GET /openapi may be cached: stored, but revalidated every time (the ETag makes that a 304 without a
 * body), so a new deployment is seen at once.
 */
export const OPENAPI_CACHE_CONTROL = "public, no-cache";

/** Origins whose serialized document an isolate keeps (each about 110 KB); the least recently used goes first. */
const SERIALIZED_ORIGINS = 16;
const serialized = new WeakMap<ApiApp, Map<string, Promise<SerializedDocument>>>();

async function serialize(api: ApiApp, origin: string): Promise<SerializedDocument> {
  // TextEncoder always encodes into a fresh ArrayBuffer.
  const bytes = new TextEncoder().encode(JSON.stringify(buildOpenApiDocument(api, origin))) as Uint8Array<ArrayBuffer>;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return { bytes, etag: `"${toBase64Url(digest)}"` };
}

/**
 * The document of `api` for the host at `origin`, serialized once per isolate and origin (the origin is in
 * `servers`). Treat the bytes as read-only.
 *
 * @example
 * const { bytes, etag } = await serializedOpenApiDocument(api, "https://acme.armature.app");
 */
export function serializedOpenApiDocument(api: ApiApp, origin: string): Promise<SerializedDocument> {
  let byOrigin = serialized.get(api);
  if (!byOrigin) serialized.set(api, (byOrigin = new Map()));
  let entry = byOrigin.get(origin);
  if (entry) {
    // Most recently used last.
    byOrigin.delete(origin);
  } else {
    entry = serialize(api, origin);
    entry.catch(() => byOrigin.delete(origin));
    if (byOrigin.size >= SERIALIZED_ORIGINS) byOrigin.delete(byOrigin.keys().next().value!);
  }
  byOrigin.set(origin, entry);
  return entry;
}

/** True when an If-None-Match header value matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === opaque);
}

async function serveDocument(c: Context<AppEnv>, api: ApiApp) {
  const { bytes, etag } = await serializedOpenApiDocument(api, new URL(c.req.url).origin);
  c.header("access-control-allow-origin", "*");
  c.header("access-control-expose-headers", "etag");
  c.header("cache-control", OPENAPI_CACHE_CONTROL);
  c.header("etag", etag);
  if (ifNoneMatchMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304);
  c.header("content-type", "application/json");
  return c.body(bytes, 200);
}

/**
 * The unauthenticated documentation routes: the live OpenAPI document at `/openapi` and the interactive
 * reference page at `/docs` (Swagger UI, whose files are static assets). Register them before the API is
 * mounted so that its authentication middleware never runs for them.
 */
export function registerDocs(app: OpenAPIHono<AppEnv>, api: ApiApp) {
  app.get(`${API_BASE}/openapi`, (c) => serveDocument(c, api));
  // The document is public and readable cross-origin (client generators, Postman): answer CORS preflights.
  app.options(`${API_BASE}/openapi`, (c) => {
    c.header("access-control-allow-origin", "*");
    c.header("access-control-allow-methods", "GET, OPTIONS");
    c.header("access-control-max-age", "86400");
    c.header("allow", "GET, OPTIONS");
    return c.body(null, 204);
  });
  // The page only; its files (Swagger UI, our start-up script) are static assets under /docs/assets/,
  // served by the Workers assets layer before the Worker runs (wrangler.toml [assets]).
  app.get(DOCS_PATH, servePage);
}
