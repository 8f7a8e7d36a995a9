/**
 * The one redaction policy for anything that may echo a secret: traces, tool calls, evaluations, and the
 * credential check of the workflow preflight.
 */
interface CredentialPattern {
  name: string;
  pattern: RegExp;
  /** A further check of a match, where the shape alone would also match ordinary prose. */
  verify?: (match: string) => boolean;
}

/** A bearer token has a digit or is long: "Bearer responsibilities" is prose. */
const looksLikeToken = (match: string) => {
  const token = match.replace(/^\S+\s+/, "");
  return /\d/.test(token) || token.length >= 32;
};

/** Basic credentials are base64 of "user:password". */
const isBasicCredential = (match: string) => {
  try {
    return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(atob(match.replace(/^\S+\s+/, "")));
  } catch {
    return false;
  }
};

const CREDENTIAL_PATTERNS: CredentialPattern[] = [
  { name: "Armature API key", pattern: /\bamt_[0-9A-Za-z]{16}_[0-9A-Za-z]{43}\b/g },
  { name: "private key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g },
  { name: "bearer token", pattern: /\bBearer\s+[A-Za-z0-9\-._~+/]{16,}=*/gi, verify: looksLikeToken },
  { name: "basic credentials", pattern: /\bBasic\s+[A-Za-z0-9+/]{8,}={0,2}/gi, verify: isBasicCredential },
  { name: "Anthropic API key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { name: "OpenAI API key", pattern: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}/g },
  { name: "AWS access key", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { name: "GitHub token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/g },
  { name: "Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { name: "Stripe key", pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { name: "Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: "JSON Web Token", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { name: "password assignment", pattern: /\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token)\s*[:=]\s*["']?[^\s"',;]{8,}/gi },
];

export const REDACTED = "[REDACTED]";

/** The names of the credential kinds found in a text (empty when none). */
export function findCredentials(text: string): string[] {
  const found = new Set<string>();
  for (const { name, pattern, verify } of CREDENTIAL_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      if (!verify || verify(match[0])) {
        found.add(name);
        break;
      }
    }
  }
  return [...found];
}

/**
 * Replaces every credential-shaped substring with "[REDACTED]".
 *
 * @example
 * redactText("use Bearer abcdefghij0123456789") // "use [REDACTED]"
 */
export function redactText(text: string): string {
  let out = text;
  for (const { pattern, verify } of CREDENTIAL_PATTERNS) {
    out = out.replace(pattern, (match) => (!verify || verify(match) ? REDACTED : match));
  }
  return out;
}

const SENSITIVE_KEYS = /^(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[_-]?key|password|passwd|secret|client[_-]?secret|access[_-]?token|refresh[_-]?token|token|private[_-]?key)$/i;

/** Redacts a JSON-like value: credential-shaped strings anywhere, and every value under a sensitive key. */
export function redactValue<T>(value: T): T {
  return redactInner(value, 0) as T;
}

function redactInner(value: unknown, depth: number): unknown {
  if (depth > 64) return REDACTED;
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactInner(v, depth + 1));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SENSITIVE_KEYS.test(k) && v !== null && v !== "" ? REDACTED : redactInner(v, depth + 1),
      ]),
    );
  }
  return value;
}
