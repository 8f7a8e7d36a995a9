import { describe, expect, it } from "vitest";
import { APP_CSS } from "../../src/docs-ui/app-css";
import { APP_JS } from "../../src/docs-ui/app-js";
import { call } from "../helpers";

const CSP = {
  "default-src": "'none'",
  "script-src": "'self'",
  "style-src": "'self'",
  "connect-src": "'self'",
  "img-src": "'self' data:",
  "base-uri": "'none'",
  "form-action": "'none'",
  "frame-ancestors": "'none'",
};

function parseCsp(header: string | null): Record<string, string> {
  return Object.fromEntries(
    (header ?? "")
      .split(";")
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name!, values.join(" ")];
      }),
  );
}

/** Every src/href in the page. */
const urlsIn = (html: string) => [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);

async function page(host?: string) {
  const res = await call("/docs", { host });
  return { res, html: await res.text() };
}

describe("GET /docs", () => {
  it("serves the reference page without a key, under the strict Content-Security-Policy", async () => {
    const { res, html } = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(parseCsp(res.headers.get("content-security-policy"))).toEqual(CSP);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(html).toContain('data-openapi-url="/api/armature/v1/openapi"');
  });

  it("references only same-origin assets and carries no inline script, style or handler", async () => {
    const { html } = await page("acme.armature.app");
    expect(html).not.toMatch(/https?:\/\//i);
    for (const url of urlsIn(html)) expect(url, url).toMatch(/^(\/(?!\/)|data:,$)/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toMatch(/\ssrc="\/api\/armature\/v1\/docs\/app\.js\?v=[0-9a-f]{8}"/);
    expect(scripts[0]![2]).toBe("");
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(html).toMatch(/<link rel="stylesheet" href="\/api\/armature\/v1\/docs\/app\.css\?v=[0-9a-f]{8}">/);
  });

  it("serves the script and stylesheet it links, with their content types, a year of caching and an ETag", async () => {
    const { html } = await page();
    const linked = urlsIn(html).filter((u) => u.startsWith("/api/armature/v1/docs/"));
    expect(linked.map((u) => u.split("?")[0]).sort()).toEqual(["/api/armature/v1/docs/app.css", "/api/armature/v1/docs/app.js"]);
    const expected: Record<string, { type: RegExp; body: string }> = {
      "/api/armature/v1/docs/app.js": { type: /^text\/javascript; charset=utf-8$/, body: APP_JS },
      "/api/armature/v1/docs/app.css": { type: /^text\/css; charset=utf-8$/, body: APP_CSS },
    };
    for (const url of linked) {
      const want = expected[url.split("?")[0]!]!;
      const res = await call(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get("content-type"), url).toMatch(want.type);
      expect(res.headers.get("cache-control"), url).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const etag = res.headers.get("etag");
      expect(etag).toBe(`"${url.split("v=")[1]}"`);
      expect(await res.text()).toBe(want.body);
      const again = await call(url, { headers: { "if-none-match": etag! } });
      expect(again.status, url).toBe(304);
      expect(await again.text()).toBe("");
      const changed = await call(url, { headers: { "if-none-match": '"00000000"' } });
      expect(changed.status, url).toBe(200);
      await changed.body?.cancel();
    }
  });

  it("ships assets that load nothing from another origin and never write HTML or touch localStorage", () => {
    for (const text of [APP_JS, APP_CSS]) expect(text).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    expect(APP_CSS).not.toMatch(/@import|url\(/i);
    expect(APP_JS).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|localStorage/);
    expect(APP_JS).toContain("sessionStorage");
  });
});
