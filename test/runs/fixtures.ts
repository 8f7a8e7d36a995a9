import { runEvaluations, runs, runToolCalls, runTraces, workflows, workflowVersions } from "../../src/db/schema";
import type { WorkflowConfig } from "../../src/workflows/schemas";
import { db } from "../helpers";

export interface TestWorkflow {
  id: string;
  name: string;
  versionId: string;
  version: number;
}

/** A workflow with one version, inserted directly. */
export async function createWorkflow(orgId: string, name = `Workflow ${crypto.randomUUID().slice(0, 8)}`): Promise<TestWorkflow> {
  const id = crypto.randomUUID();
  const versionId = crypto.randomUUID();
  const now = new Date();
  await db.batch([
    db.insert(workflows).values({
      id,
      orgId,
      name,
      currentVersionId: versionId,
      currentVersionNumber: 1,
      createdAt: now,
      updatedAt: now,
    }),
    // A bare config: the run read surface never looks into it.
    db.insert(workflowVersions).values({ id: versionId, workflowId: id, orgId, version: 1, config: {} as WorkflowConfig, createdAt: now }),
  ]);
  return { id, name, versionId, version: 1 };
}

type RunRow = typeof runs.$inferInsert;

/**
 * A run of `workflow`, inserted directly. Defaults to a `pass` run created a minute ago that took 2 s;
 * `overrides` replace any column.
 */
export async function createRun(orgId: string, workflow: TestWorkflow, overrides: Partial<RunRow> = {}): Promise<RunRow & { id: string }> {
  const createdAt = overrides.createdAt ?? new Date(Date.now() - 60_000);
  const status = overrides.status ?? "pass";
  const terminal = status !== "queued" && status !== "running";
  const startedAt = status === "queued" ? null : new Date(createdAt.getTime() + 1_000);
  const row: RunRow & { id: string } = {
    id: crypto.randomUUID(),
    orgId,
    workflowId: workflow.id,
    workflowVersionId: workflow.versionId,
    workflowVersion: workflow.version,
    workflowName: workflow.name,
    status,
    classification: status === "pass" ? "all_criteria_met" : status === "fail" ? "required_criteria_failed" : status === "partial" ? "optional_criteria_failed" : null,
    trigger: "manual",
    reason: null,
    modelId: "claude-sonnet-4-5",
    timeoutSeconds: 300,
    createdAt,
    enqueuedAt: new Date(createdAt.getTime() + 10),
    startedAt,
    finishedAt: terminal && startedAt ? new Date(startedAt.getTime() + 2_000) : null,
    durationMs: terminal ? 2_000 : null,
    costUsd: terminal ? 0.0125 : null,
    inputTokens: terminal ? 1200 : null,
    outputTokens: terminal ? 340 : null,
    ...overrides,
  };
  await db.insert(runs).values(row).run();
  return row;
}

export async function addTrace(runId: string, spans: unknown[]) {
  await db.insert(runTraces).values({ runId, spans, createdAt: new Date() }).run();
}

export async function addToolCalls(
  runId: string,
  calls: Array<{ toolName: string; arguments?: unknown; result?: unknown; isError?: boolean; durationMs?: number; seq?: number }>,
) {
  const start = Date.now() - 30_000;
  const rows = calls.map((c, i) => ({
    id: crypto.randomUUID(),
    runId,
    seq: c.seq ?? i,
    toolName: c.toolName,
    arguments: c.arguments ?? {},
    result: c.result ?? null,
    isError: c.isError ?? false,
    durationMs: c.durationMs ?? 100 + i,
    startedAt: new Date(start + (c.seq ?? i) * 1000),
  }));
  if (rows.length > 0) await db.insert(runToolCalls).values(rows).run();
  return rows;
}

export async function addEvaluation(
  runId: string,
  evaluation: Partial<typeof runEvaluations.$inferInsert> & { criteria: unknown[] },
) {
  const row = {
    runId,
    verdict: "pass" as const,
    judgeModelId: "claude-opus-4-1",
    summary: "All criteria met.",
    createdAt: new Date(),
    ...evaluation,
  };
  await db.insert(runEvaluations).values(row).run();
  return row;
}
