import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ApiApp, AppEnv } from "../../env";
import { toBase64Url } from "../../lib/encoding";
import { API_BASE } from "../../lib/openapi";
import { buildOpenApiDocument } from "./document";
import { DOCS_PATH, servePage } from "./page";

export { buildOpenApiDocument, OPENAPI_VERSION, TAG_DESCRIPTIONS, type OpenApiDocument } from "./document";

/** Where the document is served. */
export const OPENAPI_PATH = `${API_BASE}/openapi`;

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
export function acceptsGzip(header: string | null | undefined): boolean {
  if (!header) return false;
  // Clients send the same value request after request: the last answer is kept.
  if (header === lastAcceptEncoding.header) return lastAcceptEncoding.gzip;
  const gzip = readAcceptEncoding(header);
  lastAcceptEncoding = { header, gzip };
  return gzip;
}

let lastAcceptEncoding = { header: "", gzip: false };

function readAcceptEncoding(header: string): boolean {
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
export function ifNoneMatchMatches(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  // What a revalidating client sends: the tag it was given, as it is.
  if (header === etag) return true;
  if (header.trim() === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === opaque);
}

/**
 * The headers of each answer, built once per document: what serveDocument sets plus `X-Content-Type-Options`,
 * which the app adds to every response with a body (src/app.ts; the fast path, which runs before the app, must add
 * it itself).
 * `X-Request-Id` is per request.
 */
interface DocumentHeaders {
  identity: Record<string, string>;
  gzip: Record<string, string>;
  identityNotModified: Record<string, string>;
  gzipNotModified: Record<string, string>;
}

const documentHeaders = new WeakMap<SerializedDocument, DocumentHeaders>();

function headersOf(doc: SerializedDocument): DocumentHeaders {
  let headers = documentHeaders.get(doc);
  if (headers) return headers;
  // What a 304 carries: the fields that update the stored 200 (RFC 9110 §15.4.5: ETag, Cache-Control, Vary).
  // Not the CORS fields: a browser sends If-None-Match only from its own cache (a script's own would need a
  // preflight that allows the header, and OPTIONS /openapi allows none), and then the 304 freshens the stored 200,
  // CORS fields included, and the CORS check runs on that stored answer (Fetch, HTTP-network-or-cache fetch). Not
  // `nosniff`, which is about a body: the stored 200 keeps it (RFC 9111 §4.3.4), and the app leaves it off its
  // 304s as well. Each field left off is about 2 % of the 304's rate (docs/benchmarks.md).
  const notModified = (etag: string) => ({
    "cache-control": OPENAPI_CACHE_CONTROL,
    etag,
    vary: "Accept-Encoding",
  });
  const full = (etag: string) => ({
    "access-control-allow-origin": "*",
    "access-control-expose-headers": "etag",
    ...notModified(etag),
    "content-type": "application/json",
    "x-content-type-options": "nosniff",
  });
  headers = {
    identity: full(doc.etag),
    gzip: { ...full(doc.gzipEtag), "content-encoding": "gzip" },
    identityNotModified: notModified(doc.etag),
    gzipNotModified: notModified(doc.gzipEtag),
  };
  documentHeaders.set(doc, headers);
  return headers;
}

/**
 * The answer to a GET of the document: gzip when `acceptEncoding` accepts it, else identity; 304 without a body
 * when `ifNoneMatch` matches the selected representation's tag. With `requestId`, it carries `X-Request-Id` too.
 */
export function documentResponse(
  doc: SerializedDocument,
  acceptEncoding: string | null | undefined,
  ifNoneMatch: string | null | undefined,
  requestId?: string,
): Response {
  const gzip = acceptsGzip(acceptEncoding);
  const all = headersOf(doc);
  // Only the selected representation's tag revalidates: a cache holding the other one gets a full 200.
  const notModified = ifNoneMatchMatches(ifNoneMatch, gzip ? doc.gzipEtag : doc.etag);
  const fixed = notModified ? (gzip ? all.gzipNotModified : all.identityNotModified) : gzip ? all.gzip : all.identity;
  const headers = requestId ? { ...fixed, "x-request-id": requestId } : fixed;
  if (notModified) return new Response(null, { status: 304, headers });
  if (!gzip) return new Response(doc.bytes, { status: 200, headers });
  // "manual": the body already is gzip; without it workerd would compress it again for Content-Encoding.
  return new Response(doc.gzip, { status: 200, headers, encodeBody: "manual" });
}

async function serveDocument(c: Context<AppEnv>, api: ApiApp) {
  const doc = await serializedOpenApiDocument(api, new URL(c.req.url).origin);
  return documentResponse(doc, c.req.header("accept-encoding"), c.req.header("if-none-match"));
}

let lastUrlPrefix = "";
let lastOrigin = "";

/**
 * The origin of the document a request asks for, when it is a GET or HEAD of exactly OPENAPI_PATH (any query)
 * without a body, read from the URL string without parsing it each time; null for any other request (the app
 * answers those, these too, alike). Hono matches paths the same way (the path ends at `?`); a path it would
 * percent-decode first is left to the app.
 */
export function openApiRequestOrigin(request: Request): string | null {
  const method = request.method;
  if (method !== "GET" && method !== "HEAD") return null;
  const url = request.url;
  const pathStart = url.indexOf("/", url.indexOf("://") + 3);
  if (pathStart < 0 || !url.startsWith(OPENAPI_PATH, pathStart)) return null;
  const end = pathStart + OPENAPI_PATH.length;
  if (end < url.length && url.charCodeAt(end) !== 63 /* ? */) return null;
  // The app's body limit would see a body (a GET may carry one): leave such a request to it.
  if (request.body !== null) return null;
  const prefix = url.slice(0, pathStart);
  if (prefix !== lastUrlPrefix) {
    lastOrigin = new URL(url).origin;
    lastUrlPrefix = prefix;
  }
  return lastOrigin;
}

/** The last document the fast path served, once built: the next request of the same origin needs no await. */
let lastServed: { api: ApiApp; origin: string; doc: SerializedDocument } | undefined;

/**
 * Answers a request openApiRequestOrigin accepted, exactly as the app's `/openapi` route and middleware would
 * (the same status, headers, ETag and 304, body; HEAD as hono answers it: the GET's answer without its body),
 * without the app: no routing, no request context, no middleware. Synchronous once the origin's document is
 * built.
 */
export function serveOpenApiDirect(request: Request, api: ApiApp, origin: string, requestId: string): Response | Promise<Response> {
  const last = lastServed;
  if (last && last.api === api && last.origin === origin) return answer(request, last.doc, requestId);
  return serializedOpenApiDocument(api, origin).then((doc) => {
    lastServed = { api, origin, doc };
    return answer(request, doc, requestId);
  });
}

function answer(request: Request, doc: SerializedDocument, requestId: string): Response {
  const res = documentResponse(doc, request.headers.get("accept-encoding"), request.headers.get("if-none-match"), requestId);
  return request.method === "HEAD" ? new Response(null, res) : res;
}

/**
 * The unauthenticated documentation routes: the live OpenAPI document at `/openapi` and the interactive
 * reference page at `/docs` (Swagger UI, whose files are static assets). Register them before the API is
 * mounted so that its authentication middleware never runs for them.
 */
export function registerDocs(app: OpenAPIHono<AppEnv>, api: ApiApp) {
  // The Worker's fetch answers GET and HEAD of it before the app (serveOpenApiDirect); this route answers what
  // that leaves to the app (a path hono percent-decodes, a GET with a body), and `app.request` callers.
  app.get(OPENAPI_PATH, (c) => serveDocument(c, api));
  // The document is public and readable cross-origin (client generators, Postman): answer CORS preflights.
  app.options(OPENAPI_PATH, (c) => {
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
