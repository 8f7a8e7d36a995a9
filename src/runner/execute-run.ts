import type { AppContext } from "../context";
import { errorFields } from "../lib/logger";
import { redactValue } from "../lib/redaction";
import { findModel, modelCostUsd } from "../models/catalog";
import { finishRun, type RunOutcome, type RunRow } from "../runs/lifecycle";
import type { StoredEvaluation } from "../runs/records";
import type { RunClassification } from "../runs/status";
import { LIMIT_BOUNDS } from "../workflows/schemas";
import { AgentFailure, runAgent, type AgentResult } from "./agent/agent";
import { resolveTesterModel } from "./agent/providers";
import { findBaseline } from "./baseline";
import { createHeuristicJudge, createModelJudge, evaluateRun, HEURISTIC_JUDGE_ID, toStoredEvaluation, type Judge } from "./evaluate";
import { connectSource } from "./mcp/client";
import { createGuardedFetch } from "./mcp/outbound";
import { scheduleRetry } from "./retry";
import { loadRunSetup } from "./setup";
import { resolveSkill } from "./skill";
import { createTraceRecorder } from "./trace";
import { RunFailure, type McpSession, type RecordedToolCall } from "./types";

/** Time kept back from a run's timeout to record its end inside the same invocation. */
const FINISH_MARGIN_MS = 5_000;

/**
 * The judge of this deployment: ARMATURE_DEFAULT_JUDGE_MODEL, else the offline heuristic. A model judge is
 * resolved when a criterion first needs it (a run whose criteria all have checks never does), and a provider
 * this deployment has not configured is the judge failing: `judge_error`, naming what is missing, with the
 * run's evidence kept (`model_not_configured` is the tester model's).
 */
function judgeFor(ctx: AppContext, secrets: string[]): Judge {
  const id = ctx.config.defaultJudgeModel;
  if (!id || id === HEURISTIC_JUDGE_ID || id === "armature/scripted") return createHeuristicJudge();
  let judge: Judge | null = null;
  return {
    id,
    judge(criterion, evidence) {
      if (!judge) {
        let resolved: ReturnType<typeof resolveTesterModel>;
        try {
          resolved = resolveTesterModel(id, ctx.env, { fetch: ctx.fetch });
        } catch (err) {
          if (err instanceof RunFailure) throw new RunFailure("judge_error", err.message.replace(/^Tester model/, "The judge model"));
          throw err;
        }
        secrets.push(...resolved.secrets);
        judge = createModelJudge(resolved.model, { id, secrets: resolved.secrets });
      }
      return judge.judge(criterion, evidence);
    },
  };
}

/**
 * Executes a claimed run: connects to the workflow's MCP source, lets the tester agent use its tools to
 * carry out the tester prompt, evaluates every criterion, and ends the run with all its evidence in one
 * batch (src/runs/lifecycle.ts finishRun). Whatever goes wrong ends the run terminal with what it had:
 * a RunFailure with its classification, the deadline as `run_timeout`, anything else as `internal_error`.
 */
export async function executeRun(ctx: AppContext, run: RunRow): Promise<void> {
  const trace = createTraceRecorder(() => ctx.now());
  const root = trace.start("run", "run", null, {
    runId: run.id,
    workflowId: run.workflowId,
    workflowVersion: run.workflowVersion,
    modelId: run.modelId,
    skillMode: run.skillMode,
    attempt: run.attempt,
  });
  const timeoutMs = Math.min(run.timeoutSeconds, LIMIT_BOUNDS.timeoutSeconds.max) * 1000;
  // Aborted with the run's failure, so the parts that stop on it (the agent, the MCP session) end with it
  // and keep their evidence.
  const deadlineController = new AbortController();
  const deadlineTimer = setTimeout(() => deadlineController.abort(timeoutFailure(run)), Math.max(1_000, timeoutMs - FINISH_MARGIN_MS));
  const deadline = deadlineController.signal;
  const secrets: string[] = [];
  let session: McpSession | null = null;
  let agent: AgentResult | null = null;
  let skillDigest: string | null = null;
  let outcome: RunOutcome;
  let evaluation: StoredEvaluation | null = null;
  let retryable = false;
  let judged: { modelId: string; inputTokens: number; outputTokens: number } | null = null;

  try {
    const setup = await loadRunSetup(ctx, run);
    secrets.push(...setup.secrets);
    const tester = resolveTesterModel(run.modelId, ctx.env, { fetch: ctx.fetch });
    secrets.push(...tester.secrets);
    const fetch = createGuardedFetch({
      baseDomain: ctx.config.baseDomain,
      allowPrivate: ctx.config.allowPrivateSources,
      fetch: ctx.fetch,
    });
    session = await connectSource({
      url: setup.source.url,
      transport: setup.source.transport,
      headers: setup.headers,
      fetch,
      trace,
      parentSpanId: root,
      signal: deadline,
    });
    const skill = run.skillMode === "skill" ? await resolveSkill(session, run.skillVersionId ?? "", trace, root) : null;
    skillDigest = skill?.digest ?? null;
    const open = session;
    try {
      agent = await runAgent({
        model: tester.model,
        system: skill?.text,
        prompt: setup.config.testerPrompt,
        tools: open.tools,
        policy: setup.config.toolPolicy,
        limits: setup.config.limits,
        pricing: tester.pricing,
        callTool: (name, args, signal) => open.callTool(name, args, signal),
        trace,
        parentSpanId: root,
        signal: deadline,
        now: () => ctx.now(),
        knownSecrets: secrets,
      });
    } catch (err) {
      // Keep what the agent gathered before it failed.
      if (err instanceof AgentFailure) agent = err.partial;
      throw err;
    }
    trace.end(root, { attributes: { answer: agent.answer } });
    if (agent.stoppedBy) {
      throw new RunFailure(
        "limit_exceeded",
        `The run was stopped by its ${agent.stoppedBy} limit (${setup.config.limits[agent.stoppedBy]}); the evidence up to that point is kept`,
      );
    }
    const judgeSpan = trace.start("evaluate", "judge", root);
    const result = await evaluateRun({
      criteria: setup.config.criteria,
      answer: agent.answer,
      toolCalls: agent.toolCalls,
      judge: judgeFor(ctx, secrets),
      baseline: await findBaseline(ctx, run),
      signal: deadline,
    });
    trace.end(judgeSpan, { attributes: { judge: result.judgeModelId, verdict: result.verdict } });
    evaluation = toStoredEvaluation(result);
    judged = { modelId: result.judgeModelId, ...result.judgeUsage };
    outcome = { status: result.verdict, classification: result.classification };
  } catch (err) {
    const failure = asRunFailure(err, deadline, run);
    if (failure.classification === "internal_error") ctx.log.error("run failed unexpectedly", { error: errorFields(err) });
    outcome = { status: "fail", classification: failure.classification, error: failure.message };
    retryable = INFRASTRUCTURE.has(failure.classification);
  } finally {
    clearTimeout(deadlineTimer);
    await session?.close().catch(() => {});
  }

  trace.closeAll(outcome.error ?? undefined);
  // The run's cost: the tester's tokens and the judge's, each at its model's catalog price.
  const usage = agent?.usage;
  const judgeModel = judged ? findModel(judged.modelId) : undefined;
  const judgeUsd = judged && judgeModel ? modelCostUsd(judgeModel, judged.inputTokens, judged.outputTokens) : 0;
  outcome.cost = usage
    ? {
        usd: agent!.costUsd + judgeUsd,
        inputTokens: usage.inputTokens + (judged?.inputTokens ?? 0),
        outputTokens: usage.outputTokens + (judged?.outputTokens ?? 0),
      }
    : { usd: findModel(run.modelId) ? 0 : null, inputTokens: null, outputTokens: null };
  // One redaction policy, before anything is stored (and again on every read): the source's auth secret and
  // the provider keys by exact value, and every credential shape.
  outcome.error = outcome.error ? redactValue(outcome.error, secrets) : null;
  outcome.evidence = redactValue(
    {
      spans: trace.spans(),
      toolCalls: (agent?.toolCalls ?? []).map(storedToolCall),
      evaluation,
      mcp: session ? { protocolVersion: session.protocolVersion, era: session.era } : null,
      skillDigest,
    },
    secrets,
  );
  const won = await finishRun(ctx, run.id, outcome);
  if (won && (retryable || outcome.status !== "pass")) await scheduleRetry(ctx, run, outcome, retryable);
}

/** Classifications of failures of the infrastructure rather than of the source under test: retryable. */
const INFRASTRUCTURE = new Set<RunClassification>([
  "mcp_connection_failed",
  "mcp_protocol_error",
  "model_error",
  "judge_error",
  "run_timeout",
  "internal_error",
]);

function timeoutFailure(run: RunRow): RunFailure {
  return new RunFailure("run_timeout", `The run exceeded its time limit of ${run.timeoutSeconds} seconds; the evidence up to then is kept`);
}

function asRunFailure(err: unknown, deadline: AbortSignal, run: RunRow): RunFailure {
  if (err instanceof RunFailure) return err;
  if (deadline.aborted) return timeoutFailure(run);
  return new RunFailure("internal_error", "The run failed on an internal error; the evidence up to then is kept");
}

/** The stored shape of a recorded call (the text the model read is evidence for checks, not a column). */
function storedToolCall(call: RecordedToolCall) {
  const { text: _text, ...stored } = call;
  return stored;
}
