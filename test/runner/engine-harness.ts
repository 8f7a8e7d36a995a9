/**
 * Drives the run engine end to end for tests: workflows created over the API, their messages as captured
 * from the real Queue binding (the test file's `captureQueue()`), delivered to the consumer with an
 * in-process network (an MCP fixture), and everything read back over REST.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { expect } from "vitest";
import type { Env, RunMessage } from "../../src/env";
import { processRunBatch } from "../../src/runner/consumer";
import { executeRun } from "../../src/runner/execute-run";
import { callJson, testContext, type TestOrg } from "../helpers";
import { createMcpFixture, FIXTURE_URL, type McpFixture } from "../fixtures/mcp-server";
import { createMcpSource, createWorkflow, type captureQueue } from "../workflows/fixtures";

export interface RunBody {
  id: string;
  status: string;
  classification: string | null;
  error: string | null;
  reason: string | null;
  mcp: { protocolVersion: string; era: string } | null;
  skillMode: string;
  skillVersionId: string | null;
  skillDigest: string | null;
  baselineRunId: string | null;
  attempt: number;
  retryOfRunId: string | null;
  cost: { usd: number | null; inputTokens: number | null; outputTokens: number | null };
}
export interface ToolCall {
  toolName: string;
  arguments: unknown;
  result: unknown;
  isError: boolean;
  policyRefused: boolean;
}
export interface Criterion {
  criterionText: string;
  isRequired: boolean;
  passed: boolean;
  verdict: string;
  reasoning: string;
  excerpts: string[];
  method: string;
  check?: { type: string };
  baseline?: string;
}
export interface EvaluationBody {
  complete: boolean;
  evaluation: { verdict: string; judgeModelId: string; summary: string; criteria: Criterion[]; baselineRunId?: string | null } | null;
}
export interface Span {
  name: string;
  kind: string;
  error?: string;
  attributes: Record<string, unknown>;
  events?: Array<Record<string, unknown>>;
}

export type Network = Pick<McpFixture, "fetch">;

/** A source whose every request answers 503. */
export const downSource = (): Network => ({ fetch: (async () => new Response("unavailable", { status: 503 })) as typeof fetch });

/** The fixture's fetch, recording every URL the engine asked for (also those the fixture has no route to). */
export function watched(fixture: Network): Network & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: ((input, init) => {
      urls.push(new Request(input, init).url);
      return fixture.fetch(input, init);
    }) as typeof fetch,
  };
}

/** The engine helpers over a test file's queue recorder. */
export function engineHarness(queue: ReturnType<typeof captureQueue>) {
  /** Delivers these messages to the consumer in one batch; returns the queue result (acks and retries). */
  async function deliver(messages: unknown[], network: Network, contextEnv?: Env) {
  const batch = createMessageBatch<RunMessage>(
    "armature-runs",
    messages.map((body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: body as RunMessage })),
  );
  const exec = createExecutionContext();
  await processRunBatch(batch, testContext({ fetch: network.fetch, ...(contextEnv ? { env: contextEnv } : {}) }), executeRun);
  return getQueueResult(batch, exec);
  }

  /** Delivers every queued run of this org (their messages as captured from the real Queue binding); returns their ids. */
  async function deliverQueued(org: TestOrg, network: Network, contextEnv?: Env) {
  const listed = await callJson<{ runs: Array<{ id: string }> }>("/runs?status=queued&pageSize=100", { key: org.ownerKey });
  const ids = listed.body.runs.map((r) => r.id);
  await deliver(await queue.waitForRuns(ids), network, contextEnv);
  return ids;
  }

  /** Creates a source (over the fixture's URL unless `sourceBody` says otherwise) and a workflow on it, and runs its initial runs. */
  async function runWorkflow(
  org: TestOrg,
  body: Record<string, unknown>,
  network: Network = createMcpFixture(),
  sourceBody: Record<string, unknown> = {},
  contextEnv?: Env,
  ) {
  const source = await createMcpSource(org, { url: FIXTURE_URL, ...sourceBody });
  const wf = await createWorkflow(org, { mcpServerId: source.id, testerModelIds: ["armature/scripted"], ...body });
  const runIds = await deliverQueued(org, network, contextEnv);
  return { wf, source, runIds };
  }

  /** Dispatches a run of the workflow over the API and delivers it; returns its id. */
  async function dispatchAndRun(org: TestOrg, workflowId: string, network: Network, body: Record<string, unknown> = {}) {
  const dispatched = await callJson<{ runs: Array<{ id: string }> }>(`/workflows/${workflowId}/runs`, { key: org.ownerKey, body });
  expect(dispatched.status).toBe(202);
  await deliverQueued(org, network);
  return dispatched.body.runs[0]!.id;
  }

  /** Everything a user reads about a run. */
  async function read(org: TestOrg, runId: string) {
  const run = await callJson<RunBody>(`/runs/${runId}`, { key: org.ownerKey });
  const toolCalls = await callJson<{ complete: boolean; toolCalls: ToolCall[] }>(`/runs/${runId}/tool-calls`, { key: org.ownerKey });
  const evaluation = await callJson<EvaluationBody>(`/runs/${runId}/evaluation`, { key: org.ownerKey });
  const trace = await callJson<{ spans: Span[] }>(`/runs/${runId}/trace`, { key: org.ownerKey });
  for (const r of [run, toolCalls, evaluation, trace]) expect(r.status).toBe(200);
  return {
    run: run.body,
    toolCalls: toolCalls.body.toolCalls,
    evaluation: evaluation.body.evaluation,
    spans: trace.body.spans,
    bodies: { run: run.body, toolCalls: toolCalls.body, evaluation: evaluation.body, trace: trace.body },
  };
  }

  return { deliver, deliverQueued, runWorkflow, dispatchAndRun, read };
}
