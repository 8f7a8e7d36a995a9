import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { API_BASE } from "../../lib/openapi";

/**
 * The reference page's policy: scripts, styles, images and API calls from this origin only (plus `data:`
 * images, which Swagger UI's stylesheet uses for its icons); no inline script or style, no eval, no frames,
 * forms, plugins or base. Swagger UI sets element styles through the CSSOM, which `style-src 'self'` allows.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const DOCS_PATH = `${API_BASE}/docs`;

/** The static files (Swagger UI and our start-up script) are served from here by the Workers assets layer. */
export const DOCS_ASSETS_PREFIX = `${DOCS_PATH}/assets/`;

/**
 * Written by scripts/build-docs-assets.ts next to the files; read through the ASSETS binding only (the URL
 * itself reaches the Worker, which answers 404: wrangler.toml runs the Worker first for everything outside
 * DOCS_ASSETS_PREFIX).
 */
export const DOCS_MANIFEST_PATH = `${DOCS_PATH}/manifest.json`;

/** What scripts/lib/docs-assets.ts writes to the manifest. */
export interface DocsManifest {
  version: string;
  /** `<DOCS_ASSETS_PREFIX><version>/` */
  base: string;
  styles: string[];
  scripts: string[];
  swaggerUi: string;
}

/** The static assets binding of wrangler.toml's `[assets]`. */

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.(?:js|css)$/;

/** The manifest if it is one we can put into the page as it is (plain names under the assets prefix), else null. */
export function parseDocsManifest(value: unknown): DocsManifest | null {
  if (typeof value !== "object" || value === null) return null;
  const m = value as Record<string, unknown>;
  const names = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((n) => typeof n === "string" && FILE_NAME.test(n));
  if (typeof m.version !== "string" || !/^[0-9a-f]{8,64}$/.test(m.version)) return null;
  if (m.base !== `${DOCS_ASSETS_PREFIX}${m.version}/`) return null;
  if (!names(m.styles) || !names(m.scripts)) return null;
  if (typeof m.swaggerUi !== "string" || !/^[0-9A-Za-z.+-]+$/.test(m.swaggerUi)) return null;
  return { version: m.version, base: m.base, styles: m.styles as string[], scripts: m.scripts as string[], swaggerUi: m.swaggerUi };
}

/** Reads the manifest through the ASSETS binding; null when there is no binding or no (valid) manifest. */
async function readManifest(c: Context<AppEnv>): Promise<DocsManifest | null> {
  const assets = c.env.ASSETS;
  if (!assets) return null;
  const res = await assets.fetch(new URL(DOCS_MANIFEST_PATH, c.req.url));
  if (res.status !== 200) {
    await res.body?.cancel();
    return null;
  }
  try {
    return parseDocsManifest(await res.json());
  } catch {
    return null;
  }
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const OPENAPI_PATH = `${API_BASE}/openapi`;

/**
 * The page: Swagger UI's stylesheet and bundle, then our start-up script (src/routes/docs/ui/armature-docs.js),
 * which renders the live document into #swagger-ui. Every URL is on this origin and versioned, so the files
 * can be cached for a year while the page itself is never cached.
 */
export function docsHtml(m: DocsManifest): string {
  const styles = m.styles.map((name) => `<link rel="stylesheet" href="${escapeHtml(m.base + name)}">`);
  const scripts = m.scripts.map((name) => `<script src="${escapeHtml(m.base + name)}" defer></script>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="Swagger UI ${escapeHtml(m.swaggerUi)}">
<title>Armature REST API reference</title>
<link rel="icon" href="data:,">
${styles.join("\n")}
${scripts.join("\n")}
</head>
<body>
<div id="swagger-ui" data-openapi-url="${escapeHtml(OPENAPI_PATH)}"></div>
<noscript><p class="armature-noscript">This reference needs JavaScript. The OpenAPI document itself is at <a href="${escapeHtml(OPENAPI_PATH)}">${escapeHtml(OPENAPI_PATH)}</a>.</p></noscript>
</body>
</html>
`;
}

const UNAVAILABLE_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Armature REST API reference</title><link rel="icon" href="data:,"></head>
<body>
<p>The API reference is not available: its static files are missing from this deployment (build them with
<code>npm run build:docs-assets</code>; <code>npm run dev</code> and <code>npm run deploy</code> do it).</p>
<p>The OpenAPI document is at <a href="${escapeHtml(OPENAPI_PATH)}">${escapeHtml(OPENAPI_PATH)}</a>.</p>
</body>
</html>
`;

/** GET /docs: the page, never cached, under DOCS_CSP; 503 if the static files were not built. */
export async function servePage(c: Context<AppEnv>) {
  c.header("content-security-policy", DOCS_CSP);
  c.header("x-frame-options", "DENY");
  c.header("referrer-policy", "no-referrer");
  const manifest = await readManifest(c);
  if (!manifest) {
    c.header("cache-control", "no-store");
    return c.html(UNAVAILABLE_HTML, 503);
  }
  c.header("cache-control", "no-cache");
  return c.html(docsHtml(manifest), 200);
}
