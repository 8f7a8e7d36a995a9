import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/env";
import { auditOpenApiDocument } from "../../src/routes/docs/audit";
import { buildOpenApiDocument } from "../../src/routes/docs/document";
import { toOpenApi30 } from "../../src/routes/docs/openapi30";

/** A one-route app whose response uses the zod 4 shapes the generator gets wrong for 3.0. */
function appWith(response: z.ZodType) {
  const app = new OpenAPIHono<AppEnv>();
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });
  app.openapi(
    createRoute({
      method: "get",
      path: "/things",
      operationId: "listThings",
      tags: ["runs"],
      summary: "Things",
      security: [{ bearerAuth: [] }],
      responses: {
        200: { description: "ok", content: { "application/json": { schema: response } } },
        401: { description: "no key" },
      },
    }),
    (c) => c.json({} as never, 200),
  );
  return app;
}

const Thing = z.object({ id: z.uuid(), at: z.iso.datetime() }).openapi("Thing");

describe("the OpenAPI 3.0 repairs", () => {
  it("keeps a named schema non-nullable when its first use is .nullable(), and says 'or null' where it is used", () => {
    const doc = buildOpenApiDocument(
      appWith(z.object({ first: Thing.nullable(), second: Thing, third: Thing.nullable().openapi({ description: "maybe" }) }).openapi("Things")),
      "http://h",
    ) as any;
    expect(doc.components.schemas.Thing).toEqual({
      type: "object",
      properties: { id: { type: "string", format: "uuid" }, at: { type: "string", format: "date-time" } },
      required: ["id", "at"],
    });
    const props = doc.components.schemas.Things.properties;
    expect(props.first).toEqual({ type: "object", nullable: true, allOf: [{ $ref: "#/components/schemas/Thing" }] });
    expect(props.second).toEqual({ $ref: "#/components/schemas/Thing" });
    expect(props.third).toEqual({ type: "object", nullable: true, description: "maybe", allOf: [{ $ref: "#/components/schemas/Thing" }] });
    expect(auditOpenApiDocument(doc)).toEqual([]);
  });

  it("turns unknown, catchall and nullable unions into schemas valid in 3.0", () => {
    const doc = buildOpenApiDocument(
      appWith(
        z
          .object({
            anything: z.unknown(),
            open: z.object({ a: z.string() }).catchall(z.unknown()),
            sameType: z.union([z.literal("a"), z.literal("b")]).nullable(),
            mixed: z.union([z.string(), z.number(), z.null()]),
          })
          .openapi("Shapes"),
      ),
      "http://h",
    ) as any;
    const props = doc.components.schemas.Shapes.properties;
    expect(props.anything).toEqual({});
    expect(props.open.additionalProperties).toEqual({});
    expect(props.sameType).toMatchObject({ type: "string", nullable: true });
    expect(props.mixed).toEqual({
      anyOf: [{ type: "string" }, { type: "number" }, { type: "string", nullable: true, enum: [null] }],
    });
    expect(auditOpenApiDocument(doc)).toEqual([]);
  });

  it("leaves valid 3.0 alone", () => {
    const schema = { type: "string", nullable: true, enum: ["a", null] };
    expect(toOpenApi30({ components: { schemas: { S: structuredClone(schema) } } })).toEqual({ components: { schemas: { S: schema } } });
  });

  it("is caught by the audit when a named component is nullable itself", () => {
    const doc = buildOpenApiDocument(appWith(z.object({ a: z.string() }).nullable().openapi("Maybe")), "http://h");
    expect(auditOpenApiDocument(doc)).toEqual([
      "components.schemas.Maybe is nullable itself: name the non-null schema and use .nullable() where it is used",
    ]);
  });

  it("lists only the tags its operations use and builds the document once per app, servers per origin", () => {
    const app = appWith(z.object({}).openapi("Empty"));
    const a = buildOpenApiDocument(app, "http://a.example") as any;
    const b = buildOpenApiDocument(app, "https://b.example") as any;
    expect(a.tags).toEqual([{ name: "runs", description: expect.any(String) }]);
    expect(a.servers).toEqual([{ url: "http://a.example/api/armature/v1", description: "This host" }]);
    expect(b.servers).toEqual([{ url: "https://b.example/api/armature/v1", description: "This host" }]);
    expect(b.paths).toBe(a.paths);
  });
});
