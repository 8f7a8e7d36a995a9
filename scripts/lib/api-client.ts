// A minimal client of the REST API for the CI scripts that walk a run end to end (scripts/smoke-run.ts,
// scripts/conformance-client.ts): JSON calls with the key, and waiting for a workflow's run to end.

export type Json = Record<string, any>;

/** The statuses a run ends in. */
export const TERMINAL_STATUSES = ["pass", "fail", "partial"];

/** `call(method, path, body?)` against `api` (the base, `…/api/armature/v1`) with `key`; throws on a non-2xx answer. */
export function apiClient(api: string, key: string) {
  return async function call(method: string, path: string, body?: unknown): Promise<Json> {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 1000)}`);
    return JSON.parse(text) as Json;
  };
}

/**
 * Polls the workflow's latest run every 500 ms until it is terminal or `seconds` have passed; returns the run as
 * last read (not terminal on a timeout, undefined when none was listed).
 */
export async function waitForWorkflowRun(call: ReturnType<typeof apiClient>, workflowId: string, seconds: number): Promise<Json | undefined> {
  let run: Json | undefined;
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    run = (await call("GET", `/runs?workflowId=${workflowId}`)).runs[0];
    if (run && TERMINAL_STATUSES.includes(run.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return run;
}
