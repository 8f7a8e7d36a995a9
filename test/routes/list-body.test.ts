import { describe, expect, it } from "vitest";
import { call, createOrg } from "../helpers";
import { createMcpSource, createWorkflow } from "../workflows/fixtures";

// The lists send the JSON SQLite wrote as a Blob of pieces (src/lib/json-text.ts): what a client receives must be
// one well-formed JSON document in UTF-8, with its type, whatever the items hold. (Its Content-Length is set on the
// wire, not on the Response seen in-process: .ci/run's smoke checks it over HTTP.)
describe("a list's body", () => {
  const name = 'Prüfung — “quoted” ✓ 🧪 \\ "';

  it("is the page's JSON in UTF-8, with its content type", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org, { name });
    const made = [await createWorkflow(org, { name, mcpServerId: source.id }), await createWorkflow(org, { name: "plain", mcpServerId: source.id })];

    for (const [path, key] of [["/workflows?pageSize=5", "workflows"], ["/mcp-servers", "mcpServers"]] as const) {
      const res = await call(path, { key: org.ownerKey });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe("application/json");
      const bytes = new Uint8Array(await res.arrayBuffer());
      const body = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)) as Record<string, Array<{ name: string }>>;
      expect(body[key]!.map((i) => i.name), path).toContain(name);
    }
    const list = (await (await call("/workflows?pageSize=5", { key: org.ownerKey })).json()) as { workflows: Array<{ id: string }>; total: number };
    expect(list.workflows.map((w) => w.id)).toEqual(made.map((w) => w.workflow.id));
    expect(list.total).toBe(2);
  });

  it("is a well-formed empty page", async () => {
    const org = await createOrg();
    const res = await call("/workflows", { key: org.ownerKey });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ workflows: [], total: 0, hasMore: false });
  });
});
