import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { workflows, workflowVersions } from "../../src/db/schema";
import { getWorkflow, workflowResponse } from "../../src/workflows/store";
import { call, callJson, createOrg, db, errorFields, expectError, type TestOrg } from "../helpers";
import {
  captureQueue,
  createMcpSource,
  createWorkflow,
  runsOfWorkflow,
  type CreatedWorkflow,
  type WorkflowList,
  type WorkflowResponse,
} from "./fixtures";

const queue = captureQueue();


describe("POST /workflows", () => {
  it("creates the docs' example and queues one initial run per tester model", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const res = await callJson<CreatedWorkflow>("/workflows", {
      key: await org.keyFor("editor"),
      body: {
        name: "Search returns recent issues",
        mcpServerId: source.id,
        testerPrompt: "Search for the most recent open issue and summarize it.",
        testerModelIds: ["claude-sonnet-4", "gpt-5"],
        criteria: [
          { criterionText: "Returned at least one open issue", isRequired: true },
          { criterionText: "Summary references the issue number", isRequired: true },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.workflow).toMatchObject({ name: "Search returns recent issues", mcpServerId: source.id, archived: false });
    expect(res.body.currentVersion).toMatchObject({ id: res.body.workflow.currentVersion.id, version: 1 });
    expect(res.body.initialDispatch).toEqual({ queued: 2, failed: 0 });
    expect(res.body.workflow.testerTargets).toEqual([
      { modelId: "claude-sonnet-4", skillMode: "none", skillVersionId: null },
      { modelId: "gpt-5", skillMode: "none", skillVersionId: null },
    ]);
    expect(res.body.workflow.limits).toEqual({
      timeoutSeconds: 300,
      maxTurns: 20,
      maxToolCalls: 50,
      maxOutputTokens: 4096,
      maxCostUsd: 5,
    });

    const stored = await runsOfWorkflow(res.body.workflow.id);
    expect(stored.map((r) => r.modelId).sort()).toEqual(["claude-sonnet-4", "gpt-5"]);
    expect(stored.every((r) => r.trigger === "initial" && r.status === "queued" && r.workflowVersion === 1)).toBe(true);
    expect((await queue.waitForRuns(stored.map((r) => r.id))).sort((a, b) => a.runId.localeCompare(b.runId))).toEqual(
      stored.map((r) => ({ runId: r.id, orgId: org.id })).sort((a, b) => a.runId.localeCompare(b.runId)),
    );
  });

  it("picks targets: testerTargets, else testerModelIds, else testerModelId, else the default model", async () => {
    const org = await createOrg();
    const t = await createWorkflow(org, {
      testerModelIds: undefined,
      testerTargets: [
        { modelId: "gpt-5", skillMode: "skill", skillVersionId: "skill-v3" },
        { modelId: "gpt-5" },
      ],
    });
    expect(t.workflow.testerTargets).toEqual([
      { modelId: "gpt-5", skillMode: "skill", skillVersionId: "skill-v3" },
      { modelId: "gpt-5", skillMode: "none", skillVersionId: null },
    ]);
    const one = await createWorkflow(org, { testerModelIds: undefined, testerModelId: "claude-sonnet-4" });
    expect(one.workflow.testerTargets.map((x: { modelId: string }) => x.modelId)).toEqual(["claude-sonnet-4"]);
    const dflt = await createWorkflow(org, { testerModelIds: undefined });
    expect(dflt.workflow.testerTargets.map((x: { modelId: string }) => x.modelId)).toEqual(["armature/scripted"]);
    expect(dflt.initialDispatch).toEqual({ queued: 1, failed: 0 });
  });

  it("uses the source's default auth profile unless another of its profiles is named", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org, { authProfiles: [{ name: "p", type: "bearer", value: "v".repeat(20) }] });
    const wf = await createWorkflow(org, { mcpServerId: source.id });
    expect(wf.workflow.defaultMcpAuthProfileId).toBe(source.defaultMcpAuthProfileId);
  });

  it("fails the safety preflight with a 400 naming every problem, writing nothing", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const foreign = await createMcpSource(other);
    const source = await createMcpSource(org);
    const otherSource = await createMcpSource(org, { authProfiles: [{ name: "p", type: "bearer", value: "x".repeat(20) }] });
    const base = {
      name: "wf",
      mcpServerId: source.id,
      testerPrompt: "Do the thing.",
      criteria: [{ criterionText: "It worked", isRequired: true }],
    };
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ mcpServerId: foreign.id }, ["body.mcpServerId"]],
      [{ mcpServerId: crypto.randomUUID() }, ["body.mcpServerId"]],
      [{ defaultMcpAuthProfileId: otherSource.authProfiles[0]!.id }, ["body.defaultMcpAuthProfileId"]],
      [{ testerModelIds: ["claude-sonnet-4", "gpt-unknown"] }, ["body.testerModelIds.1"]],
      [{ testerModelId: "nope" }, ["body.testerModelId"]],
      [{ testerTargets: [{ modelId: "nope" }] }, ["body.testerTargets.0.modelId"]],
      [{ testerTargets: [{ modelId: "gpt-5", skillMode: "skill" }] }, ["body.testerTargets.0.skillVersionId"]],
      [{ testerModelIds: ["gpt-5", "gpt-5"] }, ["body.testerModelIds.1"]],
      [{ testerTargets: [{ modelId: "gpt-5" }, { modelId: "gpt-5", skillMode: "none" }] }, ["body.testerTargets.1"]],
      [{ criteria: [{ criterionText: "   " }] }, ["body.criteria.0.criterionText"]],
      [{ criteria: [{ criterionText: "x".repeat(2001) }] }, ["body.criteria.0.criterionText"]],
      [{ limits: { timeoutSeconds: 5, maxTurns: 1000 } }, ["body.limits.maxTurns", "body.limits.timeoutSeconds"]],
      [{ limits: { unknown: 1 } }, ["body.limits.unknown"]],
      [{ retryPolicy: { maxAttempts: 9 } }, ["body.retryPolicy.maxAttempts"]],
      [{ toolPolicy: { deny: ["rm -rf"] } }, ["body.toolPolicy.deny.0"]],
      [{ schedule: { cron: "not a cron" } }, ["body.schedule.cron"]],
      [{ schedule: { cron: "61 * * * *" } }, ["body.schedule.cron"]],
      [{ schedule: { cron: "* * * * *" } }, ["body.schedule.cron"]],
      [{ schedule: { cron: "0 9 * * *", timezone: "Mars/Olympus" } }, ["body.schedule.timezone"]],
      [{ testerPrompt: "Use the key amt_0123456789abcdef_0123456789012345678901234567890123456789012" }, ["body.testerPrompt"]],
      [{ testerPrompt: "Send Authorization: Bearer abcdefghijklmnopqrstuvwxyz123456" }, ["body.testerPrompt"]],
      [
        { criteria: [{ criterionText: "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----" }] },
        ["body.criteria.0.criterionText"],
      ],
      [{ name: "" }, ["body.name"]],
      [{ name: undefined, testerPrompt: undefined }, ["body.name", "body.testerPrompt"]],
      [{ mcpServerId: "not-a-uuid" }, ["body.mcpServerId"]],
      [{ categorySlug: "Not A Slug" }, ["body.categorySlug"]],
      [{ bogus: true }, ["body.bogus"]],
    ];
    for (const [patch, expected] of cases) {
      const res = await callJson("/workflows", { key: org.ownerKey, body: { ...base, ...patch } });
      const error = expectError(res, 400, "validation_failed");
      expect(errorFields(error), JSON.stringify(patch)).toEqual(expected.sort());
      expect(JSON.stringify(error)).not.toContain("abcdefghijklmnopqrstuvwxyz123456");
    }
    const written = await db.select().from(workflows).where(eq(workflows.orgId, org.id)).all();
    expect(written).toEqual([]);
    // Deliveries arrive within the queue's 1 s batch window: wait past it, then nothing of this org may be there.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(queue.messages.filter((m) => m.orgId === org.id)).toEqual([]);
  });

  it("reports runs whose message could not be queued as failed, and ends them", async () => {
    const org = await createOrg();
    const send = vi.spyOn(env.RUNS_QUEUE, "sendBatch").mockRejectedValue(new Error("queue down"));
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5", "claude-sonnet-4"] }).finally(() => {
      send.mockRestore();
      log.mockRestore();
    });
    expect(wf.initialDispatch).toEqual({ queued: 0, failed: 2 });
    const stored = await runsOfWorkflow(wf.workflow.id);
    expect(stored).toHaveLength(2);
    for (const run of stored) {
      expect(run).toMatchObject({ status: "fail", classification: "dispatch_failed", activeFingerprint: null });
      expect(run.error).toContain("queue down");
    }
  });

  it("requires a key, and editor to write", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const body = { name: "x", mcpServerId: source.id, testerPrompt: "p" };
    expectError(await callJson("/workflows", { body }), 401, "unauthorized");
    expectError(await callJson("/workflows", { key: await org.keyFor("viewer"), body }), 403, "forbidden");
    expect((await call("/workflows", { key: await org.keyFor("admin"), body })).status).toBe(201);
  });
});

describe("GET /workflows", () => {
  it("lists active workflows, filtered by category and categorySlug", async () => {
    const org = await createOrg();
    const a = await createWorkflow(org, { name: "a", categorySlug: "search" });
    const b = await createWorkflow(org, { name: "b", categorySlug: "billing" });
    const c = await createWorkflow(org, { name: "c" });
    const archived = await createWorkflow(org, { name: "d", categorySlug: "search" });
    expect((await call(`/workflows/${archived.workflow.id}`, { key: org.ownerKey, method: "DELETE" })).status).toBe(200);

    const names = async (q: string) =>
      (await callJson<WorkflowList>(`/workflows${q}`, { key: await org.keyFor("viewer") })).body.workflows.map((w) => w.name);
    expect(await names("")).toEqual(["a", "b", "c"]);
    expect(await names("?category=search")).toEqual(["a"]);
    expect(await names("?category=search,billing")).toEqual(["a", "b"]);
    expect(await names("?categorySlug=billing")).toEqual(["b"]);
    expect(await names("?category=none")).toEqual([]);
    const error = expectError(await callJson("/workflows?category=Bad%20Slug", { key: org.ownerKey }), 400, "validation_failed");
    expect(errorFields(error)).toEqual(["query.category"]);
    void [a, b, c];
  });

  it("shows nothing of other organizations", async () => {
    const a = await createOrg();
    const b = await createOrg();
    const wf = await createWorkflow(a);
    expect((await callJson<WorkflowList>("/workflows", { key: b.ownerKey })).body.workflows).toEqual([]);
    expectError(await callJson(`/workflows/${wf.workflow.id}`, { key: b.ownerKey }), 404, "not_found");
    expectError(await callJson("/workflows"), 401, "unauthorized");
  });
});

describe("GET /workflows/{id}", () => {
  it("returns the record with its current version and schedule, next due time included", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { schedule: { cron: "0 9 * * 1-5", timezone: "Europe/Berlin" } });
    const res = await callJson<WorkflowResponse>(`/workflows/${wf.workflow.id}`, { key: await org.keyFor("viewer") });
    expect(res.status).toBe(200);
    expect(res.body.workflow.schedule).toMatchObject({ cron: "0 9 * * 1-5", timezone: "Europe/Berlin", enabled: true });
    const next = new Date(res.body.workflow.schedule!.nextRunAt!);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    const berlinHour = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", hourCycle: "h23" }).format(next);
    expect(berlinHour).toBe("09");
    expect(res.body.currentVersion.config.testerPrompt).toBe("Search for the most recent open issue and summarize it.");
    expectError(await callJson("/workflows/nope", { key: org.ownerKey }), 400, "validation_failed");
    expectError(await callJson(`/workflows/${crypto.randomUUID()}`, { key: org.ownerKey }), 404, "not_found");
  });
});

describe("GET /workflows/{id}: the answer SQLite writes", () => {
  it("is exactly workflowResponse of the stored rows, key order included: created, patched, scheduled, archived", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, {
      description: "quotes \" and \\ and unicode é 😀 \u2028",
      schedule: { cron: "0 9 * * 1-5", timezone: "Europe/Berlin" },
      metadata: { team: "search", note: "é \"q\"" },
    });
    const same = async () => {
      const res = await call(`/workflows/${wf.workflow.id}`, { key: await org.keyFor("viewer") });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toBe(JSON.stringify(workflowResponse(await getWorkflow(db, org.id, wf.workflow.id))));
      return JSON.parse(text) as WorkflowResponse;
    };
    const first = await same();
    expect(first.workflow).toEqual(wf.workflow);
    expect(first.currentVersion).toEqual(wf.currentVersion);
    await callJson(`/workflows/${wf.workflow.id}`, { key: org.ownerKey, method: "PATCH", body: { schedule: null, description: null } });
    expect((await same()).currentVersion.version).toBe(2);
    await callJson(`/workflows/${wf.workflow.id}`, { key: org.ownerKey, method: "DELETE" });
    expect((await same()).workflow.archived).toBe(true);
  });
});

describe("PATCH /workflows/{id}", () => {
  it("writes a new immutable version per change; runs keep their version", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const id = wf.workflow.id;
    const v1 = wf.currentVersion.id;
    const res = await callJson<WorkflowResponse>(`/workflows/${id}`, {
      key: await org.keyFor("editor"),
      method: "PATCH",
      body: { testerPrompt: "New prompt", limits: { maxTurns: 5 } },
    });
    expect(res.status).toBe(200);
    expect(res.body.currentVersion.version).toBe(2);
    expect(res.body.currentVersion.id).not.toBe(v1);
    expect(res.body.workflow.testerPrompt).toBe("New prompt");
    expect(res.body.workflow.limits.maxTurns).toBe(5);
    expect(res.body.workflow.limits.timeoutSeconds).toBe(300);
    const versions = await db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, id)).all();
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
    expect((versions.find((v) => v.version === 1)!.config as { testerPrompt: string }).testerPrompt).toBe(
      "Search for the most recent open issue and summarize it.",
    );
    const initialRuns = await runsOfWorkflow(id);
    expect(initialRuns.every((r) => r.workflowVersionId === v1)).toBe(true);

    // A patch that changes nothing writes no version.
    const same = await callJson<WorkflowResponse>(`/workflows/${id}`, { key: org.ownerKey, method: "PATCH", body: { testerPrompt: "New prompt" } });
    expect(same.body.currentVersion.version).toBe(2);
  });

  it("moving to another source takes that source's default auth profile unless one is named", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const next = await createMcpSource(org, { authProfiles: [{ name: "p", type: "bearer", value: "t".repeat(20) }] });
    const res = await callJson<WorkflowResponse>(`/workflows/${wf.workflow.id}`, { key: org.ownerKey, method: "PATCH", body: { mcpServerId: next.id } });
    expect(res.status).toBe(200);
    expect(res.body.workflow).toMatchObject({ mcpServerId: next.id, defaultMcpAuthProfileId: next.defaultMcpAuthProfileId });
    const foreign = await createMcpSource(org, { authProfiles: [{ name: "q", type: "bearer", value: "u".repeat(20) }] });
    const bad = await callJson(`/workflows/${wf.workflow.id}`, {
      key: org.ownerKey,
      method: "PATCH",
      body: { defaultMcpAuthProfileId: foreign.authProfiles[0]!.id },
    });
    expect(errorFields(expectError(bad, 400, "validation_failed"))).toEqual(["body.defaultMcpAuthProfileId"]);
  });

  it("schedule: null makes the workflow manual-only", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { schedule: { cron: "*/30 * * * *" } });
    expect(wf.workflow.schedule?.nextRunAt).toEqual(expect.any(String));
    const res = await callJson<WorkflowResponse>(`/workflows/${wf.workflow.id}`, { key: org.ownerKey, method: "PATCH", body: { schedule: null } });
    expect(res.status).toBe(200);
    expect(res.body.workflow.schedule).toBeNull();
    const row = await db.select().from(workflows).where(eq(workflows.id, wf.workflow.id)).get();
    expect(row).toMatchObject({ scheduleEnabled: false, nextDueAt: null, scheduleCron: null });
  });

  it("preflights the merged result, names bad fields, and guards roles and tenancy", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const id = wf.workflow.id;
    const bad = await callJson(`/workflows/${id}`, {
      key: org.ownerKey,
      method: "PATCH",
      body: { testerModelIds: ["nope"], testerPrompt: "token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB" },
    });
    expect(errorFields(expectError(bad, 400, "validation_failed"))).toEqual(["body.testerModelIds.0", "body.testerPrompt"]);
    expectError(await callJson(`/workflows/${id}`, { method: "PATCH", body: {} }), 401, "unauthorized");
    expectError(await callJson(`/workflows/${id}`, { key: await org.keyFor("viewer"), method: "PATCH", body: {} }), 403, "forbidden");
    const other = await createOrg();
    expectError(await callJson(`/workflows/${id}`, { key: other.ownerKey, method: "PATCH", body: { name: "x" } }), 404, "not_found");
  });
});

describe("DELETE /workflows/{id}", () => {
  it("archives: ok, harmless twice, history readable, no longer listed, patched or dispatched", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const id = wf.workflow.id;
    const first = await callJson(`/workflows/${id}`, { key: await org.keyFor("editor"), method: "DELETE" });
    expect(first).toMatchObject({ status: 200, body: { ok: true } });
    expect((await callJson(`/workflows/${id}`, { key: org.ownerKey, method: "DELETE" })).body).toEqual({ ok: true });
    const got = await callJson<WorkflowResponse>(`/workflows/${id}`, { key: org.ownerKey });
    expect(got.body.workflow.archived).toBe(true);
    expect(got.body.workflow.archivedAt).toBeTruthy();
    expect((await callJson<WorkflowList>("/workflows", { key: org.ownerKey })).body.workflows).toEqual([]);
    expectError(await callJson(`/workflows/${id}/runs`, { key: org.ownerKey, body: {} }), 409, "conflict");
    expectError(await callJson(`/workflows/${id}`, { key: org.ownerKey, method: "PATCH", body: { name: "n" } }), 409, "conflict");
    expect(await runsOfWorkflow(id)).toHaveLength(1);

    expectError(await callJson(`/workflows/${id}`, { key: await org.keyFor("viewer"), method: "DELETE" }), 403, "forbidden");
    const other = await createOrg();
    expectError(await callJson(`/workflows/${id}`, { key: other.ownerKey, method: "DELETE" }), 404, "not_found");
  });
});

describe("workflows route guards", () => {
  it("answers 401 on every route without a key", async () => {
    const id = crypto.randomUUID();
    for (const [method, path] of [
      ["GET", "/workflows"],
      ["GET", `/workflows/${id}`],
      ["PATCH", `/workflows/${id}`],
      ["DELETE", `/workflows/${id}`],
      ["POST", `/workflows/${id}/runs`],
    ] as const) {
      expectError(await callJson(path, { method, body: method === "GET" || method === "DELETE" ? undefined : {} }), 401, "unauthorized");
    }
  });
  void (null as unknown as TestOrg);
});
