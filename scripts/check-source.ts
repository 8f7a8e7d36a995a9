/**
 * `npm run lint:source`: the layering and logging rules of src/, which the compiler does not check.
 *   - Only src/lib/logger.ts writes to the console (the admin CLI prints to its terminal, so src/admin/ may).
 *   - The HTTP layer (src/routes/, src/mcp-api/, src/app.ts) may import the domain; nothing in the domain imports it back.
 * Exits 1 with one line per problem.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const src = path.join(root, "src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
  );
}

const HTTP_LAYER = [path.join(src, "routes"), path.join(src, "mcp-api"), path.join(src, "app.ts"), path.join(src, "index.ts")];
const isHttp = (file: string) => HTTP_LAYER.some((p) => file === p || file.startsWith(p + path.sep));
const CONSOLE_ALLOWED = [path.join(src, "lib", "logger.ts"), path.join(src, "admin")];

const problems: string[] = [];
for (const file of files(src)) {
  const rel = path.relative(root, file);
  const text = readFileSync(file, "utf8");
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
  if (!CONSOLE_ALLOWED.some((p) => file === p || file.startsWith(p + path.sep)) && /\bconsole\.\w+\(/.test(code)) {
    problems.push(`${rel}: writes to the console; log through the context's logger (src/lib/logger.ts)`);
  }
  if (!isHttp(file)) {
    for (const match of code.matchAll(/\bfrom\s+["'](\.[^"']+)["']/g)) {
      const target = path.resolve(path.dirname(file), match[1]!);
      if (isHttp(target) || isHttp(`${target}.ts`)) {
        problems.push(`${rel}: imports ${match[1]} from the HTTP layer; the domain must not depend on routes/ or app.ts`);
      }
    }
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`lint:source: ${files(src).length} files follow the logging and layering rules`);
