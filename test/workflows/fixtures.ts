import type { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { vi } from "vitest";
import worker from "../../src/index";
import { runs } from "../../src/db/schema";
import type { RunMessage } from "../../src/env";
import type { CreateMcpServerBody, McpServerView } from "../../src/mcp-servers/schemas";
import type { createWorkflowOp, dispatchWorkflowRunsOp, getWorkflowOp, listWorkflowsOp } from "../../src/workflows/operations";
import type { CreateWorkflowBody } from "../../src/workflows/schemas";
import { callJson, db, type TestOrg } from "../helpers";

/** What POST /workflows answers: the workflow, its first version and the initial dispatch. */
export type CreatedWorkflow = z.infer<typeof createWorkflowOp.output>;
/** What GET and PATCH /workflows/{id} answer: the workflow and its current version. */
export type WorkflowResponse = z.infer<typeof getWorkflowOp.output>;
/** What GET /workflows answers. */
export type WorkflowList = z.infer<typeof listWorkflowsOp.output>;
/** What POST /workflows/{id}/runs answers. */
export type DispatchResponse = z.infer<typeof dispatchWorkflowRunsOp.output>;

/** Registers an MCP source through the API (`body` over valid defaults); returns its view. */
export async function createMcpSource(org: TestOrg, body: Partial<z.input<typeof CreateMcpServerBody>> = {}): Promise<McpServerView> {
  const res = await callJson<McpServerView>("/mcp-servers", {
    key: org.ownerKey,
    body: { name: `src-${crypto.randomUUID().slice(0, 8)}`, url: "https://mcp.example.com/mcp", ...body },
  });
  if (res.status !== 201) throw new Error(`createMcpSource: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Creates a workflow through the API with sensible defaults (`body` over them); returns the 201 body. */
export async function createWorkflow(org: TestOrg, body: Partial<z.input<typeof CreateWorkflowBody>> = {}): Promise<CreatedWorkflow> {
  const source = body.mcpServerId ? null : await createMcpSource(org);
  const res = await callJson<CreatedWorkflow>("/workflows", {
    key: org.ownerKey,
    body: {
      name: "Search returns recent issues",
      mcpServerId: source?.id,
      testerPrompt: "Search for the most recent open issue and summarize it.",
      testerModelIds: ["armature/scripted"],
      criteria: [{ criterionText: "Returned at least one open issue", isRequired: true }],
      ...body,
    },
  });
  if (res.status !== 201) throw new Error(`createWorkflow: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Replaces the Worker's queue consumer with a recorder for the whole test file, so a test sees exactly what
 * reached the real Queue binding and no delivery reaches the real consumer in the background (the consumer
 * tests call it directly). Call it once, at the top of a file, and never restore it: a delivery that lands
 * after a file's tests would otherwise run the consumer outside any test.
 */
export function captureQueue() {
  const messages: RunMessage[] = [];
  const spy = vi.spyOn(worker, "queue").mockImplementation(async (batch: MessageBatch<RunMessage>) => {
    for (const m of batch.messages) {
      messages.push(m.body);
      m.ack();
    }
  });
  return {
    messages,
    spy,
    /** Waits until at least `n` messages arrived. */
    async waitFor(n: number) {
      await vi.waitUntil(() => messages.length >= n, { timeout: 5000, interval: 20 });
      return messages;
    },
    /** Waits until the messages for these run ids number at least `n`; returns them. */
    async waitForRuns(ids: string[], n = ids.length) {
      await vi.waitUntil(() => messages.filter((m) => ids.includes(m.runId)).length >= n, { timeout: 5000, interval: 20 });
      return messages.filter((m) => ids.includes(m.runId));
    },
    /** The messages for these run ids. */
    for: (ids: string[]) => messages.filter((m) => ids.includes(m.runId)),
  };
}

export async function runsOfWorkflow(workflowId: string) {
  return db.select().from(runs).where(eq(runs.workflowId, workflowId)).all();
}
