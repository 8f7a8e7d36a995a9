import { createRoute } from "@hono/zod-openapi";
import type { ApiApp } from "../../app";
import { errorResponses, json, UuidParam } from "../../lib/openapi";
import { pageLinks } from "../../lib/pagination";
import { getRun, getRunEvaluation, getRunTrace, listRuns, listRunToolCalls } from "../../runs/queries";
import {
  LINK_HEADER,
  ListRunsQuery,
  RunEvaluationSchema,
  RunListSchema,
  RunSchema,
  RunToolCallsSchema,
  RunTraceSchema,
} from "../../runs/schemas";

const security = [{ bearerAuth: [] }];
const tags = ["runs"];

const list = createRoute({
  method: "get",
  path: "/runs",
  operationId: "listRuns",
  tags,
  security,
  summary: "Search the organization's runs",
  description:
    "Runs created within `range` of now that match every filter given, one page at a time. Unknown query parameters are ignored.",
  request: { query: ListRunsQuery },
  responses: {
    200: { ...json(RunListSchema, "One page of matching runs."), headers: LINK_HEADER },
    ...errorResponses(400),
  },
});

const get = createRoute({
  method: "get",
  path: "/runs/{id}",
  operationId: "getRun",
  tags,
  security,
  summary: "Get one run",
  description: "The run's workflow, status, timestamps, model, evaluator output and cost. Poll it until `status` is terminal.",
  request: { params: UuidParam },
  responses: {
    200: json(RunSchema, "The run."),
    ...errorResponses(400, 404),
  },
});

const trace = createRoute({
  method: "get",
  path: "/runs/{id}/trace",
  operationId: "getRunTrace",
  tags,
  security,
  summary: "Get a run's redacted trace",
  description:
    "The spans the tester agent emitted, redacted. While the run is queued or running, `complete` is false and the spans are those recorded so far.",
  request: { params: UuidParam },
  responses: {
    200: json(RunTraceSchema, "The run's trace."),
    ...errorResponses(400, 404),
  },
});

const evaluation = createRoute({
  method: "get",
  path: "/runs/{id}/evaluation",
  operationId: "getRunEvaluation",
  tags,
  security,
  summary: "Get a run's evaluation evidence",
  description:
    "Per-criterion results, the judge model's verdict and the supporting excerpts, redacted. `evaluation` is null while the run is queued or running (`complete: false`) and for a terminal run that was never judged.",
  request: { params: UuidParam },
  responses: {
    200: json(RunEvaluationSchema, "The run's evaluation."),
    ...errorResponses(400, 404),
  },
});

const toolCalls = createRoute({
  method: "get",
  path: "/runs/{id}/tool-calls",
  operationId: "listRunToolCalls",
  tags,
  security,
  summary: "List a run's MCP tool calls",
  description:
    "Every recorded MCP tool call of the run in call order, with arguments, result body and duration, redacted. While the run is queued or running, `complete` is false and the list may grow.",
  request: { params: UuidParam },
  responses: {
    200: json(RunToolCallsSchema, "The run's tool calls."),
    ...errorResponses(400, 404),
  },
});

export function registerRuns(app: ApiApp) {
  app.openapi(list, async (c) => {
    const query = c.req.valid("query");
    const page = await listRuns(c.var.db, c.var.principal.org.id, query);
    const link = pageLinks(c.req.url, query, page.total);
    if (link) c.header("link", link);
    return c.json(page, 200);
  });
  app.openapi(get, async (c) => {
    return c.json(await getRun(c.var.db, c.var.principal.org.id, c.req.valid("param").id), 200);
  });
  app.openapi(trace, async (c) => {
    return c.json(await getRunTrace(c.var.db, c.var.principal.org.id, c.req.valid("param").id), 200);
  });
  app.openapi(evaluation, async (c) => {
    return c.json(await getRunEvaluation(c.var.db, c.var.principal.org.id, c.req.valid("param").id), 200);
  });
  app.openapi(toolCalls, async (c) => {
    return c.json(await listRunToolCalls(c.var.db, c.var.principal.org.id, c.req.valid("param").id), 200);
  });
}
