import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { ApiError, codeForStatus, ERROR_STATUS } from "./errors";
import { createLogger, errorFields } from "./logger";

/** Answers an ApiError as the documented envelope. */
export function errorResponse(c: Context<AppEnv>, err: ApiError): Response {
  const res = c.json(err.toBody(), ERROR_STATUS[err.code]);
  if (c.var.requestId) res.headers.set("x-request-id", c.var.requestId);
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
        : new URL(c.req.url).pathname.endsWith("/otlp/v1/traces")
          ? "OTLP/HTTP is accepted as JSON only: send 'Content-Type: application/json' (set the exporter's protocol to http/json, e.g. OTEL_EXPORTER_OTLP_PROTOCOL=http/json); protobuf is not accepted"
          : "Request bodies must be sent as 'Content-Type: application/json'";
    return errorResponse(c, new ApiError(code, message || code));
  }
  (c.var.app?.log ?? createLogger({ requestId: c.var.requestId })).error("unhandled error", {
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    error: errorFields(err),
  });
  return errorResponse(c, new ApiError("internal_error", `Internal error (request ${c.var.requestId ?? "unknown"})`));
};
