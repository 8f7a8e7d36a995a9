/**
 * The defects a black-box probe found in the REST surface (issue 6), each as a user sees it.
 * Source URLs, schedules and credential detection have their own files.
 */
import { describe, expect, it } from "vitest";
import { MAX_LISTED_FIELDS } from "../../src/lib/errors";
import { call, callJson, createOrg, errorFields, expectError } from "../helpers";
import { captureQueue, createMcpSource, createWorkflow } from "../workflows/fixtures";

captureQueue();

const BEARER = "Bearer abcdefghijklmnopqrstuvwxyz0123456789";

describe("dispatch answers are redacted like every run read", () => {
  it("redacts the reason in the dispatch answer, in its replay and in GET /runs/{id}", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const send = () =>
      callJson<{ runs: Array<{ id: string; reason: string | null }> }>(`/workflows/${wf.workflow.id}/runs`, {
        key: org.ownerKey,
        body: { reason: `deploy with ${BEARER}`, idempotencyKey: "redact-1" },
      });
    const first = await send();
    expect(first.status).toBe(202);
    expect(first.body.runs[0]!.reason).toBe("deploy with [REDACTED]");
    const replay = await send();
    expect(replay.res.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.runs[0]!.reason).toBe("deploy with [REDACTED]");
    const read = await callJson<{ reason: string }>(`/runs/${first.body.runs[0]!.id}`, { key: org.ownerKey });
    expect(read.body.reason).toBe("deploy with [REDACTED]");
  });
});

describe("text that is not valid Unicode, and prototype keys", () => {
  it("refuses a lone surrogate in any string or key with a 400 naming the field, storing nothing", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const raw = (name: string, metadata = "{}") =>
      `{"name":"${name}","mcpServerId":"${source.id}","testerPrompt":"Say hi","testerModelIds":["armature/scripted"],"metadata":${metadata}}`;
    const bad = [
      [raw("bad \\ud800 name"), "body.name"],
      [raw("ok", '{"k":"\\udc00"}'), "body.metadata.k"],
      [raw("ok", '{"\\ud83d":"v"}'), "body.metadata.<key>"],
    ] as const;
    for (const [body, field] of bad) {
      const r = await callJson("/workflows", { key: org.ownerKey, rawBody: body, headers: { "content-type": "application/json" } });
      expect(errorFields(expectError(r, 400, "validation_failed"))).toEqual([field]);
    }
    // A well-formed pair is fine.
    const ok = await callJson("/workflows", { key: org.ownerKey, rawBody: raw("smile \\ud83d\\ude00"), headers: { "content-type": "application/json" } });
    expect(ok.status).toBe(201);
    const list = await callJson<{ workflows: Array<{ name: string }> }>("/workflows", { key: org.ownerKey });
    expect(list.body.workflows.map((w) => w.name)).toEqual(["smile 😀"]);
  });

  it("refuses a __proto__ key in metadata with a 400 naming it, like constructor", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    for (const key of ["__proto__", "constructor"]) {
      const body = `{"name":"w","mcpServerId":"${source.id}","testerPrompt":"Say hi","metadata":{"${key}":"x"}}`;
      const r = await callJson("/workflows", { key: org.ownerKey, rawBody: body, headers: { "content-type": "application/json" } });
      const error = expectError(r, 400, "validation_failed");
      expect(errorFields(error)).toEqual([`body.metadata.${key}`]);
    }
  });
});

describe("validation errors are bounded", () => {
  it(`lists at most ${MAX_LISTED_FIELDS} fields and says how many more there were`, async () => {
    const org = await createOrg();
    const body: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) body[`unknownField${i}`] = i;
    const r = await callJson("/mcp-servers", { key: org.ownerKey, body });
    const error = expectError(r, 400, "validation_failed");
    const details = error.details as { fields: unknown[]; omittedFields: number };
    expect(details.fields).toHaveLength(MAX_LISTED_FIELDS);
    // 5,000 unknown fields plus the missing name and url.
    expect(details.fields.length + details.omittedFields).toBe(5002);
    expect(error.message).toContain(`the first ${MAX_LISTED_FIELDS} are listed`);
    expect(JSON.stringify(r.body).length).toBeLessThan(20_000);
  });
});

describe("smaller probe findings", () => {
  it("treats an empty JSON body on dispatch as no body", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const r = await callJson<{ runs: unknown[] }>(`/workflows/${wf.workflow.id}/runs`, {
      key: org.ownerKey,
      method: "POST",
      rawBody: "",
      headers: { "content-type": "application/json" },
    });
    expect(r.status).toBe(202);
    expect(r.body.runs).toHaveLength(1);
    // A body that is there but not JSON is still a 400.
    const bad = await callJson(`/workflows/${wf.workflow.id}/runs`, {
      key: org.ownerKey,
      method: "POST",
      rawBody: "{",
      headers: { "content-type": "application/json" },
    });
    expectError(bad, 400, "validation_failed");
  });

  it("reads page and pageSize as plain decimal digits only", async () => {
    const org = await createOrg();
    for (const path of ["/runs", "/workflows", "/mcp-servers"]) {
      for (const [query, field] of [
        ["page=0x10", "query.page"],
        ["pageSize=1e2", "query.pageSize"],
        ["page=1.0", "query.page"],
        ["pageSize=%2010", "query.pageSize"],
        ["page=", "query.page"],
      ] as const) {
        const r = await callJson(`${path}?${query}`, { key: org.ownerKey });
        expect(errorFields(expectError(r, 400, "validation_failed")), `${path}?${query}`).toEqual([field]);
      }
      expect((await call(`${path}?page=2&pageSize=10`, { key: org.ownerKey })).status).toBe(200);
    }
  });

  it("answers other methods on /openapi and /docs with 405 and Allow", async () => {
    for (const method of ["PUT", "POST", "DELETE", "PATCH"]) {
      const r = await callJson("/openapi", { method });
      expectError(r, 405, "method_not_allowed");
      expect(r.res.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "OPTIONS"]);
      const docs = await callJson("/docs", { method });
      expectError(docs, 405, "method_not_allowed");
      expect(docs.res.headers.get("allow")).toContain("GET");
    }
  });
});

describe("GET /workflows and GET /mcp-servers are paged like /runs", () => {
  it("pages workflows with total, hasMore and Link headers", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    for (let i = 0; i < 5; i++) await createWorkflow(org, { name: `wf-${i}`, mcpServerId: source.id });
    const first = await callJson<{ workflows: Array<{ name: string }>; page: number; pageSize: number; total: number; hasMore: boolean }>(
      "/workflows?pageSize=2",
      { key: org.ownerKey },
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ page: 1, pageSize: 2, total: 5, hasMore: true });
    expect(first.body.workflows.map((w) => w.name)).toEqual(["wf-0", "wf-1"]);
    expect(first.res.headers.get("link")).toMatch(/page=2>; rel="next"/);
    const last = await callJson<{ workflows: Array<{ name: string }>; hasMore: boolean }>("/workflows?pageSize=2&page=3", { key: org.ownerKey });
    expect(last.body.workflows.map((w) => w.name)).toEqual(["wf-4"]);
    expect(last.body.hasMore).toBe(false);
    expect(last.res.headers.get("link")).toMatch(/page=2>; rel="prev"$/);
    const dflt = await callJson<{ pageSize: number }>("/workflows", { key: org.ownerKey });
    expect(dflt.body.pageSize).toBe(25);
  });

  it("pages MCP sources the same way", async () => {
    const org = await createOrg();
    for (let i = 0; i < 3; i++) await createMcpSource(org, { name: `src-${i}` });
    const r = await callJson<{ mcpServers: Array<{ name: string }>; total: number; hasMore: boolean }>("/mcp-servers?pageSize=2&page=2", {
      key: org.ownerKey,
    });
    expect(r.status).toBe(200);
    expect(r.body.mcpServers.map((s) => s.name)).toEqual(["src-2"]);
    expect(r.body).toMatchObject({ total: 3, hasMore: false });
    expect(expectError(await callJson("/mcp-servers?pageSize=101", { key: org.ownerKey }), 400, "validation_failed")).toBeTruthy();
  });
});

describe("secrets are never echoed", () => {
  it("does not repeat a credential sent as a model id in the error", async () => {
    const org = await createOrg();
    const secret = `sk-ant-api03-${"a1B2c3D4e5".repeat(4)}`;
    const r = await callJson("/workflows", {
      key: org.ownerKey,
      body: { name: "w", mcpServerId: (await createMcpSource(org)).id, testerPrompt: "Say hi", testerModelIds: [secret] },
    });
    expect(errorFields(expectError(r, 400, "validation_failed"))).toContain("body.testerModelIds.0");
    expect(JSON.stringify(r.body)).not.toContain(secret);
  });
});
