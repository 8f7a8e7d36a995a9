import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parsePeppers } from "../../src/auth/api-key";
import { DEMO_KEY_NAME, DEMO_ORG, ensureDemo } from "../../src/admin/demo";
import { executeOnTestDb, getOrg, keyRow, orgRow } from "./fixtures";

const peppers = () => parsePeppers(env.API_KEY_PEPPERS);

describe("the demo organization and key of npm run dev", () => {
  it("creates the demo organization with its features, and keeps handing out the same working key", async () => {
    const first = await ensureDemo(executeOnTestDb, peppers(), null);
    expect(first.minted).toBe(true);
    expect(await orgRow(DEMO_ORG.slug)).toMatchObject({ name: "Demo organization", features: '["mcp-analytics"]' });

    const org = await getOrg(first.key);
    expect(org.status).toBe(200);
    expect(org.body).toMatchObject({
      organization: { slug: "demo", name: "Demo organization", features: ["mcp-analytics"] },
      apiKey: { name: DEMO_KEY_NAME, role: "owner" },
    });

    const restart = await ensureDemo(executeOnTestDb, peppers(), `${first.key}\n`);
    expect(restart).toEqual({ key: first.key, orgCreated: false, minted: false, revokedKeyIds: [] });
    expect((await getOrg(restart.key)).status).toBe(200);
  });

  it("mints a new key and revokes the old one when the stored key is lost", async () => {
    const old = await ensureDemo(executeOnTestDb, peppers(), null);
    const fresh = await ensureDemo(executeOnTestDb, peppers(), null);
    expect(fresh.minted).toBe(true);
    expect(fresh.key).not.toBe(old.key);
    expect(fresh.revokedKeyIds).toContain(old.key.split("_")[1]);
    expect((await getOrg(old.key)).status).toBe(401);
    expect((await getOrg(fresh.key)).status).toBe(200);
  });

  it("replaces a stored key that no longer works: revoked, unknown, or hashed with other peppers", async () => {
    const current = await ensureDemo(executeOnTestDb, peppers(), null);
    const id = current.key.split("_")[1]!;

    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(Date.now(), id).run();
    const afterRevoke = await ensureDemo(executeOnTestDb, peppers(), current.key);
    expect(afterRevoke.minted).toBe(true);
    expect((await getOrg(afterRevoke.key)).status).toBe(200);

    const unknown = await ensureDemo(executeOnTestDb, peppers(), `amt_ZZZZZZZZZZZZZZZZ_${"a".repeat(43)}`);
    expect(unknown.minted).toBe(true);
    expect(await keyRow("ZZZZZZZZZZZZZZZZ")).toBeNull();

    const garbage = await ensureDemo(executeOnTestDb, peppers(), "not a key");
    expect(garbage.minted).toBe(true);

    // .dev.vars regenerated: the stored key's hash no longer matches, so it is replaced and revoked.
    const otherPeppers = parsePeppers("1:a-completely-different-pepper-0123");
    const replaced = await ensureDemo(executeOnTestDb, otherPeppers, garbage.key);
    expect(replaced.minted).toBe(true);
    expect(replaced.revokedKeyIds).toContain(garbage.key.split("_")[1]);
  });

  it("leaves the demo organization's features alone once it exists", async () => {
    await ensureDemo(executeOnTestDb, peppers(), null);
    await env.DB.prepare("UPDATE organizations SET features = '[]' WHERE slug = 'demo'").run();
    const again = await ensureDemo(executeOnTestDb, peppers(), null);
    expect(again.orgCreated).toBe(false);
    expect((await orgRow("demo"))!.features).toBe("[]");
  });
});
