/**
 * The demo content of `npm run dev` (src/admin/demo-seed.ts), seeded through the real Worker's REST API as
 * scripts/dev.ts seeds it, twice: the second seed creates nothing. The demo runs go through the real Queue
 * binding (captured) to the real consumer and engine, whose MCP source is the Worker's own Armature MCP API:
 * the engine's outbound fetch for the dev server's origin is routed to the Worker (exports.default.fetch), as
 * `wrangler dev` routes http://127.0.0.1:8787 to it. Everything is read back over REST.
 */
import type { z } from "@hono/zod-openapi";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import {
  DEMO_FAIL_WORKFLOW,
  DEMO_FAILED_QUERY,
  DEMO_PASS_WORKFLOW,
  DEMO_SESSION_IDS,
  DEMO_SOURCE_NAME,
  DEMO_TOPIC_INTENT,
  demoEvents,
  type DemoSeedReport,
  demoMcpUrl,
  seedDemo,
} from "../../src/admin/demo-seed";
import type { Env } from "../../src/env";
import type {
  InsightSearchListSchema,
  InsightSessionListSchema,
  InsightSessionTraceSchema,
  InsightTopicListSchema,
} from "../../src/insights/read-operations";
import { DEMO_VIEWER_KEY_NAME } from "../../src/admin/demo";
import { callJson, createKey, createOrg, type TestOrg } from "../helpers";
import { engineHarness, type Network } from "../runner/engine-harness";
import { captureQueue } from "../workflows/fixtures";

const queue = captureQueue();
const { deliver, read } = engineHarness(queue);

type SessionList = z.infer<typeof InsightSessionListSchema>;
type TopicList = z.infer<typeof InsightTopicListSchema>;
type SearchList = z.infer<typeof InsightSearchListSchema>;
type Trace = z.infer<typeof InsightSessionTraceSchema>;

/** Where `npm run dev` serves by default: the seed registers the MCP API at this origin. */
const DEV_ORIGIN = "http://127.0.0.1:8787";
/** The Worker reached over "the network": its own fetch, as wrangler dev would route it. */
const workerFetch = (input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(new Request(input, init));
/** Loopback sources are allowed as under npm run dev (ARMATURE_ALLOW_PRIVATE_SOURCES). */
const devEnv: Env = { ...env, ARMATURE_ALLOW_PRIVATE_SOURCES: "true" };

/** The engine's network: the dev server's origins reach the Worker, anything else is unreachable. */
function devNetwork(origins: string[]): Network & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new Request(input, init).url;
      urls.push(url);
      if (!origins.includes(new URL(url).origin)) return new Response("unreachable in this test", { status: 502 });
      return workerFetch(input, init);
    }) as typeof fetch,
  };
}

async function seed(org: TestOrg, viewerKey: string, baseUrl = DEV_ORIGIN): Promise<DemoSeedReport> {
  return seedDemo({ baseUrl, ownerKey: org.ownerKey, viewerKey, fetch: workerFetch });
}

const get = async <T>(org: TestOrg, path: string): Promise<T> => {
  const r = await callJson<T>(path, { key: org.ownerKey });
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

/** Everything a seed could create, counted over REST. */
async function counts(org: TestOrg) {
  const [sources, workflows, runs, sessions, topics, searches] = await Promise.all([
    get<{ total: number }>(org, "/mcp-servers"),
    get<{ total: number }>(org, "/workflows"),
    get<{ total: number }>(org, "/runs?range=30d"),
    get<SessionList>(org, "/insights/sessions?limit=100"),
    get<TopicList>(org, "/insights/topics?limit=100"),
    get<SearchList>(org, "/insights/searches?limit=100"),
  ]);
  return {
    sources: sources.total,
    workflows: workflows.total,
    runs: runs.total,
    sessions: sessions.sessions.length,
    topics: topics.topics.length,
    clusters: searches.searches.length,
  };
}

/** Delivers the queued runs of these workflows to the consumer over `network`; returns run ids by workflow name. */
async function runInitialRuns(org: TestOrg, report: DemoSeedReport, network: Network) {
  const byName: Record<string, string> = {};
  for (const w of report.workflows) {
    const page = await get<{ runs: Array<{ id: string; trigger: string; status: string }> }>(org, `/runs?workflowId=${w.id}`);
    expect(page.runs).toMatchObject([{ trigger: "initial", status: "queued" }]);
    byName[w.name] = page.runs[0]!.id;
  }
  const ids = Object.values(byName);
  await deliver(await queue.waitForRuns(ids), network, devEnv);
  return byName;
}

/** Polls a session list until `done` holds (the rollup runs after ingestion answers). */
async function sessionsWhen(org: TestOrg, view: string, done: (ids: string[]) => boolean): Promise<string[]> {
  let ids: string[] = [];
  await vi.waitUntil(
    async () => {
      ids = (await get<SessionList>(org, `/insights/sessions?view=${view}&limit=100`)).sessions.map((s) => s.id);
      return done(ids);
    },
    { timeout: 10_000, interval: 50 },
  ).catch(() => {
    throw new Error(`view=${view} never got what the demo promises; it lists ${JSON.stringify(ids)}`);
  });
  return ids;
}

describe("the npm run dev demo", () => {
  it("seeds once, runs pass and fail as designed over the MCP API, fills every insights view, and a second seed creates nothing", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const viewerKey = await createKey(org.id, "viewer", { name: DEMO_VIEWER_KEY_NAME });

    const first = await seed(org, viewerKey);
    expect(first.source).toMatchObject({ name: DEMO_SOURCE_NAME, url: `${DEV_ORIGIN}/api/armature/mcp`, created: true });
    expect(first.workflows.map((w) => [w.name, w.expect.status, w.created])).toEqual([
      [DEMO_PASS_WORKFLOW, "pass", true],
      [DEMO_FAIL_WORKFLOW, "fail", true],
    ]);
    expect(first.events).toEqual({ accepted: demoEvents(new Date(), "").length, duplicates: 0 });

    // The initial runs, through the queue and the engine, against the Worker's own MCP API.
    const network = devNetwork([DEV_ORIGIN]);
    const runIds = await runInitialRuns(org, first, network);
    expect(network.urls.length).toBeGreaterThan(0);
    expect(network.urls.every((u) => u.startsWith(`${DEV_ORIGIN}/api/armature/mcp`))).toBe(true);

    // What npm run dev reports as "as designed" is what the runs really do.
    expect(first.workflows.map((w) => w.expect)).toEqual([
      { status: "pass", classification: "all_criteria_met" },
      { status: "fail", classification: "required_criteria_failed" },
    ]);
    const pass = await read(org, runIds[DEMO_PASS_WORKFLOW]!);
    expect(pass.run, JSON.stringify(pass.bodies)).toMatchObject({ status: "pass", classification: "all_criteria_met", error: null });
    expect(pass.toolCalls.map((c) => [c.toolName, c.isError])).toEqual([
      ["get_org", false],
      ["list_workflows", false],
    ]);
    expect(pass.evaluation!.criteria.map((c) => [c.method, c.passed])).toEqual([
      ["check", true],
      ["check", true],
      ["check", true],
      ["check", true],
    ]);
    expect(pass.spans.map((s) => s.kind)).toEqual(expect.arrayContaining(["run", "mcp.connect", "model", "tool"]));

    const fail = await read(org, runIds[DEMO_FAIL_WORKFLOW]!);
    expect(fail.run, JSON.stringify(fail.bodies)).toMatchObject({ status: "fail", classification: "required_criteria_failed", error: null });
    expect(fail.toolCalls.map((c) => [c.toolName, c.isError])).toEqual([
      ["get_org", false],
      ["create_workflow", true],
    ]);
    expect(fail.evaluation!.criteria.map((c) => [c.isRequired, c.passed])).toEqual([
      [true, true],
      [true, false],
    ]);
    // The failing criterion shows why: the MCP API refused the viewer key before looking at the workflow.
    expect(fail.evaluation!.criteria[1]!.excerpts.join(" ")).toMatch(/forbidden.*viewer/);
    expect((await get<{ total: number }>(org, "/workflows")).total).toBe(2);

    // Insights: the demo sessions land in every view, with a topic and a failed-search cluster; the runs' own
    // MCP calls were recorded as usage of the organization too.
    const demoIds = Object.values(DEMO_SESSION_IDS);
    const all = await sessionsWhen(org, "all", (ids) => demoIds.every((id) => ids.includes(id)) && ids.length > demoIds.length);
    expect(all.length).toBeGreaterThan(demoIds.length);
    expect(await sessionsWhen(org, "high_frustration", (ids) => ids.includes(DEMO_SESSION_IDS.frustrated))).not.toContain(DEMO_SESSION_IDS.gaveUp);
    expect(await sessionsWhen(org, "repeat", (ids) => ids.includes(DEMO_SESSION_IDS.repeat))).not.toContain(DEMO_SESSION_IDS.smooth);
    const flagged = await sessionsWhen(org, "flagged", (ids) => ids.includes(DEMO_SESSION_IDS.frustrated) && ids.includes(DEMO_SESSION_IDS.gaveUp));
    expect(flagged).not.toContain(DEMO_SESSION_IDS.repeat);
    const trace = await get<Trace>(org, `/insights/sessions/${DEMO_SESSION_IDS.frustrated}/trace`);
    expect(trace.classifications).toMatchObject({ frustration: 1, views: ["high_frustration", "flagged"], failedQueries: [DEMO_FAILED_QUERY] });

    const topics = await get<TopicList>(org, "/insights/topics");
    expect(topics.topics.find((t) => t.label === DEMO_TOPIC_INTENT)).toMatchObject({ volume: 2 });
    const searches = await get<SearchList>(org, "/insights/searches");
    expect(searches.searches).toEqual([expect.objectContaining({ query: DEMO_FAILED_QUERY, count: 3, sessions: 2, mcpServerId: first.source.id })]);

    // A restart: the same seed again creates nothing, and no run is queued.
    const before = await counts(org);
    const sent = queue.messages.length;
    const second = await seed(org, viewerKey);
    expect(second.source).toEqual({ ...first.source, created: false });
    expect(second.workflows).toEqual(first.workflows.map((w) => ({ ...w, created: false })));
    expect(second.events).toEqual({ accepted: 0, duplicates: first.events.accepted });
    await new Promise((r) => setTimeout(r, 200));
    expect(queue.messages.length).toBe(sent);
    expect(await counts(org)).toEqual(before);
    expect(before).toMatchObject({ sources: 1, workflows: 2, runs: 2, topics: expect.any(Number), clusters: 1 });
  });

  it("registers the MCP API again when the dev server moved to another port, and moves the demo workflows to it", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const viewerKey = await org.keyFor("viewer");
    const first = await seed(org, viewerKey);
    const moved = await seed(org, viewerKey, "http://127.0.0.1:8788");
    expect(moved.source).toMatchObject({ name: "Armature MCP API (demo 2)", url: demoMcpUrl("http://127.0.0.1:8788"), created: true });
    expect(moved.workflows.map((w) => [w.id, w.created, w.movedToSource])).toEqual(first.workflows.map((w) => [w.id, false, true]));
    for (const w of moved.workflows) {
      expect((await get<{ workflow: { mcpServerId: string } }>(org, `/workflows/${w.id}`)).workflow.mcpServerId).toBe(moved.source.id);
    }
    // Back on the first port: its source is found again (nothing new), and the workflows move back.
    const back = await seed(org, viewerKey);
    expect(back.source).toEqual({ ...first.source, created: false });
    expect(back.workflows.every((w) => w.movedToSource && !w.created)).toBe(true);
    expect((await get<{ total: number }>(org, "/mcp-servers")).total).toBe(2);
    // Only the initial runs were ever queued: moving a workflow dispatches nothing.
    expect((await get<{ total: number }>(org, "/runs?range=30d")).total).toBe(2);
  });

  it("registers another source when the viewer key was replaced, since a source's auth profile cannot be edited", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const first = await seed(org, await org.keyFor("viewer"));
    const again = await seed(org, await org.keyFor("viewer"));
    expect(again.source).toMatchObject({ name: "Armature MCP API (demo 2)", url: first.source.url, created: true });
    expect(again.workflows.every((w) => w.movedToSource)).toBe(true);
  });

  it("reports what the API refused, naming the request", async () => {
    const org = await createOrg();
    const viewerKey = await org.keyFor("viewer");
    await expect(seedDemo({ baseUrl: DEV_ORIGIN, ownerKey: viewerKey, viewerKey, fetch: workerFetch })).rejects.toThrow(
      /POST \/api\/armature\/v1\/mcp-servers answered 403: forbidden/,
    );
    // Without MCP Analytics the source and workflows are made, and the events are refused.
    await expect(seed(org, viewerKey)).rejects.toThrow(/POST \/api\/armature\/v1\/insights\/events answered 403: feature_disabled/);
  });
});
