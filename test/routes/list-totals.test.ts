import type { z } from "@hono/zod-openapi";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mcpServers, runs, workflows } from "../../src/db/schema";
import { jsonTextOf } from "../../src/lib/json-text";
import { TOTAL_CAP } from "../../src/lib/pagination";
import { getMcpServer, listMcpServers } from "../../src/mcp-servers/store";
import { sqlIso } from "../../src/lib/json-text";
import { listRuns, listRunsShapesNotReused, toRunSummary } from "../../src/runs/queries";
import type { RunListSchema } from "../../src/runs/schemas";
import { getWorkflow, listWorkflows, toWorkflowView } from "../../src/workflows/store";
import { callJson, createOrg, db } from "../helpers";
import { createRun, createWorkflow as insertWorkflow } from "../runs/fixtures";
import { createMcpSource, createWorkflow, type WorkflowList } from "../workflows/fixtures";

type RunList = z.infer<typeof RunListSchema>;

/** `n` runs of the workflow inserted by one INSERT … SELECT (a recursive CTE): cheap even for 10,000. */
async function insertRuns(orgId: string, wf: { id: string; versionId: string; name: string }, n: number, status: string, base: number) {
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
     INSERT INTO runs (id, org_id, workflow_id, workflow_version_id, workflow_version, workflow_name, status, "trigger",
       model_id, timeout_seconds, created_at)
     SELECT lower(hex(randomblob(16))), ?2, ?3, ?4, 1, ?5, ?6, 'manual', 'm', 300, ?7 - i * 10 FROM seq`,
  )
    .bind(n, orgId, wf.id, wf.versionId, wf.name, status, base)
    .run();
}

describe("totals capped at 10,000 matches", () => {
  it("answers total 10000 and totalExact false beyond the cap, exact below it, and pages on with hasMore", async () => {
    const org = await createOrg();
    const wf = await insertWorkflow(org.id);
    const base = Date.now() - 60_000;
    await insertRuns(org.id, wf, TOTAL_CAP + 40, "pass", base);
    await insertRuns(org.id, wf, 30, "fail", base - 1);

    const all = await callJson<RunList>("/runs?pageSize=5", { key: org.ownerKey });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ page: 1, pageSize: 5, total: TOTAL_CAP, totalExact: false, hasMore: true });
    expect(all.body.runs).toHaveLength(5);

    // A cursor page carries the capped total and says it is not exact.
    const next = await callJson<RunList>(`/runs?pageSize=5&cursor=${all.body.nextCursor}`, { key: org.ownerKey });
    expect(next.body).toMatchObject({ page: 2, total: TOTAL_CAP, totalExact: false, hasMore: true });

    // Past the cap by page number: the next link follows hasMore, prev is not clamped to the capped total.
    const deep = await callJson<RunList>(`/runs?pageSize=5&page=${TOTAL_CAP / 5 + 1}`, { key: org.ownerKey });
    expect(deep.body).toMatchObject({ total: TOTAL_CAP, totalExact: false, hasMore: true });
    expect(deep.body.runs).toHaveLength(5);
    const link = deep.res.headers.get("link") ?? "";
    expect(link).toContain(`page=${TOTAL_CAP / 5 + 2}>; rel="next"`);
    expect(link).toContain(`page=${TOTAL_CAP / 5}>; rel="prev"`);

    // Below the cap the count is exact.
    const fail = await callJson<RunList>("/runs?pageSize=5&status=fail", { key: org.ownerKey });
    expect(fail.body).toMatchObject({ total: 30, totalExact: true, hasMore: true });
    // Exactly at the cap + 1 matches: still capped (one more than the cap is what tells them apart).
    expect((await callJson<RunList>("/runs?pageSize=1&status=pass", { key: org.ownerKey })).body).toMatchObject({ total: TOTAL_CAP, totalExact: false });
  });

  it("still reads cursors made before totalExact (version 1: exact totals)", async () => {
    const org = await createOrg();
    const wf = await insertWorkflow(org.id);
    await insertRuns(org.id, wf, 7, "pass", Date.now() - 60_000);
    const first = await callJson<RunList>("/runs?pageSize=3", { key: org.ownerKey });
    const b64 = (t: string) => btoa(t).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const [version, scope, page, total, exact, ...after] = JSON.parse(atob(first.body.nextCursor!.replace(/-/g, "+").replace(/_/g, "/"))) as unknown[];
    expect([version, exact]).toEqual([2, 1]);
    const v1 = b64(JSON.stringify([1, scope, page, total, ...after]));
    const next = await callJson<RunList>(`/runs?pageSize=3&cursor=${v1}`, { key: org.ownerKey });
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ page: 2, total: 7, totalExact: true, hasMore: true });
  });

  it("counts an empty page on its own, exactly", async () => {
    const org = await createOrg();
    const wf = await insertWorkflow(org.id);
    await insertRuns(org.id, wf, 12, "pass", Date.now() - 60_000);
    const past = await callJson<RunList>("/runs?pageSize=5&page=9", { key: org.ownerKey });
    expect(past.body).toEqual({ runs: [], page: 9, pageSize: 5, total: 12, totalExact: true, hasMore: false, nextCursor: null });
    const none = await callJson<WorkflowList>("/workflows?page=3", { key: (await createOrg()).ownerKey });
    expect(none.body).toMatchObject({ workflows: [], total: 0, totalExact: true });
  });
});

describe("list JSON written by SQLite", () => {
  it("equals the JS mapping of each run for awkward values, with reason and error redacted", async () => {
    const org = await createOrg();
    const wf = await insertWorkflow(org.id, 'Wörkflow "quoted" \\ back\tslash 🚀 \u2028 </script>');
    const at = (ms: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + ms);
    await createRun(org.id, wf, { createdAt: at(0), reason: "Bearer abcdefghij0123456789 leaked", error: "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ in error" });
    await createRun(org.id, wf, { createdAt: at(999), startedAt: at(1_001), finishedAt: at(2_999), costUsd: 0.1 + 0.2, reason: "plain reason ünïcode", error: null });
    await createRun(org.id, wf, { createdAt: at(1), status: "queued", reason: null, error: "only error: AKIAABCDEFGHIJKLMNOP", mcpProtocolVersion: "2026-07-28", mcpProtocolEra: "2026" });
    await createRun(org.id, wf, { createdAt: at(500), mcpProtocolVersion: "", mcpProtocolEra: "2025", costUsd: 1 / 3, inputTokens: 0, durationMs: 0, skillDigest: "d", retryOfRunId: crypto.randomUUID(), attempt: 2 });
    await createRun(org.id, wf, { createdAt: at(123), status: "running", classification: null, costUsd: 12345678.5, baselineRunId: crypto.randomUUID(), skillMode: "skill", skillVersionId: "v\"1" });
    for (const sort of ["-createdAt", "createdAt", "costUsd", "-status"] as const) {
      const page = await listRuns(db, org.id, { range: "24h", pageSize: 100, sort });
      const text = jsonTextOf(page);
      expect(text).toBeDefined();
      const parsed = JSON.parse(text!) as RunList;
      const stored = await db.select().from(runs).where(eq(runs.orgId, org.id));
      const byId = new Map(stored.map((r) => [r.id, toRunSummary(r)]));
      expect(parsed.runs).toHaveLength(5);
      for (const item of parsed.runs) {
        expect(item).toStrictEqual(byId.get(item.id));
        // Same keys in the same order as the JS view.
        expect(Object.keys(item)).toEqual(Object.keys(byId.get(item.id)!));
      }
      // The object view (items parsed lazily) agrees with the text.
      expect(JSON.parse(JSON.stringify(page))).toStrictEqual(parsed);
    }
    const body = JSON.stringify((await listRuns(db, org.id, { range: "24h", pageSize: 100, sort: "-createdAt" })).runs);
    for (const secret of ["abcdefghij0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "AKIAABCDEFGHIJKLMNOP"]) expect(body).not.toContain(secret);
  });

  it("formats every millisecond of a timestamp as Date#toISOString does", async () => {
    const values = [0, 1, 999, 1_000, 86_399_999, 951_782_400_000, 1_700_000_000_123, 4_102_444_799_999];
    for (let i = 0; i < 200; i++) values.push(Math.floor(Math.random() * 4_102_444_800_000));
    for (let i = 0; i < values.length; i += 50) {
      const chunk = values.slice(i, i + 50);
      const [row] = (await env.DB.prepare(`SELECT ${chunk.map((v) => sqlIso(String(v))).join(", ")}`).raw()) as string[][];
      expect(row).toEqual(chunk.map((v) => new Date(v).toISOString()));
    }
  });

  it("equals the JS mapping of workflows (stored config JSON, schedules) and of sources with their profiles", async () => {
    const org = await createOrg();
    const src = await createMcpSource(org, {
      name: "Sourcé \"1\" 🚀",
      description: "línea\nnueva",
      authProfiles: [
        { name: "b-token", type: "bearer", value: "secret-value-1234567890" },
        { name: "a-header", type: "header", headerName: "X-Key", value: "another-secret-999", isDefault: true },
      ],
    });
    await createMcpSource(org, { name: "bare source" });
    await createWorkflow(org, { mcpServerId: src.id, name: "Wf ünï \"q\"", metadata: { team: "ë", n: 1.5, ok: true } } as never);
    await createWorkflow(org, { mcpServerId: src.id, name: "Scheduled", schedule: { cron: "0 * * * *", timezone: "Europe/Paris", enabled: true } } as never);
    await createWorkflow(org, { mcpServerId: src.id, name: "Paused", schedule: { cron: "0 * * * *", timezone: "UTC", enabled: false } } as never);

    const wfPage = await listWorkflows(db, org.id, { pageSize: 25 });
    const wfParsed = JSON.parse(jsonTextOf(wfPage)!) as WorkflowList;
    expect(wfParsed.workflows).toHaveLength(3);
    for (const item of wfParsed.workflows) {
      const expected = toWorkflowView(await getWorkflow(db, org.id, item.id));
      expect(item).toStrictEqual(JSON.parse(JSON.stringify(expected)));
      expect(Object.keys(item)).toEqual(Object.keys(expected));
    }
    const withWorkflowRows = await db.select().from(workflows).where(eq(workflows.orgId, org.id));
    expect(withWorkflowRows.some((w) => w.nextDueAt !== null)).toBe(true);

    const srcPage = await listMcpServers(db, org.id, { pageSize: 25 });
    const srcParsed = JSON.parse(jsonTextOf(srcPage)!) as { mcpServers: unknown[] };
    const ids = (await db.select({ id: mcpServers.id }).from(mcpServers).where(eq(mcpServers.orgId, org.id))).map((r) => r.id);
    expect(srcParsed.mcpServers).toHaveLength(ids.length);
    for (const item of srcParsed.mcpServers as Array<{ id: string; authProfiles: unknown[] }>) {
      const expected = await getMcpServer(db, org.id, item.id);
      expect(item).toStrictEqual(expected);
      expect(Object.keys(item)).toEqual(Object.keys(expected));
      expect(JSON.stringify(item)).not.toContain("secret-value");
    }
    expect((srcParsed.mcpServers as Array<{ authProfiles: unknown[] }>)[0]!.authProfiles).toHaveLength(2);

    // Over REST the same text is the body, with c.json's content type.
    const r = await callJson<WorkflowList>("/workflows?pageSize=25", { key: org.ownerKey });
    expect(r.res.headers.get("content-type")).toBe("application/json");
    expect(r.body).toStrictEqual(wfParsed);
  });
});

describe("listRuns' statement reused per shape", () => {
  it("answers the same with the statement drizzle rendered for the shape, for every sort, filter and cursor", async () => {
    const org = await createOrg();
    const wf = await insertWorkflow(org.id);
    const other = await insertWorkflow(org.id);
    const base = Date.now() - 600_000;
    for (let i = 0; i < 14; i++) {
      await createRun(org.id, i % 3 ? wf : other, {
        createdAt: new Date(base + (i % 5) * 1000),
        status: (["pass", "fail", "partial", "queued", "running"] as const)[i % 5],
        durationMs: i % 4 === 0 ? null : i * 100,
        costUsd: i % 3 === 0 ? null : i / 10,
        reason: i % 2 ? `reason ${i} Checkout` : null,
      });
    }
    const sorts = ["-createdAt", "createdAt", "startedAt", "-startedAt", "finishedAt", "-finishedAt", "durationMs", "-durationMs", "costUsd", "-costUsd", "status", "-status"] as const;
    const filters = [{}, { status: ["fail" as const] }, { status: ["pass" as const, "fail" as const], workflowId: wf.id }, { search: "checkout", classification: ["all_criteria_met" as const] }];
    for (const sort of sorts) {
      for (const filter of filters) {
        // Twice: the first renders with drizzle, the second reuses the text; then a full cursor walk.
        const first = JSON.stringify(await listRuns(db, org.id, { range: "24h", pageSize: 3, sort, ...filter }));
        expect(JSON.stringify(await listRuns(db, org.id, { range: "24h", pageSize: 3, sort, ...filter }))).toBe(first);
        const byNumber = JSON.stringify(await listRuns(db, org.id, { range: "24h", page: 2, pageSize: 3, sort, ...filter }));
        expect(JSON.stringify(await listRuns(db, org.id, { range: "24h", page: 2, pageSize: 3, sort, ...filter }))).toBe(byNumber);
        const all = await db.select({ id: runs.id }).from(runs).where(eq(runs.orgId, org.id));
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let n = 0; n < 20; n++) {
          const page = await listRuns(db, org.id, { range: "24h", pageSize: 3, sort, ...filter, ...(cursor ? { cursor } : {}) });
          seen.push(...page.runs.map((r) => r.id));
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        expect(new Set(seen).size, `${sort} ${JSON.stringify(filter)}`).toBe(seen.length);
        if (Object.keys(filter).length === 0) expect(seen.length).toBe(all.length);
      }
    }
    expect(listRunsShapesNotReused()).toEqual([]);
  });
});
