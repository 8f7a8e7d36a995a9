import type { z } from "@hono/zod-openapi";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mcpServers, workflows } from "../../src/db/schema";
import type { listMcpServersOp } from "../../src/mcp-servers/operations";
import type { RunListSchema } from "../../src/runs/schemas";
import { callJson, createOrg, db, errorFields, expectError, type TestOrg } from "../helpers";
import { createRun, createWorkflow as insertWorkflow } from "../runs/fixtures";
import { createMcpSource, createWorkflow, type WorkflowList } from "../workflows/fixtures";

type RunList = z.infer<typeof RunListSchema>;
type McpServerList = z.infer<typeof listMcpServersOp.output>;
type Page = { page: number; pageSize: number; total: number; hasMore: boolean; nextCursor: string | null };

const ago = (ms: number) => new Date(Date.now() - ms);
const MIN = 60_000;

/** Walks a list with cursors from `first`; `between` runs after each page. Returns the ids in order and the pages. */
async function walk<T extends Page>(key: string, first: string, itemsOf: (body: T) => Array<{ id: string }>, between?: (n: number) => Promise<void>) {
  const seen: string[] = [];
  const pages: Array<{ body: T; link: string | null }> = [];
  let url: string | null = first;
  while (url) {
    const r = await callJson<T>(url, { key });
    expect(r.status, url).toBe(200);
    seen.push(...itemsOf(r.body).map((i) => i.id));
    pages.push({ body: r.body, link: r.res.headers.get("link") });
    if (r.body.nextCursor) {
      const u = new URL(first, "http://x");
      u.searchParams.delete("page");
      u.searchParams.set("cursor", r.body.nextCursor);
      url = u.pathname + u.search;
    } else url = null;
    expect(pages.length).toBeLessThan(100);
    if (between && url) await between(pages.length);
  }
  return { seen, pages };
}

const runIds = (b: RunList) => b.runs;

async function runsFixture(org: TestOrg) {
  const wf = await insertWorkflow(org.id);
  const tie = ago(30 * MIN);
  const made: string[] = [];
  for (let i = 0; i < 13; i++) {
    const finished = i % 4 === 0;
    made.push(
      (
        await createRun(org.id, wf, {
          status: (["pass", "fail", "partial", "queued", "running"] as const)[i % 5],
          createdAt: i % 3 === 0 ? tie : ago((i + 1) * MIN),
          startedAt: i % 5 === 3 ? null : ago(i * 20_000),
          finishedAt: finished ? ago(i * 10_000) : null,
          durationMs: finished ? (i % 2) * 1000 : null,
          costUsd: i % 3 === 1 ? null : (i % 4) / 10,
        })
      ).id,
    );
  }
  return { wf, made };
}

describe("cursor pagination: /runs", () => {
  it("walks every sort in both directions exactly as one big page orders it, ties and missing values included", async () => {
    const org = await createOrg();
    const { made } = await runsFixture(org);
    const key = await org.keyFor("viewer");
    for (const key_ of ["createdAt", "startedAt", "finishedAt", "durationMs", "costUsd", "status"]) {
      for (const sort of [key_, `-${key_}`]) {
        const all = (await callJson<RunList>(`/runs?sort=${sort}&pageSize=100`, { key })).body.runs.map((r) => r.id);
        expect(all.sort()).toEqual([...made].sort());
        const expected = (await callJson<RunList>(`/runs?sort=${sort}&pageSize=100`, { key })).body.runs.map((r) => r.id);
        const { seen, pages } = await walk<RunList>(key, `/runs?sort=${sort}&pageSize=3`, runIds);
        expect(seen, sort).toEqual(expected);
        expect(pages.map((p) => p.body.page)).toEqual([1, 2, 3, 4, 5]);
        expect(pages.every((p) => p.body.total === 13)).toBe(true);
        expect(pages.map((p) => p.body.hasMore)).toEqual([true, true, true, true, false]);
      }
    }
  });

  it("has no duplicates or gaps while runs are added between pages", async () => {
    const org = await createOrg();
    const { wf, made } = await runsFixture(org);
    const key = await org.keyFor("viewer");
    const added: string[] = [];
    // Newest first: new runs land before the walk's position and are not answered; none repeats or is skipped.
    const { seen, pages } = await walk<RunList>(key, "/runs?pageSize=4", runIds, async () => {
      added.push((await createRun(org.id, wf, { createdAt: new Date() })).id);
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...made].sort());
    expect(pages.every((p) => p.body.total === 13)).toBe(true); // the walk's first count, carried
    // Oldest first: the runs added during the walk come at its end, each once.
    const asc = await walk<RunList>(key, "/runs?sort=createdAt&pageSize=4", runIds, async () => {
      added.push((await createRun(org.id, wf, { createdAt: new Date() })).id);
    });
    expect(new Set(asc.seen).size).toBe(asc.seen.length);
    for (const id of [...made, ...added.slice(0, added.length - 1)]) expect(asc.seen).toContain(id);
    const last = asc.pages.at(-1)!.body;
    expect(last.total).toBeGreaterThanOrEqual(asc.seen.length); // never fewer than the walk has answered
  });

  it("keeps the filters and sort a cursor was made for; another filter, sort, list or organization is a 400", async () => {
    const org = await createOrg();
    await runsFixture(org);
    const key = await org.keyFor("viewer");
    const expected = (await callJson<RunList>("/runs?status=pass,fail&sort=-costUsd&pageSize=100", { key })).body.runs.map((r) => r.id);
    const { seen, pages } = await walk<RunList>(key, "/runs?status=pass,fail&sort=-costUsd&pageSize=2", runIds);
    expect(seen).toEqual(expected);
    expect(pages[0]!.body.total).toBe(expected.length);
    const cursor = pages[0]!.body.nextCursor!;
    // The same filters written differently are the same filters.
    expect((await callJson(`/runs?status=fail,pass&sort=-costUsd&pageSize=2&cursor=${cursor}`, { key })).status).toBe(200);
    // pageSize may change between pages.
    expect((await callJson(`/runs?status=pass,fail&sort=-costUsd&pageSize=5&cursor=${cursor}`, { key })).status).toBe(200);
    const other = await createOrg();
    const mismatches: Array<[string, string]> = [
      [`/runs?status=pass&sort=-costUsd&cursor=${cursor}`, key],
      [`/runs?status=pass,fail&sort=costUsd&cursor=${cursor}`, key],
      [`/runs?status=pass,fail&sort=-costUsd&range=7d&cursor=${cursor}`, key],
      [`/runs?status=pass,fail&sort=-costUsd&search=x&cursor=${cursor}`, key],
      [`/runs?status=pass,fail&sort=-costUsd&cursor=${cursor}`, await other.keyFor("viewer")],
    ];
    for (const [url, k] of mismatches) {
      const error = expectError(await callJson(url, { key: k }), 400, "validation_failed");
      expect(errorFields(error), url).toEqual(["query.cursor"]);
      expect(error.message).toContain("another list, filters or sort");
    }
  });

  it("answers a malformed cursor, or a cursor with page, with a 400 naming query.cursor", async () => {
    const org = await createOrg();
    const key = await org.keyFor("viewer");
    const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, "");
    const bad = [
      "abc",
      "!!!!",
      "%00",
      b64({ page: 2 }),
      b64([1, "scope", 2, 10]),
      b64([1, "scope", 2, 10, "not a number", "id"]),
      b64([9, "scope", 2, 10, 1, "id"]),
      b64([1, "scope", 1, 10, 1, "id"]),
      b64([1, "scope", 2, -1, 1, "id"]),
      "x".repeat(513),
    ];
    for (const cursor of bad) {
      const r = await callJson(`/runs?cursor=${encodeURIComponent(cursor)}`, { key });
      expect(errorFields(expectError(r, 400, "validation_failed")), cursor).toEqual(["query.cursor"]);
    }
    const wf = await insertWorkflow(org.id);
    for (let i = 0; i < 3; i++) await createRun(org.id, wf, { createdAt: ago((i + 1) * MIN) });
    const cursor = (await callJson<RunList>("/runs?pageSize=1", { key })).body.nextCursor!;
    const both = expectError(await callJson(`/runs?page=2&cursor=${cursor}`, { key }), 400, "validation_failed");
    expect(errorFields(both)).toEqual(["query.cursor"]);
    expect(both.message).toContain("not both");
  });

  it("links rel=next with the cursor on a cursor page, and prev by page number", async () => {
    const org = await createOrg();
    const wf = await insertWorkflow(org.id);
    const all: string[] = [];
    for (let i = 0; i < 5; i++) all.push((await createRun(org.id, wf, { createdAt: ago((i + 1) * MIN) })).id);
    const key = await org.keyFor("viewer");
    const base = "http://127.0.0.1:8787/api/armature/v1/runs";
    const p1 = await callJson<RunList>("/runs?status=pass&pageSize=2", { key });
    expect(p1.body).toMatchObject({ page: 1, total: 5, hasMore: true });
    expect(p1.res.headers.get("link")).toBe(`<${base}?status=pass&pageSize=2&page=2>; rel="next"`);
    const c2 = p1.body.nextCursor!;
    const p2 = await callJson<RunList>(`/runs?status=pass&pageSize=2&cursor=${c2}`, { key });
    expect(p2.body.runs.map((r) => r.id)).toEqual(all.slice(2, 4));
    expect(p2.body).toMatchObject({ page: 2, total: 5, hasMore: true });
    expect(p2.res.headers.get("link")).toBe(
      `<${base}?status=pass&pageSize=2&cursor=${p2.body.nextCursor}>; rel="next", <${base}?status=pass&pageSize=2&page=1>; rel="prev"`,
    );
    const p3 = await callJson<RunList>(`/runs?status=pass&pageSize=2&cursor=${p2.body.nextCursor}`, { key });
    expect(p3.body).toMatchObject({ page: 3, total: 5, hasMore: false, nextCursor: null });
    expect(p3.body.runs.map((r) => r.id)).toEqual(all.slice(4));
    expect(p3.res.headers.get("link")).toBe(`<${base}?status=pass&pageSize=2&page=2>; rel="prev"`);
    // Page numbers answer the same items, and their nextCursor continues from them.
    const byNumber = await callJson<RunList>("/runs?status=pass&pageSize=2&page=2", { key });
    expect(byNumber.body.runs.map((r) => r.id)).toEqual(all.slice(2, 4));
    const cont = await callJson<RunList>(`/runs?status=pass&pageSize=2&cursor=${byNumber.body.nextCursor}`, { key });
    expect(cont.body.runs.map((r) => r.id)).toEqual(all.slice(4));
  });
});

describe("cursor pagination: /workflows and /mcp-servers", () => {
  it("walks /workflows oldest first with ties broken by id, while workflows are added, and keeps the category filter", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await createWorkflow(org, { name: `wf ${i}`, mcpServerId: source.id, categorySlug: i % 2 ? "search" : "billing" })).workflow.id);
    }
    // Four share one creation time: only the id orders them.
    await db.update(workflows).set({ createdAt: new Date(Date.now() - MIN) }).where(inArray(workflows.id, ids.slice(1, 5)));
    const key = await org.keyFor("viewer");
    const expected = (await callJson<WorkflowList>("/workflows?pageSize=100", { key })).body.workflows.map((w) => w.id);
    const added: string[] = [];
    const { seen, pages } = await walk<WorkflowList>(key, "/workflows?pageSize=2", (b) => b.workflows, async (n) => {
      if (n === 1) added.push((await createWorkflow(org, { name: "late", mcpServerId: source.id })).workflow.id);
    });
    expect(seen).toEqual([...expected, ...added]);
    expect(pages[0]!.body.total).toBe(7);
    const search = await walk<WorkflowList>(key, "/workflows?category=search&pageSize=1", (b) => b.workflows);
    expect(search.seen).toEqual(expected.filter((id) => [1, 3, 5].includes(ids.indexOf(id))));
    const cursor = search.pages[0]!.body.nextCursor!;
    const error = expectError(await callJson(`/workflows?category=billing&cursor=${cursor}`, { key }), 400, "validation_failed");
    expect(errorFields(error)).toEqual(["query.cursor"]);
    // A /workflows cursor is foreign to /mcp-servers.
    expect(errorFields(expectError(await callJson(`/mcp-servers?cursor=${cursor}`, { key }), 400, "validation_failed"))).toEqual(["query.cursor"]);
  });

  it("walks /mcp-servers with each source's auth profiles, and reads one source with its profiles", async () => {
    const org = await createOrg();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        (
          await createMcpSource(org, {
            name: `s${i}`,
            authProfiles: i % 2 ? [{ name: `p${i}`, type: "bearer", value: `token-value-${i}-0123456789` }] : [],
          })
        ).id,
      );
    }
    await db.update(mcpServers).set({ createdAt: new Date(Date.now() - MIN) }).where(inArray(mcpServers.id, made.slice(0, 3)));
    const key = await org.keyFor("viewer");
    const whole = (await callJson<McpServerList>("/mcp-servers?pageSize=100", { key })).body;
    const { seen, pages } = await walk<McpServerList>(key, "/mcp-servers?pageSize=2", (b) => b.mcpServers);
    expect(seen).toEqual(whole.mcpServers.map((s) => s.id));
    expect(pages.map((p) => p.body.total)).toEqual([5, 5, 5]);
    const walked = pages.flatMap((p) => p.body.mcpServers);
    expect(walked).toEqual(whole.mcpServers);
    for (const s of walked) expect(s.authProfiles.map((p) => p.name)).toEqual(made.indexOf(s.id) % 2 ? [`p${made.indexOf(s.id)}`] : []);
    const one = await callJson<McpServerList["mcpServers"][number]>(`/mcp-servers/${made[1]}`, { key });
    expect(one.body.authProfiles.map((p) => p.name)).toEqual(["p1"]);
    const row = await db.select().from(mcpServers).where(eq(mcpServers.id, made[1]!)).get();
    expect(row?.orgId).toBe(org.id);
  });
});
