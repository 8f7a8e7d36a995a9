import type { z } from "@hono/zod-openapi";
import { env } from "cloudflare:workers";
import { parsePeppers } from "../../src/auth/api-key";
import { clearKeyCache } from "../../src/auth/verify-api-key";
import { type CliDeps, type CliResult, runCli } from "../../src/admin/cli";
import type { SqlExecutor, SqlRow } from "../../src/admin/executor";
import type { getOrg as getOrgOp } from "../../src/org/operations";
import { callJson, type JsonResponse } from "../helpers";

/** What GET /org answers. */
export type OrgResponse = z.infer<typeof getOrgOp.output>;

/** Runs admin SQL on the test D1 database, one result set per statement (as `wrangler d1 execute --json`). */
export const executeOnTestDb: SqlExecutor = async (statements) => {
  const results = await env.DB.batch(statements.map((s) => env.DB.prepare(s)));
  return results.map((r) => r.results as SqlRow[]);
};

/** The CLI wired to the test database and the Worker's own peppers. */
export function cli(argv: string[], deps: Partial<CliDeps> = {}): Promise<CliResult> {
  return runCli(argv, {
    executor: () => executeOnTestDb,
    peppers: () => parsePeppers(env.API_KEY_PEPPERS),
    ...deps,
  });
}

let counter = 0;
/** A slug no other test uses. */
export function uniqueSlug(prefix = "adm"): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** The `amt_…` key printed by `key create`. */
export function printedKey(stdout: string): string {
  const match = /^(amt_\S+)$/m.exec(stdout);
  if (!match) throw new Error(`no key in output:\n${stdout}`);
  return match[1]!;
}

/** GET /org with `key`, with the isolate's key cache emptied first so the database decides. A refusal is read with expectError. */
export async function getOrg(key: string): Promise<JsonResponse<OrgResponse>> {
  clearKeyCache();
  return callJson<OrgResponse>("/org", { key });
}

export async function orgRow(slug: string) {
  return env.DB.prepare("SELECT * FROM organizations WHERE slug = ?").bind(slug).first<Record<string, unknown>>();
}

export async function keyRow(id: string) {
  return env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first<Record<string, unknown>>();
}
