import type { Context } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/env";
import { ApiError } from "../../src/lib/errors";
import { UuidParam } from "../../src/lib/openapi";
import { uuidParam } from "../../src/routes/rest";
import { callJson, createOrg, errorFields, expectError } from "../helpers";
import { createMcpSource, createWorkflow } from "../workflows/fixtures";

/** What the schema alone makes of a path's `{id}`: its data, or the fields of its 400. */
function bySchema(id: string | undefined): unknown {
  const result = UuidParam.safeParse(id === undefined ? {} : { id });
  if (!result.success) throw new ApiError("validation_failed", "invalid", result.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })));
  return result.data;
}

/** The same through uuidParam's shortcut, falling back to the schema as the app's validator does. */
const fast = (id: string | undefined) =>
  uuidParam(() => bySchema(id))({ req: { param: () => id } } as unknown as Context<AppEnv>);

const outcome = (f: () => unknown) => {
  try {
    return { data: f() };
  } catch (err) {
    return { error: err instanceof ApiError ? err.details : String(err) };
  }
};

describe("the point reads' {id}", () => {
  it("gives exactly what UuidParam gives, for well-formed ids and every kind of malformed one", () => {
    const ids = [
      "3f1c1d2e-8d4b-4b8e-9a57-2f0f4b1f6c1a",
      "3F1C1D2E-8D4B-4B8E-9A57-2F0F4B1F6C1A",
      "3f1c1d2e-8d4b-1b8e-bA57-2f0f4b1f6c1a",
      "00000000-0000-0000-0000-000000000000",
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
      "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
      "3f1c1d2e-8d4b-9b8e-9a57-2f0f4b1f6c1a", // version 9
      "3f1c1d2e-8d4b-4b8e-7a57-2f0f4b1f6c1a", // variant 7
      "3f1c1d2e8d4b4b8e9a572f0f4b1f6c1a",
      "3f1c1d2e-8d4b-4b8e-9a57-2f0f4b1f6c1a ",
      " 3f1c1d2e-8d4b-4b8e-9a57-2f0f4b1f6c1a",
      "3f1c1d2e-8d4b-4b8e-9a57-2f0f4b1f6c1a\n",
      "{3f1c1d2e-8d4b-4b8e-9a57-2f0f4b1f6c1a}",
      "3f1c1d2e-8d4b-4b8e-9a57-2f0f4b1f6c1g",
      "not-a-uuid",
      "",
      undefined,
    ];
    for (const id of ids) expect(outcome(() => fast(id)), JSON.stringify(id)).toEqual(outcome(() => bySchema(id)));
    // The shortcut really answers the well-formed ones itself: a schema that would refuse them is never asked.
    const refuse = () => {
      throw new Error("schema asked");
    };
    expect(uuidParam(refuse)({ req: { param: () => ids[1] } } as unknown as Context<AppEnv>)).toEqual({ id: ids[0] });
  });

  it("answers an upper-case id as its lower-case one, and a malformed one with a 400 naming path.id", async () => {
    const org = await createOrg();
    const source = await createMcpSource(org);
    const wf = await createWorkflow(org, { mcpServerId: source.id });
    const upper = await callJson<{ id: string }>(`/mcp-servers/${source.id.toUpperCase()}`, { key: org.ownerKey });
    expect(upper.status).toBe(200);
    expect(upper.body.id).toBe(source.id);
    const wfUpper = await callJson<{ workflow: { id: string } }>(`/workflows/${wf.workflow.id.toUpperCase()}`, { key: org.ownerKey });
    expect(wfUpper.body.workflow.id).toBe(wf.workflow.id);
    for (const bad of [`${source.id}x`, source.id.replace(/-/g, ""), "%20" + source.id]) {
      expect(errorFields(expectError(await callJson(`/mcp-servers/${bad}`, { key: org.ownerKey }), 400, "validation_failed")), bad).toEqual(["path.id"]);
    }
  });
});
