import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Machine-readable error codes and the HTTP status each one is answered with. */
export const ERROR_STATUS = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  feature_disabled: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One invalid input: where it is (`body.criteria.0.criterionText`, `query.range`) and why. */
export interface FieldIssue {
  field: string;
  message: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/**
 * The one error type handlers throw; `onError` turns it into the documented envelope.
 *
 * @example
 * throw new ApiError("not_found", "Workflow not found");
 */
export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(ERROR_STATUS[code], { message });
    this.code = code;
    this.details = details;
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** A validation error lists at most this many fields; `details.omittedFields` counts the rest. */
export const MAX_LISTED_FIELDS = 50;

/** A 400 naming each bad field (the first MAX_LISTED_FIELDS of them, and how many more there were). */
export function validationError(issues: FieldIssue[], message?: string): ApiError {
  const summary =
    message ?? (issues.length === 1 ? `Invalid ${issues[0]!.field}: ${issues[0]!.message}` : `${issues.length} fields are invalid`);
  const omitted = issues.length - MAX_LISTED_FIELDS;
  return new ApiError(
    "validation_failed",
    omitted > 0 ? `${summary}; the first ${MAX_LISTED_FIELDS} are listed` : summary,
    omitted > 0 ? { fields: issues.slice(0, MAX_LISTED_FIELDS), omittedFields: omitted } : { fields: issues },
  );
}

/** Maps a status that hono (not our code) raised onto our codes. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return "validation_failed";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "rate_limited";
    case 503:
      return "service_unavailable";
    default:
      return "internal_error";
  }
}
