import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parsePeppers } from "../../src/auth/api-key";
import { DEMO_KEY_NAME, DEMO_ORG, DEMO_VIEWER_KEY_NAME, ensureDemo } from "../../src/admin/demo";
import { executeOnTestDb, getOrg, keyRow, orgRow } from "./fixtures";

const peppers = () => parsePeppers(env.API_KEY_PEPPERS);
const keyId = (key: string) => key.split("_")[1]!;

describe("the demo organization and keys of npm run dev", () => {
  it("creates the demo organization with its features, and keeps handing out the same working owner and viewer keys", async () => {
    const first = await ensureDemo(executeOnTestDb, peppers(), { owner: null, viewer: null });
    expect(first).toMatchObject({ minted: true, viewerMinted: true });
    expect(await orgRow(DEMO_ORG.slug)).toMatchObject({ name: "Demo organization", features: '["mcp-analytics"]' });

    const org = await getOrg(first.key);
    expect(org.status).toBe(200);
    expect(org.body).toMatchObject({
      organization: { slug: "demo", name: "Demo organization", features: ["mcp-analytics"] },
      apiKey: { name: DEMO_KEY_NAME, role: "owner" },
    });
    const viewer = await getOrg(first.viewerKey);
    expect(viewer.status).toBe(200);
    expect(viewer.body).toMatchObject({ organization: { slug: "demo" }, apiKey: { name: DEMO_VIEWER_KEY_NAME, role: "viewer" } });

    const restart = await ensureDemo(executeOnTestDb, peppers(), { owner: `${first.key}\n`, viewer: `${first.viewerKey}\n` });
    expect(restart).toEqual({
      key: first.key,
      viewerKey: first.viewerKey,
      orgCreated: false,
      minted: false,
      viewerMinted: false,
      revokedKeyIds: [],
    });
    expect((await getOrg(restart.key)).status).toBe(200);
    expect((await getOrg(restart.viewerKey)).status).toBe(200);
  });

  it("mints a new key and revokes the old one of the same kind when a stored key is lost, leaving the other alone", async () => {
    const old = await ensureDemo(executeOnTestDb, peppers(), { owner: null, viewer: null });
    const fresh = await ensureDemo(executeOnTestDb, peppers(), { owner: null, viewer: old.viewerKey });
    expect(fresh.minted).toBe(true);
    expect(fresh.viewerMinted).toBe(false);
    expect(fresh.key).not.toBe(old.key);
    expect(fresh.viewerKey).toBe(old.viewerKey);
    expect(fresh.revokedKeyIds).toEqual([keyId(old.key)]);
    expect((await getOrg(old.key)).status).toBe(401);
    expect((await getOrg(fresh.key)).status).toBe(200);

    const viewerLost = await ensureDemo(executeOnTestDb, peppers(), { owner: fresh.key, viewer: null });
    expect(viewerLost).toMatchObject({ key: fresh.key, minted: false, viewerMinted: true, revokedKeyIds: [keyId(old.viewerKey)] });
    expect((await getOrg(old.viewerKey)).status).toBe(401);
    expect((await getOrg(viewerLost.viewerKey)).body).toMatchObject({ apiKey: { role: "viewer" } });
  });

  it("never keeps a stored key of the wrong role: the owner key stored as the viewer key is replaced", async () => {
    const demo = await ensureDemo(executeOnTestDb, peppers(), { owner: null, viewer: null });
    const swapped = await ensureDemo(executeOnTestDb, peppers(), { owner: demo.key, viewer: demo.key });
    expect(swapped).toMatchObject({ key: demo.key, minted: false, viewerMinted: true });
    expect(swapped.viewerKey).not.toBe(demo.key);
    expect((await getOrg(swapped.viewerKey)).body).toMatchObject({ apiKey: { role: "viewer" } });
  });

  it("replaces a stored key that no longer works: revoked, unknown, or hashed with other peppers", async () => {
    const current = await ensureDemo(executeOnTestDb, peppers(), { owner: null, viewer: null });

    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(Date.now(), keyId(current.key)).run();
    const afterRevoke = await ensureDemo(executeOnTestDb, peppers(), { owner: current.key, viewer: current.viewerKey });
    expect(afterRevoke).toMatchObject({ minted: true, viewerMinted: false });
    expect((await getOrg(afterRevoke.key)).status).toBe(200);

    const unknown = await ensureDemo(executeOnTestDb, peppers(), { owner: `amt_ZZZZZZZZZZZZZZZZ_${"a".repeat(43)}` });
    expect(unknown.minted).toBe(true);
    expect(await keyRow("ZZZZZZZZZZZZZZZZ")).toBeNull();

    const garbage = await ensureDemo(executeOnTestDb, peppers(), { owner: "not a key", viewer: "not a key either" });
    expect(garbage).toMatchObject({ minted: true, viewerMinted: true });

    // .dev.vars regenerated: the stored keys' hashes no longer match, so both are replaced and revoked.
    const otherPeppers = parsePeppers("1:a-completely-different-pepper-0123");
    const replaced = await ensureDemo(executeOnTestDb, otherPeppers, { owner: garbage.key, viewer: garbage.viewerKey });
    expect(replaced).toMatchObject({ minted: true, viewerMinted: true });
    expect(replaced.revokedKeyIds).toEqual(expect.arrayContaining([keyId(garbage.key), keyId(garbage.viewerKey)]));
  });

  it("leaves the demo organization's features alone once it exists", async () => {
    await ensureDemo(executeOnTestDb, peppers(), { owner: null });
    await env.DB.prepare("UPDATE organizations SET features = '[]' WHERE slug = 'demo'").run();
    const again = await ensureDemo(executeOnTestDb, peppers(), { owner: null });
    expect(again.orgCreated).toBe(false);
    expect((await orgRow("demo"))!.features).toBe("[]");
  });
});
