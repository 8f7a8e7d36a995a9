import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, or, sql, type Column, type SQL } from "drizzle-orm";
import { rowReader, type Database } from "../db/client";
import { runEvaluations, runs, runToolCalls, runTraces } from "../db/schema";
import { ApiError } from "../lib/errors";
import { preSerializedList, sqlIso } from "../lib/json-text";
import { cappedCount, listScope, pageOf, resolvePaging, type Keyset, type KeysetShape } from "../lib/pagination";
import { redactText, redactValue } from "../lib/redaction";
import { parseStored, StoredCriterionResult, StoredSpan } from "./records";
import { isTerminal } from "./status";
import {
  RUN_RANGES,
  type ListRunsInput,
  type RunEvaluationView,
  type RunSortKey,
  type RunSummaryView,
  type RunToolCallsView,
  type RunTraceView,
  type RunView,
} from "./schemas";

type RunRow = typeof runs.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
/** The one redaction of a run's free-text fields (reason, error), for every answer that carries them. */
const redactNullable = (s: string | null) => (s === null ? null : redactedOnce(s));

/** What a run's summary shows: the row but its organization, dispatch bookkeeping and evaluator output. */
type SummaryRow = Omit<RunRow, "orgId" | "activeFingerprint" | "scheduleDueAt" | "queueAttempts" | "timeoutSeconds" | "evaluatorOutput">;

/** A run as every answer shows it, redacted: the one view dispatch answers and run reads share. */
export function toRunSummary(row: SummaryRow): RunSummaryView {
  return {
    id: row.id,
    workflow: { id: row.workflowId, name: row.workflowName },
    workflowVersion: { id: row.workflowVersionId, version: row.workflowVersion },
    status: row.status,
    classification: row.classification,
    trigger: row.trigger,
    reason: redactNullable(row.reason),
    modelId: row.modelId,
    skillMode: row.skillMode,
    skillVersionId: row.skillVersionId,
    baselineRunId: row.baselineRunId,
    createdAt: row.createdAt.toISOString(),
    enqueuedAt: iso(row.enqueuedAt),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    durationMs: row.durationMs,
    cost: { usd: row.costUsd, inputTokens: row.inputTokens, outputTokens: row.outputTokens },
    error: redactNullable(row.error),
    mcp: row.mcpProtocolVersion && row.mcpProtocolEra ? { protocolVersion: row.mcpProtocolVersion, era: row.mcpProtocolEra } : null,
    skillDigest: row.skillDigest,
    attempt: row.attempt,
    retryOfRunId: row.retryOfRunId,
  };
}

function toView(row: RunRow): RunView {
  return { ...toRunSummary(row), evaluatorOutput: row.evaluatorOutput === null ? null : redactValue(row.evaluatorOutput) };
}

const SORT_COLUMNS = {
  createdAt: runs.createdAt,
  startedAt: runs.startedAt,
  finishedAt: runs.finishedAt,
  durationMs: runs.durationMs,
  costUsd: runs.costUsd,
  status: runs.status,
} as const satisfies Record<RunSortKey, unknown>;

/**
 * ORDER BY for a `sort` value: the key in its direction (NULLs last either way), then the newest first,
 * then id, so pages never overlap or skip.
 */
export function runOrder(sort: string): SQL[] {
  const descending = sort.startsWith("-");
  const key = (descending ? sort.slice(1) : sort) as RunSortKey;
  const dir = descending ? desc : asc;
  if (key === "createdAt") return [dir(runs.createdAt), dir(runs.id)];
  const column = SORT_COLUMNS[key];
  // NOT NULL columns sort as is; for nullable ones NULLs go last (SQLite's default for DESC already).
  const primary =
    key === "status" || descending ? dir(column) : sql`${column} asc nulls last`;
  return [primary, desc(runs.createdAt), desc(runs.id)];
}

/** ASCII letters lower-cased, everything else as is: the same folding as SQLite's built-in lower(). */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** The WHERE clause of a run search; `organization` and a created_at lower bound first so an index applies. */
export function runFilter(orgId: string, query: Omit<ListRunsInput, "page" | "pageSize" | "sort" | "cursor">, now: Date): SQL {
  const conditions: Array<SQL | undefined> = [
    eq(runs.orgId, orgId),
    gte(runs.createdAt, new Date(now.getTime() - RUN_RANGES[query.range])),
  ];
  if (query.workflowId) conditions.push(eq(runs.workflowId, query.workflowId));
  if (query.status) {
    conditions.push(query.status.length === 1 ? eq(runs.status, query.status[0]!) : inArray(runs.status, query.status));
  }
  if (query.classification) {
    conditions.push(
      query.classification.length === 1
        ? eq(runs.classification, query.classification[0]!)
        : inArray(runs.classification, query.classification),
    );
  }
  const term = query.search?.trim();
  if (term) {
    // instr() rather than LIKE: D1 refuses LIKE patterns past a small complexity limit (about 50 bytes), and
    // instr() has no pattern language, so `%`, `_` and backslashes match themselves without escaping.
    const needle = asciiLower(term);
    conditions.push(or(...[runs.workflowName, runs.reason, runs.modelId, runs.id].map((col) => sql`instr(lower(${col}), ${needle}) > 0`)));
  }
  return and(...conditions)!;
}

const DATE_KEYS = new Set<RunSortKey>(["createdAt", "startedAt", "finishedAt"]);

/** The keyset of a `sort`: the key's value (unless the key is createdAt), created_at in ms, then id. */
function runKeysetShape(sort: string): KeysetShape {
  const key = sort.replace(/^-/, "") as RunSortKey;
  if (key === "createdAt") return ["number", "string"];
  return [key === "status" ? "string" : "number?", "number", "string"];
}

/**
 * The runs strictly after `after` in the order of `runOrder(sort)`. A NULL key sorts last in both
 * directions; the created_at bound of the default sort is also given on its own, so the index range
 * search starts at the cursor rather than filtering from the newest run down.
 */
export function runsAfter(sort: string, after: Keyset): SQL {
  const descending = sort.startsWith("-");
  const key = sort.replace(/^-/, "") as RunSortKey;
  if (key === "createdAt") {
    const [ms, id] = after as [number, string];
    const at = new Date(ms);
    return descending
      ? and(lte(runs.createdAt, at), or(lt(runs.createdAt, at), and(eq(runs.createdAt, at), lt(runs.id, id))))!
      : and(gte(runs.createdAt, at), or(gt(runs.createdAt, at), and(eq(runs.createdAt, at), gt(runs.id, id))))!;
  }
  const [value, ms, id] = after as [string | number | null, number, string];
  const at = new Date(ms);
  // Ties: newest first, then id descending.
  const tie = or(lt(runs.createdAt, at), and(eq(runs.createdAt, at), lt(runs.id, id)))!;
  const column: Column = SORT_COLUMNS[key];
  if (value === null) return and(isNull(column), tie)!;
  const v = DATE_KEYS.has(key) ? new Date(value as number) : value;
  const beyond = descending ? lt(column, v) : gt(column, v);
  return key === "status" ? or(beyond, and(eq(column, v), tie))! : or(beyond, and(eq(column, v), tie), isNull(column))!;
}

/** `"runs"."<column>"`: the JSON below is written out once rather than built by drizzle per request. */
const col = (name: string) => `"runs"."${name}"`;

/**
 * A run's summary as SQLite writes it: the same fields, in the same order, as {@link toRunSummary}, with
 * `reason` and `error` not yet redacted (listRuns redacts them in JS, see {@link redactedSummaryJson}).
 */
const RUN_SUMMARY_JSON = `json_object(
  'id', ${col("id")},
  'workflow', json_object('id', ${col("workflow_id")}, 'name', ${col("workflow_name")}),
  'workflowVersion', json_object('id', ${col("workflow_version_id")}, 'version', ${col("workflow_version")}),
  'status', ${col("status")},
  'classification', ${col("classification")},
  'trigger', ${col("trigger")},
  'reason', ${col("reason")},
  'modelId', ${col("model_id")},
  'skillMode', ${col("skill_mode")},
  'skillVersionId', ${col("skill_version_id")},
  'baselineRunId', ${col("baseline_run_id")},
  'createdAt', ${sqlIso(col("created_at"))},
  'enqueuedAt', ${sqlIso(col("enqueued_at"))},
  'startedAt', ${sqlIso(col("started_at"))},
  'finishedAt', ${sqlIso(col("finished_at"))},
  'durationMs', ${col("duration_ms")},
  'cost', json_object('usd', ${col("cost_usd")}, 'inputTokens', ${col("input_tokens")}, 'outputTokens', ${col("output_tokens")}),
  'error', ${col("error")},
  'mcp', CASE WHEN ${col("mcp_protocol_version")} <> '' AND ${col("mcp_protocol_era")} <> ''
    THEN json_object('protocolVersion', ${col("mcp_protocol_version")}, 'era', ${col("mcp_protocol_era")}) END,
  'skillDigest', ${col("skill_digest")},
  'attempt', ${col("attempt")},
  'retryOfRunId', ${col("retry_of_run_id")}
)`.replace(/\s*\n\s*/g, " ");

/** The sort key's column as the keyset stores it (timestamps in ms, as stored). */
const KEYSET_COLUMNS: Record<RunSortKey, string> = {
  createdAt: "created_at",
  startedAt: "started_at",
  finishedAt: "finished_at",
  durationMs: "duration_ms",
  costUsd: "cost_usd",
  status: "status",
};

/** Texts up to this length are remembered by {@link redactedOnce}; at most `REDACTED_MEMO_SIZE` of them. */
const REDACTED_MEMO_CHARS = 1_000;
const REDACTED_MEMO_SIZE = 1_000;
const redactedMemo = new Map<string, string>();

/**
 * redactText (a pure function) remembered per isolate for short texts: a list of 100 runs repeats the same
 * few reasons and errors ("Required criterion failed: …"), and scanning them again on every page was a
 * quarter of `GET /runs`' own CPU (docs/benchmarks.md). Bounded (oldest entry dropped first), a few MB at most.
 */
function redactedOnce(text: string): string {
  if (text.length > REDACTED_MEMO_CHARS) return redactText(text);
  let out = redactedMemo.get(text);
  if (out === undefined) {
    out = redactText(text);
    if (redactedMemo.size >= REDACTED_MEMO_SIZE) redactedMemo.delete(redactedMemo.keys().next().value!);
    redactedMemo.set(text, out);
  }
  return out;
}

/**
 * The row's JSON with `reason` and `error` redacted: as SQLite wrote it when neither holds anything to
 * redact (the common case: no parse, no copy), else re-written with the redacted texts.
 */
export function redactedSummaryJson(json: string, reason: string | null, error: string | null): string {
  const r = reason === null ? null : redactedOnce(reason);
  const e = error === null ? null : redactedOnce(error);
  if (r === reason && e === error) return json;
  const view = JSON.parse(json) as RunSummaryView;
  view.reason = r;
  view.error = e;
  return JSON.stringify(view);
}

/** One row of listRuns' statement: the summary's JSON, reason, error, the keyset values, the capped count. */
type ListRow = [json: string, reason: string | null, error: string | null, createdAt: number, id: string, key: string | number | null, total: number | null];

/**
 * One page of the organization's runs matching `query`. Page numbers read with OFFSET and count the
 * matches (capped: `TOTAL_CAP`); a cursor page reads after the cursor's keyset and answers the total its walk
 * counted first. One statement: SQLite writes each run's JSON, and the count is an uncorrelated scalar
 * subquery of the same statement. The answer carries its JSON text (src/lib/json-text.ts).
 */
export async function listRuns(db: Database, orgId: string, query: ListRunsInput, now = new Date()) {
  const { page: _page, pageSize: _pageSize, cursor: _cursor, ...filters } = query;
  const scope = listScope("runs", orgId, { ...filters, search: filters.search?.trim() });
  const paging = resolvePaging(query, scope, runKeysetShape(query.sort));
  const key = query.sort.replace(/^-/, "") as RunSortKey;
  const counting = paging.carriedTotal === null;
  const statement = listRunsStatement(db, orgId, query, now, paging, key, counting);
  const rows = (await db.$client.prepare(statement.sql).bind(...statement.params).raw()) as ListRow[];
  let counted: number | null = null;
  if (counting) {
    // An empty page has no row to carry the count: count on its own (an empty list, or a page past the end).
    const where = runFilter(orgId, query, now);
    counted = rows[0]?.[6] ?? (await db.values<[number]>(sql`select ${cappedCount(sql`${runs}`, where)}`))[0]?.[0] ?? 0;
  }
  const { items, info } = pageOf(paging, rows, counted, (row) => (key === "createdAt" ? [row[3], row[4]] : [row[5], row[3], row[4]]));
  return preSerializedList<"runs", RunSummaryView, typeof info>("runs", items.map((r) => redactedSummaryJson(r[0], r[1], r[2])), info);
}

/**
 * The SQL text of listRuns' statement per shape (sort, cursor, counted, which filters, how many statuses and
 * classifications), as drizzle rendered it the first time; null for a shape whose parameters
 * {@link listRunsParams} did not reproduce (drizzle then renders it every time).
 */
const listRunsSql = new Map<string, string | null>();

/**
 * listRuns' statement: rendered by drizzle (runFilter, runsAfter, runOrder: the query the plan tests check)
 * the first time a shape is seen, then only its parameters are computed, saving drizzle's query building on
 * every request. Self-checking: a shape is reused only when {@link listRunsParams} gave exactly drizzle's
 * parameters the first time.
 */
function listRunsStatement(
  db: Database,
  orgId: string,
  query: ListRunsInput,
  now: Date,
  paging: ReturnType<typeof resolvePaging>,
  key: RunSortKey,
  counting: boolean,
): { sql: string; params: unknown[] } {
  const term = query.search?.trim();
  const after = paging.after;
  const shape = [
    query.sort,
    counting ? 1 : 0,
    after ? (key !== "createdAt" && after[0] === null ? "null" : "after") : "-",
    query.workflowId ? 1 : 0,
    query.status?.length ?? 0,
    query.classification?.length ?? 0,
    term ? 1 : 0,
    // A page past the first by number chooses its rows by rowid first (see below).
    paging.offset > 0 ? 1 : 0,
  ].join("|");
  const cached = listRunsSql.get(shape);
  if (cached) return { sql: cached, params: listRunsParams(orgId, query, now, paging, key, counting) };
  const where = runFilter(orgId, query, now);
  const columns = {
    json: sql.raw(RUN_SUMMARY_JSON),
    reason: runs.reason,
    error: runs.error,
    createdAt: runs.createdAt,
    id: runs.id,
    key: sql.raw(key === "createdAt" ? "NULL" : col(KEYSET_COLUMNS[key])),
    total: counting ? cappedCount(sql`${runs}`, where) : sql.raw("NULL"),
  };
  const filtered = after ? and(where, runsAfter(query.sort, after)) : where;
  const order = runOrder(query.sort);
  // A page past the first by number: the rows OFFSET skips would each have their JSON written (and thrown away),
  // so the page's rows are chosen by rowid first and only they get their JSON (the parameters keep their order).
  const built =
    paging.offset > 0
      ? db
          .select(columns)
          .from(runs)
          .where(sql`"runs"."rowid" in ${db.select({ rowid: sql`"runs"."rowid"` }).from(runs).where(filtered).orderBy(...order).limit(paging.limit).offset(paging.offset)}`)
          .orderBy(...order)
          .toSQL()
      : db.select(columns).from(runs).where(filtered).orderBy(...order).limit(paging.limit).toSQL();
  if (cached === undefined) {
    const mine = listRunsParams(orgId, query, now, paging, key, counting);
    const same = mine.length === built.params.length && mine.every((v, i) => Object.is(v, built.params[i]));
    listRunsSql.set(shape, same ? built.sql : null);
  }
  return built;
}

/** The shapes whose statement is rendered by drizzle on every request (expected: none; for the tests). */
export function listRunsShapesNotReused(): string[] {
  return [...listRunsSql].filter(([, text]) => text === null).map(([shape]) => shape);
}

/** The parameters of listRuns' statement in drizzle's order: [count's filter], filter, [cursor bound], limit, [offset]. */
function listRunsParams(orgId: string, query: ListRunsInput, now: Date, paging: ReturnType<typeof resolvePaging>, key: RunSortKey, counting: boolean): unknown[] {
  const filter: unknown[] = [orgId, now.getTime() - RUN_RANGES[query.range]];
  if (query.workflowId) filter.push(query.workflowId);
  if (query.status) filter.push(...query.status);
  if (query.classification) filter.push(...query.classification);
  const term = query.search?.trim();
  if (term) {
    const needle = asciiLower(term);
    filter.push(needle, needle, needle, needle);
  }
  const params = counting ? [...filter, ...filter] : filter;
  const after = paging.after;
  if (after) {
    if (key === "createdAt") {
      const [ms, id] = after as [number, string];
      params.push(ms, ms, ms, id);
    } else {
      const [value, ms, id] = after as [string | number | null, number, string];
      if (value === null) params.push(ms, ms, id);
      else params.push(value, value, ms, ms, id);
    }
  }
  params.push(paging.limit);
  if (paging.offset > 0) params.push(paging.offset);
  return params;
}

const notFound = () => new ApiError("not_found", "Run not found");

/** The run by id within an organization (the hottest point read): rendered once, decoded without drizzle's row mapping. */
const runInOrg = rowReader({ run: runs }, (q) =>
  q.from(runs).where(and(eq(runs.orgId, sql.placeholder("orgId")), eq(runs.id, sql.placeholder("id")))),
);

/** The run, or a 404 when it does not exist in this organization. */
export async function getRun(db: Database, orgId: string, id: string): Promise<RunView> {
  const found = await runInOrg(db, { orgId, id });
  if (!found) throw notFound();
  return toView(found.run);
}

const runStatusInOrg = (db: Database, orgId: string, id: string) =>
  db
    .select({ status: runs.status })
    .from(runs)
    .where(and(eq(runs.orgId, orgId), eq(runs.id, id)));

function progress(id: string, found: Array<{ status: RunRow["status"] }>) {
  const run = found[0];
  if (!run) throw notFound();
  return { runId: id, status: run.status, complete: isTerminal(run.status) };
}

// The sub-resources read the run (scoped to the organization) and its records in one round trip; the
// records are only returned when the run was found in the organization.

/** The run's trace as recorded so far, redacted. */
export async function getRunTrace(db: Database, orgId: string, id: string): Promise<RunTraceView> {
  const [found, traces] = await db.batch([
    runStatusInOrg(db, orgId, id),
    db.select({ spans: runTraces.spans }).from(runTraces).where(eq(runTraces.runId, id)),
  ]);
  const head = progress(id, found);
  return { ...head, spans: redactValue(parseStored(StoredSpan, traces[0]?.spans)) };
}

/** The run's tool calls as recorded so far, in call order, redacted. */
export async function listRunToolCalls(db: Database, orgId: string, id: string): Promise<RunToolCallsView> {
  const [found, rows] = await db.batch([
    runStatusInOrg(db, orgId, id),
    db.select().from(runToolCalls).where(eq(runToolCalls.runId, id)).orderBy(asc(runToolCalls.seq)),
  ]);
  const head = progress(id, found);
  return {
    ...head,
    toolCalls: rows.map((r) => ({
      id: r.id,
      seq: r.seq,
      toolName: r.toolName,
      arguments: redactValue(r.arguments ?? null),
      result: redactValue(r.result ?? null),
      isError: r.isError,
      policyRefused: r.policyRefused,
      durationMs: r.durationMs,
      startedAt: r.startedAt.toISOString(),
    })),
  };
}

/** The run's evaluation; null until the run is terminal, and for a terminal run that was never judged. */
export async function getRunEvaluation(db: Database, orgId: string, id: string): Promise<RunEvaluationView> {
  const [found, rows] = await db.batch([
    runStatusInOrg(db, orgId, id),
    db.select().from(runEvaluations).where(eq(runEvaluations.runId, id)),
  ]);
  const head = progress(id, found);
  const row = rows[0];
  if (!head.complete || !row) return { ...head, evaluation: null };
  return {
    ...head,
    evaluation: redactValue({
      verdict: row.verdict,
      judgeModelId: row.judgeModelId,
      ...(row.baselineRunId ? { baselineRunId: row.baselineRunId } : {}),
      summary: row.summary,
      criteria: parseStored(StoredCriterionResult, row.criteria),
      createdAt: row.createdAt.toISOString(),
    }),
  };
}
