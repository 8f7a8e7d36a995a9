/**
 * `tsx scripts/conformance-client.ts <server-url>`: our run engine as the client under test of the official MCP
 * conformance suite (`@modelcontextprotocol/conformance`). The suite runs
 *
 *   conformance client --command "npx tsx scripts/conformance-client.ts" --scenario <name>
 *
 * which starts the scenario's test MCP server on localhost and runs the command with the server's URL as its
 * last argument and the scenario's name in `MCP_CONFORMANCE_SCENARIO` (or pass `--scenario <name>` before the
 * URL). The run engine is reached through our REST API, at `ARMATURE_API` (e.g.
 * `http://127.0.0.1:8787/api/armature/v1`) with the key `ARMATURE_API_KEY`: this registers the URL as an MCP
 * source (local development admits loopback http sources), creates a workflow on `armature/scripted` whose
 * tester prompt makes the calls the scenario expects, polls the run until it is terminal and prints a summary.
 *
 * Exit codes: 0 the run reached the source as the scenario expects (connected; for `tools_call`, the tool call
 * was recorded and answered), 1 it did not (the reason on stderr), 2 bad arguments or environment. The suite
 * itself judges what the server saw and fails the scenario when this exits non-zero.
 */
import { apiClient, type Json, TERMINAL_STATUSES, waitForWorkflowRun } from "./lib/api-client";


interface Scenario {
  testerPrompt: string;
  criteria: Json[];
  toolPolicy?: Json;
  /** Why the run does not show what the scenario needs, or null when it does. */
  verify(run: Json, toolCalls: Json[]): string | null;
}

const POLL_SECONDS = Number(process.env.ARMATURE_CONFORMANCE_POLL_SECONDS ?? 90);

const connected = (run: Json): string | null =>
  run.mcp ? null : `the run never connected to the source (${run.classification}: ${run.error ?? "no error recorded"})`;

/**
 * What each client scenario of the suite expects (its definitions are in the package's dist/index.js):
 * - `initialize`: a server that answers `initialize` (protocol 2025-06-18 or 2025-11-25) and an empty
 *   `tools/list`; it checks the client's `initialize` params (protocolVersion, clientInfo.name and .version).
 * - `tools_call`: a stateless Streamable HTTP server at /mcp with one tool, `add_numbers(a: number, b: number)`
 *   (no annotations), answering `The sum of <a> and <b> is <a+b>`; it checks the tool was called.
 */
const SCENARIOS: Record<string, Scenario> = {
  initialize: {
    // The server offers no tools: the scripted model connects, lists nothing and answers without a call.
    testerPrompt: "Connect to the source and list its tools. Make no tool calls.",
    criteria: [{ criterionText: "The tester made no tool calls", check: { type: "max_tool_calls", max: 0 } }],
    verify: (run) => connected(run) ?? (run.status === "pass" ? null : `expected the run to pass, it ended ${run.status} (${run.classification})`),
  },
  tools_call: {
    testerPrompt: 'Add 2 and 3 with the add_numbers tool.\ncall add_numbers {"a": 2, "b": 3}',
    criteria: [
      { criterionText: "The tester called add_numbers with 2 and 3", check: { type: "tool_called", tool: "add_numbers", arguments: { a: 2, b: 3 } } },
      { criterionText: "add_numbers answered the sum", check: { type: "tool_result_matches", tool: "add_numbers", pattern: "\\bis 5\\b" } },
      { criterionText: "No tool call answered an error", check: { type: "no_tool_errors" } },
    ],
    // add_numbers has no annotations, so the tool policy treats it as possibly destructive: allow it, and only it.
    toolPolicy: { allow: ["add_numbers"], allowDestructive: true },
    verify: (run, toolCalls) => {
      const why = connected(run);
      if (why) return why;
      if (!toolCalls.some((c) => c.toolName === "add_numbers" && !c.isError && !c.policyRefused)) {
        return "no successful add_numbers call was recorded";
      }
      return run.status === "pass" ? null : `expected the run to pass, it ended ${run.status} (${run.classification})`;
    },
  },
};

const usage = (why: string): never => {
  console.error(`conformance-client: ${why}`);
  console.error("usage: ARMATURE_API=<api-base> ARMATURE_API_KEY=<key> tsx scripts/conformance-client.ts [--scenario <name>] <server-url>");
  console.error(`scenarios: ${Object.keys(SCENARIOS).join(", ")} (default: $MCP_CONFORMANCE_SCENARIO)`);
  process.exit(2);
};
const fail = (why: string): never => {
  console.error(`conformance-client: ${why}`);
  process.exit(1);
};

const args = process.argv.slice(2);
const flag = args.indexOf("--scenario");
const scenarioName = flag >= 0 ? args[flag + 1] : process.env.MCP_CONFORMANCE_SCENARIO;
const serverUrl = args.at(-1);
const api = process.env.ARMATURE_API?.replace(/\/+$/, "");
const key = process.env.ARMATURE_API_KEY;
if (!serverUrl || serverUrl.startsWith("--") || (flag >= 0 && flag + 1 >= args.length - 1)) usage("the server URL must be the last argument");
if (!api || !key) usage("ARMATURE_API and ARMATURE_API_KEY must be set");
if (!scenarioName) usage("no scenario: pass --scenario or set MCP_CONFORMANCE_SCENARIO");
const scenario = SCENARIOS[scenarioName!] ?? usage(`unsupported scenario '${scenarioName}'`);

const call = apiClient(api!, key!);

try {
  const stamp = `${scenarioName}-${Date.now()}`;
  const source = await call("POST", "/mcp-servers", { name: `conformance ${stamp}`, url: serverUrl });
  const created = await call("POST", "/workflows", {
    name: `MCP conformance: ${scenarioName}`,
    mcpServerId: source.id,
    testerModelId: "armature/scripted",
    testerPrompt: scenario.testerPrompt,
    criteria: scenario.criteria,
    ...(scenario.toolPolicy ? { toolPolicy: scenario.toolPolicy } : {}),
    limits: { timeoutSeconds: 60 },
    metadata: { conformanceScenario: scenarioName! },
  });
  const workflowId = created.workflow.id as string;
  console.log(`conformance-client: scenario ${scenarioName}: source ${source.id} (${serverUrl}), workflow ${workflowId}`);

  const run = await waitForWorkflowRun(call, workflowId, POLL_SECONDS);
  if (!run || !TERMINAL_STATUSES.includes(run.status)) fail(`the run did not finish within ${POLL_SECONDS} s: ${JSON.stringify(run ?? null)}`);
  const done = run!;
  const toolCalls = ((await call("GET", `/runs/${done.id}/tool-calls`)).toolCalls ?? []) as Json[];
  const evaluation = done.classification && done.mcp ? await call("GET", `/runs/${done.id}/evaluation`).catch(() => null) : null;

  console.log(
    `conformance-client: run ${done.id} ended ${done.status} (${done.classification})` +
      (done.mcp ? ` over MCP ${done.mcp.protocolVersion} (era ${done.mcp.era})` : " without connecting") +
      ` with ${toolCalls.length} tool call(s)`,
  );
  for (const c of toolCalls) {
    const content = Array.isArray(c.result?.content) ? (c.result.content as Json[]) : [];
    const texts = content.filter((b) => b?.type === "text").map((b) => String(b.text));
    const text = texts.length ? texts.join(" ") : JSON.stringify(c.result ?? null);
    console.log(`  ${c.toolName}(${JSON.stringify(c.arguments)}) → ${c.isError ? "error: " : ""}${text.slice(0, 200)}`);
  }
  if (done.error) console.log(`  error: ${done.error}`);
  if (evaluation?.evaluation?.summary) console.log(`  evaluation: ${evaluation.evaluation.summary}`);

  const why = scenario.verify(done, toolCalls);
  if (why) fail(why);
  console.log(`conformance-client: scenario ${scenarioName}: the run engine reached the source as expected`);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
