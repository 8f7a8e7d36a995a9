import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parsePeppers } from "../../src/auth/api-key";
import { KEY_CACHE_TTL_MS } from "../../src/auth/verify-api-key";
import { REVOCATION_DELAY_SECONDS } from "../../src/admin/commands";
import { AdminError } from "../../src/admin/errors";
import type { KeyView } from "../../src/admin/commands";
import { call, expectError } from "../helpers";
import { cli, getOrg, keyRow, orgRow, printedKey, uniqueSlug } from "./fixtures";

const DAY_MS = 86_400_000;

describe("admin CLI: organizations", () => {
  it("creates an organization once, and refuses to create it again", async () => {
    const slug = uniqueSlug();
    const created = await cli(["org", "create", slug, "--name", "Acme Inc."]);
    expect(created.exitCode).toBe(0);
    expect(created.stderr).toBe("");
    const row = await orgRow(slug);
    expect(row).toMatchObject({ slug, name: "Acme Inc.", features: "[]" });
    expect(created.stdout).toBe(`Created organization ${slug} (Acme Inc.), id ${row!.id}.\n`);

    const again = await cli(["org", "create", slug, "--name", "Other"]);
    expect(again).toEqual({ exitCode: 1, stdout: "", stderr: `error: Organization '${slug}' already exists\n` });
    expect((await orgRow(slug))!.name).toBe("Acme Inc.");
  });

  it("prints the created organization as JSON", async () => {
    const slug = uniqueSlug();
    const r = await cli(["org", "create", slug, "--json"]);
    expect(r.exitCode).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body).toEqual({
      organization: { id: expect.any(String), slug, name: slug, features: [], createdAt: expect.stringMatching(/Z$/) },
    });
    const again = await cli(["org", "create", slug, "--json"]);
    expect(again.exitCode).toBe(1);
    expect(JSON.parse(again.stderr)).toEqual({
      error: { code: "already_exists", message: `Organization '${slug}' already exists` },
    });
  });

  it("stores names with quotes, SQL and unicode exactly as given", async () => {
    const slug = uniqueSlug();
    const name = `O'Brien "&" Co; DROP TABLE organizations; -- /* $$ \\ 🚀 ünï`;
    expect((await cli(["org", "create", slug, "--name", name])).exitCode).toBe(0);
    const key = printedKey((await cli(["key", "create", "--org", slug, "--role", "viewer", "--name", `it's ${name}`])).stdout);
    const org = await getOrg(key);
    expect(org.status).toBe(200);
    expect(org.body.organization).toMatchObject({ slug, name });
    expect(org.body.apiKey.name).toBe(`it's ${name}`);
  });

  it("enables and disables features, which the API then reports", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    const key = printedKey((await cli(["key", "create", "--org", slug, "--role", "viewer"])).stdout);

    const enabled = await cli(["org", "features", slug, "--enable", "mcp-analytics"]);
    expect(enabled).toEqual({
      exitCode: 0,
      stdout: `Enabled mcp-analytics.\nFeatures of ${slug}: mcp-analytics\n`,
      stderr: "",
    });
    expect((await getOrg(key)).body.organization.features).toEqual(["mcp-analytics"]);

    const twice = await cli(["org", "features", slug, "--enable", "mcp-analytics"]);
    expect(twice.stdout).toBe(`mcp-analytics was already enabled.\nFeatures of ${slug}: mcp-analytics\n`);
    expect((await orgRow(slug))!.features).toBe('["mcp-analytics"]');

    expect((await cli(["org", "features", slug])).stdout).toBe(`Features of ${slug}: mcp-analytics\n`);

    const disabled = await cli(["org", "features", slug, "--disable", "mcp-analytics", "--json"]);
    expect(JSON.parse(disabled.stdout)).toEqual({ organization: slug, features: [] });
    expect((await getOrg(key)).body.organization.features).toEqual([]);
    expect((await cli(["org", "features", slug, "--disable", "mcp-analytics"])).stdout).toBe(
      `mcp-analytics was not enabled.\nFeatures of ${slug}: (none)\n`,
    );
  });

  it("keeps features the CLI does not know about when changing others", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    await env.DB.prepare("UPDATE organizations SET features = '[\"beta-x\"]' WHERE slug = ?").bind(slug).run();
    await cli(["org", "features", slug, "--enable", "mcp-analytics"]);
    expect(JSON.parse((await orgRow(slug))!.features as string)).toEqual(["beta-x", "mcp-analytics"]);
    await cli(["org", "features", slug, "--disable", "mcp-analytics"]);
    expect(JSON.parse((await orgRow(slug))!.features as string)).toEqual(["beta-x"]);
  });

  it("answers an unknown organization with a clear error and exit code 1", async () => {
    for (const argv of [
      ["org", "features", "no-such-org", "--enable", "mcp-analytics"],
      ["key", "create", "--org", "no-such-org", "--role", "owner"],
      ["key", "list", "--org", "no-such-org"],
    ]) {
      const r = await cli(argv);
      expect(r, argv.join(" ")).toEqual({
        exitCode: 1,
        stdout: "",
        stderr: "error: No organization with slug 'no-such-org' (see 'org list')\n",
      });
    }
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE org_id NOT IN (SELECT id FROM organizations)").first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });

  it("lists organizations with their usable keys", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug, "--name", "Listed"]);
    await cli(["key", "create", "--org", slug, "--role", "viewer"]);
    const revoked = printedKey((await cli(["key", "create", "--org", slug, "--role", "viewer"])).stdout);
    await cli(["key", "revoke", revoked.split("_")[1]!]);
    const r = await cli(["org", "list", "--json"]);
    expect(JSON.parse(r.stdout).organizations).toContainEqual({
      slug,
      name: "Listed",
      features: [],
      createdAt: expect.any(String),
      activeKeys: 1,
    });
    const text = await cli(["org", "list"]);
    expect(text.stdout.split("\n")[0]).toMatch(/^SLUG\s+NAME\s+FEATURES\s+CREATED\s+ACTIVE KEYS$/);
    expect(text.stdout).toMatch(new RegExp(`^${slug}\\s+Listed\\s+-\\s+\\S+Z\\s+1$`, "m"));
  });
});

describe("admin CLI: keys", () => {
  it("creates a key that authenticates with its role, and shows the secret only at creation", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    const created = await cli(["key", "create", "--org", slug, "--role", "editor", "--name", "ci bot"]);
    expect(created.exitCode).toBe(0);
    const key = printedKey(created.stdout);
    const id = key.split("_")[1]!;
    expect(created.stdout).toBe(
      `Created editor key ${id} ('ci bot') for organization ${slug}.\n` +
        "This is the only time the secret key is shown; store it now:\n\n" +
        `${key}\n`,
    );

    const org = await getOrg(key);
    expect(org.status).toBe(200);
    expect(org.body).toMatchObject({ organization: { slug }, apiKey: { id, name: "ci bot", role: "editor" } });

    const row = await keyRow(id);
    expect(row).toMatchObject({ name: "ci bot", role: "editor", hash_version: 1, expires_at: null, revoked_at: null });
    expect(row!.secret_hash).not.toContain(key.split("_")[2]!);

    for (const argv of [["key", "list", "--org", slug], ["key", "list", "--org", slug, "--json"]]) {
      const listed = await cli(argv);
      expect(listed.stdout).toContain(id);
      expect(listed.stdout).not.toContain(key.split("_")[2]!);
      expect(listed.stdout).not.toContain(row!.secret_hash as string);
    }
  });

  it("creates keys that expire after --expires-in-days", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    const now = new Date("2026-01-01T00:00:00Z");
    const r = await cli(["key", "create", "--org", slug, "--role", "viewer", "--expires-in-days", "7", "--json"], {
      now: () => now,
    });
    const body = JSON.parse(r.stdout);
    expect(body).toEqual({
      organization: slug,
      key: expect.stringMatching(/^amt_[0-9A-Za-z]{16}_[0-9A-Za-z]{43}$/),
      apiKey: {
        id: body.key.split("_")[1],
        name: "viewer key",
        role: "viewer",
        createdAt: "2026-01-01T00:00:00Z",
        lastUsedAt: null,
        expiresAt: "2026-01-08T00:00:00Z",
        revokedAt: null,
      },
    });
    expect((await keyRow(body.apiKey.id))!.expires_at).toBe(now.getTime() + 7 * DAY_MS);
    // Created in the past, so it has expired by now: the API refuses it.
    expect((await getOrg(body.key)).status).toBe(401);
  });

  it("lists keys with role, use, expiry and revocation", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    const t0 = new Date("2026-03-01T10:00:00Z");
    const a = printedKey((await cli(["key", "create", "--org", slug, "--role", "owner", "--name", "alpha"], { now: () => t0 })).stdout);
    const b = printedKey(
      (await cli(["key", "create", "--org", slug, "--role", "viewer", "--name", "beta", "--expires-in-days", "1"], {
        now: () => new Date(t0.getTime() + 1000),
      })).stdout,
    );
    const [aId, bId] = [a.split("_")[1]!, b.split("_")[1]!];
    await cli(["key", "revoke", aId], { now: () => new Date("2026-03-02T00:00:00Z") });

    const listed = await cli(["key", "list", "--org", slug], { now: () => new Date("2026-03-05T00:00:00Z") });
    expect(listed.exitCode).toBe(0);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+ROLE\s+CREATED\s+LAST USED\s+EXPIRES\s+REVOKED$/);
    expect(lines[1]).toMatch(new RegExp(`^${aId}\\s+alpha\\s+owner\\s+2026-03-01T10:00:00Z\\s+never\\s+-\\s+2026-03-02T00:00:00Z$`));
    expect(lines[2]).toMatch(
      new RegExp(`^${bId}\\s+beta\\s+viewer\\s+2026-03-01T10:00:01Z\\s+never\\s+2026-03-02T10:00:01Z \\(expired\\)\\s+-$`),
    );

    const json = JSON.parse((await cli(["key", "list", "--org", slug, "--json"])).stdout);
    expect(json).toEqual({
      organization: slug,
      keys: [
        { id: aId, name: "alpha", role: "owner", createdAt: "2026-03-01T10:00:00Z", lastUsedAt: null, expiresAt: null, revokedAt: "2026-03-02T00:00:00Z" },
        { id: bId, name: "beta", role: "viewer", createdAt: "2026-03-01T10:00:01Z", lastUsedAt: null, expiresAt: "2026-03-02T10:00:01Z", revokedAt: null },
      ],
    });
    expect(json.keys[0]).not.toHaveProperty("secretHash");
  });

  it("shows when a key was last used", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    const key = printedKey((await cli(["key", "create", "--org", slug, "--role", "viewer"])).stdout);
    expect((await call("/org", { key })).status).toBe(200);
    // lastUsedAt is written after the response (waitUntil); wait for it to land.
    let lastUsedAt: string | null | undefined;
    for (let i = 0; i < 50; i++) {
      const listed = JSON.parse((await cli(["key", "list", "--org", slug, "--json"])).stdout) as { keys: KeyView[] };
      lastUsedAt = listed.keys[0]?.lastUsedAt;
      if (lastUsedAt) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Date.parse(lastUsedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
  });

  it("says when an organization has no keys", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    expect(await cli(["key", "list", "--org", slug])).toEqual({
      exitCode: 0,
      stdout: `Organization ${slug} has no keys.\n`,
      stderr: "",
    });
  });

  it("revokes a key so the API refuses it, and reports a second revocation", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    const key = printedKey((await cli(["key", "create", "--org", slug, "--role", "admin", "--name", "old"])).stdout);
    const other = printedKey((await cli(["key", "create", "--org", slug, "--role", "admin"])).stdout);
    const id = key.split("_")[1]!;
    expect((await getOrg(key)).status).toBe(200);

    const revoked = await cli(["key", "revoke", id]);
    expect(revoked).toEqual({
      exitCode: 0,
      stdout:
        `Revoked key ${id} ('old') of ${slug}. ` +
        `A server that has the key cached may accept it for up to ${REVOCATION_DELAY_SECONDS} seconds more.\n`,
      stderr: "",
    });
    expectError(await getOrg(key), 401, "unauthorized");
    expect((await getOrg(other)).status).toBe(200);

    const revokedAt = (await keyRow(id))!.revoked_at;
    const again = await cli(["key", "revoke", key]); // the whole key works as well as its id
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe(`Key ${id} ('old') of ${slug} was already revoked at ${new Date(revokedAt as number).toISOString().replace(/\.\d{3}Z$/, "Z")}.\n`);
    expect((await keyRow(id))!.revoked_at).toBe(revokedAt);
  });

  it("answers an unknown key id with exit code 1", async () => {
    expect(await cli(["key", "revoke", "ZZZZZZZZZZZZZZZZ"])).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: "error: No API key with id 'ZZZZZZZZZZZZZZZZ'\n",
    });
  });

  it("states the revocation delay the key cache really has", () => {
    expect(REVOCATION_DELAY_SECONDS * 1000).toBe(KEY_CACHE_TTL_MS);
  });

  it("hashes new keys under the current pepper, which the Worker verifies", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    // A rotated set: version 2 is current and the Worker's pepper (version 1) is older.
    const rotated = parsePeppers(`2:another-pepper-0123456789abcdef,${env.API_KEY_PEPPERS}`);
    const r = await cli(["key", "create", "--org", slug, "--role", "viewer"], { peppers: () => rotated });
    const id = printedKey(r.stdout).split("_")[1]!;
    expect((await keyRow(id))!.hash_version).toBe(2);
    // The Worker only knows version 1, so this key does not authenticate there: peppers must match.
    expect((await getOrg(printedKey(r.stdout))).status).toBe(401);
  });

  it("reports a configuration problem from the pepper source without touching the database", async () => {
    const slug = uniqueSlug();
    await cli(["org", "create", slug]);
    const r = await cli(["key", "create", "--org", slug, "--role", "viewer"], {
      peppers: () => {
        throw new AdminError("configuration", "API_KEY_PEPPERS is not set");
      },
    });
    expect(r).toEqual({ exitCode: 1, stdout: "", stderr: "error: API_KEY_PEPPERS is not set\n" });
    expect((await cli(["key", "list", "--org", slug])).stdout).toBe(`Organization ${slug} has no keys.\n`);
  });
});
