/**
 * Errors as an agent sees them: a tool result with `isError` whose structured content is the REST error
 * envelope, with REST's codes: too little role, a disabled feature, another organization's ids, bad arguments.
 */
import { describe, expect, it } from "vitest";
import { createOrg } from "../helpers";
import { captureQueue, createMcpSource, createWorkflow } from "../workflows/fixtures";
import { connect, rest, structured, toolError } from "./fixtures";

// create_workflow (when it is wrongly allowed) would dispatch: record the queue for the whole file.
const queue = captureQueue();

const workflowArgs = (mcpServerId: string) => ({
  name: "Refused",
  mcpServerId,
  testerPrompt: "List the open issues.",
  testerModelIds: ["armature/scripted"],
  criteria: [{ criterionText: "Lists an issue" }],
});

describe("roles", () => {
  it("refuses a viewer a write tool with forbidden, and nothing is created", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const viewer = await connect({ key: await org.keyFor("viewer") });
    const error = toolError(await viewer.callTool({ name: "create_workflow", arguments: workflowArgs(source.id) }), "forbidden");
    expect(error.message).toBe("This operation requires the editor role or higher; the key has viewer");
    expect((await rest<{ total: number }>("/workflows", { key: org.ownerKey })).body.total).toBe(0);
    expect(queue.messages.filter((m) => m.orgId === org.id)).toEqual([]);
    // The same key reads.
    expect(structured(await viewer.callTool({ name: "list_workflows", arguments: {} }))).toMatchObject({ total: 0 });
  });

  it("checks the role before the arguments: a viewer with bad arguments learns only that it may not", async () => {
    const org = await createOrg();
    const viewer = await connect({ key: await org.keyFor("viewer") });
    toolError(await viewer.callTool({ name: "update_workflow", arguments: { id: "not-a-uuid", nope: 1 } }), "forbidden");
  });

  it("refuses an ingest key every tool, reads included", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const ingest = await connect({ key: await org.keyFor("ingest") });
    toolError(await ingest.callTool({ name: "get_org", arguments: {} }), "forbidden");
    toolError(await ingest.callTool({ name: "list_sessions", arguments: {} }), "forbidden");
  });
});

describe("features", () => {
  it.each(["get_insights_overview", "list_sessions", "list_topics", "list_failed_searches"])(
    "answers %s feature_disabled in an organization without MCP Analytics",
    async (name) => {
      const org = await createOrg();
      const client = await connect({ key: org.ownerKey });
      const error = toolError(await client.callTool({ name, arguments: {} }), "feature_disabled");
      expect(error.message).toBe("MCP Analytics is not enabled for this organization");
    },
  );

  it("answers the id tools of insights feature_disabled before looking the id up", async () => {
    const org = await createOrg();
    const client = await connect({ key: org.ownerKey });
    for (const name of ["get_session_trace", "get_topic", "get_failed_search", "update_topic"]) {
      toolError(await client.callTool({ name, arguments: { id: "anything" } }), "feature_disabled");
    }
  });
});

describe("tenancy", () => {
  it("answers another organization's ids not_found, exactly like unknown ids, and changes nothing of theirs", async () => {
    const mine = await createOrg();
    const theirs = await createOrg();
    const { workflow } = await createWorkflow(theirs);
    const source = await createMcpSource(theirs);
    const client = await connect({ key: mine.ownerKey });
    for (const [name, args] of [
      ["get_workflow", { id: workflow.id }],
      ["get_mcp_server", { id: source.id }],
      ["update_workflow", { id: workflow.id, name: "Hijacked" }],
      ["archive_workflow", { id: workflow.id }],
      ["dispatch_workflow_run", { id: workflow.id }],
    ] as const) {
      const error = toolError(await client.callTool({ name, arguments: args }), "not_found");
      const unknown = toolError(await client.callTool({ name, arguments: { ...args, id: crypto.randomUUID() } }), "not_found");
      expect(error.message, name).toBe(unknown.message);
    }
    expect((await rest<{ workflow: { name: string; archivedAt: string | null } }>(`/workflows/${workflow.id}`, { key: theirs.ownerKey })).body.workflow).toMatchObject({
      name: workflow.name,
      archivedAt: null,
    });
    // Lists hold only the caller's own.
    expect(structured(await client.callTool({ name: "list_workflows", arguments: {} }))).toMatchObject({ workflows: [], total: 0 });
  });

  it("another organization's key on this organization's host is refused at the HTTP layer", async () => {
    const mine = await createOrg();
    const theirs = await createOrg();
    await expect(connect({ key: theirs.ownerKey, host: mine.host })).rejects.toThrow();
  });
});

describe("arguments", () => {
  it("names every bad argument at once, relative to the arguments object", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const client = await connect({ key: org.ownerKey });
    const error = toolError(
      await client.callTool({
        name: "create_workflow",
        arguments: { ...workflowArgs(source.id), criteria: [{ criterionText: "" }], testerModelIds: "not-a-list" },
      }),
      "validation_failed",
    );
    expect(error.details?.fields?.map((f) => f.field).sort()).toEqual(["criteria.0.criterionText", "testerModelIds"]);
  });

  it("refuses unknown arguments of a tool with a body, and ignores them where REST ignores unknown query parameters", async () => {
    const org = await createOrg();
    const { workflow } = await createWorkflow(org);
    const client = await connect({ key: org.ownerKey });
    const error = toolError(await client.callTool({ name: "update_workflow", arguments: { id: workflow.id, testerModelsIds: ["x"] } }), "validation_failed");
    expect(error.details?.fields).toEqual([{ field: "testerModelsIds", message: "Unknown field" }]);
    const runs = structured(await client.callTool({ name: "search_runs", arguments: { range: "7d", color: "blue" } }));
    expect(runs).toEqual((await rest("/runs?range=7d&color=blue", { key: org.ownerKey })).body);
  });

  it("applies the body's own rules and the service's field errors, named without REST's prefixes", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const client = await connect({ key: org.ownerKey });
    // update_topic with nothing to change: the body schema's own rule.
    const empty = toolError(await client.callTool({ name: "update_topic", arguments: { id: "t1" } }), "validation_failed");
    expect(empty.details?.fields?.map((f) => f.field)).toEqual(["arguments"]);
    // A page size REST refuses (query.pageSize there).
    const page = toolError(await client.callTool({ name: "list_workflows", arguments: { pageSize: 101 } }), "validation_failed");
    expect(page.details?.fields?.map((f) => f.field)).toEqual(["pageSize"]);
    // An unknown source: the service's own check (body.mcpServerId over REST).
    const unknown = toolError(await client.callTool({ name: "create_workflow", arguments: workflowArgs(crypto.randomUUID()) }), "validation_failed");
    expect(unknown.details?.fields?.map((f) => f.field)).toEqual(["mcpServerId"]);
  });

  it("answers an unknown tool with a protocol error, not a tool result", async () => {
    const org = await createOrg();
    const client = await connect({ key: org.ownerKey });
    await expect(client.callTool({ name: "drop_everything", arguments: {} })).rejects.toThrow(/drop_everything/);
  });
});
