import { describe, expect, it } from "vitest";
import { callJson } from "../helpers";

const OPERATIONS: Array<[string, string, string, number[]]> = [
  ["/runs", "listRuns", "RunList", [400, 401, 403, 429, 500]],
  ["/runs/{id}", "getRun", "Run", [400, 401, 403, 404, 429, 500]],
  ["/runs/{id}/trace", "getRunTrace", "RunTrace", [400, 401, 403, 404, 429, 500]],
  ["/runs/{id}/evaluation", "getRunEvaluation", "RunEvaluation", [400, 401, 403, 404, 429, 500]],
  ["/runs/{id}/tool-calls", "listRunToolCalls", "RunToolCalls", [400, 401, 403, 404, 429, 500]],
];

describe("the runs operations in the OpenAPI document", () => {
  it("are documented with operation ids, the runs tag, bearer auth, a named success schema and their errors", async () => {
    const { status, body } = await callJson("/openapi");
    expect(status).toBe(200);
    for (const [path, operationId, schema, errors] of OPERATIONS) {
      const op = body.paths[path]?.get;
      expect(op, path).toBeDefined();
      expect(op.operationId).toBe(operationId);
      expect(op.tags).toEqual(["runs"]);
      expect(op.security).toEqual([{ bearerAuth: [] }]);
      expect(op.summary).toBeTruthy();
      expect(op.responses["200"].content["application/json"].schema).toEqual({ $ref: `#/components/schemas/${schema}` });
      expect(Object.keys(op.responses).map(Number).filter((s) => s >= 400).sort()).toEqual(errors);
      expect(Object.keys(body.paths[path])).toEqual(["get"]);
      if (path.includes("{id}")) {
        expect(op.parameters).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
      }
    }
    const list = body.paths["/runs"].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual([
      "range", "workflowId", "status", "classification", "search", "page", "pageSize", "sort",
    ]);
    expect(list.responses["200"].headers.link).toBeDefined();
    for (const name of ["RunSummary", "Run", "Span", "Evaluation", "CriterionResult", "ToolCall"]) {
      expect(body.components.schemas[name], name).toBeDefined();
    }
  });
});
