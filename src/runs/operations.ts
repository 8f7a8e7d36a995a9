import { UuidParam } from "../lib/openapi";
import { defineOperation } from "../operations/operation";
import { getRun, getRunEvaluation, getRunTrace, listRuns, listRunToolCalls } from "./queries";
import { ListRunsQuery, RunEvaluationSchema, RunListSchema, RunSchema, RunToolCallsSchema, RunTraceSchema } from "./schemas";

export const listRunsOp = defineOperation({
  name: "listRuns",
  tag: "runs",
  summary: "Search the organization's runs",
  description:
    "Runs created within `range` of now that match every filter given, one page at a time. Unknown query parameters are ignored.",
  role: "viewer",
  readOnly: true,
  input: { query: ListRunsQuery },
  output: RunListSchema,
  outputDescription: "One page of matching runs.",
  run: (ctx, query) => listRuns(ctx.db, ctx.principal.org.id, query, ctx.now()),
});

export const getRunOp = defineOperation({
  name: "getRun",
  tag: "runs",
  summary: "Get one run",
  description: "The run's workflow, status, timestamps, model, evaluator output and cost. Poll it until `status` is terminal.",
  role: "viewer",
  readOnly: true,
  input: { path: UuidParam },
  output: RunSchema,
  outputDescription: "The run.",
  run: (ctx, { id }) => getRun(ctx.db, ctx.principal.org.id, id),
});

export const getRunTraceOp = defineOperation({
  name: "getRunTrace",
  tag: "runs",
  summary: "Get a run's redacted trace",
  description:
    "The spans the tester agent emitted, redacted. While the run is queued or running, `complete` is false and the spans are those recorded so far.",
  role: "viewer",
  readOnly: true,
  input: { path: UuidParam },
  output: RunTraceSchema,
  outputDescription: "The run's trace.",
  run: (ctx, { id }) => getRunTrace(ctx.db, ctx.principal.org.id, id),
});

export const getRunEvaluationOp = defineOperation({
  name: "getRunEvaluation",
  tag: "runs",
  summary: "Get a run's evaluation evidence",
  description:
    "Per-criterion results, the judge model's verdict and the supporting excerpts, redacted. `evaluation` is null while the run is queued or running (`complete: false`) and for a terminal run that was never judged.",
  role: "viewer",
  readOnly: true,
  input: { path: UuidParam },
  output: RunEvaluationSchema,
  outputDescription: "The run's evaluation.",
  run: (ctx, { id }) => getRunEvaluation(ctx.db, ctx.principal.org.id, id),
});

export const listRunToolCallsOp = defineOperation({
  name: "listRunToolCalls",
  tag: "runs",
  summary: "List a run's MCP tool calls",
  description:
    "Every recorded MCP tool call of the run in call order, with arguments, result body and duration, redacted. While the run is queued or running, `complete` is false and the list may grow.",
  role: "viewer",
  readOnly: true,
  input: { path: UuidParam },
  output: RunToolCallsSchema,
  outputDescription: "The run's tool calls.",
  run: (ctx, { id }) => listRunToolCalls(ctx.db, ctx.principal.org.id, id),
});
