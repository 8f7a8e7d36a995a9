import type { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { listRuns } from "../../src/runs/queries";
import type { RunListSchema } from "../../src/runs/schemas";
import { call, callJson, createOrg, db, errorFields, expectError, type TestOrg } from "../helpers";
import { createRun, createWorkflow } from "./fixtures";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms);
const ids = (body: { runs: Array<{ id: string }> }) => body.runs.map((r) => r.id);

/** What GET /runs answers. */
type RunList = z.infer<typeof RunListSchema>;

async function list(org: TestOrg, query = "") {
  return callJson<RunList>(`/runs${query}`, { key: await org.keyFor("viewer") });
}

describe("GET /runs", () => {
  it("answers the docs' example: one workflow's failed runs over 7 days", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id, "Checkout flow");
    const other = await createWorkflow(org.id, "Search flow");
    const failed = await createRun(org.id, wf, { status: "fail", createdAt: ago(3 * DAY), reason: "nightly" });
    await createRun(org.id, wf, { status: "pass", createdAt: ago(2 * DAY) });
    await createRun(org.id, wf, { status: "fail", createdAt: ago(8 * DAY) });
    await createRun(org.id, other, { status: "fail", createdAt: ago(DAY / 2) });

    const r = await list(org, `?workflowId=${wf.id}&status=fail&range=7d`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      runs: [
        {
          id: failed.id,
          workflow: { id: wf.id, name: "Checkout flow" },
          workflowVersion: { id: wf.versionId, version: 1 },
          status: "fail",
          classification: "required_criteria_failed",
          trigger: "manual",
          reason: "nightly",
          modelId: "claude-sonnet-4-5",
          skillMode: "none",
          skillVersionId: null,
          baselineRunId: null,
          createdAt: failed.createdAt!.toISOString(),
          enqueuedAt: failed.enqueuedAt!.toISOString(),
          startedAt: failed.startedAt!.toISOString(),
          finishedAt: failed.finishedAt!.toISOString(),
          durationMs: 2000,
          cost: { usd: 0.0125, inputTokens: 1200, outputTokens: 340 },
          error: null,
          mcp: null,
          skillDigest: null,
          attempt: 1,
          retryOfRunId: null,
        },
      ],
      page: 1,
      pageSize: 25,
      total: 1,
      totalExact: true,
      hasMore: false,
      nextCursor: null,
    });
    expect(r.res.headers.get("link")).toBeNull();
  });

  it("defaults to the last 24 hours, newest first, and only shows the key's organization", async () => {
    const org = await createOrg();
    const stranger = await createOrg();
    const wf = await createWorkflow(org.id);
    const theirs = await createWorkflow(stranger.id);
    const older = await createRun(org.id, wf, { createdAt: ago(5 * HOUR) });
    const newer = await createRun(org.id, wf, { createdAt: ago(HOUR) });
    await createRun(org.id, wf, { createdAt: ago(25 * HOUR) });
    await createRun(stranger.id, theirs, { createdAt: ago(HOUR) });

    const r = await list(org);
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual([newer.id, older.id]);
    expect(r.body.total).toBe(2);
  });

  it("filters by range: 24h, 7d and 30d", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const h1 = await createRun(org.id, wf, { createdAt: ago(HOUR) });
    const d2 = await createRun(org.id, wf, { createdAt: ago(2 * DAY) });
    const d20 = await createRun(org.id, wf, { createdAt: ago(20 * DAY) });
    await createRun(org.id, wf, { createdAt: ago(31 * DAY) });

    expect(ids((await list(org, "?range=24h")).body)).toEqual([h1.id]);
    expect(ids((await list(org, "?range=7d")).body)).toEqual([h1.id, d2.id]);
    expect(ids((await list(org, "?range=30d")).body)).toEqual([h1.id, d2.id, d20.id]);
  });

  it("includes a run created just inside the range and excludes one just outside", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const insideDay = await createRun(org.id, wf, { createdAt: ago(DAY - 60_000) });
    const outsideDay = await createRun(org.id, wf, { createdAt: ago(DAY + 60_000) });
    const insideWeek = await createRun(org.id, wf, { createdAt: ago(7 * DAY - 60_000) });
    const outsideWeek = await createRun(org.id, wf, { createdAt: ago(7 * DAY + 60_000) });
    const insideMonth = await createRun(org.id, wf, { createdAt: ago(30 * DAY - 60_000) });
    await createRun(org.id, wf, { createdAt: ago(30 * DAY + 60_000) });

    expect(ids((await list(org, "?range=24h")).body)).toEqual([insideDay.id]);
    expect(ids((await list(org, "?range=7d")).body)).toEqual([insideDay.id, outsideDay.id, insideWeek.id]);
    expect(ids((await list(org, "?range=30d")).body)).toEqual([
      insideDay.id,
      outsideDay.id,
      insideWeek.id,
      outsideWeek.id,
      insideMonth.id,
    ]);
  });

  it("counts the range boundary itself as inside (created_at >= now - range)", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const now = new Date("2030-01-02T00:00:00.000Z");
    const atBoundary = await createRun(org.id, wf, { createdAt: new Date(now.getTime() - DAY) });
    await createRun(org.id, wf, { createdAt: new Date(now.getTime() - DAY - 1) });
    const page = await listRuns(db, org.id, { range: "24h", page: 1, pageSize: 25, sort: "-createdAt" }, now);
    expect(page.runs.map((r) => r.id)).toEqual([atBoundary.id]);
    expect(page.total).toBe(1);
  });

  it("filters by one status or a comma-separated list", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const byStatus: Record<string, string> = {};
    for (const [i, status] of (["queued", "running", "pass", "fail", "partial"] as const).entries()) {
      byStatus[status] = (await createRun(org.id, wf, { status, createdAt: ago((i + 1) * 60_000) })).id;
    }
    expect(ids((await list(org, "?status=running")).body)).toEqual([byStatus.running]);
    expect(ids((await list(org, "?status=fail,partial")).body)).toEqual([byStatus.fail, byStatus.partial]);
    expect(ids((await list(org, "?status=queued,%20pass")).body)).toEqual([byStatus.queued, byStatus.pass]);
    expect((await list(org, "?status=fail,partial")).body.total).toBe(2);
  });

  it("filters by workflow", async () => {
    const org = await createOrg();
    const a = await createWorkflow(org.id);
    const b = await createWorkflow(org.id);
    const runA = await createRun(org.id, a);
    await createRun(org.id, b);
    const r = await list(org, `?workflowId=${a.id}`);
    expect(ids(r.body)).toEqual([runA.id]);
    expect(r.body.runs[0]?.workflow).toEqual({ id: a.id, name: a.name });
    const none = await list(org, `?workflowId=${crypto.randomUUID()}`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ runs: [], page: 1, pageSize: 25, total: 0, totalExact: true, hasMore: false, nextCursor: null });
  });

  it("filters by classification, one or several", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const met = await createRun(org.id, wf, { status: "pass", createdAt: ago(60_000) });
    const timeout = await createRun(org.id, wf, { status: "fail", classification: "run_timeout", createdAt: ago(120_000) });
    await createRun(org.id, wf, { status: "fail", createdAt: ago(180_000) });
    await createRun(org.id, wf, { status: "running", createdAt: ago(240_000) });

    expect(ids((await list(org, "?classification=run_timeout")).body)).toEqual([timeout.id]);
    expect(ids((await list(org, "?classification=all_criteria_met,run_timeout")).body)).toEqual([met.id, timeout.id]);
  });

  it("combines filters with AND", async () => {
    const org = await createOrg();
    const a = await createWorkflow(org.id, "Alpha");
    const b = await createWorkflow(org.id, "Beta");
    const hit = await createRun(org.id, a, { status: "fail", classification: "model_error" });
    await createRun(org.id, a, { status: "fail" });
    await createRun(org.id, b, { status: "fail", classification: "model_error" });
    await createRun(org.id, a, { status: "pass" });
    const r = await list(org, `?workflowId=${a.id}&status=fail&classification=model_error&search=alp`);
    expect(ids(r.body)).toEqual([hit.id]);
  });

  describe("search", () => {
    it("matches workflow name, reason, model id and run id, case-insensitively", async () => {
      const org = await createOrg();
      const checkout = await createWorkflow(org.id, "Checkout Smoke");
      const other = await createWorkflow(org.id, "Inventory");
      const byName = await createRun(org.id, checkout, { createdAt: ago(60_000) });
      const byReason = await createRun(org.id, other, { reason: "Deploy 42 CHECKOUT hotfix", createdAt: ago(120_000) });
      const byModel = await createRun(org.id, other, { modelId: "gpt-4.1-mini", createdAt: ago(180_000) });
      const plain = await createRun(org.id, other, { createdAt: ago(240_000) });

      expect(ids((await list(org, "?search=checkout")).body)).toEqual([byName.id, byReason.id]);
      expect(ids((await list(org, "?search=CHECKOUT%20smoke")).body)).toEqual([byName.id]);
      expect(ids((await list(org, "?search=checkout+smoke")).body)).toEqual([byName.id]);
      expect(ids((await list(org, "?search=GPT-4.1")).body)).toEqual([byModel.id]);
      expect(ids((await list(org, `?search=${plain.id.slice(9, 23).toUpperCase()}`)).body)).toEqual([plain.id]);
      expect((await list(org, "?search=nothing-like-this")).body.total).toBe(0);
    });

    it("treats LIKE wildcards and the escape character literally", async () => {
      const org = await createOrg();
      const wf = await createWorkflow(org.id, "Plain");
      const percent = await createRun(org.id, wf, { reason: "100% coverage", createdAt: ago(60_000) });
      const underscore = await createRun(org.id, wf, { reason: "snake_case tool", createdAt: ago(120_000) });
      const backslash = await createRun(org.id, wf, { reason: "C:\\temp path", createdAt: ago(180_000) });
      await createRun(org.id, wf, { reason: "1000 coverage snakeXcase", createdAt: ago(240_000) });

      expect(ids((await list(org, "?search=%25")).body)).toEqual([percent.id]);
      expect(ids((await list(org, "?search=0%25%20c")).body)).toEqual([percent.id]);
      expect(ids((await list(org, "?search=e_c")).body)).toEqual([underscore.id]);
      expect(ids((await list(org, "?search=_")).body)).toEqual([underscore.id]);
      expect(ids((await list(org, "?search=%5Ct")).body)).toEqual([backslash.id]);
    });

    it("ignores a blank search", async () => {
      const org = await createOrg();
      const wf = await createWorkflow(org.id);
      await createRun(org.id, wf);
      await createRun(org.id, wf);
      expect((await list(org, "?search=%20%20")).body.total).toBe(2);
    });
  });

  describe("sort", () => {
    async function sortFixture() {
      const org = await createOrg();
      const wf = await createWorkflow(org.id);
      // created order: a (oldest) .. e (newest); other keys deliberately in a different order.
      const a = await createRun(org.id, wf, {
        status: "pass", createdAt: ago(50 * 60_000), startedAt: ago(40 * 60_000), finishedAt: ago(39 * 60_000), durationMs: 3000, costUsd: 0.5,
      });
      const b = await createRun(org.id, wf, {
        status: "fail", createdAt: ago(45 * 60_000), startedAt: ago(44 * 60_000), finishedAt: ago(10 * 60_000), durationMs: 1000, costUsd: 0.01,
      });
      const c = await createRun(org.id, wf, {
        status: "queued", createdAt: ago(30 * 60_000), startedAt: null, finishedAt: null, durationMs: null, costUsd: null,
      });
      const d = await createRun(org.id, wf, {
        status: "partial", createdAt: ago(20 * 60_000), startedAt: ago(19 * 60_000), finishedAt: ago(5 * 60_000), durationMs: 9000, costUsd: 0.2,
      });
      const e = await createRun(org.id, wf, {
        status: "running", createdAt: ago(10 * 60_000), startedAt: ago(9 * 60_000), finishedAt: null, durationMs: null, costUsd: null,
      });
      return { org, a: a.id, b: b.id, c: c.id, d: d.id, e: e.id };
    }

    it("sorts by every key in both directions, ties broken newest first, missing values last", async () => {
      const { org, a, b, c, d, e } = await sortFixture();
      const cases: Record<string, string[]> = {
        "": [e, d, c, b, a],
        "-createdAt": [e, d, c, b, a],
        createdAt: [a, b, c, d, e],
        startedAt: [b, a, d, e, c],
        "-startedAt": [e, d, a, b, c],
        finishedAt: [a, b, d, e, c],
        "-finishedAt": [d, b, a, e, c],
        durationMs: [b, a, d, e, c],
        "-durationMs": [d, a, b, e, c],
        costUsd: [b, d, a, e, c],
        "-costUsd": [a, d, b, e, c],
        status: [b, d, a, c, e],
        "-status": [e, c, a, d, b],
      };
      for (const [sort, expected] of Object.entries(cases)) {
        const r = await list(org, sort ? `?sort=${sort}` : "");
        expect(r.status, sort).toBe(200);
        expect(ids(r.body), sort).toEqual(expected);
      }
    });

    it("breaks ties in the sort key by creation time, then id, so pages are stable", async () => {
      const org = await createOrg();
      const wf = await createWorkflow(org.id);
      const at = ago(HOUR);
      const same = [];
      for (let i = 0; i < 6; i++) same.push((await createRun(org.id, wf, { createdAt: at, durationMs: 500 })).id);
      const byIdDesc = [...same].sort().reverse();
      const byIdAsc = [...same].sort();
      expect(ids((await list(org, "?sort=-createdAt")).body)).toEqual(byIdDesc);
      expect(ids((await list(org, "?sort=createdAt")).body)).toEqual(byIdAsc);
      expect(ids((await list(org, "?sort=durationMs")).body)).toEqual(byIdDesc);
      const pages = [];
      for (let p = 1; p <= 3; p++) pages.push(...ids((await list(org, `?sort=durationMs&pageSize=2&page=${p}`)).body));
      expect(pages).toEqual(byIdDesc);
    });
  });

  describe("pagination", () => {
    async function sevenRuns() {
      const org = await createOrg();
      const wf = await createWorkflow(org.id);
      const all: string[] = [];
      for (let i = 0; i < 7; i++) all.push((await createRun(org.id, wf, { createdAt: ago((i + 1) * 60_000) })).id);
      return { org, wf, all };
    }

    it("pages through with total, hasMore and Link next/prev keeping the other parameters", async () => {
      const { org, wf, all } = await sevenRuns();
      const base = `http://127.0.0.1:8787/api/armature/v1/runs`;
      const q = `workflowId=${wf.id}&status=pass&pageSize=3`;

      const p1 = await list(org, `?${q}`);
      expect(p1.status).toBe(200);
      expect(p1.body).toMatchObject({ page: 1, pageSize: 3, total: 7, hasMore: true });
      expect(ids(p1.body)).toEqual(all.slice(0, 3));
      expect(p1.res.headers.get("link")).toBe(`<${base}?${q}&page=2>; rel="next"`);

      const p2 = await list(org, `?${q}&page=2`);
      expect(p2.body).toMatchObject({ page: 2, pageSize: 3, total: 7, hasMore: true });
      expect(ids(p2.body)).toEqual(all.slice(3, 6));
      expect(p2.res.headers.get("link")).toBe(`<${base}?${q}&page=3>; rel="next", <${base}?${q}&page=1>; rel="prev"`);

      const p3 = await list(org, `?${q}&page=3`);
      expect(p3.body).toMatchObject({ page: 3, pageSize: 3, total: 7, hasMore: false });
      expect(ids(p3.body)).toEqual(all.slice(6));
      expect(p3.res.headers.get("link")).toBe(`<${base}?${q}&page=2>; rel="prev"`);
    });

    it("follows the Link header from the first page to the last", async () => {
      const { org, all } = await sevenRuns();
      const key = await org.keyFor("viewer");
      const seen: string[] = [];
      let url: string | null = "/runs?pageSize=2&search=claude";
      let pages = 0;
      while (url) {
        const r = await callJson<RunList>(url, { key });
        expect(r.status).toBe(200);
        seen.push(...ids(r.body));
        pages++;
        const next = /<([^>]+)>; rel="next"/.exec(r.res.headers.get("link") ?? "");
        url = next ? new URL(next[1]!).pathname + new URL(next[1]!).search : null;
      }
      expect(pages).toBe(4);
      expect(seen).toEqual(all);
    });

    it("keeps lists and spaces intact in the Link URLs", async () => {
      const org = await createOrg();
      const wf = await createWorkflow(org.id, "Checkout smoke");
      const other = await createWorkflow(org.id, "Inventory");
      const expected: string[] = [];
      for (let i = 0; i < 3; i++) {
        expected.push((await createRun(org.id, wf, { status: i % 2 ? "fail" : "partial", createdAt: ago((i + 1) * 60_000) })).id);
      }
      await createRun(org.id, wf, { status: "pass" });
      await createRun(org.id, other, { status: "fail" });
      const key = await org.keyFor("viewer");
      const first = await callJson<RunList>("/runs?search=checkout%20smoke&status=fail,partial&pageSize=2", { key });
      expect(ids(first.body)).toEqual(expected.slice(0, 2));
      expect(first.body.total).toBe(3);
      const next = /<([^>]+)>; rel="next"/.exec(first.res.headers.get("link") ?? "")![1]!;
      const pathOf = (url: string) => new URL(url).pathname + new URL(url).search;
      const second = await callJson<RunList>(pathOf(next), { key });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ page: 2, pageSize: 2, total: 3, hasMore: false });
      expect(ids(second.body)).toEqual(expected.slice(2));
      const prev = /<([^>]+)>; rel="prev"/.exec(second.res.headers.get("link") ?? "")![1]!;
      expect(ids((await callJson<RunList>(pathOf(prev), { key })).body)).toEqual(expected.slice(0, 2));
    });

    it("answers an exactly full last page without hasMore, and a page past the end empty with prev to the last page", async () => {
      const { org, all } = await sevenRuns();
      const last = await list(org, "?pageSize=7");
      expect(last.body).toMatchObject({ page: 1, pageSize: 7, total: 7, hasMore: false });
      expect(ids(last.body)).toEqual(all);
      expect(last.res.headers.get("link")).toBeNull();

      const past = await list(org, "?pageSize=3&page=9");
      expect(past.status).toBe(200);
      expect(past.body).toEqual({ runs: [], page: 9, pageSize: 3, total: 7, totalExact: true, hasMore: false, nextCursor: null });
      expect(past.res.headers.get("link")).toBe(`<http://127.0.0.1:8787/api/armature/v1/runs?pageSize=3&page=3>; rel="prev"`);
    });

    it("accepts pageSize 1 and 100", async () => {
      const { org, all } = await sevenRuns();
      const one = await list(org, "?pageSize=1&page=7");
      expect(ids(one.body)).toEqual([all[6]]);
      expect(one.body).toMatchObject({ page: 7, pageSize: 1, total: 7, hasMore: false });
      const hundred = await list(org, "?pageSize=100");
      expect(hundred.body).toMatchObject({ page: 1, pageSize: 100, total: 7, hasMore: false });
    });
  });

  describe("validation", () => {
    const cases: Array<[string, string]> = [
      ["?range=1h", "query.range"],
      ["?range=", "query.range"],
      ["?workflowId=wf_123", "query.workflowId"],
      ["?status=done", "query.status"],
      ["?status=fail,", "query.status"],
      ["?status=fail&status=pass", "query.status"],
      ["?classification=flaky", "query.classification"],
      ["?classification=run_timeout,nope", "query.classification"],
      [`?search=${"x".repeat(201)}`, "query.search"],
      ["?page=0", "query.page"],
      ["?page=-1", "query.page"],
      ["?page=abc", "query.page"],
      ["?page=1.5", "query.page"],
      ["?pageSize=0", "query.pageSize"],
      ["?pageSize=101", "query.pageSize"],
      ["?pageSize=ten", "query.pageSize"],
      ["?sort=name", "query.sort"],
      ["?sort=--createdAt", "query.sort"],
      ["?sort=+createdAt", "query.sort"],
    ];
    for (const [query, field] of cases) {
      it(`answers ${query.slice(0, 40)} with a 400 naming ${field}`, async () => {
        const org = await createOrg();
        const r = await list(org, query);
        const error = expectError(r, 400, "validation_failed");
        expect(errorFields(error)).toEqual([field]);
        expect(error.message).toContain(field);
      });
    }

    it("names each bad parameter at once and explains the allowed statuses", async () => {
      const org = await createOrg();
      const r = await list(org, "?status=done&pageSize=500&sort=name");
      const error = expectError(r, 400, "validation_failed");
      expect(errorFields(error)).toEqual(["query.pageSize", "query.sort", "query.status"]);
      const status = error.details?.fields?.find((f) => f.field === "query.status");
      expect(status?.message).toBe("Unknown value 'done'; expected one or more of queued, running, pass, fail, partial, comma-separated");
    });

    it("accepts a search of exactly 200 characters and ignores unknown parameters", async () => {
      const org = await createOrg();
      const r = await list(org, `?search=${"x".repeat(200)}&utm_source=ci`);
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(0);
    });
  });

  it("answers 401 without a key, and any role may read", async () => {
    const org = await createOrg();
    const res = await call("/runs");
    expect(res.status).toBe(401);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: "unauthorized" } });
    for (const role of ["viewer", "editor", "admin", "owner"] as const) {
      expect((await call("/runs", { key: await org.keyFor(role) })).status, role).toBe(200);
    }
  });
});
