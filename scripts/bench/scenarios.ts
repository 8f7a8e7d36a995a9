// The scenarios of `npm run bench`: each endpoint the issue names, the request it is measured with, and the
// target it should meet (issue 10). Every armature scenario is probed first (workers/probe.js); when the
// endpoint made D1 calls or queue sends, the bare Worker replays them as its reference.
import { recentEventsBody } from "./insights";
import { API, type Seeded } from "./seed";
import type { Goal } from "./verdict";

export interface Scenario {
  name: string;
  label: string;
  worker: "armature" | "hello-world";
  method: "GET" | "POST";
  path: string;
  /** Which organization's key authenticates the request (none: unauthenticated). */
  key?: "main" | "dispatch";
  body?: string | (() => string);
  /** Request headers beyond the key's (e.g. Accept-Encoding). */
  headers?: Record<string, string>;
  /**
   * Headers only known from the running Worker (e.g. the ETag for If-None-Match), asked of it once before
   * probing: `fetchOnce` does the scenario's request (its headers and key) and returns the response.
   */
  resolveHeaders?: (fetchOnce: () => Promise<Response>) => Promise<Record<string, string>>;
  expectStatus: number;
  /** Ids the endpoint generated, found in the probe's response: the bare replay makes new ones per request. */
  fresh?: (probeBody: unknown) => string[];
  /**
   * The bare reference is the endpoint's own answer (status, headers, the bytes on the wire), captured once from
   * the armature Worker and served from a module-level buffer by workers/static.js: for an answer that is the
   * same bytes every time (GET /openapi), what the runtime itself costs for exactly that response.
   */
  staticBare?: boolean;
  /**
   * hello-world is this scenario's reference (its target is a share of hello-world's rate): measured
   * interleaved with it, round by round, and "× hello" is taken from those slices.
   */
  helloReference?: boolean;
  /** Why there is no bare reference even though the endpoint uses D1 (its replay would not do the same work). */
  noBare?: string;
  /** Work per request in another unit, e.g. 100 events per ingestion request. */
  per?: { unit: string; count: number };
  /** The target, for the reader of the table. */
  target?: string;
  /**
   * The parts of `target` the harness can judge from its turns (verdict.ts, `judge`): each is met when its whole
   * 90 % interval is on the right side of the bound, not met when the whole interval is on the wrong side, and at
   * the line when the interval holds the bound (this run cannot tell).
   */
  goals?: Goal[];
  /** The path is only known from the seeded data: asked of the API (GET with the scenario's key) before probing. */
  resolvePath?: (getJson: (path: string) => Promise<unknown>) => Promise<string>;
}

const POINT_READ: Goal[] = [{ kind: "× bare", atLeast: 0.9 }, { kind: "CPU − bare ms", atMost: 0.3 }];
const LIST: Goal[] = [{ kind: "× bare", atLeast: 0.9 }];

export const HELLO = "hello-world";

/** Every scenario's name, for `--only` (`overview` exists only with `--events`). */
export const SCENARIO_NAMES = [
  HELLO, "openapi", "openapi-identity", "openapi-304", "org", "run", "runs", "runs-page50", "runs-cursor50", "workflow", "workflows", "mcp-server", "mcp-servers", "dispatch", "overview", "ingest",
  // Not HTTP scenarios: runs executed per second by the queue consumer, in its own Miniflare (consumer.ts); the
  // bundle's start-up and the isolate's heap after it (startup.ts).
  "consumer",
  "startup",
] as const;

export function scenarios(seeded: Seeded, withOverview: boolean): Scenario[] {
  const wf = seeded.workflowIds[Math.floor(seeded.workflowIds.length / 2)]!;
  // The first source has an auth profile (every third has one), so its read includes the profiles query's rows.
  const source = seeded.sourceIds[0]!;
  const openapi = { worker: "armature", method: "GET", path: `${API}/openapi` } as const;
  const list: Scenario[] = [
    { name: HELLO, label: "hello-world Worker", worker: "hello-world", method: "GET", path: "/", expectStatus: 200 },
    {
      // As browsers, curl --compressed, openapi-generator and Cloudflare's edge ask for it.
      name: "openapi",
      label: "GET /openapi (Accept-Encoding: gzip)",
      ...openapi,
      headers: { "accept-encoding": "gzip" },
      expectStatus: 200,
      staticBare: true,
      target: "≥ 0.9 × hello (and × bare: the same gzip bytes and headers from a buffer)",
    },
    {
      name: "openapi-identity",
      label: "GET /openapi (no Accept-Encoding: identity)",
      ...openapi,
      expectStatus: 200,
      staticBare: true,
    },
    {
      name: "openapi-304",
      label: "GET /openapi (gzip, If-None-Match: 304)",
      ...openapi,
      headers: { "accept-encoding": "gzip" },
      resolveHeaders: async (fetchOnce) => {
        const res = await fetchOnce();
        await res.arrayBuffer();
        const etag = res.headers.get("etag");
        if (res.status !== 200 || !etag) throw new Error(`openapi-304: GET /openapi answered ${res.status} with ETag ${etag}`);
        return { "if-none-match": etag };
      },
      expectStatus: 304,
      // Its bare reference: the same 304 (status and headers) from a buffer; hello-world interleaved as well.
      staticBare: true,
      helloReference: true,
      target: "≥ 0.9 × hello",
      goals: [{ kind: "× hello", atLeast: 0.9 }],
    },
    { name: "org", label: "GET /org (key cached)", worker: "armature", method: "GET", path: `${API}/org`, key: "main", expectStatus: 200, helloReference: true },
    {
      name: "run",
      label: "GET /runs/{id}",
      worker: "armature",
      method: "GET",
      path: `${API}/runs/${seeded.runId}`,
      key: "main",
      expectStatus: 200,
      target: "≥ 0.9 × bare; CPU ≤ bare + 0.3 ms; 1 round trip",
      goals: POINT_READ,
    },
    {
      name: "runs",
      label: `GET /runs?pageSize=100 (${seeded.runs} runs)`,
      worker: "armature",
      method: "GET",
      path: `${API}/runs?pageSize=100`,
      key: "main",
      expectStatus: 200,
      target: "≥ 0.9 × bare",
      goals: LIST,
    },
    {
      name: "runs-page50",
      label: "GET /runs?page=50&pageSize=100",
      worker: "armature",
      method: "GET",
      path: `${API}/runs?page=50&pageSize=100`,
      key: "main",
      expectStatus: 200,
      target: "same cost as page 1",
    },
    {
      name: "runs-cursor50",
      label: "GET /runs?cursor=…&pageSize=100 (page 50)",
      worker: "armature",
      method: "GET",
      path: `${API}/runs?pageSize=100`,
      // Page 49's nextCursor: page 50 by keyset.
      resolvePath: async (getJson) => {
        const page49 = (await getJson(`${API}/runs?page=49&pageSize=100`)) as { nextCursor?: string | null };
        if (!page49.nextCursor) throw new Error("runs-cursor50: page 49 answered no nextCursor (fewer than 5,000 runs seeded?)");
        return `${API}/runs?pageSize=100&cursor=${encodeURIComponent(page49.nextCursor)}`;
      },
      key: "main",
      expectStatus: 200,
      target: "same cost as page 1",
    },
    {
      name: "workflow",
      label: "GET /workflows/{id}",
      worker: "armature",
      method: "GET",
      path: `${API}/workflows/${wf}`,
      key: "main",
      expectStatus: 200,
      target: "≥ 0.9 × bare; CPU ≤ bare + 0.3 ms; 1 round trip",
      goals: POINT_READ,
    },
    {
      name: "workflows",
      label: `GET /workflows?pageSize=100 (${seeded.workflowIds.length})`,
      worker: "armature",
      method: "GET",
      path: `${API}/workflows?pageSize=100`,
      key: "main",
      expectStatus: 200,
      target: "≥ 0.9 × bare",
      goals: LIST,
    },
    {
      name: "mcp-server",
      label: "GET /mcp-servers/{id}",
      worker: "armature",
      method: "GET",
      path: `${API}/mcp-servers/${source}`,
      key: "main",
      expectStatus: 200,
      target: "≥ 0.9 × bare; CPU ≤ bare + 0.3 ms; 1 round trip",
      goals: POINT_READ,
    },
    {
      name: "mcp-servers",
      label: `GET /mcp-servers?pageSize=100 (${seeded.sourceIds.length})`,
      worker: "armature",
      method: "GET",
      path: `${API}/mcp-servers?pageSize=100`,
      key: "main",
      expectStatus: 200,
      target: "≥ 0.9 × bare",
      goals: LIST,
    },
    {
      name: "dispatch",
      label: "POST /workflows/{id}/runs",
      worker: "armature",
      method: "POST",
      path: `${API}/workflows/${seeded.dispatch.workflowId}/runs`,
      key: "dispatch",
      // A new run every time: without forceNewRun a repeated dispatch folds into the queued run (no insert, no send).
      body: JSON.stringify({ forceNewRun: true, reason: "bench" }),
      expectStatus: 202,
      fresh: (body) => ((body as { runs?: Array<{ id: string }> }).runs ?? []).map((r) => r.id),
      target: "≤ 3 ms CPU; 1 D1 batch; 1 queue send per run",
      goals: [{ kind: "CPU ms", atMost: 3 }],
    },
  ];
  if (withOverview) {
    list.push({
      name: "overview",
      label: "GET /insights/overview?range=90d",
      worker: "armature",
      method: "GET",
      path: `${API}/insights/overview?range=90d`,
      key: "main",
      expectStatus: 200,
      target: "at 1M events: ≤ 2 × the bare aggregate queries",
      // At most twice the bare queries' cost: at least half their rate.
      goals: [{ kind: "× bare", atLeast: 0.5 }],
    });
  }
  // Last: the events it ingests must not change what the overview reads in the same round.
  list.push(
    {
      name: "ingest",
      label: "POST /insights/events (100 events)",
      worker: "armature",
      method: "POST",
      path: `${API}/insights/events`,
      key: "main",
      body: () => recentEventsBody(100, seeded.sourceIds.slice(0, 3)),
      expectStatus: 202,
      per: { unit: "events", count: 100 },
      noBare: "a replay would insert the same event ids again, which D1 ignores as duplicates",
      target: "≥ 2,000 events/s",
    },
  );
  return list;
}
