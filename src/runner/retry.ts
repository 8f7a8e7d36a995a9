import { and, eq } from "drizzle-orm";
import type { AppContext } from "../context";
import { workflowVersions } from "../db/schema";
import type { RunOutcome, RunRow } from "../runs/lifecycle";
import { dispatchRuns } from "../workflows/dispatch";
import { getWorkflow } from "../workflows/store";

/**
 * The workflow's retryPolicy: a run that ended in an outcome its `retryOn` names (`infrastructure` for a
 * failure of the machinery rather than of the source, `fail`, `partial`) is run again as a new run of the
 * same version and target, linked by `retryOfRunId`, with `attempt` one higher, delivered after
 * `backoffSeconds`, until `maxAttempts` runs were made. Archived workflows are not retried.
 */
export async function scheduleRetry(ctx: AppContext, run: RunRow, outcome: RunOutcome, infrastructure: boolean): Promise<void> {
  const version = await ctx.db
    .select()
    .from(workflowVersions)
    .where(and(eq(workflowVersions.id, run.workflowVersionId), eq(workflowVersions.orgId, run.orgId)))
    .get();
  if (!version) return;
  const policy = version.config.retryPolicy;
  const reason = infrastructure ? "infrastructure" : outcome.status === "fail" ? "fail" : outcome.status === "partial" ? "partial" : null;
  if (!reason || !policy.retryOn.includes(reason) || run.attempt >= policy.maxAttempts) return;
  const current = await getWorkflow(ctx.db, run.orgId, run.workflowId);
  if (current.workflow.archivedAt) return;
  const attempt = run.attempt + 1;
  await dispatchRuns(ctx, {
    orgId: run.orgId,
    current: { workflow: current.workflow, version },
    targets: [{ modelId: run.modelId, skillMode: run.skillMode, skillVersionId: run.skillVersionId }],
    trigger: run.trigger,
    reason: `retry ${attempt - 1} of run ${run.id} (${outcome.classification})`,
    baselineRunId: run.baselineRunId,
    forceNewRun: true,
    retry: { ofRunId: run.retryOfRunId ?? run.id, attempt },
    delaySeconds: policy.backoffSeconds,
  });
  ctx.log.info("run retry scheduled", { runId: run.id, attempt, backoffSeconds: policy.backoffSeconds });
}
