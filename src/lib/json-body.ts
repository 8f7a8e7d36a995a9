import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { validationError, type FieldIssue } from "./errors";

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json(\s*;.*)?$/i;
/** A UTF-16 surrogate without its pair: JSON can carry it as `\ud800`, but it cannot be stored or sent back as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Keys that would change an object's prototype when copied with assignment. */
const FORBIDDEN_KEYS = new Set(["__proto__"]);
const MAX_ISSUES = 20;

/**
 * Problems JSON.parse lets through that no field schema sees: lone surrogates in any string or key, and
 * `__proto__` keys (a copy by assignment would silently drop them). Field paths relative to the body.
 * Iterative, so a deeply nested body cannot exhaust the stack.
 */
export function jsonValueIssues(value: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: "" }];
  const at = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) issues.push({ field: path, message: "Contains an unpaired UTF-16 surrogate: not valid Unicode text" });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: at(path, i) });
    } else if (v !== null && typeof v === "object") {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (FORBIDDEN_KEYS.has(key)) issues.push({ field: at(path, key), message: "Reserved key" });
        else if (LONE_SURROGATE.test(key)) issues.push({ field: at(path, "<key>"), message: "A key contains an unpaired UTF-16 surrogate" });
        else stack.push({ value: (v as Record<string, unknown>)[key], path: at(path, key) });
      }
    }
  }
  return issues;
}

/**
 * Runs before a JSON body is validated: refuses what jsonValueIssues finds (400 naming `body.<field>`), and
 * when the body is optional treats an empty body sent as `application/json` as no body (`{}`). A route's own
 * `unsupportedMediaType` message is left for the error handler, which answers the validator's 415 with it.
 */
export const checkJsonBody = (optional: boolean, unsupportedMediaType?: string) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (unsupportedMediaType) c.set("unsupportedMediaType", unsupportedMediaType);
    if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) return next();
    const text = await c.req.text();
    if (optional && text.trim() === "") {
      // Hono caches the body as a promise per type; the validator then parses this text.
      (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve("{}");
      return next();
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Malformed JSON: the validator answers it.
      return next();
    }
    const issues = jsonValueIssues(parsed);
    if (issues.length > 0) throw validationError(issues.map((i) => ({ ...i, field: i.field ? `body.${i.field}` : "body" })));
    return next();
  });
