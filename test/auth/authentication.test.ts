import type { z } from "@hono/zod-openapi";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashSecret } from "../../src/auth/api-key";
import { clearKeyCache, KEY_CACHE_TTL_MS, verifyApiKey } from "../../src/auth/verify-api-key";
import { parsePeppers } from "../../src/auth/api-key";
import { apiKeys } from "../../src/db/schema";
import type { getOrg } from "../../src/org/operations";
import { call, callJson, createKey, createOrg, db, expectError } from "../helpers";

type OrgResponse = z.infer<typeof getOrg.output>;

const UNAUTHORIZED = {
  error: {
    code: "unauthorized",
    message: "A valid API key is required: send 'Authorization: Bearer amt_<key-id>_<secret>'",
  },
};

describe("API key authentication", () => {
  it("answers missing, malformed, unknown, wrong-secret, revoked and expired keys with the same 401", async () => {
    const org = await createOrg();
    const revoked = await createKey(org.id, "owner");
    const revokedId = revoked.split("_")[1]!;
    await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, revokedId)).run();
    const expired = await createKey(org.id, "owner", { expiresAt: new Date(Date.now() - 1000) });
    const wrongSecret = `${org.ownerKey.slice(0, -1)}${org.ownerKey.endsWith("A") ? "B" : "A"}`;
    const unknown = `amt_ZZZZZZZZZZZZZZZZ_${"x".repeat(43)}`;
    clearKeyCache();

    const variants: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer" },
      { authorization: "Basic abc" },
      { authorization: "Bearer not-a-key" },
      { authorization: `Bearer ${unknown}` },
      { authorization: `Bearer ${wrongSecret}` },
      { authorization: `Bearer ${revoked}` },
      { authorization: `Bearer ${expired}` },
    ];
    for (const headers of variants) {
      const res = await call("/org", { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(await res.json()).toEqual(UNAUTHORIZED);
      expect(res.headers.get("x-request-id")).toBeTruthy();
      // The challenge RFC 9110 requires with a 401; an error code only when a credential was sent (RFC 6750).
      expect(res.headers.get("www-authenticate")).toBe(headers.authorization ? 'Bearer realm="armature", error="invalid_token"' : 'Bearer realm="armature"');
    }
  });

  it("answers a key used on another organization's host like an unknown key", async () => {
    const a = await createOrg();
    const b = await createOrg();
    const res = await callJson("/org", { key: a.ownerKey, host: b.host });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
    const own = await callJson("/org", { key: a.ownerKey, host: a.host });
    expect(own.status).toBe(200);
  });

  it("refuses hosts under the base domain that name no organization", async () => {
    const a = await createOrg();
    expect((await call("/org", { key: a.ownerKey, host: "nope.armature.app" })).status).toBe(401);
    expect((await call("/org", { key: a.ownerKey, host: `x.${a.slug}.armature.app` })).status).toBe(401);
  });

  it("uses the key's organization on local hosts, and a *.localhost slug when it is known", async () => {
    const a = await createOrg();
    const b = await createOrg();
    for (const host of ["127.0.0.1:8787", "localhost:8787", "anything.localhost:8787", `${a.slug}.localhost`]) {
      const res = await callJson<OrgResponse>("/org", { key: a.ownerKey, host });
      expect(res.status, host).toBe(200);
      expect(res.body.organization.slug).toBe(a.slug);
    }
    expect((await call("/org", { key: a.ownerKey, host: `${b.slug}.localhost:8787` })).status).toBe(401);
  });

  it("stops accepting a revoked key once the isolate cache expires", async () => {
    const org = await createOrg();
    const key = await createKey(org.id, "viewer");
    const keyId = key.split("_")[1]!;
    const peppers = parsePeppers(env.API_KEY_PEPPERS);
    const defer = () => {};
    const t0 = Date.now();
    expect(await verifyApiKey(key, { db, peppers, defer, now: t0 })).not.toBeNull();
    await db.update(apiKeys).set({ revokedAt: new Date(t0) }).where(eq(apiKeys.id, keyId)).run();
    // Within the cache window the cached record still carries no revocation...
    expect(await verifyApiKey(key, { db, peppers, defer, now: t0 + 1 })).not.toBeNull();
    // ...and after it the revocation bites.
    expect(await verifyApiKey(key, { db, peppers, defer, now: t0 + KEY_CACHE_TTL_MS + 1 })).toBeNull();
  });

  it("recognises a key verified in this isolate without the HMAC, only that exact key, and only within the cache window", async () => {
    const org = await createOrg();
    const key = await createKey(org.id, "viewer");
    const [, keyId, secret] = key.split("_") as [string, string, string];
    const peppers = parsePeppers(env.API_KEY_PEPPERS);
    const defer = () => {};
    clearKeyCache();
    const t0 = Date.now();
    expect(await verifyApiKey(key, { db, peppers, defer, now: t0 })).not.toBeNull();
    // The same pepper version with another pepper: the HMAC could not match, so acceptance means it was skipped.
    const wrongPepper = { current: peppers.current, byVersion: new Map([[peppers.current, "not-the-pepper-0123456789"]]) };
    expect(await verifyApiKey(key, { db, peppers: wrongPepper, defer, now: t0 + 1 })).not.toBeNull();
    // Another secret under the same id is not the verified key: it takes the HMAC path and fails.
    const other = `amt_${keyId}_${secret.slice(0, -1)}${secret.endsWith("a") ? "b" : "a"}`;
    expect(await verifyApiKey(other, { db, peppers, defer, now: t0 + 2 })).toBeNull();
    expect(await verifyApiKey(key, { db, peppers: wrongPepper, defer, now: t0 + 3 })).not.toBeNull();
    // A revocation bites when the cache entry, and the shortcut with it, expires: the HMAC runs again.
    await db.update(apiKeys).set({ revokedAt: new Date(t0) }).where(eq(apiKeys.id, keyId)).run();
    expect(await verifyApiKey(key, { db, peppers: wrongPepper, defer, now: t0 + 4 })).not.toBeNull();
    expect(await verifyApiKey(key, { db, peppers: wrongPepper, defer, now: t0 + KEY_CACHE_TTL_MS + 1 })).toBeNull();
    expect(await verifyApiKey(key, { db, peppers, defer, now: t0 + KEY_CACHE_TTL_MS + 2 })).toBeNull();
  });

  it("answers an expired key with 401 even when it was verified in this isolate moments before", async () => {
    const org = await createOrg();
    const t0 = Date.now();
    const key = await createKey(org.id, "viewer", { expiresAt: new Date(t0 + 1000) });
    const peppers = parsePeppers(env.API_KEY_PEPPERS);
    const defer = () => {};
    expect(await verifyApiKey(key, { db, peppers, defer, now: t0 })).not.toBeNull();
    expect(await verifyApiKey(key, { db, peppers, defer, now: t0 + 999 })).not.toBeNull();
    expect(await verifyApiKey(key, { db, peppers, defer, now: t0 + 1000 })).toBeNull();
  });

  it("records lastUsedAt off the request path, at most once a minute", async () => {
    const org = await createOrg();
    const key = await createKey(org.id, "viewer");
    const keyId = key.split("_")[1]!;
    const peppers = parsePeppers(env.API_KEY_PEPPERS);
    const pending: Promise<unknown>[] = [];
    const defer = (p: Promise<unknown>) => void pending.push(p);
    const t0 = Date.now();
    await verifyApiKey(key, { db, peppers, defer, now: t0 });
    await verifyApiKey(key, { db, peppers, defer, now: t0 + 1000 });
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    const row = await db.select().from(apiKeys).where(eq(apiKeys.id, keyId)).get();
    expect(row?.lastUsedAt?.getTime()).toBe(t0);
    await verifyApiKey(key, { db, peppers, defer, now: t0 + 61_000 });
    expect(pending).toHaveLength(2);
  });

  it("re-hashes a key made under an older pepper with the current one on use", async () => {
    const org = await createOrg();
    const key = await createKey(org.id, "viewer");
    const [, keyId, secret] = key.split("_") as [string, string, string];
    const oldPepper = "old-pepper-0123456789abcdef";
    await db
      .update(apiKeys)
      .set({ hashVersion: 7, secretHash: await hashSecret(oldPepper, keyId, secret) })
      .where(eq(apiKeys.id, keyId))
      .run();
    clearKeyCache();
    const peppers = parsePeppers(`${env.API_KEY_PEPPERS},7:${oldPepper}`);
    const pending: Promise<unknown>[] = [];
    expect(await verifyApiKey(key, { db, peppers, defer: (p) => void pending.push(p) })).not.toBeNull();
    await Promise.all(pending);
    const row = await db.select().from(apiKeys).where(eq(apiKeys.id, keyId)).get();
    expect(row?.hashVersion).toBe(peppers.current);
    expect(row?.secretHash).toBe(await hashSecret(peppers.byVersion.get(peppers.current)!, keyId, secret));
    clearKeyCache();
    expect(await verifyApiKey(key, { db, peppers: parsePeppers(env.API_KEY_PEPPERS), defer: () => {} })).not.toBeNull();
  });

  it("gives viewers reads and refuses them writes with 403 forbidden", async () => {
    const org = await createOrg();
    const viewer = await org.keyFor("viewer");
    expect((await call("/org", { key: viewer })).status).toBe(200);
    const res = await callJson("/mcp-servers", {
      key: viewer,
      body: { name: "x", url: "https://example.com/mcp" },
    });
    expectError(res, 403, "forbidden");
  });
});
