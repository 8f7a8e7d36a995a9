/**
 * The headers every answer of the app carries beyond its own (src/app.ts's middleware puts them on): the request
 * id, `Cache-Control: no-store` unless the answer has its own, and `X-Content-Type-Options: nosniff` unless it is
 * a 304 (no body: the stored answer keeps the one it came with).
 *
 * An answer built with {@link jsonAnswer} has them from its construction: one object of header fields handed to
 * the `Response`, instead of the runtime's `Headers.set` called on it afterwards once per field (each a call into
 * the runtime; with hono's `c.json` and the middleware setting them, a tenth of a point read's own time in its
 * profile, docs/benchmarks.md).
 */

/** Answers built whole by {@link jsonAnswer}: the middleware leaves their headers as they are. */
const complete = new WeakSet<Response>();

/**
 * A JSON answer with the app's headers: `body` is the JSON text (a string, or a Blob of it for a large page),
 * `headers` the answer's own fields (lower-case names; a `cache-control` of its own replaces `no-store`).
 */
export function jsonAnswer(body: string | Blob, status: number, requestId: string, headers?: Record<string, string>): Response {
  const res = new Response(body, {
    status,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "x-request-id": requestId,
      ...headers,
    },
  });
  complete.add(res);
  return res;
}

/** Puts the app's headers on an answer not built by {@link jsonAnswer} (hono's, an error's, a handler's own). */
export function finishHeaders(res: Response, requestId: string): void {
  if (complete.has(res)) return;
  const headers = res.headers;
  headers.set("x-request-id", requestId);
  if (res.status !== 304) headers.set("x-content-type-options", "nosniff");
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
}
