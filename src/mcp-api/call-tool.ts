import type { CallToolResult } from "@modelcontextprotocol/server";
import type { OperationContext } from "../context";
import { unexpectedError } from "../lib/error-handler";
import { ApiError } from "../lib/errors";
import { jsonTextOf } from "../lib/json-text";
import { asJsonValue } from "../lib/json-value";
import { checkAccess, executeOperation } from "../operations/operation";
import { renderError, renderOutput } from "./render";
import { parseArguments } from "./schemas";
import type { Tool } from "./tools";
import type { UsageRecorder } from "./usage";

/**
 * Runs one tool call for the caller, as REST runs the operation's request: the access check (role, feature)
 * first, then the arguments' validation, then `executeOperation`. The answer's structured content is exactly
 * the REST answer's JSON; an error is a result with `isError` whose structured content is the REST error
 * envelope (same codes, fields named relative to the arguments). Recorded as usage when `usage` is given.
 */
export async function callTool(tool: Tool, ctx: OperationContext, args: Record<string, unknown>, usage?: UsageRecorder): Promise<CallToolResult> {
  const started = Date.now();
  let result: CallToolResult;
  let output: unknown;
  try {
    // Before validation: a caller without access learns nothing about the input.
    checkAccess(tool.op, ctx.principal);
    const input = parseArguments(tool.op, args);
    const answer = await executeOperation(tool.op, ctx, input as never);
    // A list page SQLite already serialized (src/lib/json-text.ts): its text parsed once, not re-serialized first.
    const text = jsonTextOf(answer);
    output = text !== undefined ? (JSON.parse(text) as unknown) : asJsonValue(answer);
    result = { content: [{ type: "text", text: renderOutput(output) }], structuredContent: output as Record<string, unknown> };
  } catch (err) {
    const error = err instanceof ApiError ? err : unexpectedError(err, ctx.log, ctx.requestId, { tool: tool.name });
    const body = error.toBody();
    result = { isError: true, content: [{ type: "text", text: renderError(body) }], structuredContent: body as unknown as Record<string, unknown> };
  }
  if (usage) {
    const query = tool.search ? args[tool.search.argument] : undefined;
    usage.toolCall({
      toolName: tool.name,
      arguments: args,
      isError: result.isError === true,
      durationMs: Date.now() - started,
      result: result.isError ? result.structuredContent : (result.content[0] as { text: string }).text,
      ...(tool.search && typeof query === "string" && query.length > 0
        ? { search: { query, resultCount: result.isError ? 0 : tool.search.resultCount(output) } }
        : {}),
    });
  }
  return result;
}
