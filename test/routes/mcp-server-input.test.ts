import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mcpServers } from "../../src/db/schema";
import type { McpServerView } from "../../src/mcp-servers/schemas";
import { callJson, createOrg, db, errorFields, expectError, type TestOrg } from "../helpers";

let n = 0;
const register = (org: TestOrg, body: Record<string, unknown>) =>
  callJson<McpServerView>("/mcp-servers", { key: org.ownerKey, body: { name: `src-${n++}`, ...body } });

/** Asserts a 400 that names exactly `fields`, with `label` in the failure message. */
async function expectRefused(org: TestOrg, body: Record<string, unknown>, fields: string[], label: string) {
  const res = await register(org, body);
  expect(res.status, `${label} → ${res.status} ${JSON.stringify(res.body)}`).toBe(400);
  expect(errorFields(expectError(res, 400, "validation_failed")), label).toEqual(fields);
}

describe("POST /mcp-servers: url host (link-local and cloud metadata)", () => {
  it("refuses link-local and metadata hosts in every notation, naming body.url", async () => {
    const org = await createOrg();
    const urls = [
      // The probe's findings.
      "http://[::ffff:169.254.169.254]/",
      "http://[::ffff:a9fe:a9fe]/",
      "http://[::169.254.169.254]/",
      "http://[fe90::1]/",
      "http://[febf::1]/",
      "http://[fd00:ec2::254]/",
      "http://metadata.google.internal./",
      "http://100.100.100.200/",
      "http://instance-data/",
      // Other spellings of the same places.
      "http://169.254.169.254/latest/meta-data/",
      "http://2852039166/",
      "http://0xa9fea9fe/",
      "http://0251.0376.0251.0376/",
      "http://169.254.43518/",
      "http://169.254.169.254./",
      "http://[::ffff:0:a9fe:a9fe]/",
      "http://[64:ff9b::169.254.169.254]/",
      "http://[2002:a9fe:a9fe::]/",
      "http://[FE80::1]/",
      "http://[fe80::a9fe:a9fe]/",
      "http://[0:0:0:0:0:ffff:169.254.170.2]/",
      "http://169.254.170.2/v2/credentials",
      "http://[fd00:ec2::23]/",
      "http://[fd20:ce::254]/",
      "http://METADATA.GOOGLE.INTERNAL/computeMetadata/v1/",
      "http://metadata/",
      "http://metadata.goog/",
      "http://instance-data.ec2.internal/",
      "http://instance-data./",
      "http://metadata.azure.com/",
      "http://168.63.129.16/",
      "http://192.0.0.192/",
      "https://%6d%65tadata.google.internal/",
    ];
    for (const url of urls) await expectRefused(org, { url }, ["body.url"], url);
  });

  it("still accepts private and loopback hosts (local development) and public ones", async () => {
    const org = await createOrg();
    for (const url of [
      "http://127.0.0.1:3001/mcp",
      "http://localhost:9000/mcp",
      "http://[::1]:3001/mcp",
      "http://10.0.0.5/mcp",
      "http://192.168.1.20:8080/mcp",
      "http://[fd12:3456::1]/mcp",
      "http://100.64.1.1/mcp",
      "https://169.254.example.com/mcp",
      "https://metadata.example.com/mcp",
    ]) {
      const res = await register(org, { url });
      expect(res.status, `${url} → ${JSON.stringify(res.body)}`).toBe(201);
    }
  });
});

describe("POST /mcp-servers: url characters and normalisation", () => {
  it("refuses control characters and whitespace inside the URL", async () => {
    const org = await createOrg();
    const urls = [
      "https://example.com/\r\nX-Injected: 1",
      "https://example.com/\nX-Injected: 1",
      "https://example.com/a\rb",
      "https://exam\tple.com/",
      "https://example.com/\u0000",
      "https://example.com/a\u0007b",
      "https://example.com/a\u007fb",
      "https://example.com/a\u0080b",
      "https://example.com/a\u0085b",
      "https://example.com/a\u009fb",
      "https://example.com/a b",
      "https://example.com/a\u00a0b",
      "https://example.com/a\u2028b",
      "https://example.com/a\u3000b",
      "https://example.com/a\u200bb",
      "https://example.com/a\u202eb",
      "\u0000https://example.com/",
      "https://example.com/\u0085",
    ];
    for (const url of urls) await expectRefused(org, { url }, ["body.url"], JSON.stringify(url));
  });

  it("stores and returns the normalised URL that was checked", async () => {
    const org = await createOrg();
    const cases: Array<[string, string]> = [
      ["  https://mcp.example.com/mcp  ", "https://mcp.example.com/mcp"],
      ["\thttps://mcp.example.com/mcp\r\n", "https://mcp.example.com/mcp"],
      ["HTTPS://MCP.Example.COM", "https://mcp.example.com/"],
      ["https://mcp.example.com:443/a/../mcp", "https://mcp.example.com/mcp"],
      ["http://127.1:3001/mcp", "http://127.0.0.1:3001/mcp"],
      ["http://[0:0:0:0:0:0:0:1]:3001/mcp", "http://[::1]:3001/mcp"],
      ["https://bücher.example/mcp", "https://xn--bcher-kva.example/mcp"],
      ["https://example.com/ü?q=ä", "https://example.com/%C3%BC?q=%C3%A4"],
    ];
    for (const [sent, stored] of cases) {
      const created = await register(org, { url: sent });
      expect(created.status, `${JSON.stringify(sent)} → ${JSON.stringify(created.body)}`).toBe(201);
      expect(created.body.url, JSON.stringify(sent)).toBe(stored);
      const got = await callJson<McpServerView>(`/mcp-servers/${created.body.id}`, { key: org.ownerKey });
      expect(got.body.url, JSON.stringify(sent)).toBe(stored);
      const row = await db
        .select({ url: mcpServers.url })
        .from(mcpServers)
        .where(and(eq(mcpServers.orgId, org.id), eq(mcpServers.id, created.body.id)))
        .get();
      expect(row?.url, JSON.stringify(sent)).toBe(stored);
    }
  });

  it("stores nothing when the URL is refused", async () => {
    const org = await createOrg();
    await expectRefused(org, { url: "https://example.com/\r\nX-Injected: 1" }, ["body.url"], "CRLF");
    const rows = await db.select().from(mcpServers).where(eq(mcpServers.orgId, org.id)).all();
    expect(rows).toEqual([]);
  });

  it("refuses a URL that grows past 2048 characters once normalised", async () => {
    const org = await createOrg();
    // 2,040 characters as sent; every "ü" becomes "%C3%BC" in the stored form.
    const url = `https://e.com/${"ü".repeat(2026)}`;
    expect(url.length).toBeLessThanOrEqual(2048);
    await expectRefused(org, { url }, ["body.url"], "long");
  });
});

describe("POST /mcp-servers: auth profile header names and values", () => {
  it("refuses hop-by-hop and transport-owned header names, case-insensitively", async () => {
    const org = await createOrg();
    const names = [
      "TE",
      "te",
      "Upgrade",
      "UPGRADE",
      "Keep-Alive",
      "keep-alive",
      "Trailer",
      "Trailers",
      "Expect",
      "Proxy-Connection",
      "Proxy-Authorization",
      "proxy-authenticate",
      "Proxy-Anything",
      "Connection",
      "Transfer-Encoding",
      "HTTP2-Settings",
      "Host",
      "Content-Length",
      "Content-Encoding",
      "Accept-Encoding",
      "Mcp-Session-Id",
      "MCP-PROTOCOL-VERSION",
      "Last-Event-ID",
    ];
    for (const headerName of names) {
      await expectRefused(
        org,
        { url: "https://example.com/mcp", authProfiles: [{ name: "h", type: "header", headerName, value: "v" }] },
        ["body.authProfiles.0.headerName"],
        headerName,
      );
    }
  });

  it("still accepts ordinary credential headers", async () => {
    const org = await createOrg();
    for (const headerName of ["X-Api-Key", "Authorization", "CF-Access-Client-Secret", "X-Tenant"]) {
      const res = await register(org, {
        url: "https://example.com/mcp",
        authProfiles: [{ name: "h", type: "header", headerName, value: "secret-value" }],
      });
      expect(res.status, `${headerName} → ${JSON.stringify(res.body)}`).toBe(201);
      expect(res.body.authProfiles[0]?.headerName).toBe(headerName);
    }
  });

  it("refuses C0, DEL and C1 control characters in auth profile values", async () => {
    const org = await createOrg();
    for (const value of ["a\u0080b", "a\u0085b", "token\u009b", "\u009f", "a\u0000b", "a\rb", "a\u007fb"]) {
      await expectRefused(
        org,
        { url: "https://example.com/mcp", authProfiles: [{ name: "p", type: "bearer", value }] },
        ["body.authProfiles.0.value"],
        JSON.stringify(value),
      );
    }
    // Latin-1 letters above the C1 block are not control characters.
    const ok = await register(org, {
      url: "https://example.com/mcp",
      authProfiles: [{ name: "p", type: "bearer", value: "clé-secrète-\u00a0\u00ff" }],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });
});
