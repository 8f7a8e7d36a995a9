import type { z } from "@hono/zod-openapi";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mcpAuthProfiles } from "../../src/db/schema";
import { openSecret } from "../../src/lib/secret-box";
import type { listMcpServersOp } from "../../src/mcp-servers/operations";
import type { McpServerView } from "../../src/mcp-servers/schemas";
import { call, callJson, createOrg, db, errorFields, expectError } from "../helpers";

type McpServerList = z.infer<typeof listMcpServersOp.output>;

const TOKEN = "ghp_supersecretvalue0123456789abcdefghijkl";

describe("/mcp-servers", () => {
  it("registers a source with auth profiles, never returning the secret", async () => {
    const org = await createOrg();
    const editor = await org.keyFor("editor");
    const created = await callJson<McpServerView>("/mcp-servers", {
      key: editor,
      body: {
        name: "GitHub MCP",
        url: "https://mcp.example.com/mcp",
        description: "Issues and PRs",
        authProfiles: [
          { name: "prod", type: "bearer", value: TOKEN },
          { name: "tenant", type: "header", headerName: "X-Tenant", value: "tenant-1" },
        ],
      },
    });
    expect(created.status).toBe(201);
    const server = created.body;
    expect(server).toMatchObject({
      name: "GitHub MCP",
      url: "https://mcp.example.com/mcp",
      transport: "streamable-http",
      description: "Issues and PRs",
      defaultMcpAuthProfileId: null,
    });
    expect(server.authProfiles).toHaveLength(2);
    expect(server.authProfiles[0]).toMatchObject({ name: "prod", type: "bearer", headerName: null, secretHint: "••••ijkl" });
    expect(server.authProfiles[1]).toMatchObject({ name: "tenant", type: "header", headerName: "X-Tenant", secretHint: "••••" });
    expect(JSON.stringify(server)).not.toContain("supersecret");

    const got = await callJson(`/mcp-servers/${server.id}`, { key: await org.keyFor("viewer") });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(server);

    const list = await callJson<McpServerList>("/mcp-servers", { key: org.ownerKey });
    expect(list.status).toBe(200);
    expect(list.body.mcpServers).toEqual([server]);

    // At rest: sealed, bound to its record, and decryptable with the Worker secret only.
    const row = await db.select().from(mcpAuthProfiles).where(eq(mcpAuthProfiles.id, server.authProfiles[0]!.id)).get();
    expect(row!.secretCiphertext).not.toContain("supersecret");
    expect(await openSecret(env.SECRETS_ENCRYPTION_KEY, row!.secretCiphertext, `${org.id}:${row!.id}`)).toBe(TOKEN);
    await expect(openSecret(env.SECRETS_ENCRYPTION_KEY, row!.secretCiphertext, `${org.id}:other`)).rejects.toThrow();
  });

  it("makes a lone auth profile, or the one marked isDefault, the default", async () => {
    const org = await createOrg();
    const one = await callJson<McpServerView>("/mcp-servers", {
      key: org.ownerKey,
      body: { name: "one", url: "http://localhost:9000/mcp", transport: "sse", authProfiles: [{ name: "a", type: "bearer", value: "x".repeat(20) }] },
    });
    expect(one.status).toBe(201);
    expect(one.body.transport).toBe("sse");
    expect(one.body.defaultMcpAuthProfileId).toBe(one.body.authProfiles[0]?.id);
    const two = await callJson<McpServerView>("/mcp-servers", {
      key: org.ownerKey,
      body: {
        name: "two",
        url: "https://two.example.com",
        authProfiles: [
          { name: "a", type: "bearer", value: "aaaaaaaa" },
          { name: "b", type: "bearer", value: "bbbbbbbb", isDefault: true },
        ],
      },
    });
    expect(two.body.defaultMcpAuthProfileId).toBe(two.body.authProfiles[1]?.id);
  });

  it("names each invalid field in a 400", async () => {
    const org = await createOrg();
    const cases: Array<[unknown, string[]]> = [
      [{}, ["body.name", "body.url"]],
      [{ name: "x", url: "ftp://example.com" }, ["body.url"]],
      [{ name: "x", url: "not a url" }, ["body.url"]],
      [{ name: "x", url: "https://user:pw@example.com" }, ["body.url"]],
      [{ name: "x", url: "https://example.com", transport: "websocket" }, ["body.transport"]],
      [{ name: "", url: "https://example.com" }, ["body.name"]],
      [{ name: "x", url: "https://example.com", extra: 1 }, ["body.extra"]],
      [{ name: "x", url: "https://example.com", authProfiles: [{ name: "h", type: "header", value: "v" }] }, ["body.authProfiles.0.headerName"]],
      [{ name: "x", url: "https://example.com", authProfiles: [{ name: "h", type: "header", headerName: "Host", value: "v" }] }, ["body.authProfiles.0.headerName"]],
      [{ name: "x", url: "https://example.com", authProfiles: [{ name: "h", type: "bearer", value: "a\r\nb" }] }, ["body.authProfiles.0.value"]],
      [{ name: "x", url: "https://example.com", authProfiles: [{ name: "h", type: "bearer", value: "v", isDefault: true }, { name: "h", type: "bearer", value: "v", isDefault: true }] }, ["body.authProfiles", "body.authProfiles.1.name"]],
    ];
    for (const [body, fields] of cases) {
      const res = await callJson("/mcp-servers", { key: org.ownerKey, body });
      const error = expectError(res, 400, "validation_failed");
      expect(errorFields(error), JSON.stringify(body)).toEqual(fields.sort());
    }
  });

  it("refuses a second source with the same name with 409 conflict", async () => {
    const org = await createOrg();
    const body = { name: "dup", url: "https://example.com/mcp" };
    expect((await call("/mcp-servers", { key: org.ownerKey, body })).status).toBe(201);
    expectError(await callJson("/mcp-servers", { key: org.ownerKey, body }), 409, "conflict");
    // Another organization may use the name.
    const other = await createOrg();
    expect((await call("/mcp-servers", { key: other.ownerKey, body })).status).toBe(201);
  });

  it("hides other organizations' sources: 404 by id, absent from lists", async () => {
    const a = await createOrg();
    const b = await createOrg();
    const created = await callJson<McpServerView>("/mcp-servers", { key: a.ownerKey, body: { name: "a-src", url: "https://a.example.com" } });
    expectError(await callJson(`/mcp-servers/${created.body.id}`, { key: b.ownerKey }), 404, "not_found");
    expect((await callJson<McpServerList>("/mcp-servers", { key: b.ownerKey })).body.mcpServers).toEqual([]);
    expectError(await callJson(`/mcp-servers/${crypto.randomUUID()}`, { key: a.ownerKey }), 404, "not_found");
  });

  it("answers a malformed id with 400 naming path.id", async () => {
    const org = await createOrg();
    const error = expectError(await callJson("/mcp-servers/not-a-uuid", { key: org.ownerKey }), 400, "validation_failed");
    expect(errorFields(error)).toEqual(["path.id"]);
  });

  it("requires a key (401) and editor for writes (403)", async () => {
    const org = await createOrg();
    expectError(await callJson("/mcp-servers"), 401, "unauthorized");
    expectError(await callJson("/mcp-servers", { body: { name: "x", url: "https://e.com" } }), 401, "unauthorized");
    expectError(
      await callJson("/mcp-servers", { key: await org.keyFor("viewer"), body: { name: "x", url: "https://e.com" } }),
      403,
      "forbidden",
    );
    for (const role of ["editor", "admin", "owner"] as const) {
      const res = await call("/mcp-servers", { key: await org.keyFor(role), body: { name: `by-${role}`, url: "https://e.com" } });
      expect(res.status, role).toBe(201);
    }
  });
});
