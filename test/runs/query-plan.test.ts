import { env } from "cloudflare:workers";
import { and, asc, count, eq, gt, gte, isNull, or } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mcpServers, runs, workflows } from "../../src/db/schema";
import { runFilter, runOrder, runsAfter } from "../../src/runs/queries";
import { createOrg, db } from "../helpers";
import { createRun, createWorkflow } from "./fixtures";

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

describe("cursor (keyset) pages", () => {
  type Sort = Parameters<typeof runOrder>[0];
  /** The statement listRuns sends for a cursor page: the filter, the keyset bound, the order, no OFFSET. */
  const cursorPage = (orgId: string, filter: Filter, sort: Sort, after: Parameters<typeof runsAfter>[1], now = new Date()) =>
    db
      .select({ id: runs.id })
      .from(runs)
      .where(and(runFilter(orgId, filter, now), runsAfter(sort, after)))
      .orderBy(...runOrder(sort))
      .limit(26)
      .toSQL();

  it("starts the index range search at the cursor for the default sort, with no OFFSET", async () => {
    const q = cursorPage(crypto.randomUUID(), { range: "24h" }, "-createdAt", [Date.now() - 60_000, crypto.randomUUID()]);
    expect(q.sql).not.toMatch(/\boffset\b/i);
    expect(await explain(q)).toContain("SEARCH runs USING INDEX runs_org_created_idx (org_id=? AND created_at>? AND created_at<?)");
    const asc = cursorPage(crypto.randomUUID(), { range: "7d", status: ["fail"] }, "createdAt", [Date.now() - 60_000, crypto.randomUUID()]);
    // Ascending: the cursor is the lower bound of the created_at range (the later of it and the range's start).
    expect(await explain(asc)).toMatch(/^SEARCH runs USING INDEX runs_org_(?:status_)?created_idx \(org_id=\? (?:AND status=\? )?AND created_at>\?\)/);
  });

  it("never scans the table for any sort", async () => {
    for (const sort of ["-createdAt", "createdAt", "startedAt", "-finishedAt", "durationMs", "-durationMs", "costUsd", "-costUsd", "status", "-status"]) {
      const after = sort.endsWith("createdAt") ? [Date.now(), "x"] : [sort.endsWith("status") ? "pass" : 5, Date.now(), "x"];
      const plan = await explain(cursorPage(crypto.randomUUID(), { range: "30d" }, sort, after));
      expect(plan, sort).toMatch(/^SEARCH runs USING (?:COVERING )?INDEX runs_org_/);
      expect(plan, sort).not.toMatch(/\bSCAN runs\b/);
    }
  });

  it("reads about one page of rows however deep the cursor is, where OFFSET reads every row before it", async () => {
    const orgId = (await createOrg()).id;
    const wf = await createWorkflow(orgId);
    const base = Date.now() - 3600_000;
    const rows = Array.from({ length: 300 }, (_, i) => ({ createdAt: new Date(base + i * 1000) }));
    for (const r of rows) await createRun(orgId, wf, r);
    const now = new Date();
    const where = runFilter(orgId, { range: "24h" }, now);
    const newestFirst = await db.select({ id: runs.id, createdAt: runs.createdAt }).from(runs).where(where).orderBy(...runOrder("-createdAt"));
    const last = newestFirst[249]!; // the last row of "page 10" of 25
    const rowsRead = async (q: { sql: string; params: unknown[] }) =>
      (await env.DB.prepare(q.sql).bind(...q.params).all()).meta.rows_read;
    const keyset = await rowsRead(cursorPage(orgId, { range: "24h" }, "-createdAt", [last.createdAt.getTime(), last.id], now));
    const offset = await rowsRead(db.select({ id: runs.id }).from(runs).where(where).orderBy(...runOrder("-createdAt")).limit(26).offset(250).toSQL());
    expect(keyset).toBeLessThanOrEqual(60);
    expect(offset).toBeGreaterThanOrEqual(250);
  });
});

describe("cursor pages of /workflows and /mcp-servers", () => {
  it("start the index range search at the cursor", async () => {
    const at = new Date();
    const wf = db
      .select({ id: workflows.id })
      .from(workflows)
      .where(and(eq(workflows.orgId, "o"), isNull(workflows.archivedAt), gte(workflows.createdAt, at), or(gt(workflows.createdAt, at), and(eq(workflows.createdAt, at), gt(workflows.id, "x")))))
      .orderBy(asc(workflows.createdAt), asc(workflows.id))
      .limit(26)
      .toSQL();
    expect(await explain(wf)).toContain("SEARCH workflows USING INDEX workflows_org_active_idx (org_id=? AND archived_at=? AND created_at>?)");
    const src = db
      .select({ id: mcpServers.id })
      .from(mcpServers)
      .where(and(eq(mcpServers.orgId, "o"), gte(mcpServers.createdAt, at), or(gt(mcpServers.createdAt, at), and(eq(mcpServers.createdAt, at), gt(mcpServers.id, "x")))))
      .orderBy(asc(mcpServers.createdAt), asc(mcpServers.id))
      .limit(26)
      .toSQL();
    expect(await explain(src)).toContain("SEARCH mcp_servers USING INDEX mcp_servers_org_created_idx (org_id=? AND created_at>?)");
  });
});
