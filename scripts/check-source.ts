/**
 * `npm run lint:source`: the layering and logging rules of src/, which the compiler does not check.
 *   - Only src/lib/logger.ts writes to the console (the admin CLI prints to its terminal, so src/admin/ may).
 *   - The HTTP layer (src/routes/, src/mcp-api/, src/app.ts) may import the domain; nothing in the domain imports it back.
 *   - The Worker's start-up does not evaluate the MCP SDKs or the model SDKs: no module that src/index.ts reaches by
 *     static imports imports them (`import type` aside). The queue consumer and the MCP API's answer import them with
 *     `import()` on first use: an isolate serving the REST API never builds them, which keeps its start-up and
 *     heap smaller (docs/benchmarks.md, "Start-up and the isolate's heap").
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

/** A source file without its comments (a rule reads code, not what comments say of it). */
const codeOf = (file: string) => readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");

const HTTP_LAYER = [path.join(src, "routes"), path.join(src, "mcp-api"), path.join(src, "app.ts"), path.join(src, "index.ts")];
const isHttp = (file: string) => HTTP_LAYER.some((p) => file === p || file.startsWith(p + path.sep));
const CONSOLE_ALLOWED = [path.join(src, "lib", "logger.ts"), path.join(src, "admin")];

const problems: string[] = [];
for (const file of files(src)) {
  const rel = path.relative(root, file);
  const code = codeOf(file);
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

/** Packages the Worker imports on first use only (the rule above); a subpath (`@ai-sdk/openai`, `ai/…`) counts. */
const LAZY_PACKAGES = ["@modelcontextprotocol/", "@ai-sdk/", "ai", "workers-ai-provider"];
const isLazyPackage = (spec: string) => LAZY_PACKAGES.some((p) => (p.endsWith("/") ? spec.startsWith(p) : spec === p || spec.startsWith(`${p}/`)));

/** The specifiers a module imports statically and keeps at run time: not `import type`, not all-`type` braces, not `import()`. */
function staticValueImports(code: string): string[] {
  const specs: string[] = [];
  for (const m of code.matchAll(/\b(import|export)\s+(type\s+)?([^;"'`]*?)\s*\bfrom\s+["']([^"']+)["']/g)) {
    const [, , typeOnly, clause, spec] = m;
    if (typeOnly) continue;
    const braces = /^\{([\s\S]*)\}$/.exec(clause!.trim());
    const names = braces ? braces[1]!.split(",").map((n) => n.trim()).filter(Boolean) : null;
    if (names && names.length > 0 && names.every((n) => n.startsWith("type "))) continue;
    specs.push(spec!);
  }
  for (const m of code.matchAll(/(?:^|[;\n])\s*import\s+["']([^"']+)["']/g)) specs.push(m[1]!);
  return specs;
}

const sources = new Set(files(src));
const resolveSource = (from: string, spec: string) => {
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ""));
  return [`${base}.ts`, path.join(base, "index.ts")].find((f) => sources.has(f));
};

// What src/index.ts evaluates at start-up: the modules it reaches by static imports, each with the path that led there.
const startUp = new Map<string, string[]>([[path.join(src, "index.ts"), []]]);
for (const [file, via] of startUp) {
  for (const spec of staticValueImports(codeOf(file))) {
    if (spec.startsWith(".")) {
      const target = resolveSource(file, spec);
      if (target && !startUp.has(target)) startUp.set(target, [...via, path.relative(root, file)]);
    } else if (isLazyPackage(spec)) {
      const chain = [...via, path.relative(root, file)].join(" → ");
      problems.push(`${path.relative(root, file)}: imports ${spec} at start-up (${chain}); import it with import() where it is first needed`);
    }
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`lint:source: ${files(src).length} files follow the logging and layering rules`);
