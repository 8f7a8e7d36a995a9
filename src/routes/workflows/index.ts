import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ApiApp } from "../../app";
import { requireRole } from "../../auth/middleware";
import type { AppEnv } from "../../env";
import { BODY_ERRORS, errorResponses, json, jsonBody, UuidParam } from "../../lib/openapi";
import { validationError } from "../../lib/errors";
import { createWorkflow, dispatchWorkflowRuns, updateWorkflow, type CommandDeps } from "../../workflows/commands";
import { archiveWorkflow, getWorkflow, listWorkflows, toVersionView, toWorkflowView } from "../../workflows/store";
import {
  CreateWorkflowBody,
  DispatchBody,
  DispatchedRunSchema,
  IdempotencyKey,
  SLUG_PATTERN,
  UpdateWorkflowBody,
  WorkflowSchema,
  WorkflowVersionSchema,
} from "../../workflows/schemas";

const security = [{ bearerAuth: [] }];
const tags = ["workflows"];
const editor = requireRole("editor");

const slugList = z
  .string()
  .max(1000)
  .optional()
  .openapi({ description: "One or more category slugs, comma-separated (at most 50).", example: "search,billing" });

/** A workflow with its current version: what get and update answer. */
const WorkflowResponse = z
  .object({ workflow: WorkflowSchema, currentVersion: WorkflowVersionSchema })
  .openapi("WorkflowResponse");

const list = createRoute({
  method: "get",
  path: "/workflows",
  operationId: "listWorkflows",
  tags,
  security,
  summary: "List active workflows",
  request: {
    query: z.object({
      category: slugList,
      categorySlug: z.string().max(64).optional().openapi({ description: "A single category slug.", example: "search" }),
    }),
  },
  responses: {
    200: json(z.object({ workflows: z.array(WorkflowSchema) }).openapi("WorkflowList"), "The organization's active workflows."),
    ...errorResponses(400),
  },
});

const get = createRoute({
  method: "get",
  path: "/workflows/{id}",
  operationId: "getWorkflow",
  tags,
  security,
  summary: "Get a workflow with its current version and schedule",
  request: { params: UuidParam },
  responses: {
    200: json(
      WorkflowResponse,
      "The workflow; archived workflows are readable too.",
    ),
    ...errorResponses(400, 404),
  },
});

const create = createRoute({
  method: "post",
  path: "/workflows",
  operationId: "createWorkflow",
  tags,
  security,
  summary: "Create a workflow and queue its initial dispatch window (editor or higher)",
  middleware: editor,
  request: { body: jsonBody(CreateWorkflowBody) },
  responses: {
    201: json(
      z
        .object({
          workflow: WorkflowSchema,
          currentVersion: WorkflowVersionSchema,
          initialDispatch: z.object({ queued: z.number().int(), failed: z.number().int() }),
        })
        .openapi("CreateWorkflowResponse"),
      "The workflow, its first version, and how many initial runs were queued.",
    ),
    ...errorResponses(...BODY_ERRORS),
  },
});

const update = createRoute({
  method: "patch",
  path: "/workflows/{id}",
  operationId: "updateWorkflow",
  tags,
  security,
  summary: "Update a workflow, writing a new version (editor or higher)",
  middleware: editor,
  request: { params: UuidParam, body: jsonBody(UpdateWorkflowBody) },
  responses: {
    200: json(
      WorkflowResponse,
      "The workflow and its new current version (unchanged when the patch changed nothing).",
    ),
    ...errorResponses(...BODY_ERRORS, 404, 409),
  },
});

const archive = createRoute({
  method: "delete",
  path: "/workflows/{id}",
  operationId: "archiveWorkflow",
  tags,
  security,
  summary: "Archive a workflow (editor or higher)",
  middleware: editor,
  request: { params: UuidParam },
  responses: {
    200: json(z.object({ ok: z.literal(true) }).openapi("OkResponse"), "Archived; archiving twice is harmless."),
    ...errorResponses(400, 404),
  },
});

const dispatch = createRoute({
  method: "post",
  path: "/workflows/{id}/runs",
  operationId: "dispatchWorkflowRuns",
  tags,
  security,
  summary: "Dispatch runs outside the schedule (editor or higher)",
  middleware: editor,
  request: {
    params: UuidParam,
    headers: z.object({
      "idempotency-key": IdempotencyKey.optional().openapi({
        description: "Alternative to the body's idempotencyKey; they must agree when both are sent.",
      }),
    }),
    body: { required: false, content: { "application/json": { schema: DispatchBody } } },
  },
  responses: {
    202: {
      description: "The dispatched runs. Poll GET /runs/{id} until status is pass, fail or partial.",
      headers: {
        "idempotent-replayed": {
          description: "`true` when an idempotency key replayed the runs of an earlier dispatch.",
          schema: { type: "string" },
        },
      },
      content: {
        "application/json": {
          schema: z
            .object({
              runs: z.array(DispatchedRunSchema),
              queued: z.number().int().openapi({ description: "New runs put on the queue." }),
              failed: z.number().int().openapi({ description: "New runs that could not be queued (ended as fail)." }),
            })
            .openapi("DispatchRunsResponse"),
        },
      },
    },
    ...errorResponses(...BODY_ERRORS, 404, 409, 422),
  },
});

function deps(c: Context<AppEnv>): CommandDeps {
  return { db: c.var.db, queue: c.env.RUNS_QUEUE, now: new Date(), defaultModel: c.env.ARMATURE_DEFAULT_TESTER_MODEL };
}

/** Category slugs one list request may name (each is a bound parameter; D1 allows 100). */
const MAX_CATEGORIES = 50;

function categoriesOf(query: { category?: string; categorySlug?: string }): string[] {
  const slugs = [...(query.category?.split(",") ?? []), ...(query.categorySlug ? [query.categorySlug] : [])]
    .map((s) => s.trim())
    .filter(Boolean);
  if (slugs.length > MAX_CATEGORIES) {
    throw validationError([{ field: "query.category", message: `At most ${MAX_CATEGORIES} categories` }]);
  }
  const bad = slugs.find((s) => !SLUG_PATTERN.test(s));
  if (bad !== undefined) {
    throw validationError([
      { field: query.category?.includes(bad) ? "query.category" : "query.categorySlug", message: `'${bad}' is not a valid slug` },
    ]);
  }
  return [...new Set(slugs)];
}

export function registerWorkflows(app: ApiApp) {
  app.openapi(list, async (c) => {
    const workflows = await listWorkflows(c.var.db, c.var.principal.org.id, categoriesOf(c.req.valid("query")));
    return c.json({ workflows }, 200);
  });

  app.openapi(get, async (c) => {
    const rows = await getWorkflow(c.var.db, c.var.principal.org.id, c.req.valid("param").id);
    return c.json({ workflow: toWorkflowView(rows), currentVersion: toVersionView(rows.version) }, 200);
  });

  app.openapi(create, async (c) => {
    const { rows, initialDispatch } = await createWorkflow(deps(c), c.var.principal.org.id, c.req.valid("json"));
    return c.json({ workflow: toWorkflowView(rows), currentVersion: toVersionView(rows.version), initialDispatch }, 201);
  });

  app.openapi(update, async (c) => {
    const { rows } = await updateWorkflow(deps(c), c.var.principal.org.id, c.req.valid("param").id, c.req.valid("json"));
    return c.json({ workflow: toWorkflowView(rows), currentVersion: toVersionView(rows.version) }, 200);
  });

  app.openapi(archive, async (c) => {
    await archiveWorkflow(c.var.db, c.var.principal.org.id, c.req.valid("param").id, new Date());
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(dispatch, async (c) => {
    const result = await dispatchWorkflowRuns(
      deps(c),
      c.var.principal.org.id,
      c.req.valid("param").id,
      c.req.valid("json") ?? {},
      c.req.valid("header")["idempotency-key"],
    );
    if (result.replayed) c.header("idempotent-replayed", "true");
    return c.json({ runs: result.runs, queued: result.queued, failed: result.failed }, 202);
  });
}
