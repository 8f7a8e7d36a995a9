import { describe, expect, it } from "vitest";
import { callJson, createOrg, errorFields, expectError, type TestOrg } from "../helpers";
import { captureQueue, createMcpSource, createWorkflow, type WorkflowResponse } from "./fixtures";

captureQueue();

const CHECKS = [
  { type: "tool_called", tool: "get-sum" },
  { type: "tool_called", tool: "get-sum", arguments: { a: 2, opts: { round: true } } },
  { type: "tool_not_called", tool: "delete_issue" },
  { type: "no_tool_errors" },
  { type: "answer_matches", pattern: "\\bsum is (\\d+)" },
  { type: "answer_matches", pattern: "^done$", flags: "im" },
  { type: "tool_result_matches", tool: "search_issues", pattern: "\\p{Lu}\\w+", flags: "u" },
  { type: "max_tool_calls", max: 3 },
  { type: "max_tool_calls", max: 0 },
];

async function setup() {
  const org = await createOrg();
  const source = await createMcpSource(org);
  return { org, base: { name: "wf", mcpServerId: source.id, testerPrompt: "Add 2 and 3." } };
}

async function refused(org: TestOrg, body: Record<string, unknown>, method: "POST" | "PATCH" = "POST", id?: string) {
  const res = await callJson(method === "POST" ? "/workflows" : `/workflows/${id}`, { key: org.ownerKey, method, body });
  const error = expectError(res, 400, "validation_failed");
  return { fields: errorFields(error), messages: error.details!.fields!.map((f) => `${f.field}: ${f.message}`), raw: JSON.stringify(res.body) };
}

describe("criterion checks", () => {
  it("accepts every check shape on create, stores it on the version and answers it", async () => {
    const { org } = await setup();
    const criteria = [
      { criterionText: "Summarizes the result" },
      ...CHECKS.map((check, i) => ({ criterionText: `Check ${i}`, isRequired: i % 2 === 0, check })),
    ];
    const wf = await createWorkflow(org, { criteria: criteria as never });
    const expected = criteria.map((c) => ({ isRequired: true, ...c }));
    expect(wf.workflow.criteria).toEqual(expected);
    expect(wf.currentVersion.config.criteria).toEqual(expected);
    const read = await callJson<WorkflowResponse>(`/workflows/${wf.workflow.id}`, { key: org.ownerKey });
    expect(read.body.workflow.criteria).toEqual(expected);
    expect(read.body.currentVersion.config.criteria).toEqual(expected);
    // A criterion without a check has no `check` key at all.
    expect(read.body.workflow.criteria[0]).not.toHaveProperty("check");
  });

  it("replaces checks on update, keeps them through unrelated updates, and removes them when left out", async () => {
    const { org } = await setup();
    const wf = await createWorkflow(org, { criteria: [{ criterionText: "Adds", check: { type: "tool_called", tool: "get-sum" } }] });
    const path = `/workflows/${wf.workflow.id}`;
    const renamed = await callJson<WorkflowResponse>(path, { key: org.ownerKey, method: "PATCH", body: { name: "renamed" } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.workflow.criteria).toEqual([{ criterionText: "Adds", isRequired: true, check: { type: "tool_called", tool: "get-sum" } }]);

    const replaced = await callJson<WorkflowResponse>(path, {
      key: org.ownerKey,
      method: "PATCH",
      body: { criteria: [{ criterionText: "Says the sum", isRequired: false, check: { type: "answer_matches", pattern: "\\b5\\b", flags: "i" } }] },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.currentVersion.version).toBe(3);
    expect(replaced.body.workflow.criteria).toEqual([
      { criterionText: "Says the sum", isRequired: false, check: { type: "answer_matches", pattern: "\\b5\\b", flags: "i" } },
    ]);

    const same = await callJson<WorkflowResponse>(path, {
      key: org.ownerKey,
      method: "PATCH",
      body: { criteria: [{ criterionText: "Says the sum", isRequired: false, check: { type: "answer_matches", pattern: "\\b5\\b", flags: "i" } }] },
    });
    expect(same.body.currentVersion.version).toBe(3); // nothing changed: no new version

    const plain = await callJson<WorkflowResponse>(path, { key: org.ownerKey, method: "PATCH", body: { criteria: [{ criterionText: "Says the sum" }] } });
    expect(plain.body.workflow.criteria).toEqual([{ criterionText: "Says the sum", isRequired: true }]);
  });

  it("answers 400 naming the field for an unknown or missing type, unknown fields and bad values", async () => {
    const { org, base } = await setup();
    const criteria = [
      { criterionText: "a", check: { type: "tool_was_used", tool: "x" } },
      { criterionText: "b", check: { tool: "x" } },
      { criterionText: "c", check: { type: "tool_called" } },
      { criterionText: "d", check: { type: "tool_called", tool: "x", args: { a: 1 } } },
      { criterionText: "e", check: { type: "no_tool_errors", tool: "x" } },
      { criterionText: "f", check: { type: "max_tool_calls", max: -1 } },
      { criterionText: "g", check: { type: "max_tool_calls", max: 2.5 } },
      { criterionText: "h", check: { type: "tool_called", tool: "   " } },
      { criterionText: "i", check: { type: "tool_called", tool: "x", arguments: [1, 2] } },
      { criterionText: "j", check: "tool_called" },
      { criterionText: "k", check: { type: "tool_called", tool: "x", arguments: { big: "y".repeat(9000) } } },
      { criterionText: "l", check: { type: "max_tool_calls", max: 501 } },
    ];
    const { fields } = await refused(org, { ...base, criteria });
    expect(fields).toEqual(
      [
        "body.criteria.0.check.type",
        "body.criteria.1.check.type",
        "body.criteria.2.check.tool",
        "body.criteria.3.check.args",
        "body.criteria.4.check.tool",
        "body.criteria.5.check.max",
        "body.criteria.6.check.max",
        "body.criteria.7.check.tool",
        "body.criteria.8.check.arguments",
        "body.criteria.9.check",
        "body.criteria.10.check.arguments",
        "body.criteria.11.check.max",
      ].sort(),
    );
  });

  it("answers 400 naming the pattern for a bad regex, a nested quantifier, unsupported syntax or a pattern too long", async () => {
    const { org, base } = await setup();
    const criteria = [
      { criterionText: "a", check: { type: "answer_matches", pattern: "(unclosed" } },
      { criterionText: "b", check: { type: "answer_matches", pattern: "(a+)+$" } },
      { criterionText: "c", check: { type: "tool_result_matches", tool: "t", pattern: "(\\w*\\s)*end" } },
      { criterionText: "d", check: { type: "answer_matches", pattern: "(?=x)y" } },
      { criterionText: "e", check: { type: "answer_matches", pattern: "(a)\\1" } },
      { criterionText: "f", check: { type: "answer_matches", pattern: "x".repeat(501) } },
      { criterionText: "g", check: { type: "answer_matches", pattern: "" } },
      { criterionText: "h", check: { type: "answer_matches", pattern: "\\p{L}" } }, // needs the u flag
      { criterionText: "i", check: { type: "answer_matches", pattern: "a{2000}" } },
      { criterionText: "ok", check: { type: "answer_matches", pattern: "\\p{L}+", flags: "u" } },
    ];
    const { fields, messages } = await refused(org, { ...base, criteria });
    expect(fields).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => `body.criteria.${i}.check.pattern`).sort());
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^body\.criteria\.0\.check\.pattern: Not a valid regular expression/),
        "body.criteria.1.check.pattern: Nested quantifiers are not allowed (a repeated group that contains *, +, ? or {…}, like (a+)+): they can backtrack catastrophically",
        expect.stringMatching(/^body\.criteria\.2\.check\.pattern: Nested quantifiers/),
        "body.criteria.3.check.pattern: Lookahead assertions are not supported",
        "body.criteria.4.check.pattern: Backreferences are not supported",
        "body.criteria.7.check.pattern: \\p{…} needs the u flag",
        "body.criteria.8.check.pattern: Repetition counts above 1000 are not supported",
      ]),
    );
  });

  it("answers 400 naming the flags for flags other than i, m, s, u or repeated ones, and still checks the pattern", async () => {
    const { org, base } = await setup();
    const criteria = [
      { criterionText: "a", check: { type: "answer_matches", pattern: "x", flags: "g" } },
      { criterionText: "b", check: { type: "answer_matches", pattern: "x", flags: "ii" } },
      { criterionText: "c", check: { type: "tool_result_matches", tool: "t", pattern: "x", flags: "y" } },
      { criterionText: "d", check: { type: "answer_matches", pattern: "(a*)*", flags: "iv" } },
      { criterionText: "e", check: { type: "answer_matches", pattern: "x", flags: 1 } },
    ];
    const { fields } = await refused(org, { ...base, criteria });
    expect(fields).toEqual(
      [
        "body.criteria.0.check.flags",
        "body.criteria.1.check.flags",
        "body.criteria.2.check.flags",
        "body.criteria.3.check.flags",
        "body.criteria.3.check.pattern",
        "body.criteria.4.check.flags",
      ].sort(),
    );
  });

  it("refuses bad checks on update too, naming the field", async () => {
    const { org } = await setup();
    const wf = await createWorkflow(org);
    const { fields } = await refused(
      org,
      { criteria: [{ criterionText: "ok" }, { criterionText: "x", check: { type: "answer_matches", pattern: "(x+)*" } }] },
      "PATCH",
      wf.workflow.id,
    );
    expect(fields).toEqual(["body.criteria.1.check.pattern"]);
  });

  it("keeps the text required and bounded when a check is given", async () => {
    const { org, base } = await setup();
    const { fields } = await refused(org, { ...base, criteria: [{ check: { type: "no_tool_errors" } }, { criterionText: "  ", check: { type: "no_tool_errors" } }] });
    expect(fields).toEqual(["body.criteria.0.criterionText", "body.criteria.1.criterionText"]);
  });

  it("refuses credentials in a check, naming the field and never echoing the value", async () => {
    const { org, base } = await setup();
    const token = `ghp_${"a1B2c3D4e5".repeat(4)}`;
    const criteria = [
      { criterionText: "a", check: { type: "answer_matches", pattern: token } },
      { criterionText: "b", check: { type: "tool_called", tool: "login", arguments: { user: "me", nested: { value: token } } } },
      { criterionText: "c", check: { type: "tool_called", tool: "login", arguments: { password: "hunter2hunter2" } } },
      { criterionText: "d", check: { type: "tool_called", tool: "login", arguments: { [token]: 1 } } },
    ];
    const { fields, raw } = await refused(org, { ...base, criteria });
    expect(fields).toEqual(
      [
        "body.criteria.0.check.pattern",
        "body.criteria.1.check.arguments.nested.value",
        "body.criteria.2.check.arguments.password",
        "body.criteria.3.check.arguments",
      ].sort(),
    );
    expect(raw).not.toContain(token);
    expect(raw).not.toContain("hunter2");
    // Counts and booleans under such keys, and describing keys, are fine.
    const ok = await createWorkflow(org, {
      criteria: [{ criterionText: "Logs in", check: { type: "tool_called", tool: "login", arguments: { token_count: 3, remember: true, auth_type: "oauth" } } }],
    });
    expect(ok.workflow.criteria[0]!.check).toEqual({ type: "tool_called", tool: "login", arguments: { token_count: 3, remember: true, auth_type: "oauth" } });
  });
});

describe("the OpenAPI document", () => {
  it("shows CriterionCheck as a named schema of every check type, on Criterion and the answers", async () => {
    const res = await callJson<{ components: { schemas: Record<string, Record<string, unknown>> } }>("/openapi", { host: "127.0.0.1:8787" });
    expect(res.status).toBe(200);
    const schemas = res.body.components.schemas;
    const check = schemas.CriterionCheck!;
    expect(check.oneOf).toEqual(
      [
        "ToolCalledCheck",
        "ToolNotCalledCheck",
        "NoToolErrorsCheck",
        "AnswerMatchesCheck",
        "ToolResultMatchesCheck",
        "MaxToolCallsCheck",
      ].map((name) => ({ $ref: `#/components/schemas/${name}` })),
    );
    expect(check.discriminator).toMatchObject({ propertyName: "type" });
    expect(schemas.AnswerMatchesCheck).toMatchObject({
      required: expect.arrayContaining(["type", "pattern"]),
      properties: { type: { type: "string", enum: ["answer_matches"] }, pattern: { maxLength: 500 } },
    });
    const criterion = JSON.stringify(schemas.Criterion!.properties);
    expect(criterion).toContain("#/components/schemas/CriterionCheck");
    expect(JSON.stringify(schemas.WorkflowConfig)).toContain("#/components/schemas/CriterionCheck");
    expect(JSON.stringify(schemas.CriterionResult)).toContain("#/components/schemas/CriterionCheck");
    expect(Object.keys((schemas.CriterionResult!.properties as object) ?? {})).toEqual(
      expect.arrayContaining(["passed", "method", "check", "baseline"]),
    );
    expect(Object.keys(schemas.Evaluation!.properties as object)).toContain("baselineRunId");
  });
});
