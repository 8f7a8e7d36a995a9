import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { runs, scheduleTicks, workflows, workflowVersions } from "../../src/db/schema";
import type { Env, RunMessage } from "../../src/env";
import { processRunBatch } from "../../src/runner/consumer";
import { runSweep } from "../../src/scheduler/sweep";
import { failRuns } from "../../src/runs/lifecycle";
import { archiveWorkflow, getWorkflow, writeNextVersion } from "../../src/workflows/store";
import { call, callJson, createOrg, db, errorFields, expectError, testContext } from "../helpers";
import type { McpServerView } from "../../src/mcp-servers/schemas";
import {
  captureQueue,
  createMcpSource,
  createWorkflow,
  runsOfWorkflow,
  type DispatchResponse,
  type WorkflowResponse,
} from "./fixtures";

const queue = captureQueue();

describe("races", () => {
  it("folds concurrent identical dispatches without a key into one run", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"] });
    await db.update(runs).set({ status: "pass", activeFingerprint: null }).where(eq(runs.workflowId, wf.workflow.id)).run();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => callJson<DispatchResponse>(`/workflows/${wf.workflow.id}/runs`, { key: org.ownerKey, body: {} })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(202));
    const ids = new Set(results.map((r) => r.body.runs[0]!.id));
    expect(ids.size).toBe(1);
    expect((await runsOfWorkflow(wf.workflow.id)).filter((r) => r.trigger === "manual")).toHaveLength(1);
    expect(results.filter((r) => r.body.runs[0]?.reused)).toHaveLength(5);
    expect(await queue.waitForRuns([...ids])).toHaveLength(1);
  });

  it("a PATCH that read before an archive cannot un-archive the workflow or leave a version behind", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const stale = await getWorkflow(db, org.id, wf.workflow.id);
    await archiveWorkflow(db, org.id, wf.workflow.id, new Date());
    const next = { ...stale.version.config, testerPrompt: "changed" };
    await expect(writeNextVersion(db, stale, next, new Date())).rejects.toMatchObject({ code: "conflict" });
    const row = await db.select().from(workflows).where(eq(workflows.id, wf.workflow.id)).get();
    expect(row!.archivedAt).not.toBeNull();
    expect(row!.currentVersionNumber).toBe(1);
    const versions = await db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, wf.workflow.id)).all();
    expect(versions).toHaveLength(1);
  });

  it("a PATCH that read before a scheduled dispatch does not move the schedule back", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"], schedule: { cron: "0 * * * *" } });
    const due = new Date(Date.UTC(2026, 10, 22, 10, 0, 0));
    await db.update(workflows).set({ nextDueAt: due }).where(eq(workflows.id, wf.workflow.id)).run();
    const stale = await getWorkflow(db, org.id, wf.workflow.id);
    await runSweep(testContext({ now: new Date(due.getTime() + 1000) }));
    await writeNextVersion(db, stale, { ...stale.version.config, testerPrompt: "changed" }, new Date());
    const row = await db.select().from(workflows).where(eq(workflows.id, wf.workflow.id)).get();
    expect(row!.nextDueAt!.toISOString()).toBe("2026-11-22T11:00:00.000Z");
    expect(row!.currentVersionNumber).toBe(2);
  });

  it("a concurrent PATCH loses with 409 and writes no version", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const stale = await getWorkflow(db, org.id, wf.workflow.id);
    await writeNextVersion(db, stale, { ...stale.version.config, testerPrompt: "first" }, new Date());
    await expect(writeNextVersion(db, stale, { ...stale.version.config, testerPrompt: "second" }, new Date())).rejects.toMatchObject({
      code: "conflict",
    });
    const versions = await db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, wf.workflow.id)).all();
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
  });

  it("a due time that was claimed already still moves the schedule on", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"], schedule: { cron: "0 * * * *" } });
    const due = new Date(Date.UTC(2026, 10, 22, 12, 0, 0));
    await db.insert(scheduleTicks).values({ workflowId: wf.workflow.id, dueAt: due, createdAt: new Date() }).run();
    await db.update(workflows).set({ nextDueAt: due }).where(eq(workflows.id, wf.workflow.id)).run();
    await runSweep(testContext({ now: new Date(due.getTime() + 1000) }));
    const row = await db.select().from(workflows).where(eq(workflows.id, wf.workflow.id)).get();
    expect(row!.nextDueAt!.toISOString()).toBe("2026-11-22T13:00:00.000Z");
    expect((await runsOfWorkflow(wf.workflow.id)).filter((r) => r.trigger === "schedule")).toHaveLength(0);
  });

  it("a queue problem never fails a run the consumer has claimed", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"] });
    const [run] = await runsOfWorkflow(wf.workflow.id);
    await db.update(runs).set({ status: "running", startedAt: new Date() }).where(eq(runs.id, run!.id)).run();
    await failRuns(testContext(), [run!.id], { classification: "queue_timeout", error: "late" }, ["queued"]);
    expect((await db.select().from(runs).where(eq(runs.id, run!.id)).get())!.status).toBe("running");
  });
});

describe("consumer failures", () => {
  async function deliver(msg: RunMessage, testEnv: Env, execute: Parameters<typeof processRunBatch>[2]) {
    const batch = createMessageBatch<RunMessage>("armature-runs", [
      { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: msg },
    ]);
    const ctx = createExecutionContext();
    await processRunBatch(batch, testContext({ env: testEnv }), execute);
    return await getQueueResult(batch, ctx);
  }

  it("ends a run whose execution threw as internal_error and acks, so it is not run twice", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"] });
    const [run] = await runsOfWorkflow(wf.workflow.id);
    const result = await deliver({ runId: run!.id, orgId: org.id }, env, async () => {
      throw new Error("model exploded");
    });
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    const ended = await db.select().from(runs).where(eq(runs.id, run!.id)).get();
    expect(ended).toMatchObject({ status: "fail", classification: "internal_error", activeFingerprint: null });
    expect(ended!.error).toContain("model exploded");
  });

  it("releases the claim and retries when it fails before execution starts", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"] });
    const [run] = await runsOfWorkflow(wf.workflow.id);
    let broken = true;
    const flaky = {
      ...env,
      DB: new Proxy(env.DB, {
        get(target, prop) {
          const value = Reflect.get(target, prop);
          if (prop === "prepare") {
            return (query: string) => {
              if (broken && /from "workflows"/i.test(query)) throw new Error("D1 hiccup");
              return target.prepare(query);
            };
          }
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
    } as Env;
    const executed: string[] = [];
    const first = await deliver({ runId: run!.id, orgId: org.id }, flaky, async (_rc, r) => void executed.push(r.id));
    expect(first.retryMessages).toHaveLength(1);
    expect(executed).toEqual([]);
    expect((await db.select().from(runs).where(eq(runs.id, run!.id)).get())).toMatchObject({ status: "queued", startedAt: null });
    broken = false;
    const second = await deliver({ runId: run!.id, orgId: org.id }, flaky, async (_rc, r) => void executed.push(r.id));
    expect(second.explicitAcks).toHaveLength(1);
    expect(executed).toEqual([run!.id]);
  });
});

describe("input edges", () => {
  it("refuses more than 50 categories with a 400 instead of overflowing D1's parameters", async () => {
    const org = await createOrg();
    const many = Array.from({ length: 51 }, (_, i) => `c${i}`).join(",");
    expect(errorFields(expectError(await callJson(`/workflows?category=${many}`, { key: org.ownerKey }), 400, "validation_failed"))).toEqual([
      "query.category",
    ]);
    const fifty = Array.from({ length: 50 }, (_, i) => `c${i}`).join(",");
    expect((await call(`/workflows?category=${fifty}`, { key: org.ownerKey })).status).toBe(200);
  });

  it("checks the Idempotency-Key header like the body field, and refuses duplicate override targets", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const path = `/workflows/${wf.workflow.id}/runs`;
    const spaced = await callJson(path, { key: org.ownerKey, body: {}, headers: { "idempotency-key": "a b" } });
    expect(errorFields(expectError(spaced, 400, "validation_failed"))).toEqual(["header.idempotency-key"]);
    const dup = await callJson(path, { key: org.ownerKey, body: { testerModelIds: ["gpt-5", "gpt-5"] } });
    expect(errorFields(expectError(dup, 400, "validation_failed"))).toEqual(["body.testerModelIds.1"]);
  });

  it("replays an idempotent dispatch even after the workflow was archived", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const path = `/workflows/${wf.workflow.id}/runs`;
    const first = await callJson<DispatchResponse>(path, { key: org.ownerKey, body: { idempotencyKey: "before-archive" } });
    await call(`/workflows/${wf.workflow.id}`, { key: org.ownerKey, method: "DELETE" });
    const retry = await callJson<DispatchResponse>(path, { key: org.ownerKey, body: { idempotencyKey: "before-archive" } });
    expect(retry.status).toBe(202);
    expect(retry.res.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.runs.map((r) => r.id)).toEqual(first.body.runs.map((r) => r.id));
    expectError(await callJson(path, { key: org.ownerKey, body: { idempotencyKey: "after-archive" } }), 409, "conflict");
  });

  it("a PATCH of testerModelId replaces the whole model selection", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5", "claude-sonnet-4"] });
    const res = await callJson<WorkflowResponse>(`/workflows/${wf.workflow.id}`, { key: org.ownerKey, method: "PATCH", body: { testerModelId: "gpt-5-mini" } });
    expect(res.body.workflow.testerTargets).toEqual([{ modelId: "gpt-5-mini", skillMode: "none", skillVersionId: null }]);
    expect(res.body.currentVersion.config).toMatchObject({ testerModelId: "gpt-5-mini", testerModelIds: null });
  });

  it("refuses credentials in the name, Basic credentials, offsets as time zones, reserved metadata keys", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const base = { name: "wf", mcpServerId: source.id, testerPrompt: "Do it." };
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ name: "Bearer abcdefghijklmnop0123456789" }, ["body.name"]],
      [{ testerPrompt: "Send Authorization: Basic dXNlcjpwYXNzd29yZA==" }, ["body.testerPrompt"]],
      [{ schedule: { cron: "0 9 * * *", timezone: "+05:00" } }, ["body.schedule.timezone"]],
      [{ metadata: { constructor: "x" } }, ["body.metadata.constructor"]],
      [{ metadata: { "has space": 1 } }, ["body.metadata.has space"]],
    ];
    for (const [patch, expected] of cases) {
      const res = await callJson("/workflows", { key: org.ownerKey, body: { ...base, ...patch } });
      expect(errorFields(expectError(res, 400, "validation_failed")), JSON.stringify(patch)).toEqual(expected);
    }
    // Prose that only looks like the start of a credential is fine.
    const prose = await callJson("/workflows", {
      key: org.ownerKey,
      body: { ...base, testerPrompt: "Check the bearer responsibilities and basic functionality of the search tool." },
    });
    expect(prose.status).toBe(201);
  });

  it("accepts upper-case UUIDs in paths and bodies", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const wf = await createWorkflow(org, { mcpServerId: source.id.toUpperCase() });
    expect(wf.workflow.mcpServerId).toBe(source.id);
    expect((await call(`/workflows/${wf.workflow.id.toUpperCase()}`, { key: org.ownerKey })).status).toBe(200);
  });

  it("trims MCP source URLs and refuses link-local metadata hosts and control characters in secrets", async () => {
    const org = await createOrg();
    const ok = await callJson<McpServerView>("/mcp-servers", { key: org.ownerKey, body: { name: "t", url: "  https://mcp.example.com/mcp  " } });
    expect(ok.body.url).toBe("https://mcp.example.com/mcp");
    const meta = await callJson("/mcp-servers", { key: org.ownerKey, body: { name: "m", url: "http://169.254.169.254/latest" } });
    expect(errorFields(expectError(meta, 400, "validation_failed"))).toEqual(["body.url"]);
    const nul = await callJson("/mcp-servers", {
      key: org.ownerKey,
      body: { name: "n", url: "https://e.com", authProfiles: [{ name: "p", type: "bearer", value: "abc\u0000def" }] },
    });
    expect(errorFields(expectError(nul, 400, "validation_failed"))).toEqual(["body.authProfiles.0.value"]);
  });

  it("refuses control characters in run search", async () => {
    const org = await createOrg();
    expect(errorFields(expectError(await callJson("/runs?search=%00", { key: org.ownerKey }), 400, "validation_failed"))).toEqual([
      "query.search",
    ]);
  });

  it("answers a trailing slash with 404, and a CORS preflight of the OpenAPI document with 204", async () => {
    const org = await createOrg();
    expectError(await callJson("/org/", { key: org.ownerKey }), 404, "not_found");
    const pre = await call("/openapi", { method: "OPTIONS" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    // No request header is allowed: a cross-origin script cannot send its own If-None-Match, so it never sees a 304
    // (which carries no CORS fields: the browser's cache revalidates, and the stored 200 has them).
    expect(pre.headers.get("access-control-allow-headers")).toBeNull();
  });
});
