import { describe, expect, it, vi } from "vitest";
import { generateApiKey, hashSecret, parseApiKey, parsePeppers } from "../../src/auth/api-key";
import { digestsEqual } from "../../src/auth/verify-api-key";
import { hasRole } from "../../src/auth/roles";
import { orgFromHost } from "../../src/auth/org-host";

describe("API key format", () => {
  it("generates amt_<16 base62>_<43 base62> keys that parse back", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { key, keyId, secret } = generateApiKey();
      expect(key).toMatch(/^amt_[0-9A-Za-z]{16}_[0-9A-Za-z]{43}$/);
      expect(parseApiKey(key)).toEqual({ keyId, secret });
      seen.add(secret);
    }
    expect(seen.size).toBe(50);
  });

  it("rejects anything else", () => {
    for (const bad of [
      "",
      "amt_",
      "amt_short_secret",
      `xyz_${"a".repeat(16)}_${"b".repeat(43)}`,
      `amt_${"a".repeat(16)}_${"b".repeat(42)}`,
      `amt_${"a".repeat(16)}_${"b".repeat(44)}`,
      `amt_${"a".repeat(15)}-_${"b".repeat(43)}`,
      ` amt_${"a".repeat(16)}_${"b".repeat(43)}`,
    ]) {
      expect(parseApiKey(bad), bad).toBeNull();
    }
  });
});

describe("key hashing", () => {
  it("is an HMAC bound to pepper, key id and secret", async () => {
    const h = await hashSecret("pepper-aaaaaaaaaaaaaaaa", "id1", "secret");
    expect(h).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await hashSecret("pepper-aaaaaaaaaaaaaaaa", "id1", "secret")).toBe(h);
    expect(await hashSecret("pepper-bbbbbbbbbbbbbbbb", "id1", "secret")).not.toBe(h);
    expect(await hashSecret("pepper-aaaaaaaaaaaaaaaa", "id2", "secret")).not.toBe(h);
    expect(await hashSecret("pepper-aaaaaaaaaaaaaaaa", "id1", "secret2")).not.toBe(h);
  });

  it("compares digests in constant time, and unequal lengths as unequal", () => {
    const safe = vi.spyOn(crypto.subtle, "timingSafeEqual");
    expect(digestsEqual("abc", "abc")).toBe(true);
    expect(safe).toHaveBeenCalledTimes(1);
    safe.mockRestore();
    expect(digestsEqual("abc", "abd")).toBe(false);
    expect(digestsEqual("abc", "abcd")).toBe(false);
  });

  it("parses versioned peppers, first current", () => {
    const p = parsePeppers("3:cccccccccccccccc, 2:bbbbbbbbbbbbbbbb");
    expect(p.current).toBe(3);
    expect(p.byVersion.get(2)).toBe("bbbbbbbbbbbbbbbb");
    expect(() => parsePeppers("")).toThrow();
    expect(() => parsePeppers("x:short")).toThrow();
  });
});

describe("roles and hosts", () => {
  it("orders viewer < editor < admin < owner", () => {
    expect(hasRole("owner", "editor")).toBe(true);
    expect(hasRole("editor", "editor")).toBe(true);
    expect(hasRole("viewer", "editor")).toBe(false);
    expect(hasRole("admin", "owner")).toBe(false);
  });

  it("reads the slug from the host", () => {
    expect(orgFromHost("acme.armature.app", "armature.app")).toEqual({ kind: "slug", slug: "acme", strict: true });
    expect(orgFromHost("ACME.armature.app:443", "armature.app")).toEqual({ kind: "slug", slug: "acme", strict: true });
    expect(orgFromHost("a.b.armature.app", "armature.app")).toEqual({ kind: "slug", slug: "", strict: true });
    expect(orgFromHost("acme.localhost:8787", "armature.app")).toEqual({ kind: "slug", slug: "acme", strict: false });
    expect(orgFromHost("127.0.0.1:8787", "armature.app")).toEqual({ kind: "key" });
    expect(orgFromHost("localhost", "armature.app")).toEqual({ kind: "key" });
  });
});
