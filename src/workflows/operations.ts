import { z } from "@hono/zod-openapi";
import { UuidParam } from "../lib/openapi";
import { PageInfoFields, paginationQuery } from "../lib/pagination";
import { defineOperation } from "../operations/operation";
import { createWorkflow, dispatchWorkflowRuns, updateWorkflow } from "./commands";
import {
  CreateWorkflowBody,
  DispatchBody,
  DispatchedRunSchema,
  UpdateWorkflowBody,
  WorkflowSchema,
  WorkflowVersionSchema,
} from "./schemas";
import { archiveWorkflow, getWorkflow, listWorkflows, SLUG_LIST_LIMIT, workflowResponse } from "./store";

/** A workflow with its current version: what get and update answer. */
const WorkflowResponse = z.object({ workflow: WorkflowSchema, currentVersion: WorkflowVersionSchema }).openapi("WorkflowResponse");

export const listWorkflowsOp = defineOperation({
  name: "listWorkflows",
  tag: "workflows",
  summary: "List active workflows",
  description: "Oldest first, one page at a time.",
  role: "viewer",
  readOnly: true,
  input: {
    query: z.object({
      category: z
        .string()
        .max(1000)
        .optional()
        .openapi({ description: `One or more category slugs, comma-separated (at most ${SLUG_LIST_LIMIT}).`, example: "search,billing" }),
      categorySlug: z.string().max(64).optional().openapi({ description: "A single category slug.", example: "search" }),
      ...paginationQuery(),
    }),
  },
  output: z.object({ workflows: z.array(WorkflowSchema), ...PageInfoFields }).openapi("WorkflowList"),
  outputDescription: "One page of the organization's active workflows.",
  run: (ctx, query) => listWorkflows(ctx.db, ctx.principal.org.id, query),
});

export const getWorkflowOp = defineOperation({
  name: "getWorkflow",
  tag: "workflows",
  summary: "Get a workflow with its current version and schedule",
  role: "viewer",
  readOnly: true,
  input: { path: UuidParam },
  output: WorkflowResponse,
  outputDescription: "The workflow; archived workflows are readable too.",
  run: async (ctx, { id }) => workflowResponse(await getWorkflow(ctx.db, ctx.principal.org.id, id)),
});

export const createWorkflowOp = defineOperation({
  name: "createWorkflow",
  tag: "workflows",
  summary: "Create a workflow and queue its initial dispatch window (editor or higher)",
  role: "editor",
  readOnly: false,
  input: { body: CreateWorkflowBody },
  output: z
    .object({
      workflow: WorkflowSchema,
      currentVersion: WorkflowVersionSchema,
      initialDispatch: z.object({ queued: z.number().int(), failed: z.number().int() }),
    })
    .openapi("CreateWorkflowResponse"),
  outputDescription: "The workflow, its first version, and how many initial runs were queued.",
  run: (ctx, body) => createWorkflow(ctx, ctx.principal.org.id, body),
});

export const updateWorkflowOp = defineOperation({
  name: "updateWorkflow",
  tag: "workflows",
  summary: "Update a workflow, writing a new version (editor or higher)",
  role: "editor",
  readOnly: false,
  input: { path: UuidParam, body: UpdateWorkflowBody },
  output: WorkflowResponse,
  outputDescription: "The workflow and its new current version (unchanged when the patch changed nothing).",
  errors: [409],
  run: (ctx, { id, ...patch }) => updateWorkflow(ctx, ctx.principal.org.id, id, patch),
});

export const archiveWorkflowOp = defineOperation({
  name: "archiveWorkflow",
  tag: "workflows",
  summary: "Archive a workflow (editor or higher)",
  role: "editor",
  readOnly: false,
  input: { path: UuidParam },
  output: z.object({ ok: z.literal(true) }).openapi("OkResponse"),
  outputDescription: "Archived; archiving twice is harmless.",
  run: async (ctx, { id }) => {
    await archiveWorkflow(ctx.db, ctx.principal.org.id, id, ctx.now());
    return { ok: true as const };
  },
});

export const dispatchWorkflowRunsOp = defineOperation({
  name: "dispatchWorkflowRuns",
  tag: "workflows",
  summary: "Dispatch runs outside the schedule (editor or higher)",
  role: "editor",
  readOnly: false,
  input: { path: UuidParam, body: DispatchBody, bodyRequired: false },
  output: z
    .object({
      runs: z.array(DispatchedRunSchema),
      queued: z.number().int().openapi({ description: "New runs put on the queue." }),
      failed: z.number().int().openapi({ description: "New runs that could not be queued (ended as fail)." }),
      replayed: z.boolean().openapi({ description: "True when an idempotency key replayed the runs of an earlier dispatch." }),
    })
    .openapi("DispatchRunsResponse"),
  outputDescription: "The dispatched runs. Poll GET /runs/{id} until status is pass, fail or partial.",
  errors: [409, 422],
  run: (ctx, { id, ...body }) => dispatchWorkflowRuns(ctx, ctx.principal.org.id, id, body),
});
