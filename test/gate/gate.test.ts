/**
 * The CI gate end to end: `runGateCli` with the Worker's own fetch, real organizations and keys, workflows
 * on `armature/scripted` against the in-process MCP fixture, and runs executed by the real engine when the
 * gate sleeps between polls (test/gate/harness.ts). Each case checks the exit code, what the summary and
 * stderr say, the runs the API recorded, and the JUnit report parsed back.
 */
import { describe, expect, it, vi } from "vitest";
import { BACKOFF_MAX_MS } from "../../src/gate/clock";
import { callJson, createOrg, type TestOrg } from "../helpers";
import { downSource } from "../runner/engine-harness";
import { captureQueue, runsOfWorkflow } from "../workflows/fixtures";
import { API_BASE, gateHarness, parseJunit, workerFetch } from "./harness";

// Each case creates an organization, a workflow and runs through the real engine: seconds, not milliseconds.
vi.setConfig({ testTimeout: 30_000 });

const queue = captureQueue();
const { gate, gateWorkflow, fixture } = gateHarness(queue);

const ECHO = 'call echo {"text": "hello gate"}';
const ECHO_ANSWERED = { criterionText: "Echo answered hello gate", check: { type: "tool_result_matches", tool: "echo", pattern: "hello gate" } };
const NO_TOOL_ERRORS = { criterionText: "No tool call failed", isRequired: false, check: { type: "no_tool_errors" } };
/** Fails against ECHO: the answer is "hello gate". Text with XML's special characters. */
const SAYS_GOODBYE = (isRequired: boolean) => ({
  criterionText: `Says <goodbye> & "farewell"`,
  isRequired,
  check: { type: "answer_matches", pattern: `<goodbye> & "farewell"` },
});

const runIdsIn = (summary: string) => [...summary.matchAll(/\/api\/armature\/v1\/runs\/([0-9a-f-]{36})/g)].map((m) => m[1]!);

async function manualRuns(workflowId: string) {
  return (await runsOfWorkflow(workflowId)).filter((r) => r.trigger === "manual");
}

describe("a run that passes", () => {
  it("exits 0 and prints the run's verdict, classification, criteria with their reasoning, cost and URL", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { name: "Echo gate", testerPrompt: ECHO, criteria: [ECHO_ANSWERED, NO_TOOL_ERRORS] });

    const r = await gate([wf, "--junit", "reports/armature.xml"], { org });

    expect(r.exitCode).toBe(0);
    const [runId] = runIdsIn(r.stdout);
    const run = await callJson<{ status: string; reason: string; trigger: string; cost: { usd: number } }>(`/runs/${runId}`, { key: org.ownerKey });
    expect(run.body).toMatchObject({ status: "pass", trigger: "manual", reason: "CI gate", cost: { usd: 0 } });
    expect(r.stdout).toContain(`Armature gate: workflow "Echo gate" (${wf})`);
    expect(r.stdout).toContain(`API: ${API_BASE}`);
    expect(r.stdout).toContain("[PASS] armature/scripted · pass · all_criteria_met · cost $0.0000 · ");
    expect(r.stdout).toContain(`       ${API_BASE}/runs/${runId}\n`);
    expect(r.stdout).toContain("       All 2 criteria passed.");
    expect(r.stdout).toContain("       pass  required  Echo answered hello gate\n                       The result of 'echo' call #0 matches /hello gate/.");
    expect(r.stdout).toContain("       pass  optional  No tool call failed\n");
    expect(r.stdout).toMatch(/ {2}armature\/scripted {2}1 of 1 passed \(100%\) {2}mean cost \$0\.0000 {2}mean duration \S+ {2}PASS/);
    expect(r.stdout).toMatch(/Gate passed: every target reached the pass rate \(100%\)\.\n$/);
    expect(r.stderr).toContain(`gate: run ${runId} (armature/scripted) finished: pass (all_criteria_met)`);
    expect(r.stderr).not.toMatch(/^error:/m);

    const junit = parseJunit(r.files.get("reports/armature.xml")!);
    expect(junit).toMatchObject({ name: "armature gate: Echo gate", tests: 2, failures: 0, errors: 0 });
    expect(junit.suites).toHaveLength(1);
    expect(junit.suites[0]).toMatchObject({
      name: `Echo gate / armature/scripted / run ${runId}`,
      tests: 2,
      failures: 0,
      errors: 0,
      properties: { runId, url: `${API_BASE}/runs/${runId}`, modelId: "armature/scripted", status: "pass", classification: "all_criteria_met", costUsd: "0" },
    });
    expect(junit.suites[0]!.cases).toEqual([
      { name: "Echo answered hello gate", classname: "armature.Echo gate.armature/scripted" },
      { name: "No tool call failed", classname: "armature.Echo gate.armature/scripted" },
    ]);
  });

  it("passes --reason and --baseline through to the dispatch, and shows a criterion that regressed", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });
    const first = await gate([wf], { org });
    const [baseline] = runIdsIn(first.stdout);
    const patched = await callJson(`/workflows/${wf}`, { key: org.ownerKey, method: "PATCH", body: { testerPrompt: 'call echo {"text": "bye"}' } });
    expect(patched.status).toBe(200);

    const r = await gate([wf, "--reason", "deploy 41", "--baseline", baseline!], { org });

    expect(r.exitCode).toBe(1);
    const run = await callJson<{ reason: string; baselineRunId: string }>(`/runs/${runIdsIn(r.stdout)[0]}`, { key: org.ownerKey });
    expect(run.body).toMatchObject({ reason: "deploy 41", baselineRunId: baseline });
    expect(r.stdout).toContain("[FAIL] armature/scripted · fail · regression · ");
    expect(r.stdout).toContain("       FAIL  required  Echo answered hello gate (regressed)\n");
  });
});

describe("a run that fails", () => {
  it("exits 1 with the failed criterion and its reasoning, and a JUnit failure that carries it, escaped", async () => {
    const org = await createOrg();
    // The answer holds XML's special characters and a control character, and the excerpts quote it.
    const wf = await gateWorkflow(org, {
      name: `Fail & <flop>`,
      testerPrompt: 'call echo {"text": "a <b> & \\"c\\" \\u0001 d"}',
      criteria: [SAYS_GOODBYE(true)],
    });

    const r = await gate([wf, "--junit", "out.xml"], { org });

    expect(r.exitCode).toBe(1);
    const [runId] = runIdsIn(r.stdout);
    expect(r.stdout).toContain("[FAIL] armature/scripted · fail · required_criteria_failed · ");
    expect(r.stdout).toContain(`       FAIL  required  Says <goodbye> & "farewell"\n                       The answer (15 characters) does not match /<goodbye> & "farewell"/.`);
    expect(r.stdout).toContain("Gate failed: armature/scripted passed 0 of 1 (0%); needs 100%, partial counting as a failure.");
    expect(r.stderr).toMatch(/Gate failed: armature\/scripted passed 0 of 1 \(0%\); needs 100%, partial counting as a failure\.\n$/);

    const xml = r.files.get("out.xml")!;
    expect(xml).not.toContain("\u0001");
    const junit = parseJunit(xml);
    expect(junit).toMatchObject({ name: "armature gate: Fail & <flop>", tests: 1, failures: 1, errors: 0 });
    const [testcase] = junit.suites[0]!.cases;
    expect(testcase).toMatchObject({
      name: `Says <goodbye> & "farewell"`,
      failure: { type: "required criterion", message: `The answer (15 characters) does not match /<goodbye> & "farewell"/.` },
    });
    // The excerpt quotes the answer: the control character became U+FFFD, everything else survived.
    expect(testcase!.failure!.text).toContain(`Excerpts:\n- a <b> & "c" \ufffd d`);
    expect(junit.suites[0]!.properties).toMatchObject({ runId, status: "fail", classification: "required_criteria_failed" });
  });

  it("counts an infrastructure failure as a failure (exit 1), with its classification and error, and a JUnit error", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });

    const r = await gate([wf, "--junit", "out.xml"], { org, network: downSource() });

    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("[FAIL] armature/scripted · fail · mcp_connection_failed · ");
    expect(r.stdout).toMatch(/\n {7}error: .*503/);
    const junit = parseJunit(r.files.get("out.xml")!);
    expect(junit).toMatchObject({ tests: 1, failures: 0, errors: 1 });
    expect(junit.suites[0]!.cases[0]).toMatchObject({ name: "run", error: { type: "mcp_connection_failed" } });
    expect(junit.suites[0]!.cases[0]!.error!.message).toMatch(/^mcp_connection_failed: .*503/);
  });
});

describe("a partial run", () => {
  const partialWorkflow = (org: TestOrg) => gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED, SAYS_GOODBYE(false)] });

  it("fails the gate (exit 1) without --allow-partial", async () => {
    const org = await createOrg();
    const wf = await partialWorkflow(org);

    const r = await gate([wf, "--junit", "out.xml"], { org });

    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("[FAIL] armature/scripted · partial · optional_criteria_failed · ");
    expect(r.stdout).toContain("partial counts as a failure");
    expect(r.stdout).toContain(`       FAIL  optional  Says <goodbye> & "farewell"`);
    const junit = parseJunit(r.files.get("out.xml")!);
    expect(junit).toMatchObject({ tests: 2, failures: 1, errors: 0 });
    expect(junit.suites[0]!.cases[1]).toMatchObject({ failure: { type: "optional criterion" } });
  });

  it("passes the gate (exit 0) with --allow-partial; the report still shows the optional failure", async () => {
    const org = await createOrg();
    const wf = await partialWorkflow(org);

    const r = await gate([wf, "--allow-partial", "--junit", "out.xml"], { org });

    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("[PASS] armature/scripted · partial · optional_criteria_failed · ");
    expect(r.stdout).toContain("partial counts as a pass");
    expect(r.stdout).toContain("Gate passed");
    const junit = parseJunit(r.files.get("out.xml")!);
    expect(junit).toMatchObject({ tests: 2, failures: 1, errors: 0 });
  });
});

describe("--repeat and --min-pass-rate", () => {
  // The first run executed finds the source down; the others reach it: 2 of 3 pass.
  const firstDown = (n: number) => (n === 0 ? downSource() : fixture);

  it("dispatches N runs per target and passes when the target's pass rate reaches --min-pass-rate", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });

    const r = await gate([wf, "--repeat", "3", "--min-pass-rate", "0.6", "--junit", "out.xml"], { org, network: firstDown });

    expect(r.exitCode).toBe(0);
    expect(await manualRuns(wf)).toHaveLength(3);
    expect(runIdsIn(r.stdout)).toHaveLength(3);
    expect(r.stdout).toContain("Runs: 3 (1 target × 3), no idempotency key");
    expect(r.stdout).toContain("[FAIL] armature/scripted · run 1 of 3 · fail · mcp_connection_failed");
    expect(r.stdout).toContain("[PASS] armature/scripted · run 2 of 3 · pass · all_criteria_met");
    expect(r.stdout).toContain("Targets (each needs 60% of its runs to pass; partial counts as a failure):");
    expect(r.stdout).toMatch(/ {2}armature\/scripted {2}2 of 3 passed \(66\.7%\) {2}mean cost \$0\.0000 {2}mean duration \S+ {2}PASS\n/);
    const junit = parseJunit(r.files.get("out.xml")!);
    expect(junit.suites.map((s) => s.properties.repeat)).toEqual(["1 of 3", "2 of 3", "3 of 3"]);
    expect(junit).toMatchObject({ tests: 3, failures: 0, errors: 1 });
  });

  it("fails when a target's pass rate is under --min-pass-rate (a percentage works too)", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });

    const r = await gate([wf, "--repeat", "3", "--min-pass-rate", "70%"], { org, network: firstDown });

    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/2 of 3 passed \(66\.7%\) .* FAIL\n/);
    expect(r.stderr).toContain("Gate failed: armature/scripted passed 2 of 3 (66.7%); needs 70%");
  });

  it("compares models on the same workflow: one line per target with its pass rate, mean cost and duration", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });

    // gpt-5 has no OPENAI_API_KEY in the tests: its runs end model_not_configured.
    const r = await gate([wf, "--models", "armature/scripted,gpt-5", "--repeat", "2"], { org });

    expect(r.exitCode).toBe(1);
    expect(await manualRuns(wf)).toHaveLength(4);
    expect(r.stdout).toContain("Runs: 4 (2 targets × 2)");
    // One aligned line per target.
    const table = r.stdout.slice(r.stdout.indexOf("Targets ("));
    expect(table).toMatch(/\n {2}armature\/scripted {2}2 of 2 passed \(100%\) {2}mean cost \$0\.0000 {2}mean duration \S+ +PASS\n/);
    expect(table).toMatch(/\n {2}gpt-5 {14}0 of 2 passed \(0%\) {4}mean cost \$0\.0000 {2}mean duration \S+ +FAIL\n/);
    expect(r.stdout).toContain("[FAIL] gpt-5 · run 1 of 2 · fail · model_not_configured");
    expect(r.stderr).toContain("Gate failed: gpt-5 passed 0 of 2 (0%)");
  });
});

describe("no answer: exit 2 with the reason on stderr, and still a valid JUnit report", () => {
  it("times out when the runs do not finish, never waiting past --timeout, polling with backoff", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });

    const r = await gate([wf, "--timeout", "1m", "--junit", "out.xml"], { org, network: null });

    expect(r.exitCode).toBe(2);
    expect(r.sleeps).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000, 5000]);
    expect(r.elapsed).toBe(60_000);
    expect(Math.max(...r.sleeps)).toBe(BACKOFF_MAX_MS);
    expect(r.stderr).toMatch(/error: Timed out after 1m: 1 of 1 runs not finished \(1 queued\)\. Raise --timeout, or look at the runs' URLs\.\n$/);
    expect(r.stdout).toContain("[PENDING] armature/scripted · queued · cost n/a");
    expect(r.stdout).toContain("not finished when the gate stopped");
    const junit = parseJunit(r.files.get("out.xml")!);
    expect(junit).toMatchObject({ tests: 2, failures: 0, errors: 2 });
    expect(junit.suites[0]!.cases[0]).toMatchObject({ name: "run", error: { type: "not_finished", message: "Not finished when the gate stopped: queued" } });
    expect(junit.suites[1]).toMatchObject({ name: "armature gate", cases: [{ error: { type: "timeout" } }] });
  });

  it("gives up on an unreachable host after three tries", async () => {
    const org = await createOrg();
    const wf = crypto.randomUUID();
    const unreachable = async (): Promise<Response> => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
    };

    const r = await gate([wf, "--url", "http://127.0.0.1:9", "--junit", "out.xml"], { org, fetch: unreachable });

    expect(r.exitCode).toBe(2);
    expect(r.sleeps).toEqual([1000, 2000]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      `\nerror: GET /workflows/${wf}: could not reach http://127.0.0.1:9 (fetch failed: connect ECONNREFUSED 127.0.0.1:9). Is --url right and the server up?\n`,
    );
    const junit = parseJunit(r.files.get("out.xml")!);
    expect(junit).toMatchObject({ tests: 1, failures: 0, errors: 1 });
    expect(junit.suites[0]!.cases[0]).toMatchObject({ name: `gate ${wf}`, error: { type: "unreachable" } });
    expect(junit.suites[0]!.cases[0]!.error!.message).toContain("ECONNREFUSED");
  });

  it("stops at a refused key without dispatching", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });

    const r = await gate([wf, "--junit", "out.xml"], { org, key: "amt_notakey_000000000000000000000000" });

    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: GET \/workflows\/\S+: 401 unauthorized: .*Check ARMATURE_API_KEY/m);
    expect(await manualRuns(wf)).toHaveLength(0);
    const junit = parseJunit(r.files.get("out.xml")!);
    expect(junit.suites[0]!.cases[0]).toMatchObject({ error: { type: "refused" } });
    expect(junit.suites[0]!.cases[0]!.error!.message).toContain("401 unauthorized");
  });

  it("says a viewer key may not dispatch", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });

    const r = await gate([wf], { org, key: await org.keyFor("viewer") });

    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/error: POST \/workflows\/\S+\/runs: 403 forbidden: .* Dispatching needs an editor, admin or owner key\./);
  });

  it("says when the workflow does not exist (or is another organization's)", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const wf = await gateWorkflow(other, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });

    const r = await gate([wf], { org });

    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error: GET /workflows/${wf}: 404 not_found: Workflow not found. Check the id`);
  });

  it("refuses a bad invocation before calling anything", async () => {
    const org = await createOrg();
    const wf = crypto.randomUUID();
    const cases: Array<[string[], Record<string, string> | null, string]> = [
      [[], {}, "Missing <workflow-id>"],
      [["wf_123"], {}, "<workflow-id> must be a workflow's UUID"],
      [[wf, "--repeat", "0"], {}, "--repeat must be a whole number from 1 to 20"],
      [[wf, "--min-pass-rate", "1.5"], {}, "--min-pass-rate must be a share from 0 to 1"],
      [[wf, "--timeout", "soon"], {}, "--timeout must be a duration"],
      [[wf, "--url", "127.0.0.1:8787"], {}, "--url '127.0.0.1:8787' is not a URL: give the scheme and host"],
      [[wf, "--url", "ftp://example.com"], {}, "--url must be http or https"],
      [[wf, "--frobnicate"], {}, "Unknown option '--frobnicate'"],
      [[wf, "--models", "a,,b"], {}, "--models is a comma-separated list"],
      [[wf], null, "ARMATURE_API_KEY is not set"],
    ];
    const called: string[] = [];
    for (const [argv, env, message] of cases) {
      const r = await gate(argv, {
        org,
        key: env === null ? null : undefined,
        fetch: async (request) => {
          called.push(request.url);
          return workerFetch(request);
        },
      });
      expect(r.exitCode, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toContain(`error: ${message}`);
    }
    expect(called).toEqual([]);
  });
});

describe("polling", () => {
  it("waits as long as a 429's Retry-After says", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });
    let limited = 0;
    const rateLimitedOnce = async (request: Request): Promise<Response> => {
      if (request.method === "GET" && /\/runs\/[0-9a-f-]{36}$/.test(new URL(request.url).pathname) && limited++ === 0) {
        return Response.json({ error: { code: "rate_limited", message: "Rate limit exceeded" } }, { status: 429, headers: { "retry-after": "7" } });
      }
      return workerFetch(request);
    };

    const r = await gate([wf], { org, fetch: rateLimitedOnce });

    expect(r.exitCode).toBe(0);
    expect(r.sleeps[0]).toBe(7000);
  });

  it("follows the retries the workflow's retryPolicy makes, and reports the last attempt", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, {
      testerPrompt: ECHO,
      criteria: [ECHO_ANSWERED],
      retryPolicy: { maxAttempts: 2, retryOn: ["infrastructure"], backoffSeconds: 0 },
    });

    // The first attempt finds the source down (mcp_connection_failed, retried); the retry reaches it.
    const r = await gate([wf, "--junit", "out.xml"], { org, network: (n) => (n === 0 ? downSource() : fixture) });

    expect(r.exitCode).toBe(0);
    const runs = await manualRuns(wf);
    expect(runs.map((run) => [run.attempt, run.status]).sort()).toEqual([
      [1, "fail"],
      [2, "pass"],
    ]);
    const first = runs.find((run) => run.attempt === 1)!;
    const retry = runs.find((run) => run.attempt === 2)!;
    expect(r.stdout).toContain("[PASS] armature/scripted · pass · all_criteria_met · attempt 2 · ");
    expect(r.stdout).toContain(`       ${API_BASE}/runs/${retry.id}\n       retry of ${first.id}\n`);
    expect(r.stderr).toContain(`run ${first.id} is retried as ${retry.id} (attempt 2)`);
    const junit = parseJunit(r.files.get("out.xml")!);
    expect(junit.suites[0]!.properties).toMatchObject({ runId: retry.id, attempt: "2", retryOf: first.id });
  });
});

describe("idempotency", () => {
  it("dispatches once per commit: the same GITHUB_SHA again replays the same runs", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });
    const env = { GITHUB_SHA: "9fceb02d0ae598e95dc970b74767f19372d61af8" };

    const first = await gate([wf], { org, env });
    const second = await gate([wf], { org, env });

    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    const runs = await manualRuns(wf);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.reason).toBe("CI gate for 9fceb02d0ae5");
    expect(runIdsIn(second.stdout)).toEqual([runs[0]!.id]);
    expect(first.stdout).toContain("Runs: 1 (1 target), idempotency key from GITHUB_SHA, ");
    expect(second.stdout).toContain("Runs: 1 (1 target), idempotency key from GITHUB_SHA, replayed 1 of 1 earlier dispatch, ");
    expect(second.stderr).toContain("(all replayed: the idempotency key was used before)");
  });

  it("keys by workflow and options: other models, another workflow, or CI_COMMIT_SHA's commit dispatch their own runs", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });
    const wf2 = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });
    const sha = { GITHUB_SHA: "1111111111111111111111111111111111111111" };

    expect((await gate([wf], { org, env: sha })).exitCode).toBe(0);
    expect((await gate([wf, "--models", "armature/scripted"], { org, env: sha })).exitCode).toBe(0); // other options: no 422
    expect((await gate([wf2], { org, env: sha })).exitCode).toBe(0); // other workflow: no 422
    expect((await gate([wf], { org, env: { CI_COMMIT_SHA: "2222222222222222222222222222222222222222" } })).exitCode).toBe(0);
    expect((await gate([wf, "--idempotency-key", "deploy-7"], { org, env: sha })).exitCode).toBe(0); // the flag wins over GITHUB_SHA
    expect((await gate([wf, "--idempotency-key", "deploy-7"], { org })).exitCode).toBe(0);

    expect(await manualRuns(wf)).toHaveLength(4);
    expect(await manualRuns(wf2)).toHaveLength(1);
  });

  it("without a key, asks for new runs every time (never an identical run that is already queued)", async () => {
    const org = await createOrg();
    const wf = await gateWorkflow(org, { testerPrompt: ECHO, criteria: [ECHO_ANSWERED] });

    expect((await gate([wf], { org })).exitCode).toBe(0);
    expect((await gate([wf], { org })).exitCode).toBe(0);

    expect(await manualRuns(wf)).toHaveLength(2);
  });
});
