import type { Context } from "hono";
import { APP_CSS } from "../../docs-ui/app-css";
import { APP_JS } from "../../docs-ui/app-js";
import type { AppEnv } from "../../env";
import { API_BASE } from "../../lib/openapi";

/** The reference page's policy: its own script, style and API only; no inline code, frames, forms or base. */
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

/** FNV-1a, 32 bits, as hex: a content version for cache busting and ETags, not a security hash. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

export interface DocsAsset {
  path: string;
  contentType: string;
  body: string;
  version: string;
}

const asset = (name: string, contentType: string, body: string): DocsAsset => ({
  path: `${DOCS_PATH}/${name}`,
  contentType,
  body,
  version: fnv1a(body),
});

export const DOCS_ASSETS = {
  js: asset("app.js", "text/javascript; charset=utf-8", APP_JS),
  css: asset("app.css", "text/css; charset=utf-8", APP_CSS),
};

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The page shell; app.js fills it from the live document. URLs are versioned so the assets can be cached for a year. */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Armature REST API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeAttr(`${DOCS_ASSETS.css.path}?v=${DOCS_ASSETS.css.version}`)}">
<script src="${escapeAttr(`${DOCS_ASSETS.js.path}?v=${DOCS_ASSETS.js.version}`)}" defer></script>
</head>
<body data-openapi-url="${escapeAttr(`${API_BASE}/openapi`)}">
<header class="topbar">
<div class="brand">Armature REST API <span>reference</span></div>
<div id="auth-slot"></div>
</header>
<div class="layout">
<nav id="sidebar" aria-label="Operations"></nav>
<main id="content"><p class="loading">Loading the API description…</p>
<noscript><p>This reference needs JavaScript. The OpenAPI document itself is at <a href="${escapeAttr(`${API_BASE}/openapi`)}">${escapeAttr(`${API_BASE}/openapi`)}</a>.</p></noscript>
</main>
</div>
</body>
</html>
`;

/** GET /docs: the page, never cached, under DOCS_CSP. */
export function servePage(c: Context<AppEnv>) {
  c.header("content-security-policy", DOCS_CSP);
  c.header("x-frame-options", "DENY");
  c.header("referrer-policy", "no-referrer");
  c.header("cache-control", "no-cache");
  return c.html(DOCS_HTML, 200);
}

/** GET /docs/app.js and /docs/app.css: a year of caching (the page links them by version), ETag and 304. */
export function serveAsset(c: Context<AppEnv>, a: DocsAsset) {
  const etag = `"${a.version}"`;
  c.header("etag", etag);
  c.header("cache-control", "public, max-age=31536000, immutable");
  c.header("content-type", a.contentType);
  const match = c.req.header("if-none-match");
  if (match && match.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) return c.body(null, 304);
  return c.body(a.body, 200);
}
