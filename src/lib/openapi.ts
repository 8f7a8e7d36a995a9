import { z } from "@hono/zod-openapi";
import { ERROR_STATUS, type ErrorCode } from "./errors";
import { RATE_LIMIT_HEADERS, RATE_LIMIT_SUMMARY, RETRY_AFTER_HEADER } from "./rate-limit";

export const API_BASE = "/api/armature/v1";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]).openapi({ example: "not_found" }),
      message: z.string().openapi({ example: "Workflow not found" }),
      details: z
        .object({
          fields: z
            .array(z.object({ field: z.string().openapi({ example: "body.name" }), message: z.string() }))
            .optional(),
        })
        .catchall(z.unknown())
        .optional(),
    }),
  })
  .openapi("Error");

const DESCRIPTIONS: Record<number, string> = {
  400: "Validation failed: `error.details.fields` names each invalid field.",
  401: "The API key is missing, malformed, unknown, expired or revoked.",
  403: "The key's role does not allow this operation, or the feature is disabled.",
  404: "The resource does not exist or is not visible to this organization.",
  409: "The request conflicts with the resource's state.",
  413: "The request body is too large.",
  415: "The request body is not `application/json`.",
  422: "The idempotency key was already used with a different request body.",
  429: `Rate limit exceeded (\`rate_limited\`): the key's or the organization's policy of this request's class. Per minute: ${RATE_LIMIT_SUMMARY}. \`Retry-After\` says when to retry; \`RateLimit\` which policy is exhausted.`,
  500: "Internal error; `X-Request-Id` identifies it in the logs.",
};

const errorResponse = (status: number) => ({
  description: DESCRIPTIONS[status]!,
  headers: { "x-request-id": { schema: { type: "string" as const } } },
  content: { "application/json": { schema: ErrorSchema } },
});

/** A 429 also says when to retry, and which policy is exhausted. */
const rateLimitedResponse = () => {
  const res = errorResponse(429);
  return { ...res, headers: { ...res.headers, ...RETRY_AFTER_HEADER, ...RATE_LIMIT_HEADERS } };
};

/** The documented error responses every authenticated operation shares, plus any extra statuses. */
export function errorResponses<S extends 400 | 404 | 409 | 413 | 415 | 422>(...extra: S[]) {
  const base = {
    401: errorResponse(401),
    403: errorResponse(403),
    429: rateLimitedResponse(),
    500: errorResponse(500),
  };
  const more = Object.fromEntries(extra.map((s) => [s, errorResponse(s)])) as Record<S, ReturnType<typeof errorResponse>>;
  return { ...base, ...more };
}

/** A UUID as clients send it; upper-case hex is accepted and folded to the stored lower case. */
export const uuidInput = () => z.uuid().toLowerCase();

export const UuidParam = z.object({
  id: uuidInput().openapi({ param: { name: "id", in: "path" }, example: "3f1c1d2e-8d4b-4b8e-9a57-2f0f4b1f6c1a" }),
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

