import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

const SAFE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The request's id: the caller's X-Request-Id when it is safe to echo, else a new UUID. */
export function requestIdFor(incoming: string | null | undefined): string {
  return incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
}

/**
 * Gives every request an id and returns it as X-Request-Id. The app does this in its one top-level middleware
 * (src/app.ts) and the /openapi fast path itself (src/routes/docs); this is the same as a middleware of its own.
 */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = requestIdFor(c.req.header("x-request-id"));
  c.set("requestId", id);
  c.header("x-request-id", id);
  await next();
  c.res.headers.set("x-request-id", id);
});
