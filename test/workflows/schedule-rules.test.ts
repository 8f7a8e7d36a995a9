import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { workflows } from "../../src/db/schema";
import { callJson, createOrg, db, expectError } from "../helpers";
import { captureQueue, createMcpSource, createWorkflow, type CreatedWorkflow, type WorkflowResponse } from "./fixtures";

captureQueue();

async function createWithSchedule(schedule: Record<string, unknown>) {
  const org = await createOrg();
  const source = await createMcpSource(org);
  return callJson<CreatedWorkflow>("/workflows", {
    key: org.ownerKey,
    body: { name: "wf", mcpServerId: source.id, testerPrompt: "Do it.", testerModelIds: ["gpt-5"], schedule },
  });
}

/** The one field issue of a 400, as { field, message }. */
function onlyIssue(res: { status: number; body: unknown }) {
  const fields = expectError(res, 400, "validation_failed").details?.fields ?? [];
  expect(fields).toHaveLength(1);
  return fields[0]!;
}

describe("schedule rules", () => {
  it("refuses a schedule that fires less than 5 minutes apart anywhere in its cycle", async () => {
    expect(onlyIssue(await createWithSchedule({ cron: "0,10,20,30-59 12 * * *" }))).toEqual({
      field: "body.schedule.cron",
      message: "Scheduled runs must be at least 5 minutes apart: 12:30 and 12:31 are 1 minute apart",
    });
    expect(onlyIssue(await createWithSchedule({ cron: "0,58 0,23 * * *", timezone: "Europe/Berlin" }))).toEqual({
      field: "body.schedule.cron",
      message: "Scheduled runs must be at least 5 minutes apart: 23:58 and 00:00 on the next day are 2 minutes apart",
    });
    // Only on Mondays: 23:58 is not followed by a firing 00:00.
    expect((await createWithSchedule({ cron: "0,58 0,23 * * 1" })).status).toBe(201);
  });

  it("names the cron field and the value that is wrong", async () => {
    expect(onlyIssue(await createWithSchedule({ cron: "0 9 1 13 *" }))).toEqual({
      field: "body.schedule.cron",
      message: "month: 13 is out of range 1-12",
    });
    expect(onlyIssue(await createWithSchedule({ cron: "0 9 L * *" }))).toEqual({
      field: "body.schedule.cron",
      message: "day-of-month: 'L' uses a cron extension (L, W, #, ?), which schedules do not support",
    });
  });

  it("stores the canonical spelling of a time zone sent in another case", async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org, { testerModelIds: ["gpt-5"], schedule: { cron: "0 9 * * 1-5", timezone: "europe/berlin" } });
    expect(wf.workflow.schedule).toMatchObject({ cron: "0 9 * * 1-5", timezone: "Europe/Berlin" });
    expect(wf.currentVersion.config.schedule).toMatchObject({ timezone: "Europe/Berlin" });
    const got = await callJson<WorkflowResponse>(`/workflows/${wf.workflow.id}`, { key: org.ownerKey });
    expect(got.body.workflow.schedule).toMatchObject({ timezone: "Europe/Berlin" });
    expect(got.body.currentVersion.config.schedule).toMatchObject({ timezone: "Europe/Berlin" });

    const patched = await callJson<WorkflowResponse>(`/workflows/${wf.workflow.id}`, {
      key: org.ownerKey,
      method: "PATCH",
      body: { schedule: { cron: "0 9 * * *", timezone: "utc" } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.workflow.schedule).toMatchObject({ cron: "0 9 * * *", timezone: "UTC" });
    const row = await db.select().from(workflows).where(eq(workflows.id, wf.workflow.id)).get();
    expect(row?.nextDueAt?.getUTCHours()).toBe(9);
  });
});
