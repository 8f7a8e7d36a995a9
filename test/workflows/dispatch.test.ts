import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client";
import { runs } from "../../src/db/schema";
import type { RunMessage } from "../../src/env";
import { dispatchWorkflowRuns } from "../../src/workflows/commands";
import { call, callJson, createOrg, db, expectError, testContext } from "../helpers";
import { captureQueue, createWorkflow, runsOfWorkflow, type DispatchResponse } from "./fixtures";

const queue = captureQueue();

async function setup(models = ["armature/scripted"]) {
  const org = await createOrg();
  const wf = await createWorkflow(org, { testerModelIds: models });
  return { org, id: wf.workflow.id, wf };
}

const dispatchPath = (id: string) => `/workflows/${id}/runs`;

describe("POST /workflows/{id}/runs", () => {
  it("dispatches the docs' example: 202, one queued run per target, one queue message per run", async () => {
    const { org, id } = await setup(["claude-sonnet-4", "gpt-5"]);
    const res = await callJson<DispatchResponse>(dispatchPath(id), {
      key: await org.keyFor("editor"),
      body: { reason: "post-deploy smoke test", idempotencyKey: "deploy-abc123" },
    });
    expect(res.status).toBe(202);
    expect(res.body.queued).toBe(2);
    expect(res.body.failed).toBe(0);
    expect(res.body.runs).toHaveLength(2);
    for (const run of res.body.runs) {
      expect(run).toMatchObject({ status: "queued", trigger: "manual", reason: "post-deploy smoke test", workflowId: id, reused: false });
    }
    expect(res.body.runs.map((r) => r.modelId).sort()).toEqual(["claude-sonnet-4", "gpt-5"]);
    const ids = res.body.runs.map((r) => r.id);
    expect(await queue.waitForRuns(ids)).toHaveLength(2);
    expect(queue.for(ids).map((m) => m.orgId)).toEqual([org.id, org.id]);
    const stored = await db.select().from(runs).where(eq(runs.id, ids[0]!)).get();
    expect(stored).toMatchObject({ trigger: "manual", reason: "post-deploy smoke test", status: "queued" });
  });

  it("works with no body at all", async () => {
    const { org, id } = await setup();
    const res = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, method: "POST" });
    expect(res.status).toBe(202);
    expect(res.body.runs).toHaveLength(1);
  });

  it("overrides targets with testerModelIds or testerTargets, checked against the catalog", async () => {
    const { org, id } = await setup();
    const byIds = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: { testerModelIds: ["gpt-5", "claude-sonnet-4"] } });
    expect(byIds.body.runs.map((r) => r.modelId)).toEqual(["gpt-5", "claude-sonnet-4"]);
    const byTargets = await callJson<DispatchResponse>(dispatchPath(id), {
      key: org.ownerKey,
      body: { testerTargets: [{ modelId: "gpt-5", skillMode: "skill", skillVersionId: "sv-1" }] },
    });
    expect(byTargets.body.runs[0]).toMatchObject({ modelId: "gpt-5", skillMode: "skill", skillVersionId: "sv-1" });
    const bad = await callJson(dispatchPath(id), { key: org.ownerKey, body: { testerModelIds: ["gpt-5", "nope"] } });
    expect(expectError(bad, 400, "validation_failed").details?.fields).toEqual([
      { field: "body.testerModelIds.1", message: "Unknown model 'nope': not in the model catalog" },
    ]);
    const badTarget = await callJson(dispatchPath(id), { key: org.ownerKey, body: { testerTargets: [{ modelId: "x" }] } });
    expect(expectError(badTarget, 400, "validation_failed").details?.fields?.[0]?.field).toBe("body.testerTargets.0.modelId");
  });

  describe("idempotencyKey", () => {
    it("replays the first dispatch for the same key and body: same ids, no new runs, Idempotent-Replayed", async () => {
      const { org, id } = await setup(["gpt-5", "claude-sonnet-4"]);
      const body = { reason: "ci", idempotencyKey: "deploy-1" };
      const first = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body });
      expect(first.status).toBe(202);
      expect(first.res.headers.get("idempotent-replayed")).toBeNull();
      const again = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: { idempotencyKey: "deploy-1", reason: "ci" } });
      expect(again.status).toBe(202);
      expect(again.res.headers.get("idempotent-replayed")).toBe("true");
      expect(again.body.runs.map((r) => r.id)).toEqual(first.body.runs.map((r) => r.id));
      expect((await runsOfWorkflow(id)).filter((r) => r.trigger === "manual")).toHaveLength(2);
      // The header form is the same key.
      const viaHeader = await callJson<DispatchResponse>(dispatchPath(id), {
        key: org.ownerKey,
        body: { reason: "ci" },
        headers: { "idempotency-key": "deploy-1" },
      });
      expect(viaHeader.res.headers.get("idempotent-replayed")).toBe("true");
      expect(await queue.waitForRuns(first.body.runs.map((r) => r.id))).toHaveLength(2);
    });

    it("answers the same key with a different body with 422 idempotency_key_reused", async () => {
      const { org, id } = await setup();
      expect((await call(dispatchPath(id), { key: org.ownerKey, body: { idempotencyKey: "k", reason: "a" } })).status).toBe(202);
      const res = await callJson(dispatchPath(id), { key: org.ownerKey, body: { idempotencyKey: "k", reason: "b" } });
      const error = expectError(res, 422, "idempotency_key_reused");
      expect(error.details?.idempotencyKey).toBe("k");
      const mismatch = await callJson(dispatchPath(id), {
        key: org.ownerKey,
        body: { idempotencyKey: "k" },
        headers: { "idempotency-key": "other" },
      });
      expect(expectError(mismatch, 400, "validation_failed").details?.fields?.[0]?.field).toBe("body.idempotencyKey");
    });

    it("creates one set of runs for concurrent requests with one key", async () => {
      const { org, id } = await setup(["gpt-5", "claude-sonnet-4"]);
      const body = { idempotencyKey: "race", reason: "r" };
      const results = await Promise.all(
        Array.from({ length: 5 }, () => callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body })),
      );
      expect(results.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
      const idSets = results.map((r) => r.body.runs.map((x) => x.id).sort().join());
      expect(new Set(idSets).size).toBe(1);
      expect((await runsOfWorkflow(id)).filter((r) => r.trigger === "manual")).toHaveLength(2);
      expect(results.filter((r) => r.res.headers.get("idempotent-replayed") === "true")).toHaveLength(4);
    });

    it("keeps keys per organization", async () => {
      const a = await setup();
      const b = await setup();
      const ra = await callJson<DispatchResponse>(dispatchPath(a.id), { key: a.org.ownerKey, body: { idempotencyKey: "same" } });
      const rb = await callJson<DispatchResponse>(dispatchPath(b.id), { key: b.org.ownerKey, body: { idempotencyKey: "same" } });
      expect(ra.status).toBe(202);
      expect(rb.status).toBe(202);
      expect(rb.res.headers.get("idempotent-replayed")).toBeNull();
      expect(rb.body.runs[0]?.id).not.toBe(ra.body.runs[0]?.id);
    });

    it("expires after 24 hours", async () => {
      const { org, id } = await setup();
      const first = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: { idempotencyKey: "old", forceNewRun: true } });
      await env.DB.prepare("UPDATE dispatch_idempotency SET created_at = created_at - 86400001 WHERE key = 'old'").run();
      const later = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: { idempotencyKey: "old", forceNewRun: true } });
      expect(later.status).toBe(202);
      expect(later.res.headers.get("idempotent-replayed")).toBeNull();
      expect(later.body.runs[0]?.id).not.toBe(first.body.runs[0]?.id);
    });
  });

  it("without a key returns an identical queued or running run instead of a new one, unless forceNewRun", async () => {
    const { org, id } = await setup();
    const [initial] = await runsOfWorkflow(id);
    // The initial run of the same version and target is still queued: that is the identical run.
    const first = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: {} });
    expect(first.body.runs[0]).toMatchObject({ id: initial!.id, reused: true, status: "queued", trigger: "initial" });
    const second = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: { reason: "again" } });
    expect(second.body.runs[0]).toMatchObject({ id: first.body.runs[0]?.id, reused: true });
    expect(second.body.queued).toBe(0);
    const forced = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: { forceNewRun: true } });
    expect(forced.body.runs[0]?.id).not.toBe(first.body.runs[0]?.id);
    expect(forced.body.runs[0]?.reused).toBe(false);
    // A different target is a different dispatch.
    const other = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: { testerModelIds: ["gpt-5"] } });
    expect(other.body.runs[0]?.reused).toBe(false);
    // Once the run has ended, an identical dispatch makes a new run.
    await db.update(runs).set({ status: "pass", activeFingerprint: null }).where(eq(runs.id, first.body.runs[0]!.id)).run();
    const after = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: {} });
    expect(after.body.runs[0]?.id).not.toBe(first.body.runs[0]?.id);
  });

  it("stores baselineRunId when it is a run of the same workflow, else 400", async () => {
    const { org, id } = await setup();
    const [initial] = await runsOfWorkflow(id);
    const res = await callJson<DispatchResponse>(dispatchPath(id), { key: org.ownerKey, body: { baselineRunId: initial!.id } });
    expect(res.status).toBe(202);
    expect(res.body.runs[0]?.baselineRunId).toBe(initial!.id);
    const otherWf = await createWorkflow(org);
    const wrong = await callJson(dispatchPath(otherWf.workflow.id), { key: org.ownerKey, body: { baselineRunId: initial!.id } });
    expect(expectError(wrong, 400, "validation_failed").details?.fields?.[0]?.field).toBe("body.baselineRunId");
    const unknown = await callJson(dispatchPath(id), { key: org.ownerKey, body: { baselineRunId: crypto.randomUUID() } });
    expectError(unknown, 400, "validation_failed");
    const notUuid = await callJson(dispatchPath(id), { key: org.ownerKey, body: { baselineRunId: "run_1" } });
    expect(expectError(notUuid, 400, "validation_failed").details?.fields?.[0]?.field).toBe("body.baselineRunId");
  });

  it("guards roles and tenancy", async () => {
    const { org, id } = await setup();
    expectError(await callJson(dispatchPath(id), { key: await org.keyFor("viewer"), body: {} }), 403, "forbidden");
    const other = await createOrg();
    expectError(await callJson(dispatchPath(id), { key: other.ownerKey, body: {} }), 404, "not_found");
    expectError(await callJson(dispatchPath(id), { body: {} }), 401, "unauthorized");
    expectError(await callJson(dispatchPath(crypto.randomUUID()), { key: org.ownerKey, body: {} }), 404, "not_found");
    expectError(await callJson(dispatchPath(id), { key: org.ownerKey, body: { forceNewRun: "yes" } }), 400, "validation_failed");
  });
});

describe("dispatch's round trips", () => {
  /** The D1 binding behind a recorder: each statement execution and each batch is one round trip. */
  function recordingD1(inner: D1Database) {
    const calls: string[] = [];
    const originals = new WeakMap<object, D1PreparedStatement>();
    const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
      const proxy = new Proxy(stmt, {
        get(target, prop) {
          const value = Reflect.get(target, prop) as unknown;
          if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args));
          if (typeof prop === "string" && ["all", "raw", "first", "run"].includes(prop)) {
            return (...args: unknown[]) => {
              calls.push(prop);
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      originals.set(proxy, stmt);
      return proxy;
    };
    const d1 = {
      prepare: (query: string) => wrap(inner.prepare(query)),
      batch: (stmts: D1PreparedStatement[]) => {
        calls.push("batch");
        return inner.batch(stmts.map((s) => originals.get(s) ?? s));
      },
      exec: (query: string) => inner.exec(query),
    } as unknown as D1Database;
    return { d1, calls };
  }

  function recordingQueue() {
    const sent: RunMessage[][] = [];
    const queue = {
      send: vi.fn(async () => {
        throw new Error("dispatch must use sendBatch");
      }),
      sendBatch: vi.fn(async (messages: Iterable<MessageSendRequest<RunMessage>>) => {
        sent.push([...messages].map((m) => m.body));
      }),
    } as unknown as Queue<RunMessage>;
    return { queue, sent };
  }

  for (const forceNewRun of [true, false]) {
    it(`writes all runs in one D1 batch and sends them in one sendBatch (forceNewRun: ${forceNewRun})`, async () => {
      const { org, id } = await setup(["claude-sonnet-4", "gpt-5"]);
      // The initial runs end, so a foldable dispatch has nothing to fold into.
      await db.update(runs).set({ status: "pass", activeFingerprint: null }).where(eq(runs.workflowId, id)).run();
      const { d1, calls } = recordingD1(env.DB);
      const { queue: q, sent } = recordingQueue();
      const deps = { ...testContext(), db: createDb(d1), queue: q };
      const result = await dispatchWorkflowRuns(deps, org.id, id, { reason: "round trips", forceNewRun });
      expect(result.queued).toBe(2);
      expect(calls.filter((c) => c === "batch")).toHaveLength(1);
      // The workflow read and the batch; a foldable dispatch also looks up the active runs (one read for all
      // targets) and checks which of its inserts landed (one read).
      expect(calls).toHaveLength(forceNewRun ? 2 : 4);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.map((m) => m.runId).sort()).toEqual(result.runs.map((r) => r.id).sort());
      const stored = await runsOfWorkflow(id);
      const dispatched = stored.filter((r) => result.runs.some((d) => d.id === r.id));
      expect(dispatched.map((r) => r.activeFingerprint === null)).toEqual([forceNewRun, forceNewRun]);
    });
  }

  it("folds a repeated dispatch into the active runs with one look-up, sending nothing", async () => {
    const { org, id } = await setup(["claude-sonnet-4", "gpt-5"]);
    const first = await dispatchWorkflowRuns({ ...testContext(), queue: recordingQueue().queue }, org.id, id, {});
    const { d1, calls } = recordingD1(env.DB);
    const { queue: q, sent } = recordingQueue();
    const again = await dispatchWorkflowRuns({ ...testContext(), db: createDb(d1), queue: q }, org.id, id, {});
    expect(again.runs.map((r) => r.reused)).toEqual([true, true]);
    expect(again.runs.map((r) => r.id).sort()).toEqual(first.runs.map((r) => r.id).sort());
    expect(calls).toEqual(["raw", "raw"]);
    expect(sent).toHaveLength(0);
  });
});
