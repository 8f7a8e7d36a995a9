// MCP usage events for the insights scenarios: the same realistic sessions as scripts/bench-insights.ts
// (20 events per session: session_start, tools_list, 12 tool calls with 8 % errors, 3 searches with 25 % empty,
// a log, a feedback, session_end; 2 intents; 3 sources; 3 clients), with fresh ids on every call.
import { API, callApi } from "./seed";

const INTENTS = [
  "Create an invoice for the new customer",
  "Find the refund policy",
  "Summarize yesterday's support tickets",
  "Update the shipping address of an order",
  "Look up the order status",
  "Cancel a subscription",
  "List overdue invoices",
  "Reset a user's password",
  "Export the monthly sales report",
  "Find contracts expiring this quarter",
  "Book a meeting room",
  "Check inventory for SKU",
];
const TOOLS = ["search_docs", "get_order", "create_invoice", "update_customer", "list_tickets", "get_inventory", "send_email", "export_report"];
const QUERIES = ["refund policy", "shipping times europe", "invoice template", "warranty claim", "api rate limits", "gdpr data export", "sso setup"];
const CLIENTS = [
  { name: "claude-desktop", version: "1.4.2" },
  { name: "cursor", version: "0.48.1" },
  { name: "custom-agent", version: "2.0.0" },
];

const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
const runTag = Math.random().toString(36).slice(2, 8);
let sessionSeq = 0;

/** One session of 20 events starting at `start` (ms), a few seconds apart. */
export function session(start: number, sources: string[]): Array<Record<string, unknown>> {
  const sid = `bench-${runTag}-s${sessionSeq++}`;
  const source = sources.length ? pick(sources) : undefined;
  const client = pick(CLIENTS);
  const intents = [pick(INTENTS), pick(INTENTS)];
  let t = start;
  let i = 0;
  const ev = (type: string, extra: Record<string, unknown>, intent?: string) => {
    t += 500 + Math.floor(Math.random() * 4000);
    return {
      id: `${sid}-e${i++}`,
      sessionId: sid,
      type,
      timestamp: new Date(t).toISOString(),
      ...(source ? { mcpServerId: source } : {}),
      client,
      ...(intent ? { intent } : {}),
      ...extra,
    };
  };
  const events = [ev("session_start", { protocolVersion: "2025-06-18" }), ev("tools_list", { toolNames: TOOLS })];
  for (let k = 0; k < 12; k++) {
    const isError = Math.random() < 0.08;
    events.push(
      ev(
        "tool_call",
        {
          toolName: pick(TOOLS),
          arguments: { id: `A-${Math.floor(Math.random() * 10000)}`, limit: 10 },
          result: isError ? "Error: upstream timed out" : { ok: true, items: [{ id: 1, title: "Result row" }] },
          isError,
          durationMs: 20 + Math.floor(Math.random() * 800),
        },
        intents[k < 6 ? 0 : 1],
      ),
    );
  }
  for (let k = 0; k < 3; k++) {
    events.push(ev("search", { query: pick(QUERIES), resultCount: Math.random() < 0.25 ? 0 : 1 + Math.floor(Math.random() * 20) }, intents[1]));
  }
  events.push(ev("log", { level: Math.random() < 0.1 ? "error" : "info", message: "handled request" }));
  events.push(ev("feedback", { rating: Math.random() < 0.15 ? "negative" : "positive" }));
  events.push(ev("session_end", {}));
  return events;
}

/** A request body of `count` new events (whole sessions) from the last hour. */
export function recentEventsBody(count: number, sources: string[]): string {
  const events: Array<Record<string, unknown>> = [];
  // Sessions last up to ~90 s: started at least 10 minutes ago, none is in the server's future.
  while (events.length < count) events.push(...session(Date.now() - 600_000 - Math.random() * 3000_000, sources));
  return JSON.stringify({ events: events.slice(0, count) });
}

/**
 * Sends `total` events through the real ingestion endpoint (so the real rollup builds the aggregates): sessions
 * evenly spread over the last `days` days in time order, `batch` events per request, 2 requests at a time.
 */
export async function seedEvents(base: URL, key: string, sources: string[], total: number, log: (line: string) => void, days = 90, batch = 1000) {
  const t0 = performance.now();
  const sessions = Math.ceil(total / 20);
  const now = Date.now();
  const from = now - days * 86_400_000;
  const step = (now - 3600_000 - from) / sessions;
  let next = 0;
  let accepted = 0;
  let lastLog = t0;
  const worker = async () => {
    while (next < sessions) {
      const events: Array<Record<string, unknown>> = [];
      while (events.length < batch && next < sessions) events.push(...session(from + step * next++, sources));
      const res = await callApi(base, key, "POST", "/insights/events", { events });
      accepted += (res.accepted as number) ?? 0;
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        log(`seed: ${accepted} events in ${((lastLog - t0) / 1000).toFixed(0)} s`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  const seconds = (performance.now() - t0) / 1000;
  log(`seed: ${accepted} insight events through ${API}/insights/events in ${seconds.toFixed(1)} s`);
  return { events: accepted, seconds };
}
