import path from "node:path";

/** The repository root (scripts/lib/../..), whatever the current directory. */
export const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** The D1 database name in wrangler.toml. */
export const DATABASE = "armature";

/** wrangler's default local state directory, shared by `wrangler dev` and `wrangler d1 ... --local`. */
export const DEFAULT_STATE_DIR = path.join(ROOT, ".wrangler", "state");

/** Where `npm run dev` keeps the plaintext demo owner key: inside the state it belongs to, so both go together. */
export function demoKeyPath(stateDir: string): string {
  return path.join(stateDir, "armature", "demo-key");
}

/** Where `npm run dev` keeps the plaintext demo viewer key (the demo MCP source's key), beside the owner key. */
export function demoViewerKeyPath(stateDir: string): string {
  return path.join(stateDir, "armature", "demo-viewer-key");
}
