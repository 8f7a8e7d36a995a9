import { and, asc, eq, gt, gte, isNull, or, sql, type SQL } from "drizzle-orm";
import { preparedPerClient, rowReader, type Database } from "../db/client";
import { workflows, workflowVersions } from "../db/schema";
import { ApiError, validationError } from "../lib/errors";
import { answerOfText, preSerializedList, sqlIso } from "../lib/json-text";
import { cappedCount, listScope, pageOf, resolvePaging, type PageQuery } from "../lib/pagination";
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
type WorkflowResponse = ReturnType<typeof toAnswer>;
const toAnswer = (rows: WorkflowWithVersion) => ({ workflow: toWorkflowView(rows), currentVersion: toVersionView(rows.version) });

/**
 * A workflow and its current version as the API answers them. When the version's config was read from D1
 * ({@link storedConfig}), the answer is its JSON text ({@link answerOfText}), with the stored config text in it as
 * it is (drizzle wrote it with JSON.stringify, so it is what serializing the parsed config writes again; a test
 * holds them equal), and that text is kept with the config for the row values it was written from: the point read
 * of the same workflow writes it once, not on every request (it was a quarter of the read's own time in its
 * profile, docs/benchmarks.md).
 */
export function workflowResponse(rows: WorkflowWithVersion): WorkflowResponse {
  const { config } = rows.version;
  const configText = textOfConfig.get(config);
  if (configText === undefined) return toAnswer(rows);
  const key = rowValuesKey(rows);
  let written = answerTexts.get(config);
  if (written?.key !== key) {
    const answer = toAnswer(rows);
    // The version view's fields as toVersionView orders them, its config as stored.
    const version = Object.entries(answer.currentVersion).map(([k, v]) => `${JSON.stringify(k)}:${k === "config" ? configText : JSON.stringify(v)}`);
    written = { key, text: `{"workflow":${JSON.stringify(answer.workflow)},"currentVersion":{${version.join(",")}}}` };
    answerTexts.set(config, written);
  }
  return answerOfText<WorkflowResponse>(["workflow", "currentVersion"], written.text);
}

/**
 * The answer's text last written for each stored config, and the key of the row values (every column of both rows
 * but the config) it was written from. One per config: workflows with the same config text take turns.
 */
const answerTexts = new WeakMap<WorkflowConfig, { key: string; text: string }>();

/** Every column value of the two rows but the version's config, as one string (a timestamp by its milliseconds). */
function rowValuesKey({ workflow, version }: WorkflowWithVersion): string {
  const values: unknown[] = [];
  for (const row of [workflow, version] as Array<Record<string, unknown>>) {
    for (const key in row) {
      if (row === version && key === "config") continue;
      const v = row[key];
      values.push(v instanceof Date ? v.getTime() : v);
    }
  }
  return JSON.stringify(values);
}

/** Versions' configs parsed from their stored text, by that text, at most CONFIG_CACHE_MAX (the oldest go first). */
const configsByText = new Map<string, WorkflowConfig>();
/** The stored text of each config in `configsByText`. */
const textOfConfig = new WeakMap<WorkflowConfig, string>();
const CONFIG_CACHE_MAX = 256;

/**
 * A version's config from its stored JSON text, parsed once per isolate for the same text and frozen (every reader
 * shares it; a change is made on a copy, src/workflows/config.ts). Keyed by the text itself, so it can never
 * answer for another config, whatever happens to the rows. The point read, dispatch, the sweep and retries of a
 * workflow read the same version again and again; its config is the largest value of their row.
 */
export function storedConfig(text: unknown): WorkflowConfig {
  const key = text as string;
  let config = configsByText.get(key);
  if (config === undefined) {
    config = deepFreeze(JSON.parse(key) as WorkflowConfig);
    if (configsByText.size >= CONFIG_CACHE_MAX) configsByText.delete(configsByText.keys().next().value!);
    configsByText.set(key, config);
    textOfConfig.set(config, key);
  }
  return config;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
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

const W = (name: string) => `"workflows"."${name}"`;
const V = (name: string) => `"workflow_versions"."${name}"`;
/** A field of the version's stored config, as JSON (a missing one is null). */
const CONFIG = (field: string) => `${V("config")} -> '$.${field}'`;

/** A workflow as SQLite writes it: the same fields, in the same order, as {@link toWorkflowView}. */
const WORKFLOW_JSON = `json_object(
  'id', ${W("id")},
  'name', ${W("name")},
  'description', ${CONFIG("description")},
  'categorySlug', ${W("category_slug")},
  'mcpServerId', ${CONFIG("mcpServerId")},
  'defaultMcpAuthProfileId', ${CONFIG("defaultMcpAuthProfileId")},
  'testerPrompt', ${CONFIG("testerPrompt")},
  'testerTargets', ${CONFIG("testerTargets")},
  'criteria', ${CONFIG("criteria")},
  'schedule', CASE WHEN json_type(${V("config")}, '$.schedule') = 'object' THEN json_set(${CONFIG("schedule")}, '$.nextRunAt',
    CASE WHEN ${W("schedule_enabled")} AND ${W("next_due_at")} IS NOT NULL THEN ${sqlIso(W("next_due_at"))} END) END,
  'limits', ${CONFIG("limits")},
  'retryPolicy', ${CONFIG("retryPolicy")},
  'toolPolicy', ${CONFIG("toolPolicy")},
  'metadata', ${CONFIG("metadata")},
  'currentVersion', json_object('id', ${V("id")}, 'version', ${V("version")}, 'createdAt', ${sqlIso(V("created_at"))}),
  'archived', json(CASE WHEN ${W("archived_at")} IS NULL THEN 'false' ELSE 'true' END),
  'archivedAt', ${sqlIso(W("archived_at"))},
  'createdAt', ${sqlIso(W("created_at"))},
  'updatedAt', ${sqlIso(W("updated_at"))}
)`.replace(/\s*\n\s*/g, " ");

type WorkflowListRow = [json: string, createdAt: number, id: string, total: number | null];

/**
 * The organization's active workflows, in any of `categories` (a JSON array of slugs: one bound parameter for
 * the whole set) when not null. Values or placeholders.
 */
function activeWorkflows(orgId: unknown, categories: unknown): SQL {
  const filters: SQL[] = [eq(workflows.orgId, orgId as string), isNull(workflows.archivedAt)];
  if (categories !== null) filters.push(sql`${workflows.categorySlug} in (select value from json_each(${categories}))`);
  return and(...filters)!;
}

/**
 * The list's four statements, prepared once per client: [first or page-numbered page, the same in categories,
 * cursor page, cursor page in categories]. Counted (capped) without a cursor; a cursor page reads after
 * (created_at, id), the lone lower bound letting the index range search start at the cursor.
 */
const workflowPages = preparedPerClient((db) =>
  ([false, true] as const).flatMap((byCursor) =>
    ([false, true] as const).map((inCategories) => {
      const where = activeWorkflows(sql.placeholder("orgId"), inCategories ? sql.placeholder("categories") : null);
      const at = sql.placeholder("at");
      const id = sql.placeholder("id");
      const position = and(gte(workflows.createdAt, at), or(gt(workflows.createdAt, at), and(eq(workflows.createdAt, at), gt(workflows.id, id))));
      const page = db
        .select({
          json: sql.raw(WORKFLOW_JSON),
          createdAt: workflows.createdAt,
          id: workflows.id,
          total: byCursor ? sql.raw("NULL") : cappedCount(sql`${workflows}`, where),
        })
        .from(workflows)
        .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
        .where(byCursor ? and(where, position) : where)
        .orderBy(asc(workflows.createdAt), asc(workflows.id))
        .limit(sql.placeholder("limit"));
      return (byCursor ? page : page.offset(sql.placeholder("offset"))).prepare();
    }),
  ),
);

/**
 * One page of the organization's active workflows, oldest first, optionally in any of the named categories:
 * by page number (OFFSET, counted up to `TOTAL_CAP`) or after a cursor (keyset on created_at then id, total
 * carried). One statement: SQLite writes each workflow's JSON and the count is a scalar subquery; the answer
 * carries its JSON text (src/lib/json-text.ts).
 */
export async function listWorkflows(
  db: Database,
  orgId: string,
  query: PageQuery & { category?: string | undefined; categorySlug?: string | undefined },
) {
  const categories = categoriesOf(query);
  const paging = resolvePaging(query, listScope("workflows", orgId, { categories }), ["number", "string"]);
  const counting = paging.carriedTotal === null;
  const values: Record<string, unknown> = { orgId, limit: paging.limit, offset: paging.offset };
  if (categories.length) values.categories = JSON.stringify(categories);
  if (paging.after) [values.at, values.id] = paging.after as [number, string];
  const rows = (await workflowPages(db)[(paging.after ? 2 : 0) + (categories.length ? 1 : 0)]!.values(values)) as WorkflowListRow[];
  let counted: number | null = null;
  if (counting) {
    // An empty page has no row to carry the count: count on its own.
    const where = activeWorkflows(orgId, categories.length ? JSON.stringify(categories) : null);
    counted = rows[0]?.[3] ?? (await db.values<[number]>(sql`select ${cappedCount(sql`${workflows}`, where)}`))[0]?.[0] ?? 0;
  }
  const { items, info } = pageOf(paging, rows, counted, (r) => [r[1], r[2]]);
  return preSerializedList<"workflows", WorkflowView, typeof info>("workflows", items.map((r) => r[0]), info);
}

/** A workflow and its current version by id within an organization (a hot point read, dispatch's too): rendered once, decoded without drizzle's row mapping, its config through storedConfig. */
const workflowInOrg = rowReader(
  { workflow: workflows, version: workflowVersions },
  (q) =>
    q
      .from(workflows)
      .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
      .where(and(eq(workflows.orgId, sql.placeholder("orgId")), eq(workflows.id, sql.placeholder("id")))),
  { version: { config: storedConfig } },
);

/** The workflow with its current version, archived ones included; 404 when it is not this organization's. */
export async function getWorkflow(db: Database, orgId: string, id: string): Promise<WorkflowWithVersion> {
  const row = await workflowInOrg(db, { orgId, id });
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
