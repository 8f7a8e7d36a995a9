import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp } from "../../app";
import { ROLES } from "../../auth/roles";
import { errorResponses, json } from "../../lib/openapi";

export const OrganizationSchema = z
  .object({
    id: z.uuid(),
    slug: z.string().openapi({ example: "acme" }),
    name: z.string().openapi({ example: "Acme Inc." }),
    features: z.array(z.string()).openapi({ example: ["mcp-analytics"] }),
    createdAt: z.iso.datetime(),
  })
  .openapi("Organization");

export const CallingKeySchema = z
  .object({
    id: z.string().openapi({ description: "The key id: the middle part of `amt_<key-id>_<secret>`." }),
    name: z.string(),
    role: z.enum(ROLES),
  })
  .openapi("CallingKey");

const getOrg = createRoute({
  method: "get",
  path: "/org",
  operationId: "getOrg",
  tags: ["org"],
  summary: "The organization and the calling key",
  security: [{ bearerAuth: [] }],
  responses: {
    200: json(
      z.object({ organization: OrganizationSchema, apiKey: CallingKeySchema }).openapi("OrgResponse"),
      "The key's organization and the key itself.",
    ),
    ...errorResponses(),
  },
});

export function registerOrg(app: ApiApp) {
  app.openapi(getOrg, (c) => {
    const { org, keyId, keyName, role } = c.var.principal;
    return c.json(
      {
        organization: { ...org, createdAt: org.createdAt.toISOString() },
        apiKey: { id: keyId, name: keyName, role },
      },
      200,
    );
  });
}
