import type { BatchItem } from "drizzle-orm/batch";
import { and, eq, inArray } from "drizzle-orm";
import type { AppContext } from "../context";
import { insightEvents, mcpServers } from "../db/schema";
import { chunk } from "../lib/d1";
import { validationError, type FieldIssue } from "../lib/errors";
import { redactText, redactValue } from "../lib/redaction";
import { fieldIssues } from "../lib/validation";
import { markPendingRollups, rollupSessions } from "./rollup";
import { INGEST_LIMITS, InsightEvent } from "./schemas";

export interface IngestResult {
  /** Events stored by this call. */
  accepted: number;
  /** Events not stored: their id was already ingested, or came earlier in the same call. */
  duplicates: number;
}

export interface IngestOptions {
  /**
   * Says a problem of event `index` at `path` (relative to the event, may be empty) as an issue of the caller's
   * input. Default: field `events.<index>.<path>`; OTLP names the span the event came from.
   */
  issue?: (index: number, path: string, message: string) => FieldIssue;
  /** What rolls up the sessions that got new events, after the answer (default rollupSessions; tests observe it). */
  rollup?: typeof rollupSessions;
}

type Row = typeof insightEvents.$inferInsert;

/** Columns of insight_events: D1 binds at most 100 parameters per statement, so this many rows fit one insert. */
const COLUMNS = 16;
const ROWS_PER_STATEMENT = Math.floor(100 / COLUMNS);
/** mcp_servers ids looked up per statement (with the org id: under 100 parameters). */
const IDS_PER_LOOKUP = 90;

/**
 * Ingests a batch of MCP usage events for an organization: validates all of them (one 400 naming every bad
 * field, `events.3.toolName`; then nothing is stored), redacts their free-form data with the one redaction
 * policy, and stores the new ones in one D1 batch (INSERT … ON CONFLICT DO NOTHING on (org_id, id), so a
 * retried batch stores nothing twice). The sessions that got new events are rolled up after the answer
 * (`ctx.waitUntil`).
 */
export async function ingestEvents(
  ctx: Pick<AppContext, "db" | "now" | "log" | "waitUntil">,
  orgId: string,
  events: readonly unknown[],
  opts: IngestOptions = {},
): Promise<IngestResult> {
  const name =
    opts.issue ?? ((index: number, path: string, message: string) => ({ field: path ? `events.${index}.${path}` : `events.${index}`, message }));
  if (events.length < 1 || events.length > INGEST_LIMITS.maxEvents) {
    throw validationError([{ field: "events", message: `Send 1 to ${INGEST_LIMITS.maxEvents} events; got ${events.length}` }]);
  }

  const issues: FieldIssue[] = [];
  const parsed: InsightEvent[] = [];
  const latest = ctx.now().getTime() + INGEST_LIMITS.maxClockSkewMs;
  events.forEach((raw, index) => {
    const r = InsightEvent.safeParse(raw);
    if (!r.success) for (const issue of fieldIssues(r.error, "")) issues.push(name(index, issue.field, issue.message));
    else if (Date.parse(r.data.timestamp) > latest) {
      issues.push(name(index, "timestamp", `Is in the future: at most ${INGEST_LIMITS.maxClockSkewMs / 60_000} minutes after the server's clock (${new Date(latest - INGEST_LIMITS.maxClockSkewMs).toISOString()})`));
    } else parsed.push(r.data);
  });
  if (issues.length > 0) throw validationError(issues);

  await checkSources(ctx, orgId, parsed, name);

  // Ids repeated within the batch: the first occurrence is the event, the others are duplicates.
  const seen = new Set<string>();
  const fresh: InsightEvent[] = [];
  for (const e of parsed) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    fresh.push(e);
  }

  const ingestedAt = ctx.now();
  const rows = fresh.map((e) => toRow(orgId, e, ingestedAt));
  const statements: BatchItem<"sqlite">[] = chunk(rows, ROWS_PER_STATEMENT).map((part) =>
    ctx.db.insert(insightEvents).values(part).onConflictDoNothing().returning({ sessionId: insightEvents.sessionId }),
  );
  const inserts = statements.length;
  // In the same transaction: the sessions that got new events are marked as waiting for their rollup, so a
  // rollup that never runs (the request cut off) is done by the sweep.
  statements.push(...markPendingRollups(ctx.db, orgId, [...new Set(fresh.map((e) => e.sessionId))], ingestedAt));
  // One batch: D1 runs it as one transaction, so a failure stores nothing of the request.
  const results = (await ctx.db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as unknown[];
  const inserted = (results.slice(0, inserts) as Array<Array<{ sessionId: string }>>).flat();
  const sessionIds = [...new Set(inserted.map((r) => r.sessionId))];
  if (sessionIds.length > 0) {
    const rollup = opts.rollup ?? rollupSessions;
    ctx.waitUntil(
      rollup(ctx, orgId, sessionIds, { clearMarksUpTo: ingestedAt }).catch((err: unknown) => ctx.log.error("insights rollup failed", { orgId, sessions: sessionIds.length, error: String(err) })),
    );
  }
  return { accepted: inserted.length, duplicates: events.length - inserted.length };
}

/** 400 naming each event whose `mcpServerId` is not a source of the organization. */
async function checkSources(
  ctx: Pick<AppContext, "db">,
  orgId: string,
  events: InsightEvent[],
  name: (index: number, path: string, message: string) => FieldIssue,
): Promise<void> {
  const wanted = [...new Set(events.flatMap((e) => (e.mcpServerId ? [e.mcpServerId] : [])))];
  if (wanted.length === 0) return;
  const found = new Set<string>();
  for (const ids of chunk(wanted, IDS_PER_LOOKUP)) {
    const rows = await ctx.db
      .select({ id: mcpServers.id })
      .from(mcpServers)
      .where(and(eq(mcpServers.orgId, orgId), inArray(mcpServers.id, ids)))
      .all();
    for (const r of rows) found.add(r.id);
  }
  const issues: FieldIssue[] = [];
  events.forEach((e, index) => {
    if (e.mcpServerId && !found.has(e.mcpServerId)) {
      issues.push(name(index, "mcpServerId", "No MCP source with this id in this organization"));
    }
  });
  if (issues.length > 0) throw validationError(issues);
}

/** A tool result as stored: redacted, then cut at the documented length. */
function storedResult(result: unknown): { result: unknown; resultTruncated?: true } {
  const redacted = redactValue(result);
  const text = typeof redacted === "string" ? redacted : JSON.stringify(redacted);
  if (text.length <= INGEST_LIMITS.maxResultChars) return { result: redacted };
  return { result: text.slice(0, INGEST_LIMITS.maxResultChars), resultTruncated: true };
}

/** The stored row of an event: the columns reads filter on, and the type's other fields redacted in `data`. */
export function toRow(orgId: string, e: InsightEvent, ingestedAt: Date): Row {
  const row: Row = {
    orgId,
    id: e.id,
    sessionId: e.sessionId,
    mcpServerId: e.mcpServerId ?? null,
    type: e.type,
    occurredAt: new Date(e.timestamp),
    ingestedAt,
    clientName: e.client?.name ?? null,
    clientVersion: e.client?.version ?? null,
    intent: e.intent === undefined ? null : redactText(e.intent),
    toolName: null,
    query: null,
    resultCount: null,
    isError: false,
    rating: null,
    data: {},
  };
  const data: Record<string, unknown> = {};
  if (e.protocolVersion !== undefined) data.protocolVersion = e.protocolVersion;
  switch (e.type) {
    case "tool_call":
      row.toolName = e.toolName;
      row.isError = e.isError ?? false;
      if (e.arguments !== undefined) data.arguments = redactValue(e.arguments);
      if (e.result !== undefined) Object.assign(data, storedResult(e.result));
      if (e.durationMs !== undefined) data.durationMs = e.durationMs;
      break;
    case "search":
      row.query = redactText(e.query);
      row.resultCount = e.resultCount;
      row.isError = e.isError ?? false;
      break;
    case "log":
      data.level = e.level;
      data.message = redactText(e.message);
      break;
    case "feedback":
      row.rating = e.rating;
      if (e.comment !== undefined) data.comment = redactText(e.comment);
      break;
    case "tools_list":
      data.toolNames = e.toolNames;
      break;
    case "session_start":
    case "session_end":
      break;
  }
  row.data = data;
  return row;
}
