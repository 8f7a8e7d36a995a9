// The benchmark's data: the migrations from migrations/, an organization with an owner key minted by the
// project's own functions, MCP sources and workflows created through the API, and `runs` finished runs with
// their trace, tool calls and evaluation inserted directly into D1, shaped as src/runs/lifecycle.ts finishRun
// writes them (and readable by the schemas of src/runs/records.ts). Plus a second organization, used only by the
// dispatch scenario, so the runs it creates never change what the read scenarios read.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Miniflare } from "miniflare";
import { insertApiKeySql, insertOrganizationSql } from "../../src/admin/sql";
import { parsePeppers } from "../../src/auth/api-key";
import { mintApiKey } from "../../src/auth/key-records";
import { ROOT } from "../lib/project";

type D1 = Awaited<ReturnType<Miniflare["getD1Database"]>>;

export const API = "/api/armature/v1";

/** Sources and workflows of the benchmark organization: more than one list page of 100 each. */
export const SOURCES = 120;
export const WORKFLOWS = 120;

export interface SeededOrg {
  slug: string;
  orgId: string;
  key: string;
}

export interface Seeded {
  main: SeededOrg;
  /** The organization the dispatch scenario writes into. */
  dispatch: SeededOrg & { workflowId: string };
  sourceIds: string[];
  workflowIds: string[];
  /** A finished run of the main organization, with trace, tool calls and evaluation. */
  runId: string;
  runs: number;
  seconds: number;
}

/** migrations/*.sql in order, split at drizzle's statement breakpoints. */
export function readMigrations(dir = path.join(ROOT, "migrations")): Array<{ name: string; statements: string[] }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => ({
      name,
      statements: readFileSync(path.join(dir, name), "utf8")
        .split("--> statement-breakpoint")
        .map((s) => s.trim())
        .filter((s) => s.replace(/--[^\n]*/g, "").trim() !== ""),
    }));
}

export async function applyMigrations(db: D1) {
  for (const migration of readMigrations()) {
    await db.batch(migration.statements.map((sql) => db.prepare(sql)));
  }
}

/** A small deterministic PRNG (mulberry32), so every run seeds the same shapes. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function createOrg(db: D1, peppers: string, slug: string, features: string[]): Promise<SeededOrg> {
  const orgId = crypto.randomUUID();
  const now = Date.now();
  await db.prepare(insertOrganizationSql({ id: orgId, slug, name: `Bench ${slug}`, features, createdAt: now })).run();
  const { key, row } = await mintApiKey(parsePeppers(peppers), { orgId, role: "owner", name: "bench", now: new Date(now) });
  await db.prepare(insertApiKeySql(row, slug)).run();
  return { slug, orgId, key };
}

/** Calls the API under test directly (the harness's own requests, never timed). */
export async function callApi(base: URL, key: string, method: string, route: string, body?: unknown) {
  const res = await fetch(new URL(`${API}${route}`, base), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const CATEGORIES = ["search", "billing", "support", "docs", "crm"];
const TOOLS = ["search_docs", "get_order", "create_invoice", "update_customer", "list_tickets", "get_inventory"];

function sourceBody(i: number) {
  return {
    name: `Bench source ${String(i + 1).padStart(3, "0")}`,
    url: `https://mcp-${i + 1}.bench.example.com/mcp`,
    description: `The ${CATEGORIES[i % CATEGORIES.length]} MCP server of team ${(i % 7) + 1}, production deployment.`,
    ...(i % 3 === 0
      ? { authProfiles: [{ name: "Production token", type: "bearer", value: `sk_live_${crypto.randomUUID().replaceAll("-", "")}` }] }
      : {}),
  };
}

function workflowBody(i: number, sourceId: string) {
  const tool = TOOLS[i % TOOLS.length]!;
  return {
    name: `Bench workflow ${String(i + 1).padStart(3, "0")}: ${tool.replace("_", " ")} works`,
    mcpServerId: sourceId,
    description: "Checks that the tester can complete the task with the source's tools and that the answer is grounded.",
    categorySlug: CATEGORIES[i % CATEGORIES.length],
    testerPrompt:
      `Use the available tools to ${tool.replace("_", " ")} for customer ACME-${1000 + i}. ` +
      "Report what you found in two sentences, quoting the identifiers the tools returned.",
    criteria: [
      { criterionText: `The tester called ${tool}`, check: { type: "tool_called", tool } },
      { criterionText: "The answer quotes the identifiers the tools returned" },
      { criterionText: "No tool answered an error", isRequired: false, check: { type: "no_tool_errors" } },
    ],
    ...(i % 3 === 0 ? { schedule: { cron: "0 9 * * 1-5", timezone: "Europe/Berlin" } } : {}),
    limits: { timeoutSeconds: 120, maxTurns: 10, maxToolCalls: 20 },
    metadata: { team: `team-${(i % 7) + 1}`, tier: i % 2 ? "gold" : "silver" },
  };
}

interface WorkflowRef {
  id: string;
  name: string;
  versionId: string;
  version: number;
  modelId: string;
}

const RUN_COLUMNS = [
  "id", "org_id", "workflow_id", "workflow_version_id", "workflow_version", "workflow_name", "status", "classification",
  "trigger", "reason", "model_id", "skill_mode", "queue_attempts", "timeout_seconds", "created_at", "enqueued_at",
  "started_at", "finished_at", "duration_ms", "cost_usd", "input_tokens", "output_tokens", "error",
  "mcp_protocol_version", "mcp_protocol_era", "attempt",
];
const TRACE_COLUMNS = ["run_id", "spans", "created_at"];
const TOOL_CALL_COLUMNS = ["id", "run_id", "seq", "tool_name", "arguments", "result", "is_error", "policy_refused", "duration_ms", "started_at"];
const EVALUATION_COLUMNS = ["run_id", "verdict", "judge_model_id", "summary", "criteria", "created_at"];

/** One INSERT of many rows from a JSON array parameter: one bound parameter however many rows. */
function insertJson(db: D1, table: string, columns: string[], rows: Array<Record<string, unknown>>) {
  const select = columns.map((c) => `json_extract(value, '$.${c}')`).join(", ");
  return db.prepare(`INSERT INTO ${table} (${columns.join(", ")}) SELECT ${select} FROM json_each(?)`).bind(JSON.stringify(rows));
}

const iso = (ms: number) => new Date(ms).toISOString();

type Span = { id: string; parentId: string | null; name: string; kind: string; startedAt: string; endedAt: string; attributes: Record<string, unknown>; error?: string };

/** The evaluation of the workflow's 3 criteria (workflowBody), as the engine stores it. */
function evaluationOf(runId: string, status: string, tool: string, calls: number, answer: string, at: number) {
  const criterion = (text: string, isRequired: boolean, passed: boolean, method: "check" | "judge", reasoning: string, extra: object) => ({
    criterionText: text, isRequired, verdict: passed ? "pass" : "fail", passed, method, reasoning, ...extra,
  });
  return {
    run_id: runId,
    verdict: status,
    judge_model_id: "armature/scripted",
    created_at: at,
    summary: status === "pass" ? "Every criterion passed." : "At least one criterion failed.",
    criteria: JSON.stringify([
      criterion(`The tester called ${tool}`, true, true, "check", `${tool} was called ${calls} time(s).`, {
        check: { type: "tool_called", tool },
        excerpts: [`tools/call ${tool}`],
      }),
      criterion("The answer quotes the identifiers the tools returned", true, status !== "fail", "judge",
        "The answer names ORD-10000 and ORD-10003, which the tools returned.", { excerpts: [answer.slice(0, 60)] }),
      criterion("No tool answered an error", false, status !== "partial", "check",
        status === "partial" ? "1 tool call answered an error." : "No tool call answered an error.", {
          check: { type: "no_tool_errors" },
          excerpts: [],
        }),
    ]),
  };
}

/** A tool's answer: an MCP result with a JSON list of a few orders, or an error. */
function toolResult(rand: () => number, isError: boolean) {
  const items = Array.from({ length: 3 + Math.floor(rand() * 5) }, (_, k) => ({
    id: `ORD-${10000 + k}`,
    status: "open",
    total: Math.round(rand() * 50000) / 100,
    title: "Order for ACME Corp, standard shipping",
  }));
  const text = isError ? "Error: upstream timed out after 10000 ms" : JSON.stringify({ items });
  return { content: [{ type: "text", text }], isError };
}

/**
 * One finished run and its evidence, as the engine records them: 70 % pass, 18 % fail, 7 % partial, 5 %
 * infrastructure failures (no tool calls, no evaluation); 1 to 5 tool calls, one model step per call plus the
 * final answer, then the judge.
 */
function finishedRun(rand: () => number, orgId: string, wf: WorkflowRef, createdAt: number) {
  const id = crypto.randomUUID();
  const roll = rand();
  const infra = roll > 0.95;
  const status = infra ? "fail" : roll < 0.7 ? "pass" : roll < 0.88 ? "fail" : "partial";
  const classification = infra
    ? "mcp_connection_failed"
    : { pass: "all_criteria_met", fail: "required_criteria_failed", partial: "optional_criteria_failed" }[status];
  const started = createdAt + 200 + Math.floor(rand() * 800);
  const tool = TOOLS[Math.floor(rand() * TOOLS.length)]!;
  const callCount = infra ? 0 : 1 + Math.floor(rand() * 5);
  let t = started + 300;

  const spans: Span[] = [];
  const span = (name: string, kind: string, from: number, to: number, attributes: Record<string, unknown>, error?: string) => {
    const s: Span = { id: `s${spans.length + 1}`, parentId: spans.length ? "s1" : null, name, kind, startedAt: iso(from), endedAt: iso(to), attributes };
    if (error) s.error = error;
    spans.push(s);
    return s;
  };
  const root = span("run", "run", started, started, {
    runId: id, workflowId: wf.id, workflowVersion: wf.version, modelId: wf.modelId, skillMode: "none", attempt: 1,
  });
  const source = { url: "https://mcp.bench.example.com/mcp", transport: "streamable-http" };
  if (infra) {
    span("mcp.connect", "mcp.connect", started + 5, t, { ...source, classification: "mcp_connection_failed" },
      "The MCP source refused the connection: connect ECONNREFUSED");
  } else {
    span("mcp.connect", "mcp.connect", started + 5, t, {
      ...source, protocolVersion: "2025-06-18", era: "2025", serverName: "bench-mcp", serverVersion: "1.4.0", toolCount: TOOLS.length,
    });
  }

  const toolCalls: Array<Record<string, unknown>> = [];
  let inputTokens = 0;
  let outputTokens = 0;
  for (let step = 1; !infra && step <= callCount + 1; step++) {
    const inTok = 800 + Math.floor(rand() * 1500);
    const outTok = 40 + Math.floor(rand() * 300);
    inputTokens += inTok;
    outputTokens += outTok;
    const last = step > callCount;
    const modelStart = t;
    t += 150 + Math.floor(rand() * 600);
    span(`chat ${wf.modelId}`, "model", modelStart, t, {
      step, provider: "armature", model: wf.modelId, inputTokens: inTok, outputTokens: outTok,
      finishReason: last ? "stop" : "tool-calls", toolCalls: last ? 0 : 1,
    });
    if (last) break;
    const seq = toolCalls.length;
    const name = seq === 0 ? tool : TOOLS[Math.floor(rand() * TOOLS.length)]!;
    const isError = rand() < 0.06;
    const args = { customerId: `ACME-${1000 + Math.floor(rand() * 900)}`, query: "open orders last 30 days", limit: 10 };
    const callStart = t;
    const duration = 20 + Math.floor(rand() * 600);
    t += duration;
    span(`tools/call ${name}`, "tool", callStart, t, { toolName: name, arguments: args, toolCallId: `call_${seq + 1}`, isError, refused: false });
    toolCalls.push({
      id: crypto.randomUUID(), run_id: id, seq, tool_name: name, arguments: JSON.stringify(args),
      result: JSON.stringify(toolResult(rand, isError)), is_error: isError ? 1 : 0, policy_refused: 0, duration_ms: duration, started_at: callStart,
    });
  }

  let evaluation: ReturnType<typeof evaluationOf> | null = null;
  if (!infra) {
    const judgeStart = t;
    t += 5 + Math.floor(rand() * 40);
    span("evaluate", "judge", judgeStart, t, { judge: "armature/scripted", verdict: status });
    const answer = "Found 4 open orders for ACME-1042 (ORD-10000 to ORD-10003), the largest 312.40 USD; none is overdue.";
    root.attributes.answer = answer;
    evaluation = evaluationOf(id, status, tool, callCount, answer, t);
  }
  root.endedAt = iso(t);
  const finished = t + 10;
  const run = {
    id, org_id: orgId, workflow_id: wf.id, workflow_version_id: wf.versionId, workflow_version: wf.version, workflow_name: wf.name,
    status, classification, trigger: rand() < 0.6 ? "schedule" : "manual", reason: rand() < 0.3 ? "post-deploy smoke test" : null,
    model_id: wf.modelId, skill_mode: "none", queue_attempts: 1, timeout_seconds: 120, attempt: 1,
    created_at: createdAt, enqueued_at: createdAt, started_at: started, finished_at: finished, duration_ms: finished - started,
    cost_usd: infra ? 0 : Math.round(rand() * 4000) / 100000,
    input_tokens: infra ? null : inputTokens,
    output_tokens: infra ? null : outputTokens,
    error: infra ? "The MCP source could not be reached: connect ECONNREFUSED" : null,
    mcp_protocol_version: infra ? null : "2025-06-18",
    mcp_protocol_era: infra ? null : "2025",
  };
  return { run, trace: { run_id: id, spans: JSON.stringify(spans), created_at: finished }, toolCalls, evaluation };
}

/** Seeds everything; `base` is the API under test (its direct URL). */
export async function seed(db: D1, base: URL, peppers: string, runCount: number, log: (line: string) => void): Promise<Seeded> {
  const t0 = performance.now();
  await applyMigrations(db);
  const main = await createOrg(db, peppers, "bench", ["mcp-analytics"]);
  const other = await createOrg(db, peppers, "bench-dispatch", []);

  const sourceIds: string[] = [];
  for (let i = 0; i < SOURCES; i++) {
    const made = await callApi(base, main.key, "POST", "/mcp-servers", sourceBody(i));
    sourceIds.push(made.id as string);
  }
  const workflows: WorkflowRef[] = [];
  for (let i = 0; i < WORKFLOWS; i++) {
    const made = await callApi(base, main.key, "POST", "/workflows", workflowBody(i, sourceIds[i % sourceIds.length]!));
    const wf = made.workflow as { id: string; name: string; testerTargets: Array<{ modelId: string }> };
    const version = made.currentVersion as { id: string; version: number };
    workflows.push({ id: wf.id, name: wf.name, versionId: version.id, version: version.version, modelId: wf.testerTargets[0]!.modelId });
  }
  // Creating a workflow queues its initial run; the seeded runs replace them, so the organization has exactly
  // `runCount` runs, all finished.
  await db.prepare("DELETE FROM runs WHERE org_id = ?").bind(main.orgId).run();
  log(`seed: ${SOURCES} sources and ${WORKFLOWS} workflows through the API`);

  const rand = prng(42);
  const now = Date.now();
  // Spread over the last 20 hours: all within GET /runs' default range (24h).
  const span = 20 * 3600_000;
  let firstRunId = "";
  const CHUNK = 100;
  for (let start = 0; start < runCount; start += CHUNK) {
    const made = Array.from({ length: Math.min(CHUNK, runCount - start) }, (_, k) => {
      const i = start + k;
      return finishedRun(rand, main.orgId, workflows[i % workflows.length]!, now - span + Math.floor((i * span) / runCount));
    });
    firstRunId ||= made[0]!.run.id;
    const evaluations = made.flatMap((m) => (m.evaluation ? [m.evaluation] : []));
    await db.batch([
      insertJson(db, "runs", RUN_COLUMNS, made.map((m) => m.run)),
      insertJson(db, "run_traces", TRACE_COLUMNS, made.map((m) => m.trace)),
      insertJson(db, "run_tool_calls", TOOL_CALL_COLUMNS, made.flatMap((m) => m.toolCalls)),
      ...(evaluations.length ? [insertJson(db, "run_evaluations", EVALUATION_COLUMNS, evaluations)] : []),
    ]);
    if ((start / CHUNK) % 20 === 19) log(`seed: ${start + CHUNK} runs`);
  }
  // A run from the middle of the range, so the point read is not at either end of the index.
  const middle = await db
    .prepare("SELECT id FROM runs WHERE org_id = ? AND status = 'pass' ORDER BY created_at LIMIT 1 OFFSET ?")
    .bind(main.orgId, Math.floor(runCount / 2))
    .first<{ id: string }>();

  const dispatchSource = await callApi(base, other.key, "POST", "/mcp-servers", sourceBody(0));
  const dispatchWorkflow = await callApi(base, other.key, "POST", "/workflows", workflowBody(0, dispatchSource.id as string));
  const seconds = (performance.now() - t0) / 1000;
  log(`seed: ${runCount} runs with traces, tool calls and evaluations in ${seconds.toFixed(1)} s`);
  return {
    main,
    dispatch: { ...other, workflowId: (dispatchWorkflow.workflow as { id: string }).id },
    sourceIds,
    workflowIds: workflows.map((w) => w.id),
    runId: middle?.id ?? firstRunId,
    runs: runCount,
    seconds,
  };
}
