import { z } from "@hono/zod-openapi";
import { classifyHost, type HostKind } from "../net/address";

/**
 * Header names an auth profile may not set, compared case-insensitively: hop-by-hop headers (RFC 9110
 * §7.6.1, plus the legacy `Proxy-Connection`, `Trailers` and HTTP/2's `HTTP2-Settings`), which describe one
 * connection and not the request, and headers the MCP transport writes itself.
 */
const RESERVED_HEADERS = new Set([
  // hop-by-hop
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "trailers",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
  // framing and negotiation, owned by the transport
  "host",
  "content-length",
  "content-type",
  "content-encoding",
  "accept",
  "accept-encoding",
  "expect",
  // the MCP Streamable HTTP / SSE transport
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
]);
/** Prefixes reserved the same way: `Proxy-Authorization`, `Proxy-Authenticate`, … belong to a proxy hop. */
const RESERVED_HEADER_PREFIXES = ["proxy-"];

const isReservedHeader = (name: string) => {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || RESERVED_HEADER_PREFIXES.some((p) => lower.startsWith(p));
};

/** Control characters (C0, DEL, C1): never in a header value. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Never inside a source URL: control characters (C0, DEL, C1), whitespace and line/paragraph separators, and
 * invisible format characters (zero-width, bidi overrides). The URL parser would silently drop or encode
 * them, so what was stored would not be what was checked.
 */
const URL_FORBIDDEN_CHARS = /[\p{Cc}\p{Cf}\p{Z}\s]/u;

const URL_MAX = 2048;

/**
 * Host kinds never allowed as a source: link-local and cloud metadata addresses in every notation (see
 * src/net/address.ts). Private and loopback stay allowed here (local development registers
 * http://127.0.0.1:3001/mcp); the run engine's outbound guard refuses them when deployed.
 */
const REFUSED_HOST_KINDS: ReadonlySet<HostKind> = new Set(["link-local", "metadata", "invalid"]);

/** Why a (trimmed) source URL is refused, or null when it is fine. */
function sourceUrlProblem(value: string): string | null {
  if (value.length > URL_MAX) return null; // max() says so
  if (URL_FORBIDDEN_CHARS.test(value)) return "Must not contain control characters, whitespace or invisible characters";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "Must be an absolute http:// or https:// URL";
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    return "Must be an absolute http:// or https:// URL";
  }
  if (url.username !== "" || url.password !== "") return "Must not carry credentials: put them in an auth profile";
  const { kind } = classifyHost(url.hostname);
  if (kind === "invalid") return "Must have a valid host";
  if (REFUSED_HOST_KINDS.has(kind)) return "Link-local and cloud metadata addresses are not allowed";
  if (url.href.length > URL_MAX) return `Must be at most ${URL_MAX} characters once normalised`;
  return null;
}

/** The URL as checked and stored: `new URL(value).href`; a value that does not parse is left for the refusal. */
function normaliseUrl(value: string): string {
  try {
    return new URL(value).href;
  } catch {
    return value;
  }
}

/**
 * An MCP source URL: trimmed, then checked, then normalised (`new URL(value).href`) — the output is the
 * normalised URL, so what is stored is exactly what was checked.
 */
export const HttpUrl = z
  .string()
  .trim()
  .max(URL_MAX)
  .superRefine((value, ctx) => {
    const problem = sourceUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .overwrite(normaliseUrl);

export const AuthProfileInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: "Production token" }),
    type: z.enum(["bearer", "header"]).openapi({
      description: "`bearer` sends `Authorization: Bearer <value>`; `header` sends `<headerName>: <value>`.",
    }),
    headerName: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "Must be a valid HTTP header name")
      .refine((h) => !isReservedHeader(h), "This header is hop-by-hop or reserved for the transport")
      .optional(),
    value: z
      .string()
      .min(1)
      .max(8192)
      .refine((v) => !CONTROL_CHARS.test(v), "Must not contain control characters or line breaks")
      .openapi({ description: "The secret. Stored encrypted, never returned." }),
    isDefault: z.boolean().optional().openapi({ description: "Make this the source's default auth profile." }),
  })
  .superRefine((p, ctx) => {
    if (p.type === "header" && !p.headerName) {
      ctx.addIssue({ code: "custom", path: ["headerName"], message: "Required when type is 'header'" });
    }
    if (p.type === "bearer" && p.headerName) {
      ctx.addIssue({ code: "custom", path: ["headerName"], message: "Only allowed when type is 'header'" });
    }
  })
  .openapi("McpAuthProfileInput");

export const CreateMcpServerBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: "GitHub MCP" }),
    url: HttpUrl.openapi({ example: "https://mcp.example.com/mcp" }),
    transport: z.enum(["streamable-http", "sse"]).default("streamable-http"),
    description: z.string().max(2000).optional(),
    authProfiles: z.array(AuthProfileInput).max(20).optional(),
  })
  .superRefine((body, ctx) => {
    const defaults = (body.authProfiles ?? []).filter((p) => p.isDefault).length;
    if (defaults > 1) {
      ctx.addIssue({ code: "custom", path: ["authProfiles"], message: "At most one auth profile may be the default" });
    }
    const names = new Set<string>();
    (body.authProfiles ?? []).forEach((p, i) => {
      if (names.has(p.name)) ctx.addIssue({ code: "custom", path: ["authProfiles", i, "name"], message: "Duplicate name" });
      names.add(p.name);
    });
  })
  .openapi("CreateMcpServerRequest");

export const AuthProfileSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.enum(["bearer", "header"]),
    headerName: z.string().nullable(),
    secretHint: z.string().openapi({ example: "••••f9a2", description: "The last characters of the secret at most." }),
    createdAt: z.iso.datetime(),
  })
  .openapi("McpAuthProfile");

export const McpServerSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    url: z.string(),
    transport: z.enum(["streamable-http", "sse"]),
    description: z.string().nullable(),
    defaultMcpAuthProfileId: z.uuid().nullable(),
    authProfiles: z.array(AuthProfileSchema),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("McpServer");

export type CreateMcpServerInput = z.infer<typeof CreateMcpServerBody>;
export type McpServerView = z.infer<typeof McpServerSchema>;
