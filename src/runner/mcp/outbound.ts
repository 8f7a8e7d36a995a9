/**
 * The outbound guard: the one fetch every request of the MCP client goes through.
 *
 * A run connects to a URL its workflow names, so the URL is attacker-controlled. Before any request
 * leaves, and again for every redirect hop, the guard checks the URL:
 *
 * - `http:` or `https:` only, and `https:` only unless `allowPrivate` (local development);
 * - no credentials in the URL (`https://user:pass@host/`);
 * - the host, classified by `src/net/address.ts` after normalising every notation (decimal, hex, octal and
 *   short IPv4, IPv4 inside IPv6, percent-escapes, trailing dots), must be `public` and must not be an IP
 *   literal. `allowPrivate` also admits IP literals, `loopback`, `private`, `unique-local` and `cgnat`
 *   hosts, but never `metadata` or `link-local` (nor unspecified, multicast, broadcast, reserved, invalid);
 * - the host must not be our own base domain or a name under it (an organization's API host).
 *
 * Redirects are followed by hand (`redirect: "manual"` on the inner fetch), each hop checked by the same
 * rules, at most `maxRedirects`. A caller that asks for `redirect: "manual"` itself (the MCP SDK does, to
 * keep redirects within one origin) gets the 3xx response back, but a `Location` the rules refuse is refused
 * here at once. When the guard follows a redirect to another origin it forwards only a short list of
 * protocol headers, so credentials (an `Authorization` or any custom auth header) never leave their origin.
 *
 * Every response body is streamed through a counter that errors past `maxResponseBytes` (event streams
 * too), and each request (its whole body included) is bounded by `timeoutMs`, merged with the caller's
 * signal.
 *
 * What this cannot see: where DNS points a public-looking name. On Cloudflare the platform refuses
 * connections from a Worker to private address space, which covers a name that resolves to one.
 */
import { classifyHost, type HostKind } from "../../net/address";

export interface GuardedFetchOptions {
  /** Our organizations' domain (`ARMATURE_BASE_DOMAIN`): it and every name under it are refused. */
  baseDomain: string;
  /** Local development: also admit plain http, IP literals and private/loopback hosts (never metadata or link-local). */
  allowPrivate: boolean;
  /** The fetch that does the I/O (default: the global fetch; tests pass an in-process server). */
  fetch?: typeof fetch;
  /** Largest response body, in bytes (default {@link DEFAULT_MAX_RESPONSE_BYTES}). */
  maxResponseBytes?: number;
  /** Time limit per request, body included, in milliseconds (default {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Most redirects followed for one request (default {@link DEFAULT_MAX_REDIRECTS}). */
  maxRedirects?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_REDIRECTS = 5;

/** Which rule refused a request. */
export type OutboundRule =
  | "invalid-url"
  | "scheme"
  | "https-required"
  | "url-credentials"
  | "ip-literal"
  | "host-kind"
  | "base-domain"
  | "too-many-redirects";

/**
 * A request the guard refused. The message names the host and the rule, never a header or the URL's path
 * or query (which may carry a secret).
 */
export class OutboundRefusedError extends Error {
  override readonly name = "OutboundRefusedError";
  constructor(
    /** The normalised host (`169.254.169.254` for `0xa9fea9fe`), or `""` when the URL did not parse. */
    readonly host: string,
    readonly rule: OutboundRule,
    message: string,
    /** The host's kind, when the host decided. */
    readonly kind?: HostKind,
  ) {
    super(message);
  }
}

/** A response body that grew past `maxResponseBytes`; errors the body stream (or the fetch, when Content-Length says so). */
export class OutboundResponseTooLargeError extends Error {
  override readonly name = "OutboundResponseTooLargeError";
  constructor(
    readonly host: string,
    readonly limitBytes: number,
  ) {
    super(`The response from ${host} exceeded the ${limitBytes}-byte limit`);
  }
}

export interface OutboundPolicy {
  baseDomain: string;
  allowPrivate: boolean;
}

/** Kinds admitted with `allowPrivate` (besides `public`). Metadata and link-local never are. */
const PRIVATE_KINDS_ALLOWED: ReadonlySet<HostKind> = new Set(["loopback", "private", "unique-local", "cgnat"]);

/** The normalised base domain ("" when there is none). */
function normaliseDomain(domain: string): string {
  const trimmed = domain.trim();
  if (trimmed === "") return "";
  const c = classifyHost(trimmed);
  return c.kind === "invalid" ? trimmed.toLowerCase().replace(/\.+$/, "") : c.host;
}

/**
 * Checks one URL against the rules; throws {@link OutboundRefusedError} when they refuse it.
 * Exported for callers that want to check a URL before connecting (the guarded fetch checks every hop itself).
 */
export function checkOutboundUrl(url: URL | string, policy: OutboundPolicy): void {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    throw new OutboundRefusedError("", "invalid-url", "Refused an outbound request: the URL is not valid");
  }
  const c = classifyHost(parsed.hostname);
  const host = c.host || parsed.hostname;
  const refuse = (rule: OutboundRule, why: string): never => {
    throw new OutboundRefusedError(host, rule, `Refused an outbound request to ${host || "(no host)"}: ${why}`, c.kind);
  };

  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    refuse("scheme", `the scheme ${parsed.protocol.replace(/:$/, "")} is not allowed (http and https only)`);
  }
  if (c.kind === "invalid") refuse("host-kind", "the host is not a valid host name or address");
  if (c.kind === "metadata") refuse("host-kind", "it is a cloud metadata endpoint");
  if (c.kind === "link-local") refuse("host-kind", "it is a link-local address");

  const base = normaliseDomain(policy.baseDomain);
  if (base !== "" && !c.isIpLiteral && (c.host === base || c.host.endsWith(`.${base}`))) {
    refuse("base-domain", `it is this service's own domain (${base})`);
  }

  if (!policy.allowPrivate) {
    if (c.isIpLiteral) refuse("ip-literal", "IP-address hosts are not allowed; use a DNS name");
    if (c.kind !== "public") refuse("host-kind", `it is a ${c.kind} host`);
  } else if (c.kind !== "public" && !PRIVATE_KINDS_ALLOWED.has(c.kind)) {
    refuse("host-kind", `it is a ${c.kind} host`);
  }
  if (parsed.protocol === "http:" && !policy.allowPrivate) refuse("https-required", "plain http is not allowed; use https");
  if (parsed.username !== "" || parsed.password !== "") refuse("url-credentials", "credentials in the URL are not allowed");
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers forwarded when a followed redirect changes origin: protocol headers only, never credentials. */
const CROSS_ORIGIN_HEADERS = new Set([
  "accept",
  "accept-language",
  "content-language",
  "content-type",
  "user-agent",
  "mcp-protocol-version",
  "mcp-method",
  "mcp-name",
]);

/** Headers that describe a request body, dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // nothing to release
  }
}

/**
 * The response with its body held to `limit` bytes: refused at once when its Content-Length is over the cap; when
 * the length is declared within it and the body is not content-encoded, held to exactly that length by the runtime's
 * own FixedLengthStream, natively (the runtime decodes a gzip body, so an encoded body's length says nothing about
 * what is read); otherwise streamed through a byte counter that errors past `limit`. The counter, a JavaScript
 * transform per chunk, was about a tenth of the queue consumer's CPU in its profile (docs/benchmarks.md), and the
 * reference MCP server's answers, event streams included, all declare their length.
 */
function capBody(response: Response, host: string, limit: number): Response {
  if (response.body === null) return response;
  const length = response.headers.get("content-length");
  const declared = length !== null && /^\d{1,15}$/.test(length) ? Number(length) : null;
  if (declared !== null && declared > limit) {
    void discard(response);
    throw new OutboundResponseTooLargeError(host, limit);
  }
  const encoding = response.headers.get("content-encoding");
  if (declared !== null && (encoding === null || encoding.trim().toLowerCase() === "identity")) {
    return new Response(response.body.pipeThrough(new FixedLengthStream(declared)), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
  let seen = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) controller.error(new OutboundResponseTooLargeError(host, limit));
      else controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(counter), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** A body that can be sent again on a 307/308 hop. */
async function replayableBody(body: BodyInit | null | undefined): Promise<BodyInit | null> {
  if (body === undefined || body === null) return null;
  if (body instanceof ReadableStream) return new Response(body).arrayBuffer();
  return body;
}

/**
 * A fetch-compatible function that applies the rules above to every request and every redirect hop.
 *
 * @example
 * const guarded = createGuardedFetch({ baseDomain: env.ARMATURE_BASE_DOMAIN, allowPrivate: false });
 * await guarded("https://mcp.example.com/mcp", { method: "POST", body }); // refused: throws OutboundRefusedError
 */
export function createGuardedFetch(options: GuardedFetchOptions): typeof fetch {
  const inner: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const policy: OutboundPolicy = { baseDomain: options.baseDomain, allowPrivate: options.allowPrivate };
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;

  const guarded = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    let url: URL;
    try {
      url = new URL(request ? request.url : input instanceof URL ? input.href : String(input));
    } catch {
      throw new OutboundRefusedError("", "invalid-url", "Refused an outbound request: the URL is not valid");
    }
    let method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    let headers = new Headers(init?.headers ?? request?.headers);
    let body = await replayableBody(init?.body !== undefined ? init.body : request?.body ? await request.arrayBuffer() : null);
    const redirectMode = init?.redirect ?? request?.redirect ?? "follow";
    const callerSignal = init?.signal ?? request?.signal ?? undefined;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;

    for (let hops = 0; ; hops++) {
      checkOutboundUrl(url, policy);
      signal.throwIfAborted();
      const host = classifyHost(url.hostname).host;
      const response = await inner(url.href, { method, headers, body, redirect: "manual", signal });
      const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get("location") : null;
      if (location === null) return capBody(response, host, maxBytes);

      let target: URL;
      try {
        target = new URL(location, url);
      } catch {
        return capBody(response, host, maxBytes);
      }
      try {
        checkOutboundUrl(target, policy);
      } catch (error) {
        await discard(response);
        throw error;
      }
      if (redirectMode === "manual") return capBody(response, host, maxBytes);
      await discard(response);
      if (redirectMode === "error") throw new TypeError(`The request to ${host} was redirected, and redirects are not allowed for it`);
      if (hops >= maxRedirects) {
        const why = `Refused an outbound request to ${host}: more than ${maxRedirects} redirects`;
        throw new OutboundRefusedError(host, "too-many-redirects", why);
      }

      // The fetch standard's method rewrite: 303 becomes GET (but HEAD), and so does a POST on 301/302.
      if ((response.status === 303 && method !== "HEAD") || ((response.status === 301 || response.status === 302) && method === "POST")) {
        method = "GET";
        body = null;
        for (const name of BODY_HEADERS) headers.delete(name);
      }
      if (target.origin !== url.origin) {
        const kept = new Headers();
        headers.forEach((value, name) => {
          if (CROSS_ORIGIN_HEADERS.has(name)) kept.set(name, value);
        });
        headers = kept;
      }
      url = target;
    }
  };
  return guarded as typeof fetch;
}
