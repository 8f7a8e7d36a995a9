import { KEY_ID_LENGTH, parseApiKey } from "../auth/api-key";
import { isRole, ROLES, type Role } from "../auth/roles";
import { AdminError } from "./errors";

/** Features an organization can have switched on. */
export const KNOWN_FEATURES = ["mcp-analytics"] as const;
export type Feature = (typeof KNOWN_FEATURES)[number];

/** Lowercase letters, digits and hyphens, 1-63 characters, no hyphen at either end: one DNS label. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const MAX_NAME_LENGTH = 100;
export const MAX_EXPIRES_IN_DAYS = 3650;

const KEY_ID_PATTERN = new RegExp(`^[0-9A-Za-z]{${KEY_ID_LENGTH}}$`);
// Control characters (newlines, NUL, ...), lone surrogates and the bidi overrides have no place in a name.
const FORBIDDEN_IN_NAMES = /[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]/u;

/**
 * An organization slug, as it appears in `<slug>.<base domain>`.
 *
 * @example
 * validateSlug("acme-eu") // "acme-eu"
 * validateSlug("Acme")    // throws invalid_argument
 */
export function validateSlug(value: string): string {
  if (!SLUG_PATTERN.test(value)) {
    throw new AdminError(
      "invalid_argument",
      `Invalid organization slug '${printable(value)}': use 1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen`,
    );
  }
  return value;
}

/** A display name (organization or key): trimmed, 1-100 characters, no control characters. */
export function validateName(value: string, what: string): string {
  const name = value.trim();
  if (name.length === 0) throw new AdminError("invalid_argument", `The ${what} must not be empty`);
  if ([...name].length > MAX_NAME_LENGTH) {
    throw new AdminError("invalid_argument", `The ${what} must be at most ${MAX_NAME_LENGTH} characters`);
  }
  if (FORBIDDEN_IN_NAMES.test(name)) {
    throw new AdminError("invalid_argument", `The ${what} must not contain control characters`);
  }
  return name;
}

export function validateRole(value: string): Role {
  if (!isRole(value)) {
    throw new AdminError("invalid_argument", `Unknown role '${printable(value)}': use one of ${ROLES.join(", ")}`);
  }
  return value;
}

export function validateFeature(value: string): Feature {
  if (!(KNOWN_FEATURES as readonly string[]).includes(value)) {
    throw new AdminError(
      "invalid_argument",
      `Unknown feature '${printable(value)}': known features are ${KNOWN_FEATURES.join(", ")}`,
    );
  }
  return value as Feature;
}

/** A whole number of days between 1 and 3650. */
export function validateExpiresInDays(value: string): number {
  const days = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_EXPIRES_IN_DAYS) {
    throw new AdminError(
      "invalid_argument",
      `Invalid --expires-in-days '${printable(value)}': use a whole number of days from 1 to ${MAX_EXPIRES_IN_DAYS}`,
    );
  }
  return days;
}

/**
 * A key id: the middle part of `amt_<key-id>_<secret>`. A whole key is accepted too and reduced to its id.
 *
 * @example
 * validateKeyId("0123456789abcdef") // "0123456789abcdef"
 */
export function validateKeyId(value: string): string {
  const parsed = parseApiKey(value);
  if (parsed) return parsed.keyId;
  if (!KEY_ID_PATTERN.test(value)) {
    // Never echo something that may be a (mistyped) secret key.
    const shown = value.startsWith("amt_") ? "" : ` '${printable(value)}'`;
    throw new AdminError(
      "invalid_argument",
      `Invalid key id${shown}: a key id is the ${KEY_ID_LENGTH} letters and digits after 'amt_' (see 'key list')`,
    );
  }
  return value;
}

/** A user's input, shortened and with control characters escaped, to quote in a message. */
function printable(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return short.replace(/[\p{Cc}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
