import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { ApiError, codeForStatus, ERROR_STATUS } from "./errors";
import { createLogger, errorFields, type LogFields, type Logger } from "./logger";

/**
 * Answers an ApiError as the documented envelope. A 401 carries the `WWW-Authenticate: Bearer` challenge (RFC
 * 9110 requires one; MCP clients read it), with `error="invalid_token"` only when a credential was sent (RFC 6750).
 */
export function errorResponse(c: Context<AppEnv>, err: ApiError): Response {
  const res = c.json(err.toBody(), ERROR_STATUS[err.code]);
  const requestId = c.get("requestId");
  if (requestId) res.headers.set("x-request-id", requestId);
  if (err.code === "unauthorized") {
    res.headers.set("www-authenticate", c.req.header("authorization") ? 'Bearer realm="armature", error="invalid_token"' : 'Bearer realm="armature"');
  }
  return res;
}

/**
 * The app's onError: ApiError as is; hono's own HTTPExceptions (malformed JSON, 415) mapped to our codes;
 * anything else logged with the request id and answered as a bare 500.
 */
export const handleError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException && err.status < 500) {
    const code = codeForStatus(err.status);
    const message =
      code !== "unsupported_media_type"
        ? err.message
        : (c.get("unsupportedMediaType") ?? "Request bodies must be sent as 'Content-Type: application/json'");
    return errorResponse(c, new ApiError(code, message || code));
  }
  const requestId = c.get("requestId");
  const log = c.get("app")?.log ?? createLogger({ requestId });
  return errorResponse(c, unexpectedError(err, log, requestId, { method: c.req.method, path: new URL(c.req.url).pathname }));
};

/**
 * An error no code anticipated, on any surface: logged with `fields`, and answered as a bare internal error
 * that names only the request id.
 */
export function unexpectedError(err: unknown, log: Logger, requestId: string | undefined, fields: LogFields = {}): ApiError {
  log.error("unhandled error", { ...fields, error: errorFields(err) });
  return new ApiError("internal_error", `Internal error (request ${requestId ?? "unknown"})`);
}
