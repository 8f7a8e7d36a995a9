import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/env";
import { DOCS_MANIFEST_PATH, DOCS_PATH, servePage } from "../../src/routes/docs/page";
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

const ASSET_URL = /^\/api\/armature\/v1\/docs\/assets\/[0-9a-f]{16}\/[A-Za-z0-9._-]+$/;

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

/** The wrangler.toml [assets] binding (the test pool serves .docs-assets/, built by vitest.config.ts). */
const ASSETS = (env as unknown as { ASSETS: Fetcher }).ASSETS;

/**
 * The pool's `exports.default.fetch` (and SELF) reach the Worker directly, without the assets layer in front
 * of it that serves these paths when deployed or under `wrangler dev` (wrangler.toml `run_worker_first`), so
 * the files are fetched through the binding: the same files and `_headers` the assets layer serves.
 * `npm run test:browser` and .ci/run check them through the real routing.
 */
const asset = (url: string, init?: RequestInit) => ASSETS.fetch(new URL(url, "http://127.0.0.1:8787"), init);

async function linked() {
  const { html } = await page();
  const scripts = [...html.matchAll(/<script\b[^>]*\ssrc="([^"]*)"/g)].map((m) => m[1]!);
  const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]*)">/g)].map((m) => m[1]!);
  return { html, scripts, styles };
}

describe("GET /docs", () => {
  it("serves the Swagger UI page without a key, never cached, under the strict Content-Security-Policy", async () => {
    const { res, html } = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(parseCsp(res.headers.get("content-security-policy"))).toEqual(CSP);
    expect(res.headers.get("content-security-policy")).not.toMatch(/unsafe-|nonce-|sha256-/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    // The start-up script renders the live document of this origin into this element.
    expect(html).toContain('<div id="swagger-ui" data-openapi-url="/api/armature/v1/openapi"></div>');
  });

  it("links only same-origin, versioned files and carries no inline script, style or handler", async () => {
    const { html } = await page("acme.armature.app");
    expect(html).not.toMatch(/https?:\/\//i);
    for (const url of urlsIn(html)) expect(url, url).toMatch(/^(\/(?!\/)|data:,$)/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((s) => s[1]!.match(/\ssrc="[^"]*\/([^/"]+)"/)?.[1])).toEqual(["swagger-ui-bundle.js", "armature-docs.js"]);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/^ src="[^"]+" defer$/);
      expect(body).toBe("");
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    const { scripts: js, styles: css } = await linked();
    expect(css.map((u) => u.split("/").pop())).toEqual(["swagger-ui.css", "armature-docs.css"]);
    const versions = new Set([...js, ...css].map((u) => u.split("/")[6]));
    expect(versions.size).toBe(1);
    for (const url of [...js, ...css]) expect(url).toMatch(ASSET_URL);
  });

  it("links files that are served with their content types, a year of caching and an ETag", async () => {
    const { scripts, styles } = await linked();
    const types: Record<string, RegExp> = { js: /^text\/javascript/, css: /^text\/css/ };
    for (const url of [...scripts, ...styles]) {
      const res = await asset(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get("content-type"), url).toMatch(types[url.split(".").pop()!]!);
      expect(res.headers.get("cache-control"), url).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("x-content-type-options"), url).toBe("nosniff");
      expect((await res.text()).length, url).toBeGreaterThan(100);
      const etag = res.headers.get("etag");
      expect(etag, url).toMatch(/^(W\/)?"[^"]+"$/);
      const again = await asset(url, { headers: { "if-none-match": etag! } });
      expect(again.status, url).toBe(304);
      await again.body?.cancel();
    }
    const bundle = await (await asset(scripts[0]!)).text();
    expect(bundle).toContain("SwaggerUIBundle");
  });

  it("starts Swagger UI on the live document, keeps the key in memory and loads nothing from elsewhere", async () => {
    const { scripts, styles } = await linked();
    const init = await (await asset(scripts[1]!)).text();
    expect(init).toContain('getAttribute("data-openapi-url")');
    expect(init).toContain("window.SwaggerUIBundle(");
    expect(init).toMatch(/validatorUrl: null,/);
    expect(init).toMatch(/persistAuthorization: false,/);
    expect(init).toMatch(/queryConfigEnabled: false,/);
    expect(init).not.toMatch(/https?:\/\/|localStorage|sessionStorage|innerHTML|document\.write|\beval\(|new Function/);
    const css = await (await asset(styles[1]!)).text();
    expect(css).not.toMatch(/https?:\/\/|@import|url\(/i);
    // Swagger UI's stylesheet: its images are data: URLs (img-src 'self' data:), no fonts or imports.
    const swaggerCss = await (await asset(styles[0]!)).text();
    expect(swaggerCss).not.toMatch(/@import|@font-face|url\(\s*["']?(https?:)?\/\//i);
  });

  it("keeps the manifest for the Worker: the Worker does not serve it", async () => {
    const manifest = await asset(DOCS_MANIFEST_PATH);
    expect(manifest.status).toBe(200);
    const { scripts } = await linked();
    expect(scripts[0]).toContain(((await manifest.json()) as { base: string }).base);
    const res = await call(DOCS_MANIFEST_PATH);
    expect(res.status).toBe(401);
    await res.body?.cancel();
  });
});

describe("the page without its files", () => {
  /** The page handler alone, with a stand-in for the ASSETS binding. */
  function pageWith(assets: Fetcher | undefined) {
    const app = new Hono<AppEnv>().get(DOCS_PATH, servePage);
    return app.request(`http://127.0.0.1:8787${DOCS_PATH}`, {}, { ...env, ASSETS: assets });
  }
  const manifestFetcher = (body: unknown, status = 200) =>
    ({ fetch: async () => new Response(JSON.stringify(body), { status }) }) as unknown as Fetcher;
  const good = {
    version: "0123456789abcdef",
    base: "/api/armature/v1/docs/assets/0123456789abcdef/",
    styles: ["swagger-ui.css"],
    scripts: ["swagger-ui-bundle.js", "armature-docs.js"],
    swaggerUi: "5.0.0",
  };

  it("links what the manifest names", async () => {
    const res = await pageWith(manifestFetcher(good));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<script src="/api/armature/v1/docs/assets/0123456789abcdef/armature-docs.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/api/armature/v1/docs/assets/0123456789abcdef/swagger-ui.css">');
  });

  it.each([
    ["no ASSETS binding", undefined],
    ["no manifest", manifestFetcher({}, 404)],
    ["a base outside the assets path", manifestFetcher({ ...good, base: "https://cdn.example.com/" })],
    ["a file name that is not a plain name", manifestFetcher({ ...good, scripts: ['a.js"><script>alert(1)</script>'] })],
    ["a version that is not a hash", manifestFetcher({ ...good, version: "../x", base: "/api/armature/v1/docs/assets/../x/" })],
  ])("answers 503 under the same policy with %s", async (_, assets) => {
    const res = await pageWith(assets);
    expect(res.status).toBe(503);
    expect(parseCsp(res.headers.get("content-security-policy"))).toEqual(CSP);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain("npm run build:docs-assets");
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
