const SAFE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The request's id: the caller's X-Request-Id when it is safe to echo, else a new UUID. The app sets it in its
 * top-level middleware (src/app.ts) and the /openapi fast path in its answer (src/routes/docs).
 */
export function requestIdFor(incoming: string | null | undefined): string {
  return incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
}

