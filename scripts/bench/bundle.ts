// The Worker bundle exactly as `wrangler deploy` would upload it (`--dry-run --outdir`), its gzip size, and
// what each dependency contributes (from esbuild's metafile).
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { buildDocsAssets } from "../lib/docs-assets";
import { ROOT } from "../lib/project";
import { runWrangler } from "../lib/wrangler";

export interface BundleReport {
  /** The main module wrangler wrote (absolute path). */
  mainModule: string;
  bytes: number;
  gzipBytes: number;
  /** wrangler's own "Total Upload: … / gzip: …" line, as printed. */
  wranglerSummary: string | null;
  /** Bytes in the output per package (src/ is the project itself), largest first; gzip estimated pro rata. */
  byPackage: Array<{ name: string; bytes: number; share: number; gzipBytesEstimate: number }>;
}

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

/** `node_modules/@scope/name/…` → `@scope/name`; the project's own files → `src (this project)`. */
function packageOf(input: string): string {
  const parts = input.split("/");
  const at = parts.lastIndexOf("node_modules");
  if (at >= 0) return parts[at + 1]?.startsWith("@") ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1]!;
  if (input.startsWith("src/")) return "src (this project)";
  return `(other: ${input.split("/")[0]})`;
}

/** `config`: a wrangler configuration other than the project's (`--bundle-config`), for a build variant. */
export async function buildBundle(outDir: string, config?: string | null): Promise<BundleReport> {
  // wrangler.toml's [assets] directory must exist for wrangler to accept the configuration.
  buildDocsAssets();
  const metafile = path.join(outDir, "bundle-meta.json");
  const result = await runWrangler(["deploy", "--dry-run", "--outdir", outDir, "--metafile", metafile, ...(config ? ["--config", config] : [])]);
  if (result.code !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${result.stdout}\n${result.stderr}`);
  const mainModule = path.join(outDir, "index.js");
  const code = readFileSync(mainModule);
  const gzipBytes = gzipSync(code).byteLength;
  const summary = /Total Upload:[^\n]*/.exec(result.stdout)?.[0]?.trim() ?? null;

  const meta = JSON.parse(readFileSync(metafile, "utf8")) as Metafile;
  const output = Object.entries(meta.outputs).find(([file]) => file.endsWith("index.js"))?.[1];
  const sizes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const name = packageOf(path.isAbsolute(input) ? path.relative(ROOT, input) : input);
    sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
  }
  const total = [...sizes.values()].reduce((a, b) => a + b, 0) || 1;
  const byPackage = [...sizes]
    .map(([name, bytes]) => ({
      name,
      bytes,
      share: bytes / total,
      gzipBytesEstimate: Math.round((bytes / total) * gzipBytes),
    }))
    .sort((a, b) => b.bytes - a.bytes);
  return { mainModule, bytes: code.byteLength, gzipBytes, wranglerSummary: summary, byPackage };
}
