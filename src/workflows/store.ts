import { and, asc, count, eq, gt, gte, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { preparedPerClient, type Database } from "../db/client";
import { workflows, workflowVersions } from "../db/schema";
import { ApiError, validationError } from "../lib/errors";
import { listScope, pageOf, resolvePaging, type PageQuery } from "../lib/pagination";
import { SLUG_PATTERN, type WorkflowConfig, type WorkflowView } from "./schemas";
import { nextDueAt } from "./schedule";

export type WorkflowRow = typeof workflows.$inferSelect;
export type VersionRow = typeof workflowVersions.$inferSelect;

export interface WorkflowWithVersion {
  workflow: WorkflowRow;
  version: VersionRow & { config: WorkflowConfig };
}

export function toWorkflowView({ workflow, version }: WorkflowWithVersion): WorkflowView {
  const c = version.config;
  return {
    id: workflow.id,
    name: workflow.name,
    description: c.description,
    categorySlug: workflow.categorySlug,
    mcpServerId: c.mcpServerId,
    defaultMcpAuthProfileId: c.defaultMcpAuthProfileId,
    testerPrompt: c.testerPrompt,
    testerTargets: c.testerTargets,
    criteria: c.criteria,
    schedule: c.schedule
      ? {
          ...c.schedule,
          nextRunAt: workflow.scheduleEnabled && workflow.nextDueAt ? workflow.nextDueAt.toISOString() : null,
        }
      : null,
    limits: c.limits,
    retryPolicy: c.retryPolicy,
    toolPolicy: c.toolPolicy,
    metadata: c.metadata,
    currentVersion: { id: version.id, version: version.version, createdAt: version.createdAt.toISOString() },
    archived: workflow.archivedAt !== null,
    archivedAt: workflow.archivedAt?.toISOString() ?? null,
    createdAt: workflow.createdAt.toISOString(),
    updatedAt: workflow.updatedAt.toISOString(),
  };
}

export function toVersionView(version: VersionRow & { config: WorkflowConfig }) {
  return {
    id: version.id,
    workflowId: version.workflowId,
    version: version.version,
    config: version.config,
    createdAt: version.createdAt.toISOString(),
  };
}

/** A workflow and its current version as the API answers them. */
export function workflowResponse(rows: WorkflowWithVersion) {
  return { workflow: toWorkflowView(rows), currentVersion: toVersionView(rows.version) };
}

/** The schedule columns of a workflow row for a config: the cron, its zone, and when it is next due. */
function scheduleColumns(config: WorkflowConfig, now: Date) {
  const s = config.schedule;
  return {
    scheduleCron: s?.cron ?? null,
    scheduleTimezone: s?.timezone ?? null,
    scheduleEnabled: Boolean(s?.enabled),
    nextDueAt: s?.enabled ? nextDueAt(s.cron, s.timezone, now) : null,
  };
}

/** Category slugs one list request may name (each is a bound parameter; D1 allows 100). */
export const SLUG_LIST_LIMIT = 50;

/** The category slugs a list query names, de-duplicated; a 400 naming the field for a bad one. */
function categoriesOf(query: { category?: string; categorySlug?: string }): string[] {
  const slugs = [...(query.category?.split(",") ?? []), ...(query.categorySlug ? [query.categorySlug] : [])]
    .map((s) => s.trim())
    .filter(Boolean);
  if (slugs.length > SLUG_LIST_LIMIT) {
    throw validationError([{ field: "category", message: `At most ${SLUG_LIST_LIMIT} categories` }]);
  }
  const bad = slugs.find((s) => !SLUG_PATTERN.test(s));
  if (bad !== undefined) {
    throw validationError([{ field: query.category?.includes(bad) ? "category" : "categorySlug", message: `'${bad}' is not a valid slug` }]);
  }
  return [...new Set(slugs)];
}

/**
 * One page of the organization's active workflows, oldest first, optionally in any of the named categories:
 * by page number (OFFSET, counted) or after a cursor (keyset on created_at then id, total carried).
 */
export async function listWorkflows(
  db: Database,
  orgId: string,
  query: PageQuery & { category?: string | undefined; categorySlug?: string | undefined },
) {
  const categories = categoriesOf(query);
  const paging = resolvePaging(query, listScope("workflows", orgId, { categories }), ["number", "string"]);
  const filters: SQL[] = [eq(workflows.orgId, orgId), isNull(workflows.archivedAt)];
  if (categories.length) filters.push(inArray(workflows.categorySlug, categories));
  const where = and(...filters)!;
  let position: SQL | undefined;
  if (paging.after) {
    const [ms, id] = paging.after as [number, string];
    const at = new Date(ms);
    // The lone lower bound lets the index range search start at the cursor.
    position = and(gte(workflows.createdAt, at), or(gt(workflows.createdAt, at), and(eq(workflows.createdAt, at), gt(workflows.id, id))));
  }
  // Not one db.batch: a batch maps rows by column name, and the join's two `id` columns would collide.
  const [rows, totals] = await Promise.all([
    db
      .select({ workflow: workflows, version: workflowVersions })
      .from(workflows)
      .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
      .where(position ? and(where, position) : where)
      .orderBy(asc(workflows.createdAt), asc(workflows.id))
      .limit(paging.limit)
      .offset(paging.offset)
      .all(),
    paging.carriedTotal === null ? db.select({ total: count() }).from(workflows).where(where).all() : null,
  ]);
  const { items, info } = pageOf(paging, rows, totals ? (totals[0]?.total ?? 0) : null, (r) => [r.workflow.createdAt.getTime(), r.workflow.id]);
  return { workflows: items.map((r) => toWorkflowView(r)), ...info };
}

/** A workflow and its current version by id within an organization, prepared once per client (a hot point read). */
const workflowInOrg = preparedPerClient((db) =>
  db
    .select({ workflow: workflows, version: workflowVersions })
    .from(workflows)
    .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
    .where(and(eq(workflows.orgId, sql.placeholder("orgId")), eq(workflows.id, sql.placeholder("id"))))
    .prepare(),
);

/** The workflow with its current version, archived ones included; 404 when it is not this organization's. */
export async function getWorkflow(db: Database, orgId: string, id: string): Promise<WorkflowWithVersion> {
  const row = await workflowInOrg(db).get({ orgId, id });
  if (!row) throw new ApiError("not_found", "Workflow not found");
  return row as WorkflowWithVersion;
}

/** Rows for a new workflow and its first version; the caller writes them in one batch with its runs. */
export function newWorkflowRows(orgId: string, config: WorkflowConfig, now: Date): WorkflowWithVersion {
  const workflowId = crypto.randomUUID();
  const version = { id: crypto.randomUUID(), workflowId, orgId, version: 1, config, createdAt: now };
  const workflow: WorkflowRow = {
    id: workflowId,
    orgId,
    name: config.name,
    categorySlug: config.categorySlug,
    currentVersionId: version.id,
    currentVersionNumber: 1,
    ...scheduleColumns(config, now),
    archivedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  return { workflow, version };
}

export function insertWorkflowStatements(db: Database, rows: WorkflowWithVersion) {
  return [db.insert(workflows).values(rows.workflow), db.insert(workflowVersions).values(rows.version)] as const;
}

/**
 * Writes `config` as the next immutable version. The workflow moves to it only if it still points at the
 * version the change was made against and is not archived, and only the columns the change owns are written
 * (a concurrent archive or scheduled dispatch is never undone). The version row is inserted only when the move
 * happened, in the same batch, so a lost race leaves nothing behind.
 */
export async function writeNextVersion(
  db: Database,
  current: WorkflowWithVersion,
  config: WorkflowConfig,
  now: Date,
): Promise<WorkflowWithVersion> {
  const { workflow } = current;
  const version = {
    id: crypto.randomUUID(),
    workflowId: workflow.id,
    orgId: workflow.orgId,
    version: workflow.currentVersionNumber + 1,
    config,
    createdAt: now,
  };
  const scheduleChanged = JSON.stringify(config.schedule) !== JSON.stringify(current.version.config.schedule);
  const changes = {
    name: config.name,
    categorySlug: config.categorySlug,
    currentVersionId: version.id,
    currentVersionNumber: version.version,
    ...(scheduleChanged ? scheduleColumns(config, now) : {}),
    updatedAt: now,
  };
  const [moved] = await db.batch([
    db
      .update(workflows)
      .set(changes)
      .where(
        and(
          eq(workflows.id, workflow.id),
          eq(workflows.currentVersionId, workflow.currentVersionId),
          isNull(workflows.archivedAt),
        ),
      ),
    db.insert(workflowVersions).select(
      db
        .select({
          id: sql`${version.id}`.as("id"),
          workflowId: sql`${version.workflowId}`.as("workflow_id"),
          orgId: sql`${version.orgId}`.as("org_id"),
          version: sql`${version.version}`.as("version"),
          config: sql`${JSON.stringify(config)}`.as("config"),
          createdAt: sql`${now.getTime()}`.as("created_at"),
        })
        .from(workflows)
        .where(and(eq(workflows.id, workflow.id), eq(workflows.currentVersionId, version.id))),
    ),
  ]);
  if ((moved as D1Result).meta.changes !== 1) {
    const latest = await getWorkflow(db, workflow.orgId, workflow.id);
    if (latest.workflow.archivedAt) throw new ApiError("conflict", "The workflow is archived and cannot be changed");
    throw new ApiError("conflict", "The workflow was changed by another request at the same time; fetch it and retry");
  }
  return { workflow: { ...workflow, ...changes }, version };
}

/** Archives a workflow (idempotent). Run history stays readable. */
export async function archiveWorkflow(db: Database, orgId: string, id: string, now: Date): Promise<void> {
  const current = await getWorkflow(db, orgId, id);
  if (current.workflow.archivedAt) return;
  await db
    .update(workflows)
    .set({ archivedAt: now, updatedAt: now, nextDueAt: null, scheduleEnabled: false })
    .where(and(eq(workflows.id, id), eq(workflows.orgId, orgId), isNull(workflows.archivedAt)))
    .run();
}
