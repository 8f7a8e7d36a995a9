/**
 * `tsx scripts/smoke-run.ts <api-base> <api-key> <mcp-url>`: the README's walk-through, as CI runs it against
 * `npm run dev` (real workerd, where code generation is forbidden) and a real MCP server: register the
 * source, create a workflow on the default model, poll its run until it is terminal, and check that the
 * evaluation explains the verdict and that the tool calls really happened. Exits 1 with a reason otherwise.
 */
import { apiClient, type Json, TERMINAL_STATUSES, waitForWorkflowRun } from "./lib/api-client";

const [api, key, mcpUrl] = process.argv.slice(2);
if (!api || !key || !mcpUrl) {
  console.error("usage: smoke-run <api-base> <api-key> <mcp-url>");
  process.exit(2);
}

const call = apiClient(api, key);

const fail = (why: string): never => {
  console.error(`smoke-run: ${why}`);
  process.exit(1);
};

const source = await call("POST", "/mcp-servers", { name: `everything-${Date.now()}`, url: mcpUrl });
const created = await call("POST", "/workflows", {
  name: "Sum works",
  mcpServerId: source.id,
  testerPrompt: "What is the sum of 2 and 3?",
  criteria: [
    { criterionText: "The tester called get-sum with 2 and 3", check: { type: "tool_called", tool: "get-sum", arguments: { a: 2, b: 3 } } },
    { criterionText: "The answer says the sum is 5" },
  ],
});
const workflowId = created.workflow.id as string;

const run = await waitForWorkflowRun(call, workflowId, 60);
if (!run || !TERMINAL_STATUSES.includes(run.status)) fail(`the run did not finish within 60 s: ${JSON.stringify(run)}`);
const toolCalls = await call("GET", `/runs/${run!.id}/tool-calls`);
const evaluation = await call("GET", `/runs/${run!.id}/evaluation`);
console.log(
  `smoke-run: run ${run!.id} ended ${run!.status} (${run!.classification}) over MCP ${run!.mcp?.protocolVersion} ` +
    `with ${toolCalls.toolCalls.length} tool call(s): ${toolCalls.toolCalls.map((c: Json) => c.toolName).join(", ")}`,
);
if (run!.status !== "pass") fail(`expected pass: ${JSON.stringify({ run, evaluation })}`);
if (!toolCalls.toolCalls.some((c: Json) => c.toolName === "get-sum" && !c.isError)) fail("no successful get-sum call was recorded");
if (!evaluation.evaluation?.criteria?.every((c: Json) => c.passed && c.reasoning)) fail(`the evaluation does not explain the verdict: ${JSON.stringify(evaluation)}`);
