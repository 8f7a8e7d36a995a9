import { describe, expect, it } from "vitest";
import { jsonTextOf } from "../../src/lib/json-text";
import { getWorkflow, storedConfig, toVersionView, toWorkflowView, workflowResponse, type WorkflowWithVersion } from "../../src/workflows/store";
import { call, callJson, createOrg, db } from "../helpers";
import { captureQueue, createMcpSource, createWorkflow } from "./fixtures";

// Creating a workflow dispatches its initial window: every delivery goes to a recorder.
captureQueue();

/** The answer as serializing its object writes it: what the carried text must be, byte for byte. */
const serialized = (rows: WorkflowWithVersion) => JSON.stringify({ workflow: toWorkflowView(rows), currentVersion: toVersionView(rows.version) });

describe("a workflow's stored config", () => {
  it("answers GET /workflows/{id} with exactly the bytes serializing the answer writes, for every kind of config", async () => {
    const org = await createOrg();
    const bodies: Array<Parameters<typeof createWorkflow>[1]> = [
      {},
      { schedule: { cron: "0 9 * * 1-5", timezone: "europe/berlin" }, description: "Nightly \"smoke\" run\nof the search tool" },
      {
        testerPrompt: "Prüfe die Suche: «日本語», emoji 🧪, a backslash \\ and \u2028 a separator.",
        metadata: { team: "ü \"quoted\"", small: -0.125, big: 1e21, exp: 2.5e-7, on: true, none: null },
        criteria: [
          { criterionText: "Called the search tool", check: { type: "tool_called", tool: "search" } },
          { criterionText: "Optional", isRequired: false },
        ],
        limits: { timeoutSeconds: 90, maxTurns: 4 },
      },
    ];
    for (const body of bodies) {
      const { workflow } = await createWorkflow(org, body);
      const res = await call(`/workflows/${workflow.id}`, { key: org.ownerKey });
      expect(res.status).toBe(200);
      const text = await res.text();
      const rows = await getWorkflow(db, org.id, workflow.id);
      expect(text, JSON.stringify(body)).toBe(serialized(rows));
      expect(jsonTextOf(workflowResponse(rows))).toBe(text);
    }
    // Archived, and after an update (a new version, another config text).
    const { workflow } = await createWorkflow(org, { name: "to change" });
    expect((await callJson(`/workflows/${workflow.id}`, { key: org.ownerKey, method: "PATCH", body: { testerPrompt: "A new prompt for the tester." } })).status).toBe(200);
    expect((await call(`/workflows/${workflow.id}`, { key: org.ownerKey, method: "DELETE" })).status).toBe(200);
    const rows = await getWorkflow(db, org.id, workflow.id);
    expect(rows.version.config.testerPrompt).toBe("A new prompt for the tester.");
    expect(await (await call(`/workflows/${workflow.id}`, { key: org.ownerKey })).text()).toBe(serialized(rows));
  });

  it("writes the answer again when any value of the rows changes, the config unchanged", async () => {
    const org = await createOrg();
    const { workflow } = await createWorkflow(org, { schedule: { cron: "0 9 * * *", timezone: "UTC" } });
    const get = () => call(`/workflows/${workflow.id}`, { key: org.ownerKey }).then((res) => res.text());
    const first = await get();
    expect(await get()).toBe(first);
    // The sweep moves the schedule: only the workflow row's next_due_at changes.
    await db.$client.prepare("UPDATE workflows SET next_due_at = ? WHERE id = ?").bind(Date.UTC(2030, 0, 2, 9), workflow.id).run();
    const moved = JSON.parse(await get()) as { workflow: { schedule: { nextRunAt: string } } };
    expect(moved.workflow.schedule.nextRunAt).toBe("2030-01-02T09:00:00.000Z");
    // Archived: archived_at and updated_at change, the version and its config do not.
    expect((await call(`/workflows/${workflow.id}`, { key: org.ownerKey, method: "DELETE" })).status).toBe(200);
    const text = await get();
    expect((JSON.parse(text) as { workflow: { archived: boolean } }).workflow.archived).toBe(true);
    expect(text).toBe(serialized(await getWorkflow(db, org.id, workflow.id)));
  });

  it("answers each workflow its own when two share the same config text", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const a = (await createWorkflow(org, { mcpServerId: source.id })).workflow;
    const b = (await createWorkflow(org, { mcpServerId: source.id })).workflow;
    const [rowsA, rowsB] = [await getWorkflow(db, org.id, a.id), await getWorkflow(db, org.id, b.id)];
    expect(rowsA.version.config).toBe(rowsB.version.config);
    for (const [id, rows] of [[a.id, rowsA], [b.id, rowsB], [a.id, rowsA], [b.id, rowsB]] as const) {
      expect(await (await call(`/workflows/${id}`, { key: org.ownerKey })).text()).toBe(serialized(rows));
    }
  });

  it("is parsed once per text, shared frozen, and never answers for another text", () => {
    const text = JSON.stringify({ name: "a", criteria: [{ criterionText: "x" }], limits: { maxTurns: 3 } });
    const a = storedConfig(text);
    expect(storedConfig(`${text}`)).toBe(a);
    expect(storedConfig(text.replace('"a"', '"b"'))).not.toBe(a);
    expect(storedConfig(text.replace('"a"', '"b"')).name).toBe("b");
    expect(Object.isFrozen(a) && Object.isFrozen(a.criteria) && Object.isFrozen(a.criteria[0]) && Object.isFrozen(a.limits)).toBe(true);
    expect(() => {
      (a.limits as { maxTurns: number }).maxTurns = 9;
    }).toThrow(TypeError);
  });

  it("carries no text for a config that was not read from D1", async () => {
    const org = await createOrg();
    const { workflow } = await createWorkflow(org);
    const rows = await getWorkflow(db, org.id, workflow.id);
    const fresh = { ...rows, version: { ...rows.version, config: structuredClone(rows.version.config) } };
    expect(jsonTextOf(workflowResponse(fresh))).toBeUndefined();
    expect(JSON.stringify(workflowResponse(fresh))).toBe(serialized(rows));
  });
});
