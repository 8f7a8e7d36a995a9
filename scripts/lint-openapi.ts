/**
 * `npm run lint:openapi`: builds the live OpenAPI document in Node (no network, no wrangler), then
 *   1. checks the house rules (src/routes/docs/audit.ts),
 *   2. lints it with Redocly CLI against redocly.yaml (no errors or warnings allowed; telemetry off),
 *   3. turns it into TypeScript with openapi-typescript and checks every operation and path is there,
 *   4. parses the docs page script so a syntax error in it fails the build.
 * Exits 1 with one readable line per problem.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import openapiTS, { astToString } from "openapi-typescript";

const root = path.resolve(import.meta.dirname, "..");
const ORIGIN = "https://acme.armature.app";

// The Worker's modules are imported by path so that this script's typecheck (Node types) does not pull in
// the Worker's sources (Workers types); `npm run typecheck` checks those on their own.
type DocsModule = {
  buildOpenApiDocument(api: unknown, origin: string): object;
  auditOpenApiDocument(doc: object): string[];
  documentOperations(doc: object): Array<{ method: string; path: string; operation: { operationId?: unknown } }>;
};
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(root, file)).href)) as T;

const failures: string[] = [];
const fail = (step: string, lines: string[]) => lines.forEach((l) => failures.push(`[${step}] ${l}`));

let createApiApp: () => unknown;
let docs: DocsModule;
try {
  ({ createApiApp } = await load<{ createApiApp(): unknown }>("src/app.ts"));
  docs = {
    ...(await load<Pick<DocsModule, "buildOpenApiDocument">>("src/routes/docs/document.ts")),
    ...(await load<Omit<DocsModule, "buildOpenApiDocument">>("src/routes/docs/audit.ts")),
  };
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`openapi lint: could not load the app in Node: ${message}`);
  if (/cloudflare:/.test(message)) {
    console.error("A module reachable from src/app.ts imports `cloudflare:*` at load time; the API must build without the Workers runtime.");
  }
  process.exit(1);
}

const doc = docs.buildOpenApiDocument(createApiApp(), ORIGIN);
const operations = docs.documentOperations(doc);
console.log(`openapi lint: ${operations.length} operations`);

// 1. House rules.
fail("audit", docs.auditOpenApiDocument(doc));

// 2. Redocly.
const dir = mkdtempSync(path.join(tmpdir(), "armature-openapi-"));
const file = path.join(dir, "openapi.json");
writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
const redocly = path.join(path.dirname(createRequire(import.meta.url).resolve("@redocly/cli/package.json")), "bin/cli.js");
const lint = spawnSync(
  process.execPath,
  [redocly, "lint", file, "--config", path.join(root, "redocly.yaml"), "--format", "json"],
  {
    cwd: root,
    encoding: "utf8",
    env: {
      ...process.env,
      // Redocly sends usage data and checks npm for updates unless told not to (see docs/openapi.md).
      REDOCLY_TELEMETRY: "off",
      REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
      REDOCLY_SUPPRESS_NOTIFICATIONS: "true",
    },
  },
);
try {
  const report = JSON.parse(lint.stdout) as {
    problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer?: string }> }>;
  };
  fail(
    "redocly",
    report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? "?"}`),
  );
  if (lint.status !== 0 && report.problems.length === 0) fail("redocly", [`exited ${lint.status}: ${lint.stderr.trim()}`]);
} catch {
  fail("redocly", [`could not run redocly lint (exit ${lint.status}): ${(lint.stderr || lint.stdout || String(lint.error)).trim()}`]);
}

// 3. openapi-typescript.
try {
  const types = astToString(await openapiTS(JSON.parse(JSON.stringify(doc)) as never));
  if (!/export interface paths \{/.test(types) || !/export interface operations \{/.test(types)) {
    fail("openapi-typescript", ["the generated types have no `paths` or `operations` interface"]);
  }
  for (const { method, path: p, operation } of operations) {
    if (!types.includes(`    ${String(operation.operationId)}: {`)) fail("openapi-typescript", [`operation ${String(operation.operationId)} is missing from the types`]);
    if (!types.includes(`    "${p}": {`)) fail("openapi-typescript", [`path ${p} (${method}) is missing from the types`]);
  }
  writeFileSync(path.join(dir, "openapi.d.ts"), types);
  console.log(`openapi lint: openapi-typescript produced ${types.split("\n").length} lines`);
} catch (err) {
  fail("openapi-typescript", [err instanceof Error ? err.message : String(err)]);
}

// 4. The docs page's start-up script (served as a static asset next to Swagger UI) must parse.
const UI_SCRIPT = "src/routes/docs/ui/armature-docs.js";
try {
  new vm.Script(readFileSync(path.join(root, UI_SCRIPT), "utf8"), { filename: UI_SCRIPT });
} catch (err) {
  fail("docs-ui", [`${UI_SCRIPT} does not parse: ${err instanceof Error ? err.message : String(err)}`]);
}

if (failures.length > 0) {
  console.error(`\nopenapi lint failed (${failures.length} problem${failures.length === 1 ? "" : "s"}); the document is in ${file}\n`);
  for (const f of failures) console.error(`  ${f}`);
  process.exit(1);
}
rmSync(dir, { recursive: true, force: true });
console.log("openapi lint: ok (house rules, redocly, openapi-typescript, docs page script)");
