import { and, eq } from "drizzle-orm";
import type { AppContext } from "../context";
import { runs } from "../db/schema";
import { validationError } from "../lib/errors";
import { ApiError } from "../lib/errors";
import { defaultTesterModel } from "../models/catalog";
import type { CreateWorkflowInput, DispatchInput, UpdateWorkflowInput } from "./schemas";
import { dispatchRequestHash, dispatchRuns, replayDispatch, type DispatchDeps, type DispatchResult } from "./dispatch";
import {
  applyUpdate,
  configFromCreate,
  duplicateTargetIssues,
  preflightWorkflow,
  resolveTargets,
  targetIssues,
  targetSourceField,
} from "./config";
import {
  getWorkflow,
  insertWorkflowStatements,
  workflowResponse,
  newWorkflowRows,
  writeNextVersion,
  type WorkflowWithVersion,
} from "./store";

/** What the workflow commands need from the context. */
export type CommandDeps = DispatchDeps & Pick<AppContext, "config">;

/**
 * Creates a workflow after the safety preflight and queues its initial dispatch window: the workflow, its
 * first version and the initial runs are written in one batch.
 */
export async function createWorkflow(deps: CommandDeps, orgId: string, input: CreateWorkflowInput) {
  const defaultModel = defaultTesterModel(deps.config.defaultTesterModel);
  const config = configFromCreate(input, defaultModel);
  const { defaultAuthProfileId } = await preflightWorkflow(deps.db, orgId, config, "create");
  // An unnamed auth profile falls back to the source's default.
  if (input.defaultMcpAuthProfileId === undefined) config.defaultMcpAuthProfileId = defaultAuthProfileId;
  const rows = newWorkflowRows(orgId, config, deps.now());
  const dispatch = await dispatchRuns(deps, {
    orgId,
    current: rows,
    targets: config.testerTargets,
    trigger: "initial",
    reason: "initial dispatch window",
    with: [...insertWorkflowStatements(deps.db, rows)],
  });
  return { ...workflowResponse(rows), initialDispatch: { queued: dispatch.queued, failed: dispatch.failed } };
}

/** Applies a PATCH: preflights the merged config and writes it as the next version (no-op when nothing changed). */
export async function updateWorkflow(deps: CommandDeps, orgId: string, id: string, patch: UpdateWorkflowInput) {
  const current = await getWorkflow(deps.db, orgId, id);
  if (current.workflow.archivedAt) throw new ApiError("conflict", "The workflow is archived and cannot be changed");
  const next = applyUpdate(current.version.config, patch, defaultTesterModel(deps.config.defaultTesterModel));
  if (JSON.stringify(next) === JSON.stringify(current.version.config)) return workflowResponse(current);
  const { defaultAuthProfileId } = await preflightWorkflow(deps.db, orgId, next, "update");
  // A new source without a named profile uses that source's default, as on create.
  if (patch.mcpServerId !== undefined && patch.defaultMcpAuthProfileId === undefined) {
    next.defaultMcpAuthProfileId = defaultAuthProfileId;
  }
  return workflowResponse(await writeNextVersion(deps.db, current, next, deps.now()));
}

/** POST /workflows/{id}/runs: a manual dispatch of the current version, or of the override targets. */
export async function dispatchWorkflowRuns(
  deps: CommandDeps,
  orgId: string,
  id: string,
  input: DispatchInput,
): Promise<DispatchResult> {
  const idempotencyKey = input.idempotencyKey;
  const current: WorkflowWithVersion = await getWorkflow(deps.db, orgId, id);
  const idempotency = idempotencyKey
    ? { key: idempotencyKey, requestHash: await dispatchRequestHash(id, { ...input, idempotencyKey: undefined }) }
    : undefined;
  // A retry of a dispatch that already happened gets its answer, even if the workflow was archived since.
  if (idempotency) {
    const earlier = await replayDispatch(deps, orgId, idempotency.key, idempotency.requestHash);
    if (earlier) return earlier;
  }
  if (current.workflow.archivedAt) throw new ApiError("conflict", "The workflow is archived and cannot be dispatched");

  const override = input.testerTargets?.length || input.testerModelIds?.length;
  const targets = override ? resolveTargets(input, defaultTesterModel(deps.config.defaultTesterModel)) : current.version.config.testerTargets;
  const fieldOf = targetSourceField(input);
  const issues = override ? [...targetIssues(targets, fieldOf), ...duplicateTargetIssues(targets, fieldOf)] : [];
  if (input.baselineRunId) {
    const baseline = await deps.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.id, input.baselineRunId), eq(runs.orgId, orgId), eq(runs.workflowId, id)))
      .get();
    if (!baseline) issues.push({ field: "baselineRunId", message: "Not a run of this workflow" });
  }
  if (issues.length) throw validationError(issues);

  return dispatchRuns(deps, {
    orgId,
    current,
    targets,
    trigger: "manual",
    reason: input.reason ?? null,
    baselineRunId: input.baselineRunId ?? null,
    forceNewRun: input.forceNewRun ?? false,
    idempotency,
  });
}
