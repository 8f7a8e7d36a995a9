import { env } from "cloudflare:workers";
import { count } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runs } from "../../src/db/schema";
import { runFilter, runOrder } from "../../src/runs/queries";
import { db } from "../helpers";

type Filter = Parameters<typeof runFilter>[1];

async function explain(query: { sql: string; params: unknown[] }): Promise<string> {
  const res = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
    .bind(...query.params)
    .all<{ detail: string }>();
  return res.results.map((r) => r.detail).join(" | ");
}

const where = (filter: Filter) => runFilter(crypto.randomUUID(), filter, new Date());
const pagePlan = (filter: Filter, sort: string) =>
  explain(db.select({ id: runs.id }).from(runs).where(where(filter)).orderBy(...runOrder(sort)).limit(25).offset(25).toSQL());
const countPlan = (filter: Filter) => explain(db.select({ n: count() }).from(runs).where(where(filter)).toSQL());

describe("run search query plans", () => {
  const cases: Array<[string, Filter, string]> = [
    ["runs_org_created_idx", { range: "24h" }, "SEARCH runs USING INDEX runs_org_created_idx (org_id=? AND created_at>?)"],
    ["runs_org_workflow_created_idx", { range: "7d", workflowId: crypto.randomUUID() }, "SEARCH runs USING INDEX runs_org_workflow_created_idx (org_id=? AND workflow_id=? AND created_at>?)"],
    ["runs_org_status_created_idx", { range: "30d", status: ["fail"] }, "SEARCH runs USING INDEX runs_org_status_created_idx (org_id=? AND status=? AND created_at>?)"],
    ["runs_org_classification_created_idx", { range: "24h", classification: ["run_timeout"] }, "SEARCH runs USING INDEX runs_org_classification_created_idx (org_id=? AND classification=? AND created_at>?)"],
  ];
  for (const [name, filter, expected] of cases) {
    it(`pages and counts through ${name}`, async () => {
      const page = await pagePlan(filter, "-createdAt");
      expect(page).toContain(expected);
      // Only the id tie-break is sorted; created_at order comes from the index.
      expect(page).toContain("USE TEMP B-TREE FOR LAST TERM OF ORDER BY");
      expect(await countPlan(filter)).toContain(expected.replace("SEARCH runs USING INDEX", "SEARCH runs USING COVERING INDEX"));
    });
  }

  it("never scans the whole table, whatever the filters and sort", async () => {
    const filters: Filter[] = [
      { range: "30d" },
      { range: "30d", status: ["fail", "partial"], search: "checkout" },
      { range: "7d", workflowId: crypto.randomUUID(), classification: ["model_error", "judge_error"] },
    ];
    for (const filter of filters) {
      for (const sort of ["-createdAt", "createdAt", "startedAt", "-finishedAt", "durationMs", "-durationMs", "costUsd", "-costUsd", "status"]) {
        const plan = await pagePlan(filter, sort);
        expect(plan, `${JSON.stringify(filter)} ${sort}`).toMatch(/^SEARCH runs USING (?:COVERING )?INDEX runs_org_/);
        expect(plan).not.toMatch(/\bSCAN runs\b/);
      }
      expect(await countPlan(filter)).not.toMatch(/\bSCAN runs\b/);
    }
  });
});
