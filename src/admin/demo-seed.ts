import type { z } from "@hono/zod-openapi";
import type { CreateMcpServerBody, McpServerView } from "../mcp-servers/schemas";

/**
 * The demo content `npm run dev` puts into the demo organization once the server answers, through the public
 * REST API with the owner key (so it is exactly what a user could have made): an MCP source that is this
 * Worker's own Armature MCP API read with the demo viewer key, two workflows on `armature/scripted` whose
 * initial runs end `pass` and `fail` by design, and a few MCP usage sessions that fill every insights view.
 *
 * Idempotent: objects are found by name before anything is created, events carry fixed ids (ingestion ignores
 * an id it has), and runs are only the initial runs of a workflow created now. A second seed creates nothing.
 * `fetch` is injected (no Node APIs here), so the tests run this very code against the Worker in workerd.
 * It imports no Worker-only modules either (scripts/dev.ts type-checks it against Node's types), so request and
 * answer shapes are written out here; the API itself validates them when test/demo/ seeds the Worker.
 */

/** The MCP API's path on the Worker, next to the REST API. */
export const DEMO_MCP_PATH = "/api/armature/mcp";
const API_PATH = "/api/armature/v1";

/** The demo source's name; later ones (another address, another viewer key) are `… (demo 2)`, `… (demo 3)`. */
export const DEMO_SOURCE_NAME = "Armature MCP API (demo)";
const demoSourceName = (n: number) => (n === 1 ? DEMO_SOURCE_NAME : DEMO_SOURCE_NAME.replace(/\)$/, ` ${n})`));
const isDemoSourceName = (name: string) => name === DEMO_SOURCE_NAME || /^Armature MCP API \(demo \d+\)$/.test(name);
export const DEMO_AUTH_PROFILE_NAME = "Demo viewer key";

export const DEMO_PASS_WORKFLOW = "Demo: the MCP API reads the organization";
export const DEMO_FAIL_WORKFLOW = "Demo: the MCP key may create workflows (fails by design)";

/** The client ids of the demo usage sessions (GET /insights/sessions/{id}/trace). */
export const DEMO_SESSION_IDS = {
  smooth: "demo-session-smooth",
  frustrated: "demo-session-frustrated",
  repeat: "demo-session-repeat",
  gaveUp: "demo-session-gave-up",
} as const;
/** The intent two demo sessions share: a topic. */
export const DEMO_TOPIC_INTENT = "Find the runs that failed last night";
/** The query that finds nothing three times in two sessions: a failed-search cluster. */
export const DEMO_FAILED_QUERY = "nightly login failures";

/** The fields of a POST /workflows body the demo uses (CreateWorkflowRequest). */
export interface DemoWorkflowBody {
  name: string;
  description: string;
  testerPrompt: string;
  testerModelIds: string[];
  criteria: Array<{ criterionText: string; isRequired?: boolean; check: Record<string, unknown> & { type: string } }>;
  schedule: { cron: string; timezone: string };
  limits: { timeoutSeconds: number };
  metadata: Record<string, string | number | boolean | null>;
}
/** A usage event of POST /insights/events. */
export type DemoEvent = Record<string, unknown> & { id: string; sessionId: string; type: string; timestamp: string };
/** What the REST API answers for a workflow (the fields read here). */
interface WorkflowView {
  id: string;
  name: string;
  mcpServerId: string;
}

/** The demo workflows, without the source: what each is for and how its initial run must end. */
/** How a demo workflow's runs end by design: status and classification. */
export interface DemoExpectation {
  status: "pass" | "fail";
  classification: "all_criteria_met" | "required_criteria_failed";
}

export const DEMO_WORKFLOWS: ReadonlyArray<{ expect: DemoExpectation; body: DemoWorkflowBody }> = [
  {
    expect: { status: "pass", classification: "all_criteria_met" },
    body: {
      name: DEMO_PASS_WORKFLOW,
      description: "Reads the organization and its workflows through the Armature MCP API with the demo viewer key.",
      testerPrompt: [
        "Read the organization and its workflows through the Armature MCP API.",
        "call get_org {}",
        "call list_workflows {}",
      ].join("\n"),
      testerModelIds: ["armature/scripted"],
      criteria: [
        { criterionText: "The tester read the organization with get_org", check: { type: "tool_called", tool: "get_org" } },
        {
          criterionText: "The MCP API knows the caller as the demo viewer key",
          check: { type: "tool_result_matches", tool: "get_org", pattern: "Demo viewer key" },
        },
        {
          criterionText: "The workflow list includes this workflow",
          check: { type: "tool_result_matches", tool: "list_workflows", pattern: "Demo: the MCP API reads the organization" },
        },
        { criterionText: "Every MCP call succeeded", check: { type: "no_tool_errors" } },
      ],
      schedule: { cron: "0 9 * * *", timezone: "UTC" },
      limits: { timeoutSeconds: 60 },
      metadata: { demo: true },
    },
  },
  {
    expect: { status: "fail", classification: "required_criteria_failed" },
    body: {
      name: DEMO_FAIL_WORKFLOW,
      description:
        "Fails by design: it requires that the MCP source's key may create workflows (editor or above), but the demo source sends a viewer key.",
      testerPrompt: [
        "Check that the key of this MCP source may create workflows. The call sends an empty workflow, so it never",
        "creates one: the MCP API checks the key's role first, then refuses the empty workflow as invalid.",
        "call get_org {}",
        "call create_workflow {}",
      ].join("\n"),
      testerModelIds: ["armature/scripted"],
      criteria: [
        { criterionText: "The tester read the organization with get_org", check: { type: "tool_called", tool: "get_org" } },
        {
          criterionText: "The key may create workflows: the MCP API judged the empty workflow instead of refusing the key",
          check: { type: "tool_result_matches", tool: "create_workflow", pattern: "validation_failed" },
        },
      ],
      schedule: { cron: "0 9 * * 1", timezone: "UTC" },
      limits: { timeoutSeconds: 60 },
      metadata: { demo: true },
    },
  },
];

export interface DemoSeedOptions {
  /** The Worker's origin as reached from where the seed runs and from the Worker itself: `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** An owner (or editor) key of the organization to seed. */
  ownerKey: string;
  /** The viewer key the demo source sends to the MCP API. */
  viewerKey: string;
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  /** "Now" for the demo sessions' timestamps (they lie in the three hours before it). */
  now?: Date;
}

export interface DemoSeedReport {
  source: { id: string; name: string; url: string; created: boolean };
  workflows: Array<{ id: string; name: string; expect: DemoExpectation; created: boolean; movedToSource: boolean }>;
  /** The demo usage events: new ones stored, and ones already there. */
  events: { accepted: number; duplicates: number };
}

/** True when the seed created or changed anything. */
export const seedChangedAnything = (r: DemoSeedReport) =>
  r.source.created || r.events.accepted > 0 || r.workflows.some((w) => w.created || w.movedToSource);

export class DemoSeedError extends Error {
  override name = "DemoSeedError";
}

/** The demo source's URL: the MCP API of the Worker at `baseUrl`. */
export function demoMcpUrl(baseUrl: string): string {
  return new URL(DEMO_MCP_PATH, baseUrl).href;
}

/**
 * Seeds the demo content (see the file comment); safe to run at every start.
 *
 * @example
 * const report = await seedDemo({ baseUrl: "http://127.0.0.1:8787", ownerKey, viewerKey, fetch });
 */
export async function seedDemo(opts: DemoSeedOptions): Promise<DemoSeedReport> {
  const api = restClient(opts);
  const source = await ensureSource(api, demoMcpUrl(opts.baseUrl), opts.viewerKey);
  const workflows = await ensureWorkflows(api, source.id);
  const events = await api.json<{ accepted: number; duplicates: number }>("POST", "/insights/events", {
    events: demoEvents(opts.now ?? new Date(), source.id),
  });
  return { source, workflows, events };
}

type Rest = ReturnType<typeof restClient>;

function restClient(opts: Pick<DemoSeedOptions, "baseUrl" | "ownerKey" | "fetch">) {
  const base = new URL(API_PATH, opts.baseUrl).href;
  async function send(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await opts.fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${opts.ownerKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text for the error message
    }
    return { status: res.status, body: parsed };
  }
  /** The answer's JSON; any status but 2xx is a DemoSeedError naming the request and the API's error. */
  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await send(method, path, body);
    if (r.status < 200 || r.status >= 300) throw new DemoSeedError(`${method} ${API_PATH}${path} answered ${r.status}: ${describe(r.body)}`);
    return r.body as T;
  }
  /** Every item of a paged list (`?page&pageSize`). */
  async function all<T>(path: string, field: string): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const body = await json<Record<string, unknown> & { hasMore: boolean }>("GET", `${path}?pageSize=100&page=${page}`);
      items.push(...(body[field] as T[]));
      if (!body.hasMore) return items;
    }
  }
  return { json, all };
}

function describe(body: unknown): string {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (error?.message) return `${error.code}: ${error.message}`;
  return (typeof body === "string" ? body : JSON.stringify(body) ?? "").slice(0, 300);
}

/**
 * The demo source: a source whose name starts with DEMO_SOURCE_NAME, whose URL is `url` and whose default auth
 * profile holds `viewerKey` (judged by its hint, the key's last characters). Sources cannot be edited, so when
 * the dev server moved to another address or the viewer key was replaced, another one is registered
 * (`… (demo 2)`) and the workflows move to it; the old one stays, unused.
 */
async function ensureSource(api: Rest, url: string, viewerKey: string): Promise<DemoSeedReport["source"]> {
  const sources = await api.all<McpServerView>("/mcp-servers", "mcpServers");
  // The hint the API shows for a secret (src/lib/secret-box.ts, secretHint): its last four characters.
  const hint = `••••${viewerKey.slice(-4)}`;
  const existing = sources.find(
    (s) =>
      isDemoSourceName(s.name) &&
      s.url === url &&
      s.authProfiles.some((p) => p.id === s.defaultMcpAuthProfileId && p.name === DEMO_AUTH_PROFILE_NAME && p.secretHint === hint),
  );
  if (existing) return { id: existing.id, name: existing.name, url: existing.url, created: false };

  const taken = new Set(sources.map((s) => s.name));
  let n = 1;
  while (taken.has(demoSourceName(n))) n++;
  const name = demoSourceName(n);
  const body: z.input<typeof CreateMcpServerBody> = {
    name,
    url,
    description: "This dev server's own Armature MCP API, read with the demo viewer key. Registered by npm run dev.",
    authProfiles: [{ name: DEMO_AUTH_PROFILE_NAME, type: "bearer", value: viewerKey, isDefault: true }],
  };
  const created = await api.json<McpServerView>("POST", "/mcp-servers", body);
  return { id: created.id, name: created.name, url: created.url, created: true };
}

/** The demo workflows by name: created (with their initial runs) when missing, moved to `sourceId` when on another source. */
async function ensureWorkflows(api: Rest, sourceId: string): Promise<DemoSeedReport["workflows"]> {
  const listed = await api.all<WorkflowView>("/workflows", "workflows");
  const out: DemoSeedReport["workflows"] = [];
  for (const { expect, body } of DEMO_WORKFLOWS) {
    const found = listed.find((w) => w.name === body.name);
    if (!found) {
      const created = await api.json<{ workflow: WorkflowView }>("POST", "/workflows", { ...body, mcpServerId: sourceId });
      out.push({ id: created.workflow.id, name: body.name, expect, created: true, movedToSource: false });
    } else if (found.mcpServerId !== sourceId) {
      await api.json("PATCH", `/workflows/${found.id}`, { mcpServerId: sourceId });
      out.push({ id: found.id, name: body.name, expect, created: false, movedToSource: true });
    } else {
      out.push({ id: found.id, name: body.name, expect, created: false, movedToSource: false });
    }
  }
  return out;
}

/**
 * Four MCP usage sessions of agents using the demo source in the three hours before `now`, chosen so that each
 * view of GET /insights/sessions has one (docs/insights.md, "What is derived"):
 * - smooth: a health check whose calls and search work, with positive feedback: only in `all`;
 * - frustrated: a failed search, two errored calls of one tool with changed arguments, negative feedback and
 *   the end right after an error: frustration 1 (`high_frustration`) and `flagged`;
 * - repeat: the same intent comes back after another, and the same search fails twice: `repeat` (0.3);
 * - gave up: one errored call, then the end: 0.45, `flagged` without `high_frustration`.
 * The frustrated and repeat sessions share DEMO_TOPIC_INTENT (a topic of volume 2) and DEMO_FAILED_QUERY (a
 * failed-search cluster of 3 misses in 2 sessions). Ids are fixed: sending them again stores nothing.
 */
export function demoEvents(now: Date, mcpServerId: string): DemoEvent[] {
  const at = (minutesAgo: number, seconds = 0) => new Date(now.getTime() - minutesAgo * 60_000 + seconds * 1000).toISOString();
  const offered = ["get_org", "list_workflows", "get_workflow", "search_runs", "get_run", "list_topics", "register_mcp_server"];
  const session = (
    sessionId: string,
    client: { name: string; version: string },
    startMinutesAgo: number,
    events: Array<Record<string, unknown> & { type: string }>,
  ): DemoEvent[] =>
    events.map((e, i) => ({
      id: `${sessionId}-${String(i + 1).padStart(2, "0")}`,
      sessionId,
      mcpServerId,
      client,
      timestamp: at(startMinutesAgo, i * 7),
      ...e,
    }));

  const health = "Check workflow health";
  return [
    ...session(DEMO_SESSION_IDS.smooth, { name: "Claude Desktop", version: "1.2.0" }, 180, [
      { type: "session_start", intent: health, protocolVersion: "2025-11-25" },
      { type: "tools_list", toolNames: offered },
      { type: "tool_call", intent: health, toolName: "list_workflows", arguments: {}, result: "2 workflows", isError: false, durationMs: 84 },
      { type: "search", intent: health, query: "failed runs today", resultCount: 1 },
      { type: "tool_call", intent: health, toolName: "search_runs", arguments: { status: "fail", range: "24h" }, result: "1 run", isError: false, durationMs: 112 },
      { type: "feedback", rating: "positive", comment: "Quick overview, thanks." },
      { type: "session_end" },
    ]),
    ...session(DEMO_SESSION_IDS.frustrated, { name: "Cursor", version: "2.0.4" }, 120, [
      { type: "session_start", intent: DEMO_TOPIC_INTENT },
      { type: "tools_list", toolNames: offered },
      { type: "search", intent: DEMO_TOPIC_INTENT, query: DEMO_FAILED_QUERY, resultCount: 0 },
      { type: "tool_call", intent: DEMO_TOPIC_INTENT, toolName: "search_runs", arguments: { search: "nightly login" }, result: "range must be 24h, 7d or 30d", isError: true, durationMs: 35 },
      { type: "tool_call", intent: DEMO_TOPIC_INTENT, toolName: "search_runs", arguments: { search: "login", range: "1d" }, result: "range must be 24h, 7d or 30d", isError: true, durationMs: 31 },
      { type: "log", level: "warning", message: "The agent gave up on finding last night's runs." },
      { type: "feedback", rating: "negative", comment: "It could not find last night's failed runs." },
      { type: "session_end" },
    ]),
    ...session(DEMO_SESSION_IDS.repeat, { name: "Claude Code", version: "2.1.0" }, 80, [
      { type: "session_start" },
      { type: "search", intent: DEMO_TOPIC_INTENT, query: DEMO_FAILED_QUERY, resultCount: 0 },
      { type: "tool_call", intent: health, toolName: "list_workflows", arguments: {}, result: "2 workflows", isError: false, durationMs: 77 },
      { type: "search", intent: DEMO_TOPIC_INTENT, query: DEMO_FAILED_QUERY, resultCount: 0 },
      { type: "tool_call", intent: DEMO_TOPIC_INTENT, toolName: "search_runs", arguments: { status: "fail", range: "7d" }, result: "1 run", isError: false, durationMs: 95 },
      { type: "session_end" },
    ]),
    ...session(DEMO_SESSION_IDS.gaveUp, { name: "Claude Desktop", version: "1.2.0" }, 40, [
      { type: "session_start", intent: "Register a new MCP source" },
      { type: "tool_call", intent: "Register a new MCP source", toolName: "register_mcp_server", arguments: { name: "Docs", url: "https://mcp.example.com/mcp" }, result: "forbidden: this needs an editor key", isError: true, durationMs: 12 },
      { type: "session_end" },
    ]),
  ];
}

/** The latest run of each of these workflows (GET /runs?workflowId=…), or null while it has none. */
export async function latestRuns(
  opts: Pick<DemoSeedOptions, "baseUrl" | "ownerKey" | "fetch">,
  workflowIds: string[],
): Promise<Array<{ id: string; status: string; classification: string | null } | null>> {
  const api = restClient(opts);
  return Promise.all(
    workflowIds.map(async (id) => {
      const page = await api.json<{ runs: Array<{ id: string; status: string; classification: string | null }> }>(
        "GET",
        `/runs?workflowId=${id}&range=30d&pageSize=1`,
      );
      return page.runs[0] ?? null;
    }),
  );
}
