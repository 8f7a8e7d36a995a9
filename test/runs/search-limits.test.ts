import { describe, expect, it } from "vitest";
import { MAX_SEARCH_LENGTH } from "../../src/runs/schemas";
import { callJson, createOrg } from "../helpers";
import { createRun, createWorkflow } from "./fixtures";

const ago = (ms: number) => new Date(Date.now() - ms);

describe("GET /runs?search= at the documented length, with any characters", () => {
  it("finds a run by a search of 200 characters, of 200 `%`, and of 200 accented characters", async () => {
    const org = await createOrg();
    const key = await org.keyFor("viewer");
    const wf = await createWorkflow(org.id, "Plain");
    const long = "checkout smoke after deploy ".repeat(10).slice(0, MAX_SEARCH_LENGTH);
    const percents = "%".repeat(MAX_SEARCH_LENGTH);
    const accents = "é".repeat(MAX_SEARCH_LENGTH);
    const byLong = await createRun(org.id, wf, { reason: `run: ${long} (nightly)`, createdAt: ago(60_000) });
    const byPercent = await createRun(org.id, wf, { reason: `${percents}!`, createdAt: ago(120_000) });
    const byAccent = await createRun(org.id, wf, { reason: `${accents}`, createdAt: ago(180_000) });
    await createRun(org.id, wf, { reason: "something else", createdAt: ago(240_000) });

    for (const [term, expected] of [
      [long, byLong.id],
      [percents, byPercent.id],
      [accents, byAccent.id],
      ["%".repeat(25), byPercent.id],
      ["é".repeat(25), byAccent.id],
    ] as const) {
      const r = await callJson<{ runs: Array<{ id: string }> }>(`/runs?search=${encodeURIComponent(term)}`, { key });
      expect(r.status, `search of ${term.length} × '${term[0]}'`).toBe(200);
      expect(r.body.runs.map((run) => run.id)).toEqual([expected]);
    }
  });

  it("folds ASCII case only, like the documented behaviour", async () => {
    const org = await createOrg();
    const key = await org.keyFor("viewer");
    const wf = await createWorkflow(org.id, "Plain");
    const run = await createRun(org.id, wf, { reason: "Überprüfung CHECKOUT" });
    const found = async (term: string) =>
      (await callJson<{ runs: Array<{ id: string }> }>(`/runs?search=${encodeURIComponent(term)}`, { key })).body.runs.map((r) => r.id);
    expect(await found("checkout")).toEqual([run.id]);
    expect(await found("Überprüfung")).toEqual([run.id]);
    expect(await found("überprüfung")).toEqual([]);
  });
});
