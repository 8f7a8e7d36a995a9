/**
 * The short text a tool result carries next to its `structuredContent`, for clients that show a model only
 * the text: the answer's top-level fields in a few lines (lists as a count and their first items by name and
 * id), or the error's code, message and fields. The full answer is always the structured content.
 */
import type { ErrorBody } from "../lib/errors";

const MAX_LINES = 12;
const MAX_ITEMS = 5;
const MAX_VALUE_CHARS = 100;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function clip(text: string, max = MAX_VALUE_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What names an item: its name (or label, query, tool, text) and id, and its status when it has one. */
function label(value: unknown): string {
  if (!isRecord(value)) return clip(JSON.stringify(value) ?? "null");
  const name = ["name", "label", "query", "toolName", "criterionText", "type"].map((k) => value[k]).find((v) => typeof v === "string");
  const parts = [typeof name === "string" ? clip(name, 60) : undefined, typeof value.id === "string" ? `id ${value.id}` : undefined];
  if (typeof value.status === "string") parts.push(value.status);
  const text = parts.filter(Boolean).join(", ");
  return text || `{${Object.keys(value).slice(0, 6).join(", ")}${Object.keys(value).length > 6 ? ", …" : ""}}`;
}

function line(key: string, value: unknown): string {
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map(label);
    const more = value.length > MAX_ITEMS ? `; and ${value.length - MAX_ITEMS} more` : "";
    return `${key}: ${value.length} item${value.length === 1 ? "" : "s"}${items.length > 0 ? ` (${items.join("; ")}${more})` : ""}`;
  }
  if (isRecord(value)) return `${key}: ${label(value)}`;
  return `${key}: ${clip(typeof value === "string" ? value : JSON.stringify(value) ?? "null")}`;
}

/**
 * A few lines summing up a successful answer.
 *
 * @example
 * renderOutput({ workflows: [{ id: "w1", name: "Checkout" }], page: 1, total: 1 })
 * // "workflows: 1 item (Checkout, id w1)\npage: 1\ntotal: 1\n(The full answer is the structured content.)"
 */
export function renderOutput(output: unknown): string {
  const entries = isRecord(output) ? Object.entries(output) : [["result", output] as const];
  const lines = entries.slice(0, MAX_LINES).map(([k, v]) => line(k, v));
  if (entries.length > MAX_LINES) lines.push(`… and ${entries.length - MAX_LINES} more fields`);
  lines.push("(The full answer is the structured content.)");
  return lines.join("\n");
}

/** The error as text: `<code>: <message>`, then one line per invalid field. */
export function renderError(body: ErrorBody): string {
  const { code, message, details } = body.error;
  const fields = isRecord(details) && Array.isArray(details.fields) ? (details.fields as Array<{ field: string; message: string }>) : [];
  return [`${code}: ${message}`, ...fields.slice(0, MAX_LINES).map((f) => `- ${f.field}: ${f.message}`)].join("\n");
}
