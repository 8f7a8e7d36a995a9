import { describe, expect, it } from "vitest";
import type { OpenApiDocument } from "../../src/routes/docs/document";
import { callJson } from "../helpers";

const OPERATIONS: Array<[string, string, string, number[]]> = [
  ["/runs", "listRuns", "RunList", [400, 401, 403, 429, 500]],
  ["/runs/{id}", "getRun", "Run", [400, 401, 403, 404, 429, 500]],
  ["/runs/{id}/trace", "getRunTrace", "RunTrace", [400, 401, 403, 404, 429, 500]],
  ["/runs/{id}/evaluation", "getRunEvaluation", "RunEvaluation", [400, 401, 403, 404, 429, 500]],
  ["/runs/{id}/tool-calls", "listRunToolCalls", "RunToolCalls", [400, 401, 403, 404, 429, 500]],
];

/** The GET operation at `path`; fails the test when there is none. */
function getAt(doc: OpenApiDocument, path: string) {
  const op = doc.paths[path]?.get;
  if (!op) throw new Error(`no GET ${path} in the document`);
  return op;
}

describe("the runs operations in the OpenAPI document", () => {
  it("are documented with operation ids, the runs tag, bearer auth, a named success schema and their errors", async () => {
    const { status, body } = await callJson<OpenApiDocument>("/openapi");
    expect(status).toBe(200);
    for (const [path, operationId, schema, errors] of OPERATIONS) {
      const op = getAt(body, path);
      expect(op.operationId).toBe(operationId);
      expect(op.tags).toEqual(["runs"]);
      expect(op.security).toEqual([{ bearerAuth: [] }]);
      expect(op.summary).toBeTruthy();
      expect(op.responses["200"].content["application/json"].schema).toEqual({ $ref: `#/components/schemas/${schema}` });
      expect(Object.keys(op.responses).map(Number).filter((s) => s >= 400).sort()).toEqual(errors);
      expect(Object.keys(body.paths[path] ?? {})).toEqual(["get"]);
      if (path.includes("{id}")) {
        expect(op.parameters).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
      }
    }
    const list = getAt(body, "/runs");
    expect((list.parameters ?? []).map((p) => ("name" in p ? p.name : p.$ref))).toEqual([
      "range", "workflowId", "status", "classification", "search", "page", "pageSize", "cursor", "sort",
    ]);
    expect(list.responses["200"].headers.link).toBeDefined();
    for (const name of ["RunSummary", "Run", "Span", "Evaluation", "CriterionResult", "ToolCall"]) {
      expect(body.components?.schemas?.[name], name).toBeDefined();
    }
  });
});
