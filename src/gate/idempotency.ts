import type { DispatchRequest } from "./client";

/**
 * The idempotency key of the `repeat`-th dispatch (1-based) of a gate:
 * `gate:<workflow id>:<base>:<12 hex of the request>:<repeat>`.
 *
 * The API keys idempotency per organization and answers a key reused with another body (or another
 * workflow) with 422, so the key names the workflow and a digest of the request (reason, baseline, models):
 * the same commit gated again with the same options replays the first dispatch (a retried CI job reports
 * the same runs), while another workflow, or the same commit with other models (a CI matrix), dispatches
 * its own runs. Each repeat has its own key, so raising --repeat later adds runs and keeps the first ones.
 *
 * @example
 * await dispatchKey("5b3f…", "9fceb02d0ae598e95dc970b74767f19372d61af8", { reason: "CI gate" }, 1)
 * // "gate:5b3f…:9fceb02d0ae598e95dc970b74767f19372d61af8:1c0d2e7a9b41:1"
 */
export async function dispatchKey(workflowId: string, base: string, request: DispatchRequest, repeat: number): Promise<string> {
  return `gate:${workflowId}:${base}:${await requestDigest(request)}:${repeat}`;
}

/** 12 hex digits of the SHA-256 of the request's canonical JSON (keys sorted, the idempotency key left out). */
export async function requestDigest(request: DispatchRequest): Promise<string> {
  const { idempotencyKey: _key, ...rest } = request;
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(rest)));
  return [...new Uint8Array(bytes)]
    .slice(0, 6)
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
