import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { d1Statement, rowReader, rowWriter } from "../../src/db/client";
import { runs, workflows, workflowVersions } from "../../src/db/schema";
import { createOrg, db } from "../helpers";
import { createRun, createWorkflow } from "../runs/fixtures";

// rowReader decodes D1's raw rows itself: what it answers must be exactly what drizzle's own mapping answers.
const runById = rowReader({ run: runs }, (q) =>
  q.from(runs).where(and(eq(runs.orgId, sql.placeholder("orgId")), eq(runs.id, sql.placeholder("id")))),
);
const drizzleRun = (orgId: string, id: string) =>
  db.select().from(runs).where(and(eq(runs.orgId, orgId), eq(runs.id, id))).get();

// The placeholders in the other order than the values object's, and two tables joined.
const workflowById = rowReader({ workflow: workflows, version: workflowVersions }, (q) =>
  q
    .from(workflows)
    .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
    .where(and(eq(workflows.id, sql.placeholder("id")), eq(workflows.orgId, sql.placeholder("orgId")))),
);
const drizzleWorkflow = (orgId: string, id: string) =>
  db
    .select({ workflow: workflows, version: workflowVersions })
    .from(workflows)
    .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
    .where(and(eq(workflows.orgId, orgId), eq(workflows.id, id)))
    .get();

describe("rowReader", () => {
  it("answers a run with every column set exactly as drizzle maps it: dates, JSON, numbers, enums", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const run = await createRun(org.id, wf, {
      status: "fail",
      reason: "Required criterion failed: \"quotes\" and \u2028",
      skillMode: "skill",
      skillVersionId: "skill-1",
      baselineRunId: crypto.randomUUID(),
      activeFingerprint: "fp",
      scheduleDueAt: new Date(Date.UTC(2026, 10, 3, 9, 0, 0, 123)),
      queueAttempts: 2,
      evaluatorOutput: { verdict: "fail", criteria: [{ id: "c1", score: 0.25, notes: null }], nested: { deep: [1, "two", true] } },
      costUsd: 0.1 + 0.2,
      error: "boom",
      mcpProtocolVersion: "2026-07-28",
      mcpProtocolEra: "2026",
      skillDigest: "sha256:abc",
      attempt: 3,
      retryOfRunId: crypto.randomUUID(),
    });
    const ours = await runById(db, { orgId: org.id, id: run.id });
    const theirs = await drizzleRun(org.id, run.id);
    expect(theirs).toBeDefined();
    expect(ours).toEqual({ run: theirs });
    expect(ours!.run.createdAt).toBeInstanceOf(Date);
    expect(ours!.run.scheduleDueAt!.getTime()).toBe(Date.UTC(2026, 10, 3, 9, 0, 0, 123));
    expect(ours!.run.evaluatorOutput).toEqual({ verdict: "fail", criteria: [{ id: "c1", score: 0.25, notes: null }], nested: { deep: [1, "two", true] } });
    expect(ours!.run.costUsd).toBe(0.1 + 0.2);
  });

  it("answers null columns as null, as drizzle does", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const run = await createRun(org.id, wf, { status: "queued" });
    const ours = await runById(db, { orgId: org.id, id: run.id });
    expect(ours).toEqual({ run: await drizzleRun(org.id, run.id) });
    expect(ours!.run.startedAt).toBeNull();
    expect(ours!.run.evaluatorOutput).toBeNull();
  });

  it("reads joined tables under their keys, booleans and JSON configs included, and binds placeholders by name", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    await db
      .update(workflows)
      .set({ scheduleEnabled: true, scheduleCron: "0 9 * * *", scheduleTimezone: "UTC", nextDueAt: new Date(Date.UTC(2026, 11, 5, 9)), categorySlug: "search" })
      .where(eq(workflows.id, wf.id))
      .run();
    const ours = await workflowById(db, { orgId: org.id, id: wf.id });
    const theirs = await drizzleWorkflow(org.id, wf.id);
    expect(theirs).toBeDefined();
    expect(ours).toEqual(theirs);
    expect(ours!.workflow.scheduleEnabled).toBe(true);
    expect(ours!.version.id).toBe(wf.versionId);
  });

  it("answers undefined when no row matches, another organization's included", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const wf = await createWorkflow(org.id);
    const run = await createRun(org.id, wf);
    expect(await runById(db, { orgId: other.id, id: run.id })).toBeUndefined();
    expect(await runById(db, { orgId: org.id, id: crypto.randomUUID() })).toBeUndefined();
    expect(await workflowById(db, { orgId: other.id, id: wf.id })).toBeUndefined();
  });
});

// rowWriter binds a whole row to an insert rendered once: what it stores must be exactly what drizzle's insert
// of the same row stores, column by column (SQLite's own values and types).
const insertRun = rowWriter(runs, (d, values) => d.insert(runs).values(values));
const stored = async (id: string) => {
  const { results } = await db.$client
    .prepare("SELECT *, typeof(evaluator_output) AS output_type, typeof(created_at) AS created_type FROM runs WHERE id = ?")
    .bind(id)
    .all<Record<string, unknown>>();
  const { id: _id, active_fingerprint: fp, ...rest } = results[0]!;
  return { ...rest, fp };
};

describe("rowWriter", () => {
  for (const [label, overrides] of [
    ["every column set: dates, JSON, numbers, enums", { status: "fail", reason: "\"quotes\" and \u2028 ü", evaluatorOutput: { verdict: "fail", nested: [1, null, "two"] }, costUsd: 0.1 + 0.2, scheduleDueAt: new Date(Date.UTC(2026, 10, 3, 9, 0, 0, 123)), activeFingerprint: "fp-all", attempt: 3 }],
    ["null columns, JSON included, as SQL NULL", { status: "queued", evaluatorOutput: null, startedAt: null, costUsd: null }],
  ] as const) {
    it(`stores what drizzle's insert stores: ${label}`, async () => {
      const org = await createOrg();
      const wf = await createWorkflow(org.id);
      const viaDrizzle = (await drizzleRun(org.id, (await createRun(org.id, wf, overrides as never)).id))!;
      const row = { ...viaDrizzle, id: crypto.randomUUID(), activeFingerprint: viaDrizzle.activeFingerprint && `${viaDrizzle.activeFingerprint}-2` };
      await db.$client.batch([insertRun(db, row)]);
      const theirs = await stored(viaDrizzle.id);
      expect(await stored(row.id)).toEqual({ ...theirs, fp: theirs.fp === null ? null : `${theirs.fp as string}-2` });
      expect(await drizzleRun(org.id, row.id)).toEqual(row);
    });
  }

  it("runs drizzle queries alongside in one D1 batch (d1Statement), all or nothing", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org.id);
    const row = { ...(await drizzleRun(org.id, (await createRun(org.id, wf)).id))!, id: crypto.randomUUID() };
    const rename = d1Statement(db, db.update(workflows).set({ name: "renamed in the batch" }).where(eq(workflows.id, wf.id)));
    await db.$client.batch([rename, insertRun(db, row)]);
    expect((await drizzleWorkflow(org.id, wf.id))!.workflow.name).toBe("renamed in the batch");
    expect(await drizzleRun(org.id, row.id)).toEqual(row);

    // The same run id again: the insert fails, and the update before it in the batch is undone.
    const again = d1Statement(db, db.update(workflows).set({ name: "never" }).where(eq(workflows.id, wf.id)));
    await expect(db.$client.batch([again, insertRun(db, row)])).rejects.toThrow(/UNIQUE|PRIMARY KEY/);
    expect((await drizzleWorkflow(org.id, wf.id))!.workflow.name).toBe("renamed in the batch");
  });
});

