// What the probe Worker (workers/probe.js) recorded for one request, what it tells about the endpoint's D1 use,
// and the plan the bare Worker (workers/bare.js) replays: the same calls, grouped as the endpoint made them
// (calls started before the previous ones ended run concurrently, as with Promise.all).

interface Meta {
  rows_read: number | null;
  rows_written: number | null;
  changes: number | null;
  measuredBy?: "rerun";
}

export interface ProbeCall {
  kind: "d1" | "batch" | "queue";
  method?: string;
  args?: unknown[];
  sql?: string;
  params?: unknown[];
  statements?: Array<{ sql: string; params: unknown[] }>;
  body?: unknown;
  messages?: unknown[];
  options?: unknown;
  phase: "request" | "after-response";
  start: number;
  end: number;
  meta?: Meta | Meta[] | null;
  error?: string;
}

export interface ProbeResult {
  status: number;
  contentType: string | null;
  /** The response's headers. */
  headers: Record<string, string>;
  bodyBytes: number;
  body: unknown;
  calls: ProbeCall[];
}

export interface D1Usage {
  /** D1 calls before the response (a batch is one). */
  roundTrips: number;
  /** SQL statements in them. */
  statements: number;
  /** Rows read, from D1's meta (first() and raw() give none: those reads are run again with all()). */
  rowsRead: number;
  rowsWritten: number;
  queueSends: number;
  /** Calls made after the response (waitUntil), not in the counts above. */
  afterResponse: number;
  /** Calls whose rows read could not be learnt (a write through first() or raw()). */
  unknownRows: number;
  sql: string[];
}

export function d1Usage(calls: ProbeCall[]): D1Usage {
  const inRequest = calls.filter((c) => c.phase === "request");
  const metas = inRequest.flatMap((c) => (c.kind === "queue" ? [] : Array.isArray(c.meta) ? c.meta : [c.meta ?? null]));
  return {
    roundTrips: inRequest.filter((c) => c.kind !== "queue").length,
    statements: inRequest.reduce((n, c) => n + (c.kind === "batch" ? c.statements!.length : c.kind === "d1" ? 1 : 0), 0),
    rowsRead: metas.reduce((n, m) => n + (m?.rows_read ?? 0), 0),
    rowsWritten: metas.reduce((n, m) => n + (m?.rows_written ?? 0), 0),
    queueSends: inRequest.filter((c) => c.kind === "queue").length,
    afterResponse: calls.length - inRequest.length,
    unknownRows: metas.filter((m) => m?.rows_read == null).length,
    sql: inRequest.flatMap((c) => (c.kind === "batch" ? c.statements!.map((s) => s.sql) : c.sql ? [c.sql] : [])),
  };
}

export type PlanStep =
  | { kind: "d1"; method: string; args: unknown[]; sql: string; params: unknown[] }
  | { kind: "batch"; statements: Array<{ sql: string; params: unknown[] }> }
  | { kind: "queue"; method: string; body?: unknown; messages?: unknown[]; options?: unknown };

export interface Plan {
  groups: PlanStep[][];
  /** Values replaced by a new random UUID on every replay (ids the endpoint generated). */
  fresh: string[];
}

function step(call: ProbeCall): PlanStep {
  if (call.kind === "batch") return { kind: "batch", statements: call.statements! };
  if (call.kind === "queue") return { kind: "queue", method: call.method!, body: call.body, messages: call.messages, options: call.options };
  return { kind: "d1", method: call.method!, args: call.args ?? [], sql: call.sql!, params: call.params ?? [] };
}

/** The bare plan of a request: its calls before the response, in their order and concurrency; null if none. */
export function planOf(calls: ProbeCall[], fresh: string[] = []): Plan | null {
  const inRequest = calls.filter((c) => c.phase === "request" && !c.error).sort((a, b) => a.start - b.start);
  if (inRequest.length === 0) return null;
  const groups: ProbeCall[][] = [];
  for (const call of inRequest) {
    const current = groups.at(-1);
    // Started before every call of the current group had ended: made concurrently with them.
    if (current && call.start < Math.min(...current.map((c) => c.end))) current.push(call);
    else groups.push([call]);
  }
  return { groups: groups.map((g) => g.map(step)), fresh };
}
