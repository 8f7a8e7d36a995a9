import { z } from "@hono/zod-openapi";
import { ROLES } from "../auth/roles";

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

export const OrgResponseSchema = z
  .object({ organization: OrganizationSchema, apiKey: CallingKeySchema })
  .openapi("OrgResponse");
