/**
 * The workflow's tool policy, applied in the Worker before a tool call leaves it: which of the source's tools
 * the tester is offered, and whether a call the model makes is refused (and why, and how to allow it).
 */
import type { McpToolInfo } from "../types";

/** The workflow's `toolPolicy` (src/workflows/schemas.ts, defaults applied). */
export interface ToolPolicy {
  /** Tool-name globs; when not null, only matching tools are offered and may be called. */
  allow: readonly string[] | null;
  /** Tool-name globs that are never offered and always refused. */
  deny: readonly string[];
  /** When false, a tool that may be destructive (MCP annotations) is refused. */
  allowDestructive: boolean;
}

/**
 * Whether `name` matches the glob `pattern`: `*` matches any run of characters (also none), everything else
 * matches itself (case-sensitive). No backtracking: the literal pieces between the stars are found left to
 * right, each at its first position after the previous one, which is correct for star-only globs; the work is
 * bounded by name length × pattern length (both short), whatever the input.
 */
export function globMatch(pattern: string, name: string): boolean {
  const pieces = pattern.split("*");
  if (pieces.length === 1) return pattern === name;
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (name.length < first.length + last.length) return false;
  if (!name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    if (piece === "") continue;
    const found = name.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/** The first pattern of `patterns` that matches `name`, if any. */
function firstMatch(patterns: readonly string[], name: string): string | undefined {
  return patterns.find((p) => globMatch(p, name));
}

/**
 * Whether a tool may be destructive by the MCP annotation rules: `destructiveHint` defaults to true and only
 * counts when the tool is not read-only, so a tool is destructive unless `readOnlyHint` is true or
 * `destructiveHint` is false.
 */
export function isDestructive(tool: McpToolInfo): boolean {
  const a = tool.annotations ?? {};
  return a.readOnlyHint !== true && a.destructiveHint !== false;
}

/** The tools the tester is offered: those the allow list names (all when it is null), minus the denied ones. */
export function offeredTools(tools: readonly McpToolInfo[], policy: ToolPolicy): McpToolInfo[] {
  const seen = new Set<string>();
  return tools.filter((t) => {
    if (seen.has(t.name)) return false;
    seen.add(t.name);
    if (firstMatch(policy.deny, t.name) !== undefined) return false;
    return policy.allow === null || firstMatch(policy.allow, t.name) !== undefined;
  });
}

/** A name as the refusal texts quote it (bounded, so a hallucinated megabyte name stays out of the record). */
function quoted(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}

/**
 * Why a call to `name` is refused, or null when it may go out. `tool` is the source's tool of that name
 * (undefined when the source has none). Checked in this order: deny, allow, unknown tool, destructive.
 * The text says how to allow the call where the workflow can.
 */
export function refusal(tool: McpToolInfo | undefined, name: string, policy: ToolPolicy): string | null {
  const denied = firstMatch(policy.deny, name);
  if (denied !== undefined) {
    return `Refused by the workflow's tool policy: tool ${quoted(name)} matches toolPolicy.deny pattern ${quoted(denied)}. To allow it, remove that pattern from toolPolicy.deny.`;
  }
  if (policy.allow !== null && firstMatch(policy.allow, name) === undefined) {
    return `Refused by the workflow's tool policy: tool ${quoted(name)} matches no pattern of toolPolicy.allow. To allow it, add it (or a glob matching it) to toolPolicy.allow.`;
  }
  if (!tool) {
    return `Refused: the MCP source offers no tool named ${quoted(name)}, so the call was not sent. Call one of the tools you were given.`;
  }
  if (!policy.allowDestructive && isDestructive(tool)) {
    return `Refused by the workflow's tool policy: tool ${quoted(name)} may be destructive (its MCP annotations do not mark it read-only, and destructiveHint is not false). To allow it, set toolPolicy.allowDestructive to true.`;
  }
  return null;
}
