import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { parsePeppers } from "../../src/auth/api-key";
import type { Role } from "../../src/auth/roles";
import type { KeyPrincipal } from "../../src/auth/verify-api-key";
import type { OperationContext } from "../../src/context";
import { defineOperation, executeOperation } from "../../src/operations/operation";
import { verifyApiKey } from "../../src/auth/verify-api-key";
import { createApp } from "../../src/app";
import type { Database } from "../../src/db/client";
import { workflows } from "../../src/db/schema";
import { callJson, createOrg, db, expectError, testContext } from "../helpers";
import { captureQueue, createMcpSource, createWorkflow, runsOfWorkflow } from "../workflows/fixtures";

// Every delivery of this file's runs goes to a recorder, never to the consumer in the background.
captureQueue();

const spies: Array<{ mockRestore(): void }> = [];
afterEach(() => {
  for (const spy of spies.splice(0)) spy.mockRestore();
});

describe("key verification", () => {
  it("refuses a malformed key without touching D1", async () => {
    const untouchable = new Proxy({} as Database, {
      get() {
        throw new Error("D1 was touched");
      },
    });
    const peppers = parsePeppers(env.API_KEY_PEPPERS);
    for (const key of ["", "amt_", "Bearer x", `amt_${"a".repeat(16)}_short`, "amt_0123456789abcdef_" + "!".repeat(43)]) {
      expect(await verifyApiKey(key, { db: untouchable, peppers, defer: () => {} })).toBeNull();
    }
  });
});

describe("access checks live with the operation", () => {
  const principal = (role: Role, features: string[] = []): KeyPrincipal => ({
    keyId: "k",
    keyName: "k",
    role,
    org: { id: "o", slug: "o", name: "o", features, createdAt: new Date() },
  });
  const ctx = (p: KeyPrincipal): OperationContext => ({ ...testContext(), principal: p, requestId: "r" });
  const gated = defineOperation({
    name: "gatedExample",
    tag: "org",
    summary: "A feature-gated editor operation",
    role: "editor",
    feature: "mcp-analytics",
    readOnly: true,
    input: {},
    output: z.object({ ok: z.literal(true) }),
    outputDescription: "ok",
    run: async () => ({ ok: true as const }),
  });

  it("refuses a role below the operation's with 403 forbidden and an organization without its feature with feature_disabled, whatever calls it", async () => {
    await expect(executeOperation(gated, ctx(principal("viewer", ["mcp-analytics"])), {})).rejects.toMatchObject({
      code: "forbidden",
      message: "This operation requires the editor role or higher; the key has viewer",
    });
    await expect(executeOperation(gated, ctx(principal("owner")), {})).rejects.toMatchObject({
      code: "feature_disabled",
      message: "MCP Analytics is not enabled for this organization",
    });
    expect(await executeOperation(gated, ctx(principal("editor", ["mcp-analytics"])), {})).toEqual({ ok: true });
  });
});

describe("internal errors", () => {
  it("answer 500 internal_error with the request id and no internals", async () => {
    const org = await createOrg();
    const broken = {
      ...env,
      DB: new Proxy(env.DB, {
        get(target, prop) {
          if (prop === "prepare") {
            return (sql: string) => {
              if (sql.includes("mcp_servers")) throw new Error("D1_ERROR: no such table: mcp_servers SQLITE_ERROR");
              return target.prepare(sql);
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
    };
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    spies.push(spy);
    const ctx = createExecutionContext();
    const res = await createApp().fetch(
      new Request("http://127.0.0.1:8787/api/armature/v1/mcp-servers", { headers: { authorization: `Bearer ${org.ownerKey}` } }),
      broken,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    const requestId = res.headers.get("x-request-id");
    const body = await res.json();
    expect(body).toEqual({ error: { code: "internal_error", message: `Internal error (request ${requestId})` } });
    expect(JSON.stringify(body)).not.toMatch(/SQLITE|mcp_servers|stack/);
    const logged = spy.mock.calls.map((c) => String(c[0])).find((line) => line.includes("unhandled error"));
    expect(logged).toContain(requestId!);
    expect(logged).toContain("no such table");
  });
});

describe("atomic workflow creation", () => {
  it("writes nothing when one statement of the create batch fails", async () => {
    const org = await createOrg();
    const existing = await createWorkflow(org);
    const [existingRun] = await runsOfWorkflow(existing.workflow.id);
    const source = await createMcpSource(org);
    const realUuid = crypto.randomUUID.bind(crypto);
    // The new run's id collides with an existing run: the run insert fails inside the batch.
    spies.push(
      vi.spyOn(crypto, "randomUUID").mockImplementation(() =>
        new Error().stack?.includes("dispatchRuns") ? (existingRun!.id as ReturnType<typeof realUuid>) : realUuid(),
      ),
      vi.spyOn(console, "error").mockImplementation(() => {}),
    );
    const res = await callJson("/workflows", {
      key: org.ownerKey,
      body: { name: "half-written?", mcpServerId: source.id, testerPrompt: "p", testerModelIds: ["gpt-5"] },
    });
    expectError(res, 500, "internal_error");
    expect(await db.select().from(workflows).where(eq(workflows.name, "half-written?")).all()).toEqual([]);
    const versions = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM workflow_versions v LEFT JOIN workflows w ON w.id = v.workflow_id WHERE w.id IS NULL",
    ).first<{ n: number }>();
    expect(versions!.n).toBe(0);
  });
});
