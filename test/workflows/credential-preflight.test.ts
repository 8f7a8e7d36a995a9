import { describe, expect, it } from "vitest";
import { callJson, createOrg, errorFields, expectError, type TestOrg } from "../helpers";
import { captureQueue, createMcpSource, createWorkflow } from "./fixtures";

captureQueue();

const GITHUB_TOKEN = `ghp_${"a1B2c3D4e5".repeat(4)}`;
const SLACK_TOKEN = `xoxb-${"1234567890"}-${"abcdefABCDEF"}`;
const AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

async function setup() {
  const org = await createOrg();
  const source = await createMcpSource(org);
  const base = { name: "wf", mcpServerId: source.id, testerPrompt: "Search for the latest issue." };
  return { org, base };
}

async function refused(org: TestOrg, body: Record<string, unknown>) {
  const res = await callJson("/workflows", { key: org.ownerKey, body });
  const error = expectError(res, 400, "validation_failed");
  return { fields: errorFields(error), error, raw: JSON.stringify(res.body) };
}

describe("credential preflight", () => {
  it("refuses a metadata value under a credential-named key, naming the key", async () => {
    const { org, base } = await setup();
    const { fields, raw } = await refused(org, { ...base, metadata: { password: "hunter2hunter2", team: "search" } });
    expect(fields).toEqual(["body.metadata.password"]);
    expect(raw).not.toContain("hunter2");
  });

  it("treats password, secret, token, API/access/private key, credential and auth keys as credentials", async () => {
    const { org, base } = await setup();
    const keys = [
      "password",
      "PASSWORD",
      "db_password",
      "db.password",
      "passwd",
      "pwd",
      "secret",
      "client_secret",
      "token",
      "x-auth-token",
      "refreshToken",
      "apiKey",
      "api_key",
      "API-KEY",
      "x-api-key",
      "accessKey",
      "aws_access_key",
      "private_key",
      "PrivateKey",
      "credentials",
      "gcp.credential",
      "auth",
      "basic_auth",
      "Authorization",
    ];
    const metadata = Object.fromEntries(keys.map((k) => [k, "not-a-known-shape"]));
    const { fields, raw } = await refused(org, { ...base, metadata });
    expect(fields).toEqual(keys.map((k) => `body.metadata.${k}`).sort());
    expect(raw).not.toContain("not-a-known-shape");
  });

  it("accepts counts, flags, nulls and empty strings under such keys, and keys that only resemble them", async () => {
    const { org } = await setup();
    const wf = await createWorkflow(org, {
      metadata: {
        tokens_used: 1500,
        maxTokens: 4096,
        auth_required: true,
        password: null,
        secret: "",
        token_endpoint: "https://auth.example.com/token",
        author: "Jane Doe",
        authority: "search team",
        tokenizer: "cl100k",
        keyboard: "qwerty",
        monkey: "business",
        secretary: "Ann",
      },
    });
    expect(wf.workflow.metadata.author).toBe("Jane Doe");
  });

  it("checks every string of the config: skill version ids and tool policy patterns too", async () => {
    const { org, base } = await setup();
    const { fields, raw } = await refused(org, {
      ...base,
      testerTargets: [
        { modelId: "armature/scripted" },
        { modelId: "gpt-5", skillMode: "skill", skillVersionId: GITHUB_TOKEN },
      ],
      toolPolicy: { allow: ["search_*", SLACK_TOKEN], deny: [AWS_KEY] },
    });
    expect(fields).toEqual(["body.testerTargets.1.skillVersionId", "body.toolPolicy.allow.1", "body.toolPolicy.deny.0"]);
    expect(raw).not.toContain(GITHUB_TOKEN.slice(4));
    expect(raw).not.toContain(SLACK_TOKEN.slice(5));
    expect(raw).not.toContain(AWS_KEY);
  });

  it("names each field once and every field at once, with the kind and never the value", async () => {
    const { org, base } = await setup();
    const { fields, error, raw } = await refused(org, {
      ...base,
      testerPrompt: `Use ${GITHUB_TOKEN} and password=hunter2hunter2`,
      description: "Bearer abcdefghijklmnop0123456789",
      criteria: [{ criterionText: "fine" }, { criterionText: `Reports ${AWS_KEY}` }],
      metadata: { note: `token ${GITHUB_TOKEN}`, "api-key": "x1" },
    });
    expect(fields).toEqual([
      "body.criteria.1.criterionText",
      "body.description",
      "body.metadata.api-key",
      "body.metadata.note",
      "body.testerPrompt",
    ]);
    const prompt = (error.details as { fields: Array<{ field: string; message: string }> }).fields.find((f) => f.field === "body.testerPrompt")!;
    expect(prompt.message).toContain("GitHub token");
    expect(prompt.message).toContain("password assignment");
    expect(raw).not.toContain(GITHUB_TOKEN.slice(4));
    expect(raw).not.toContain("hunter2");
  });

  it("refuses a credential in a metadata key without echoing the key", async () => {
    const { org, base } = await setup();
    const { fields, raw } = await refused(org, { ...base, metadata: { [GITHUB_TOKEN]: 1 } });
    expect(fields).toEqual(["body.metadata"]);
    expect(raw).not.toContain(GITHUB_TOKEN.slice(4));
  });

  it("runs the same check on an update", async () => {
    const { org } = await setup();
    const wf = await createWorkflow(org);
    const res = await callJson(`/workflows/${wf.workflow.id}`, {
      key: org.ownerKey,
      method: "PATCH",
      body: { metadata: { db_password: "hunter2hunter2" }, toolPolicy: { deny: ["ok_tool", GITHUB_TOKEN] } },
    });
    expect(errorFields(expectError(res, 400, "validation_failed"))).toEqual(["body.metadata.db_password", "body.toolPolicy.deny.1"]);
  });

  it("still accepts ordinary prose and tool patterns", async () => {
    const { org } = await setup();
    const wf = await createWorkflow(org, {
      testerPrompt:
        "Check the bearer responsibilities and basic functionality. The password reset flow must send an email; " +
        "the token count stays under the limit and the secret: keep it short.",
      toolPolicy: { allow: ["search_*", "github:list_issues"], deny: ["admin/*"] },
      metadata: { owner: "search-team", priority: 2 },
    });
    expect(wf.workflow.toolPolicy.allow).toEqual(["search_*", "github:list_issues"]);
  });
});
