import { McpServer, type StandardSchemaWithJSON, type ToolAnnotations } from "@modelcontextprotocol/server";
import type { OperationContext } from "../context";
import { callTool } from "./call-tool";
import { argumentsSchema, outputSchema } from "./schemas";
import { MCP_TOOLS, type Tool } from "./tools";
import type { UsageRecorder } from "./usage";

/** The server's identity as clients see it (`serverInfo`). */
export const SERVER_INFO = { name: "armature", version: "1.0.0" } as const;

const INSTRUCTIONS =
  "Armature tests MCP servers with workflows: register MCP sources, create workflows, dispatch runs and read their " +
  "traces and evaluations, and read MCP usage insights. Every tool acts for the API key's organization with the " +
  "key's role; an error is a tool result whose structured content is { error: { code, message, details } }.";

/** What a tool advertises, built once per isolate (schemas, descriptions, annotations: data only, no I/O). */
interface ToolDefinition {
  tool: Tool;
  description: string;
  inputSchema: StandardSchemaWithJSON<Record<string, unknown>>;
  outputSchema: StandardSchemaWithJSON<Record<string, unknown>>;
  annotations: ToolAnnotations;
}

let definitions: ToolDefinition[] | undefined;

function toolDefinitions(): ToolDefinition[] {
  definitions ??= MCP_TOOLS.map((tool) => {
    const { op } = tool;
    const access = [
      op.roles ? `Roles: ${op.roles.join(", ")}.` : `Role: ${op.role} or higher.`,
      op.feature ? `Needs the organization feature ${op.feature}.` : "",
    ];
    return {
      tool,
      description: [`${op.summary}.`, op.description ?? "", `Answers: ${op.outputDescription}`, ...access].filter(Boolean).join(" "),
      inputSchema: argumentsSchema(op),
      outputSchema: outputSchema(op),
      annotations: op.readOnly
        ? { readOnlyHint: true, openWorldHint: false }
        : {
            readOnlyHint: false,
            destructiveHint: tool.destructive ?? true,
            idempotentHint: tool.idempotent ?? false,
            openWorldHint: tool.openWorld ?? false,
          },
    };
  });
  return definitions;
}

/** The names of every tool, in the order `tools/list` answers them. */
export const TOOL_NAMES: readonly string[] = MCP_TOOLS.map((t) => t.name);

/**
 * The MCP server of one request (the SDK's factory is called per HTTP request): every tool, acting for the
 * request's caller, recording usage with `usage` when given.
 */
export function createArmatureMcpServer(ctx: OperationContext, usage?: UsageRecorder): McpServer {
  const server = new McpServer(SERVER_INFO, {
    // The tool list never changes while a client is connected.
    capabilities: { tools: { listChanged: false } },
    instructions: INSTRUCTIONS,
  });
  for (const d of toolDefinitions()) {
    server.registerTool(
      d.tool.name,
      { description: d.description, inputSchema: d.inputSchema, outputSchema: d.outputSchema, annotations: d.annotations },
      (args) => callTool(d.tool, ctx, args, usage),
    );
  }
  return server;
}
