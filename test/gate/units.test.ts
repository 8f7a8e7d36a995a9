/**
 * The gate's pure parts: its arguments and environment, the --url forms, idempotency keys, and the JUnit
 * report with text that XML cannot hold as it is.
 */
import { describe, expect, it } from "vitest";
import { runGateCli } from "../../src/gate/cli";
import { GateFailure } from "../../src/gate/failure";
import { dispatchKey } from "../../src/gate/idempotency";
import { formatJunit } from "../../src/gate/junit";
import { apiBase, DEFAULT_TIMEOUT_MS, parseGateInvocation } from "../../src/gate/options";
import { gateOutcome } from "../../src/gate/outcome";
import type { GateReport } from "../../src/gate/run-gate";
import { parseJunit } from "./harness";

const WF = "5b3f8a2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b";
const KEY = { ARMATURE_API_KEY: "amt_x_y" };

function options(argv: string[], env: Record<string, string> = KEY) {
  const invocation = parseGateInvocation([WF, ...argv], env);
  if (invocation.kind !== "gate") throw new Error("expected a gate invocation");
  return invocation.options;
}

describe("--url", () => {
  it.each([
    ["http://127.0.0.1:8787", "http://127.0.0.1:8787/api/armature/v1"],
    ["http://127.0.0.1:8787/", "http://127.0.0.1:8787/api/armature/v1"],
    ["https://acme.armature.app/api/armature/v1", "https://acme.armature.app/api/armature/v1"],
    ["https://acme.armature.app/api/armature/v1/", "https://acme.armature.app/api/armature/v1"],
    ["https://example.com/armature", "https://example.com/armature/api/armature/v1"],
    ["HTTPS://ACME.armature.app", "https://acme.armature.app/api/armature/v1"],
  ])("%s is the API at %s", (url, base) => {
    expect(apiBase(url)).toBe(base);
  });

  it("defaults to ARMATURE_URL, then the local dev server", () => {
    expect(options([]).apiBase).toBe("http://127.0.0.1:8787/api/armature/v1");
    expect(options([], { ...KEY, ARMATURE_URL: "https://acme.armature.app" }).apiBase).toBe("https://acme.armature.app/api/armature/v1");
    expect(options(["--url", "http://localhost:9000"], { ...KEY, ARMATURE_URL: "https://acme.armature.app" }).apiBase).toBe(
      "http://localhost:9000/api/armature/v1",
    );
  });

  it.each([["acme.armature.app"], ["ftp://acme.armature.app"], ["https://u:p@acme.armature.app"], ["https://acme.armature.app/?x=1"]])(
    "refuses %s",
    (url) => {
      expect(() => apiBase(url)).toThrow(GateFailure);
    },
  );
});

describe("options", () => {
  it("has defaults: 10 minutes, one run per target, all must pass, partial fails, reason CI gate", () => {
    expect(options([])).toEqual({
      workflowId: WF,
      apiBase: "http://127.0.0.1:8787/api/armature/v1",
      apiKey: "amt_x_y",
      reason: "CI gate",
      baselineRunId: null,
      models: null,
      idempotency: null,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      repeat: 1,
      minPassRate: 1,
      allowPartial: false,
      junitPath: null,
    });
    expect(DEFAULT_TIMEOUT_MS).toBe(600_000);
  });

  it("reads durations, shares, models and flags, in both --name value and --name=value forms", () => {
    expect(
      options([
        "--timeout=90s",
        "--repeat",
        "5",
        "--min-pass-rate",
        "80%",
        "--models",
        "armature/scripted, gpt-5",
        "--allow-partial",
        "--junit=out/a.xml",
        "--reason",
        "nightly",
      ]),
    ).toMatchObject({ timeoutMs: 90_000, repeat: 5, minPassRate: 0.8, models: ["armature/scripted", "gpt-5"], allowPartial: true, junitPath: "out/a.xml", reason: "nightly" });
    expect(options(["--timeout", "600"]).timeoutMs).toBe(600_000);
    expect(options(["--timeout", "1h"]).timeoutMs).toBe(3_600_000);
    expect(options(["--timeout", "1m30s"]).timeoutMs).toBe(90_000);
    expect(options(["--min-pass-rate", "0.75"]).minPassRate).toBe(0.75);
  });

  it("takes the idempotency base from --idempotency-key, else GITHUB_SHA, else CI_COMMIT_SHA", () => {
    const both = { ...KEY, GITHUB_SHA: "aaaa", CI_COMMIT_SHA: "bbbb" };
    expect(options([], both).idempotency).toEqual({ base: "aaaa", from: "GITHUB_SHA" });
    expect(options([], { ...KEY, CI_COMMIT_SHA: "bbbb" }).idempotency).toEqual({ base: "bbbb", from: "CI_COMMIT_SHA" });
    expect(options(["--idempotency-key", "deploy-7"], both).idempotency).toEqual({ base: "deploy-7", from: "--idempotency-key" });
    expect(options([], both).reason).toBe("CI gate for aaaa");
    expect(options(["--idempotency-key", "deploy-7"]).reason).toBe("CI gate");
    expect(() => options(["--idempotency-key", "has space"])).toThrow("--idempotency-key must be 1 to 128 printable ASCII characters");
  });

  it("--help wins over everything else", () => {
    expect(parseGateInvocation(["--help"], {})).toEqual({ kind: "help" });
    expect(parseGateInvocation(["not-a-uuid", "-h"], {})).toEqual({ kind: "help" });
  });

  it("prints the help with the exit codes on stdout and exits 0", async () => {
    const out: string[] = [];
    const code = await runGateCli(["--help"], {
      fetch: () => Promise.reject(new Error("no network")),
      env: {},
      clock: { now: () => 0, sleep: async () => {} },
      writeFile: async () => {},
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
    });
    expect(code).toBe(0);
    expect(out.join("")).toContain("Usage: npm run armature -- gate <workflow-id> [options]");
    expect(out.join("")).toMatch(/Exit codes:\n {2}0 {2}every target passed.*\n {2}1 {2}a run failed.*\n {2}2 {2}no answer/);
  });
});

describe("the JUnit file", () => {
  it("turns the exit code into 2 when it cannot be written, after printing the summary", async () => {
    const runId = "0f2d8a2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b";
    const run = { id: runId, status: "pass", classification: "all_criteria_met", modelId: "armature/scripted", skillMode: "none", skillVersionId: null };
    // A minimal API: the workflow, a dispatch of one run, the run already passed, its evaluation.
    const api = async (request: Request): Promise<Response> => {
      const path = new URL(request.url).pathname.replace("/api/armature/v1", "");
      if (path === `/workflows/${WF}`) return Response.json({ workflow: { id: WF, name: "W", retryPolicy: { maxAttempts: 1, retryOn: [] } } });
      if (path === `/workflows/${WF}/runs`) return Response.json({ runs: [{ ...run, status: "queued" }], queued: 1, failed: 0, replayed: false }, { status: 202 });
      if (path === `/runs/${runId}`) return Response.json({ ...run, attempt: 1, cost: { usd: 0 }, durationMs: 5, error: null });
      if (path === `/runs/${runId}/evaluation`) return Response.json({ evaluation: { verdict: "pass", summary: "ok", criteria: [] } });
      return new Response("not found", { status: 404 });
    };
    const out: string[] = [];
    const err: string[] = [];
    const code = await runGateCli([WF, "--junit", "/read-only/x.xml"], {
      fetch: api,
      env: KEY,
      clock: { now: () => 0, sleep: async () => {} },
      writeFile: async () => {
        throw new Error("EACCES: permission denied");
      },
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
    });
    expect(code).toBe(2);
    expect(out.join("")).toContain("Gate passed");
    expect(err.join("")).toContain("error: could not write the JUnit report to /read-only/x.xml: EACCES: permission denied");
  });
});

describe("idempotency keys", () => {
  it("name the workflow, the base, a digest of the request and the repeat, and fit the API's 255 characters", async () => {
    const key = await dispatchKey(WF, "9fceb02d0ae598e95dc970b74767f19372d61af8", { reason: "CI gate" }, 2);
    expect(key).toMatch(new RegExp(`^gate:${WF}:9fceb02d0ae598e95dc970b74767f19372d61af8:[0-9a-f]{12}:2$`));
    expect(await dispatchKey(WF, "x".repeat(128), { reason: "r".repeat(500), testerModelIds: ["a"] }, 20)).toMatch(/^[\x21-\x7e]{1,255}$/);
  });

  it("are the same for the same request in any key order, and differ for another request", async () => {
    const a = await dispatchKey(WF, "sha", { reason: "r", testerModelIds: ["m"], baselineRunId: WF }, 1);
    const b = await dispatchKey(WF, "sha", { baselineRunId: WF, testerModelIds: ["m"], reason: "r" }, 1);
    const c = await dispatchKey(WF, "sha", { reason: "r", testerModelIds: ["n"], baselineRunId: WF }, 1);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe("the JUnit report", () => {
  const nasty = `a <b> & "c" 'd' ]]> \u0000\u0001\u001f tab\there\r\nline2 \ud800 lone \udc00 pair 😀 \ufffe`;

  function report(): GateReport {
    const runId = "0f2d8a2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b";
    const run = {
      id: runId,
      workflow: { id: WF, name: nasty },
      workflowVersion: { id: WF, version: 1 },
      status: "fail" as const,
      classification: "required_criteria_failed" as const,
      trigger: "manual" as const,
      reason: "CI gate",
      modelId: "armature/scripted",
      skillMode: "none" as const,
      skillVersionId: null,
      baselineRunId: null,
      createdAt: "2026-11-24T10:00:00.000Z",
      enqueuedAt: "2026-11-24T10:00:00.000Z",
      startedAt: "2026-11-24T10:00:01.000Z",
      finishedAt: "2026-11-24T10:00:02.500Z",
      durationMs: 1500,
      cost: { usd: 0.0412, inputTokens: 10, outputTokens: 5 },
      error: null,
      mcp: null,
      skillDigest: null,
      attempt: 1,
      retryOfRunId: null,
      evaluatorOutput: null,
    };
    return {
      options: options(["--junit", "x.xml"]),
      apiBase: "http://127.0.0.1:8787/api/armature/v1",
      runUrl: (id) => `http://127.0.0.1:8787/api/armature/v1/runs/${id}`,
      workflow: { id: WF, name: nasty },
      runs: [
        {
          repeat: 1,
          target: "armature/scripted",
          dispatched: { ...run, workflowId: WF, workflowVersion: 1, status: "queued", classification: null, reused: false },
          run,
          attempts: [runId],
          evaluation: {
            verdict: "fail",
            judgeModelId: "armature/checks",
            summary: nasty,
            createdAt: "2026-11-24T10:00:02.000Z",
            criteria: [
              { criterionText: `passes ${nasty}`, isRequired: true, verdict: "pass", passed: true, reasoning: "ok", excerpts: [] },
              { criterionText: `fails ${nasty}`, isRequired: true, verdict: "fail", passed: false, reasoning: nasty, excerpts: [nasty] },
            ],
          },
          done: true,
          retryAwaitedSince: null,
        },
      ],
      idempotencyKeys: [],
      replayed: 0,
      failure: null,
      elapsedMs: 2000,
    };
  }

  it("is valid XML whatever the text holds, and parses back to the same text minus what XML cannot carry", () => {
    const r = report();
    const xml = formatJunit(r, gateOutcome(r));
    const junit = parseJunit(xml);
    // What XML 1.0 cannot hold (NUL and other C0 controls, lone surrogates, U+FFFE) became U+FFFD; the rest,
    // the pair of surrogates included, is intact; tabs, newlines and carriage returns too, in attributes and
    // in text (as character references where a parser would otherwise normalize them).
    const kept = `a <b> & "c" 'd' ]]> \ufffd\ufffd\ufffd tab\there\r\nline2 \ufffd lone \ufffd pair 😀 \ufffd`;
    expect(junit.name).toBe(`armature gate: ${kept}`);
    expect(junit).toMatchObject({ tests: 2, failures: 1, errors: 0 });
    const [suite] = junit.suites;
    expect(suite!.properties).toMatchObject({ costUsd: "0.0412", status: "fail", classification: "required_criteria_failed" });
    expect(suite!.cases[0]).toEqual({ name: `passes ${kept.replace("\r\n", " ")}`, classname: `armature.${kept}.armature/scripted` });
    expect(suite!.cases[1]!.failure).toEqual({
      message: "a <b> & \"c\" 'd' ]]> \ufffd\ufffd\ufffd tab\there",
      type: "required criterion",
      text: `${kept}\n\nExcerpts:\n- ${kept}`,
    });
    expect(xml).toContain('time="1.500" timestamp="2026-11-24T10:00:01"');
  });
});
