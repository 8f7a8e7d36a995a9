import { z } from "@hono/zod-openapi";

/** Header names an auth profile may not set: they belong to the transport. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "transfer-encoding",
  "connection",
  "accept",
  "mcp-session-id",
  "mcp-protocol-version",
]);

/** Link-local and cloud metadata addresses: never an MCP source, always an SSRF target. */
function isMetadataHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return /^169\.254\./.test(h) || /^fe80:/.test(h) || h === "metadata.google.internal" || h === "metadata";
}

export const HttpUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
      return false;
    }
  }, "Must be an absolute http:// or https:// URL")
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.username === "" && url.password === "";
    } catch {
      return true;
    }
  }, "Must not carry credentials: put them in an auth profile")
  .refine((value) => {
    try {
      return !isMetadataHost(new URL(value).hostname);
    } catch {
      return true;
    }
  }, "Link-local and cloud metadata addresses are not allowed");

export const AuthProfileInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: "Production token" }),
    type: z.enum(["bearer", "header"]).openapi({
      description: "`bearer` sends `Authorization: Bearer <value>`; `header` sends `<headerName>: <value>`.",
    }),
    headerName: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "Must be a valid HTTP header name")
      .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), "This header is reserved for the transport")
      .optional(),
    value: z
      .string()
      .min(1)
      .max(8192)
      .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "Must not contain control characters or line breaks")
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
