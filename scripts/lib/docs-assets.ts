// The API reference page's static files: Swagger UI's bundle and stylesheet from node_modules/swagger-ui-dist
// plus our own start-up script and stylesheet (src/routes/docs/ui/), copied into DOCS_ASSETS_DIR (git-ignored),
// which wrangler.toml's [assets] serves. Nothing here is committed as a vendored copy.
//
// Layout of DOCS_ASSETS_DIR:
//   _headers                                          caching for the versioned files (Workers static assets)
//   api/armature/v1/docs/manifest.json                what the Worker's page links (read through the ASSETS binding)
//   api/armature/v1/docs/assets/<version>/<file>      the files; <version> is a hash of all of them
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** The repository root, as in ./project.ts (not imported: vitest.config.ts loads this file on its own). */
const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** wrangler.toml's `[assets] directory`. */
export const DOCS_ASSETS_DIR = path.join(ROOT, ".docs-assets");

/** The URL path of the reference page; its files live under `<DOCS_URL_PATH>/assets/<version>/`. */
export const DOCS_URL_PATH = "/api/armature/v1/docs";

/** Where the manifest is, as a URL path for the ASSETS binding (src/routes/docs/page.ts reads it). */
export const DOCS_MANIFEST_PATH = `${DOCS_URL_PATH}/manifest.json`;

export interface DocsManifest {
  /** A hash of every file's name and content: changes whenever one of them does. */
  version: string;
  /** URL path of the directory holding the files, ending in `/`. */
  base: string;
  /** Stylesheets, in the order the page links them. */
  styles: string[];
  /** Scripts, in the order the page runs them (all `defer`). */
  scripts: string[];
  /** The swagger-ui-dist version the files come from. */
  swaggerUi: string;
}

const require = createRequire(import.meta.url);
const UI_DIR = path.join(ROOT, "src", "routes", "docs", "ui");

function sources() {
  const swaggerDir = path.dirname(require.resolve("swagger-ui-dist/package.json"));
  const swaggerUi = (JSON.parse(readFileSync(path.join(swaggerDir, "package.json"), "utf8")) as { version: string }).version;
  const styles = [
    { name: "swagger-ui.css", from: path.join(swaggerDir, "swagger-ui.css") },
    { name: "armature-docs.css", from: path.join(UI_DIR, "armature-docs.css") },
  ];
  const scripts = [
    { name: "swagger-ui-bundle.js", from: path.join(swaggerDir, "swagger-ui-bundle.js") },
    { name: "armature-docs.js", from: path.join(UI_DIR, "armature-docs.js") },
  ];
  // Named by a comment at the top of the bundle; shipped next to it for the licences of what it bundles.
  const extra = [{ name: "swagger-ui-bundle.js.LICENSE.txt", from: path.join(swaggerDir, "swagger-ui-bundle.js.LICENSE.txt") }];
  return { swaggerUi, styles, scripts, all: [...styles, ...scripts, ...extra] };
}

/** The source maps are left out, so the bundles' `sourceMappingURL` comments would only point at a 404. */
function withoutSourceMap(name: string, content: Buffer): Buffer {
  if (!/\.(js|css)$/.test(name)) return content;
  const text = content.toString("utf8").replace(/\n?\/[/*][#@] sourceMappingURL=[^\n]*\s*$/, "\n");
  return Buffer.from(text, "utf8");
}

const HEADERS = `# Written by scripts/build-docs-assets.ts. The files under assets/<version>/ never change: a new build
# puts new content under a new version, and the page (served by the Worker, never cached) links the current one.
${DOCS_URL_PATH}/assets/*
  Cache-Control: public, max-age=31536000, immutable
  X-Content-Type-Options: nosniff
`;

/** Writes a file through a temporary name, so a reader (wrangler dev, a test run) never sees half of it. */
function writeAtomically(file: string, content: string | Buffer) {
  mkdirSync(path.dirname(file), { recursive: true });
  if (existsSync(file) && readFileSync(file).equals(Buffer.from(content))) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/**
 * Copies the page's files into DOCS_ASSETS_DIR under a content-hashed version and writes the manifest and
 * `_headers`. Idempotent: unchanged sources leave every file as it is (wrangler dev sees no change). Older
 * versions are removed.
 */
export function buildDocsAssets(): DocsManifest & { changed: boolean } {
  const src = sources();
  const files = src.all.map((f) => {
    if (!existsSync(f.from)) throw new Error(`docs assets: ${path.relative(ROOT, f.from)} is missing (run npm install)`);
    return { name: f.name, content: withoutSourceMap(f.name, readFileSync(f.from)) };
  });
  const hash = createHash("sha256");
  for (const f of files) hash.update(`${f.name}\0${f.content.length}\0`).update(f.content);
  const version = hash.digest("hex").slice(0, 16);

  const manifest: DocsManifest = {
    version,
    base: `${DOCS_URL_PATH}/assets/${version}/`,
    styles: src.styles.map((f) => f.name),
    scripts: src.scripts.map((f) => f.name),
    swaggerUi: src.swaggerUi,
  };
  const manifestFile = path.join(DOCS_ASSETS_DIR, ...DOCS_MANIFEST_PATH.split("/").filter(Boolean));
  const previous = existsSync(manifestFile) ? readFileSync(manifestFile, "utf8") : "";
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;

  const assetsDir = path.join(DOCS_ASSETS_DIR, ...DOCS_URL_PATH.split("/").filter(Boolean), "assets");
  const versionDir = path.join(assetsDir, version);
  for (const f of files) writeAtomically(path.join(versionDir, f.name), f.content);
  writeAtomically(path.join(DOCS_ASSETS_DIR, "_headers"), HEADERS);
  // The manifest last: it names the new version only once all of its files are there.
  writeAtomically(manifestFile, manifestText);
  for (const entry of readdirSync(assetsDir)) {
    if (entry !== version) rmSync(path.join(assetsDir, entry), { recursive: true, force: true });
  }
  return { ...manifest, changed: previous !== manifestText };
}
