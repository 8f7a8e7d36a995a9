import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ApiApp, AppEnv } from "../../env";
import { toBase64Url } from "../../lib/encoding";
import { API_BASE } from "../../lib/openapi";
import { buildOpenApiDocument } from "./document";
import { DOCS_PATH, servePage } from "./page";

export { buildOpenApiDocument, OPENAPI_VERSION, TAG_DESCRIPTIONS, type OpenApiDocument } from "./document";

/**
 * The served forms of the document for one origin: its JSON bytes, the same bytes gzip-compressed, and a
 * strong ETag for each representation.
 */
export interface SerializedDocument {
  bytes: Uint8Array<ArrayBuffer>;
  /** `"<base64url SHA-256 of bytes>"`: changes whenever a byte of the document does (the host's URL included). */
  etag: string;
  /** `bytes` compressed once with CompressionStream("gzip"), served with `Content-Encoding: gzip`. */
  gzip: Uint8Array<ArrayBuffer>;
  /** The gzip representation's own strong ETag: `etag` with `-gzip` before the closing quote (see GZIP_ETAG_SUFFIX). */
  gzipEtag: string;
}

/**
 * Marks the ETag of the gzip representation: `"<base64url SHA-256 of the JSON bytes>-gzip"`. A strong ETag
 * names one representation (RFC 9110 §8.8.3), and the compressed bytes are another one, so they get their
 * own tag, derived from the identity bytes' digest (so it too changes whenever the document does; the identity
 * tag is always exactly 43 characters between its quotes, so the two never collide).
 */
export const GZIP_ETAG_SUFFIX = "-gzip";

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
  const [digest, gzip] = await Promise.all([crypto.subtle.digest("SHA-256", bytes), gzipBytes(bytes)]);
  const hash = toBase64Url(digest);
  return { bytes, etag: `"${hash}"`, gzip, gzipEtag: `"${hash}${GZIP_ETAG_SUFFIX}"` };
}

async function gzipBytes(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * True when an Accept-Encoding header value accepts gzip: a `gzip` (or legacy `x-gzip`) coding, or `*`,
 * whose q-value is not 0 (RFC 9110 §12.5.3). Absent header: identity only.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(",")) {
    const [coding, ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    const accepted = !q || Number(q.slice(2)) > 0;
    if (coding === "gzip" || coding === "x-gzip") return accepted;
    if (coding === "*") star = accepted;
  }
  return star;
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
  const doc = await serializedOpenApiDocument(api, new URL(c.req.url).origin);
  const gzip = acceptsGzip(c.req.header("accept-encoding"));
  const etag = gzip ? doc.gzipEtag : doc.etag;
  const headers: Record<string, string> = {
    "access-control-allow-origin": "*",
    "access-control-expose-headers": "etag",
    "cache-control": OPENAPI_CACHE_CONTROL,
    etag,
    vary: "Accept-Encoding",
  };
  // Only the selected representation's tag revalidates: a cache holding the other one gets a full 200.
  if (ifNoneMatchMatches(c.req.header("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  headers["content-type"] = "application/json";
  if (!gzip) return new Response(doc.bytes, { status: 200, headers });
  headers["content-encoding"] = "gzip";
  // "manual": the body already is gzip; without it workerd would compress it again for Content-Encoding.
  return new Response(doc.gzip, { status: 200, headers, encodeBody: "manual" });
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
