import { describe, expect, it } from "vitest";
import { BLOB_BODY_MIN_CHARS } from "../../src/lib/json-text";
import { call, createOrg } from "../helpers";
import { createMcpSource, createWorkflow } from "../workflows/fixtures";

// The lists send the JSON SQLite wrote, joined into one string or, from BLOB_BODY_MIN_CHARS on, as a Blob of its
// pieces (src/lib/json-text.ts): either way a client must receive one well-formed JSON document in UTF-8, with its
// type, whatever the items hold. (Its Content-Length is set on the wire, not on the Response seen in-process:
// .ci/run's smoke checks it over HTTP.)
const name = 'Prüfung — “quoted” ✓ 🧪 \\ "';

async function fetchPage(path: string, key: string, listKey: string) {
  const res = await call(path, { key });
  expect(res.status, path).toBe(200);
  expect(res.headers.get("content-type"), path).toBe("application/json");
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  const body = JSON.parse(text) as Record<string, unknown> & { total: number };
  return { text, body, items: body[listKey] as Array<{ id: string; name: string; testerPrompt?: string }> };
}

describe("a list's body", () => {
  it("is the page's JSON in UTF-8, with its content type: a small page", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org, { name });
    const made = [await createWorkflow(org, { name, mcpServerId: source.id }), await createWorkflow(org, { name: "plain", mcpServerId: source.id })];
    const workflows = await fetchPage("/workflows?pageSize=5", org.ownerKey, "workflows");
    expect(workflows.text.length).toBeLessThan(BLOB_BODY_MIN_CHARS);
    expect(workflows.items.map((w) => w.id)).toEqual(made.map((w) => w.workflow.id));
    expect(workflows.items[0]!.name).toBe(name);
    expect(workflows.body.total).toBe(2);
    expect((await fetchPage("/mcp-servers", org.ownerKey, "mcpServers")).items.map((s) => s.name)).toEqual([name]);
  });

  it("is the page's JSON in UTF-8, with its content type: a page sent as a Blob", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const prompt = (i: number) => `${i} ${name} ${"ü✓🧪 \\\" ".repeat(2_000)}`.slice(0, 19_000);
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await createWorkflow(org, { name, mcpServerId: source.id, testerPrompt: prompt(i) }));
    const page = await fetchPage("/workflows?pageSize=10", org.ownerKey, "workflows");
    expect(page.text.length).toBeGreaterThanOrEqual(BLOB_BODY_MIN_CHARS);
    expect(page.items.map((w) => w.id)).toEqual(made.map((w) => w.workflow.id));
    expect(page.items.map((w) => w.testerPrompt)).toEqual(made.map((_, i) => prompt(i).trim()));
    expect(page.body).toMatchObject({ total: 7, hasMore: false, page: 1 });
  });

  it("is a well-formed empty page", async () => {
    const org = await createOrg();
    const res = await call("/workflows", { key: org.ownerKey });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ workflows: [], total: 0, hasMore: false });
  });
});
