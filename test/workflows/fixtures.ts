import { eq } from "drizzle-orm";
import { vi } from "vitest";
import worker from "../../src/index";
import { runs } from "../../src/db/schema";
import type { RunMessage } from "../../src/env";
import { callJson, db, type TestOrg } from "../helpers";

/** Registers an MCP source through the API; returns its view. */
export async function createMcpSource(org: TestOrg, body: Record<string, unknown> = {}) {
  const res = await callJson("/mcp-servers", {
    key: org.ownerKey,
    body: { name: `src-${crypto.randomUUID().slice(0, 8)}`, url: "https://mcp.example.com/mcp", ...body },
  });
  if (res.status !== 201) throw new Error(`createMcpSource: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Creates a workflow through the API with sensible defaults; returns the 201 body. */
export async function createWorkflow(org: TestOrg, body: Record<string, unknown> = {}) {
  const source = body.mcpServerId ? null : await createMcpSource(org);
  const res = await callJson("/workflows", {
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
