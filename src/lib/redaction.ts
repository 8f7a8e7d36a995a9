/**
 * The one redaction policy for anything that may echo a secret: traces, tool calls, evaluations, and the
 * credential check of the workflow preflight.
 *
 * Two rules:
 * - credential-shaped text (`findCredentials`, `redactText`): Armature keys, private keys, bearer and Basic
 *   credentials, provider keys and tokens, JWTs, and `key=value` / `"key": "value"` assignments to a
 *   sensitive key;
 * - sensitive keys (`isSensitiveKey`): a non-empty string under a key named like a password, secret, token,
 *   API / access / private key, credential or auth is a credential, whatever it looks like
 *   (`holdsCredential`; `redactValue` also redacts every string nested under such a key).
 *
 * Every scan is linear in the text it reads, whatever the text (this code runs on attacker-supplied input):
 * - the regular expressions here (`CREDENTIAL_DETECTORS[].anchors`) find only a bounded-length prefix of a
 *   credential: every quantifier has a small upper bound and no bounded repetition is ambiguous, so trying one
 *   start position costs a constant;
 * - the unbounded rest (a token's tail, a JWT's segments, a key's value) is read by hand-written loops that
 *   never read a character twice for the same detector, except a JWT segment (at most three times), and the
 *   scan of a detector continues after everything it read;
 * - each string is scanned up to `MAX_SCAN_CHARS`. `redactText` replaces everything past the last whitespace
 *   before that bound with one marker, so a credential cut by the bound is dropped whole; `findCredentials`
 *   reports such a remainder as a finding of its own.
 */

export const REDACTED = "[REDACTED]";

/** The most characters of one string that are scanned; see `redactText` and `findCredentials` for the rest. */
export const MAX_SCAN_CHARS = 256 * 1024;

/** The finding `findCredentials` reports for the part of a text beyond `MAX_SCAN_CHARS`. */
export const UNSCANNED_KIND = `text beyond the first ${MAX_SCAN_CHARS} characters, not scanned`;

/** Where a credential was found: `text.slice(start, end)` is what gets redacted. */
export interface CredentialSpan {
  kind: string;
  start: number;
  end: number;
}

/**
 * The work of a scan beyond the regular expressions (whose cost per start position is bounded): characters
 * read by the hand-written loops, and anchor matches tried. Tests use it to show that scans are linear.
 */
export interface ScanWork {
  steps: number;
  anchors: number;
}

export interface CredentialDetector {
  kind: string;
  /** The regular expressions this detector runs: global, every quantifier bounded. */
  anchors: readonly RegExp[];
  /** The credentials in `text`, left to right, not overlapping each other. */
  find(text: string, work?: ScanWork): Generator<CredentialSpan>;
}

// ---------------------------------------------------------------------------------------------------------
// Character classes and the one loop that reads an unbounded run of them.

type CharTest = (code: number) => boolean;

const asciiClass = (cls: RegExp): CharTest => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) table[c] = cls.test(String.fromCharCode(c)) ? 1 : 0;
  return (code) => code < 128 && table[code] === 1;
};

/** The characters `\s` matches. */
const isSpace = (code: number) =>
  code === 0x20 ||
  (code >= 0x09 && code <= 0x0d) ||
  code === 0xa0 ||
  code === 0x1680 ||
  (code >= 0x2000 && code <= 0x200a) ||
  code === 0x2028 ||
  code === 0x2029 ||
  code === 0x202f ||
  code === 0x205f ||
  code === 0x3000 ||
  code === 0xfeff;

const ALNUM = asciiClass(/[A-Za-z0-9]/);
const WORD = asciiClass(/\w/);
const BASE64URL = asciiClass(/[A-Za-z0-9_-]/);
const BASE64 = asciiClass(/[A-Za-z0-9+/]/);
const SLACK = asciiClass(/[A-Za-z0-9-]/);
const TOKEN68 = asciiClass(/[A-Za-z0-9\-._~+/]/);
const PAD: CharTest = (code) => code === 0x3d; // "="
const valueAscii = asciiClass(/[^\s"',;]/);
/** An assignment's value: up to whitespace, a quote, a comma or a semicolon. */
const VALUE: CharTest = (code) => (code < 128 ? valueAscii(code) : !isSpace(code));

/** The end of the run of `test` characters from `from` (at most `max` of them). */
function runEnd(text: string, from: number, test: CharTest, work?: ScanWork, max = Infinity): number {
  const limit = Math.min(text.length, from + max);
  let i = from;
  while (i < limit && test(text.charCodeAt(i))) i++;
  if (work) work.steps += i - from + 1;
  return i;
}

/** A detector's regular expression, ready to search `text` from the start (scans are synchronous, never nested). */
const from0 = (re: RegExp) => {
  re.lastIndex = 0;
  return re;
};

// ---------------------------------------------------------------------------------------------------------
// Detectors.

/**
 * A credential that starts with a bounded `anchor` and goes on over a run of `tail` characters (then up to
 * `pad` "=" signs). A match that `verify` refuses is passed over whole, as a regular expression would.
 */
function tokenDetector(
  kind: string,
  anchor: RegExp,
  tail: CharTest | null,
  opts: { pad?: number; verify?: (match: string) => boolean } = {},
): CredentialDetector {
  return {
    kind,
    anchors: [anchor],
    *find(text, work) {
      const re = from0(anchor);
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (work) work.anchors++;
        let end = tail ? runEnd(text, re.lastIndex, tail, work) : re.lastIndex;
        if (opts.pad) end = runEnd(text, end, PAD, work, opts.pad);
        if (!opts.verify || opts.verify(text.slice(m.index, end))) yield { kind, start: m.index, end };
        re.lastIndex = end;
      }
    },
  };
}

/** What follows the scheme ("Bearer", "Basic") and its whitespace. */
const afterScheme = (match: string) => match.slice(match.search(/\s/)).trimStart();

/** A bearer token has a digit or is long: "Bearer responsibilities" is prose. */
const looksLikeToken = (match: string) => {
  const token = afterScheme(match);
  return /\d/.test(token) || token.length >= 32;
};

/** Basic credentials are base64 of "user:password" (printable, with a colon after the first character). */
const isBasicCredential = (match: string) => {
  let decoded: string;
  try {
    decoded = atob(afterScheme(match));
  } catch {
    return false;
  }
  return /^[\x20-\x7e]*$/.test(decoded) && decoded.indexOf(":", 1) !== -1;
};

const PRIVATE_KEY_BEGIN = /-----BEGIN (?:[A-Z0-9]{1,24} ){0,4}PRIVATE KEY-----/g;
const PRIVATE_KEY_END = /-----END (?:[A-Z0-9]{1,24} ){0,4}PRIVATE KEY-----/g;

/** A PEM private key, from its BEGIN line to its END line, or to the end of the text when that is missing. */
const privateKey: CredentialDetector = {
  kind: "private key",
  anchors: [PRIVATE_KEY_BEGIN, PRIVATE_KEY_END],
  *find(text, work) {
    const begin = from0(PRIVATE_KEY_BEGIN);
    const endLine = PRIVATE_KEY_END;
    for (let m = begin.exec(text); m; m = begin.exec(text)) {
      if (work) work.anchors++;
      endLine.lastIndex = begin.lastIndex;
      const end = endLine.exec(text) ? endLine.lastIndex : text.length;
      yield { kind: "private key", start: m.index, end };
      begin.lastIndex = end;
    }
  },
};

const JWT_START = /\beyJ/g;

/**
 * A JSON Web Token: `eyJ…` "." `eyJ…` "." `…`, each segment a run of base64url characters (the first two at least
 * 11 long, the last at least 8). When the token starting at one "eyJ" fails, so does every later "eyJ" of the same
 * segment (it ends at the same place, shorter), so the search goes on after that segment: no run is read more than
 * three times.
 */
const jwt: CredentialDetector = {
  kind: "JSON Web Token",
  anchors: [JWT_START],
  *find(text, work) {
    const re = from0(JWT_START);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (work) work.anchors++;
      const start = m.index;
      const e1 = runEnd(text, start, BASE64URL, work);
      let end = -1;
      if (e1 - start >= 11 && text.charCodeAt(e1) === 0x2e && text.startsWith("eyJ", e1 + 1)) {
        const e2 = runEnd(text, e1 + 1, BASE64URL, work);
        if (e2 - (e1 + 1) >= 11 && text.charCodeAt(e2) === 0x2e) {
          const e3 = runEnd(text, e2 + 1, BASE64URL, work);
          if (e3 - (e2 + 1) >= 8) end = e3;
        }
      }
      if (end >= 0) yield { kind: "JSON Web Token", start, end };
      re.lastIndex = end >= 0 ? end : e1;
    }
  },
};

/**
 * `key=value`, `key: value`, `"key": "value"`, `--key=value` with a sensitive key and a value of at least 8
 * characters; the value is the credential. A key starts where a run of key characters starts (so each run is
 * tried once) and is at most 128 characters.
 */
const ASSIGNMENT = /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{1,128})["']?[ \t]{0,8}[:=][ \t]{0,8}["']?/g;

const assignment: CredentialDetector = {
  kind: "password assignment",
  anchors: [ASSIGNMENT],
  *find(text, work) {
    const re = from0(ASSIGNMENT);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (work) work.anchors++;
      if (!isSensitiveKey(m[1]!)) continue;
      const from = re.lastIndex;
      const end = runEnd(text, from, VALUE, work);
      if (end - from >= 8) {
        yield { kind: "password assignment", start: from, end };
        re.lastIndex = end;
      }
    }
  },
};

/** Every detector, in the order `findCredentials` names kinds. */
export const CREDENTIAL_DETECTORS: readonly CredentialDetector[] = [
  tokenDetector("Armature API key", /\bamt_[0-9A-Za-z]{16}_[0-9A-Za-z]{43}/g, ALNUM),
  privateKey,
  tokenDetector("bearer token", /\bBearer\s{1,32}[A-Za-z0-9\-._~+/]{16}/gi, TOKEN68, { pad: Infinity, verify: looksLikeToken }),
  tokenDetector("basic credentials", /\bBasic\s{1,32}[A-Za-z0-9+/]{8}/gi, BASE64, { pad: 2, verify: isBasicCredential }),
  tokenDetector("Anthropic API key", /\bsk-ant-[A-Za-z0-9_-]{20}/g, BASE64URL),
  tokenDetector("OpenAI API key", /\bsk-(?!ant-)(?:proj-|svcacct-)?[A-Za-z0-9_-]{20}/g, BASE64URL),
  tokenDetector("AWS access key", /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, null),
  tokenDetector("GitHub token", /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40})/g, WORD),
  tokenDetector("Slack token", /\bxox[abposr]-[A-Za-z0-9-]{10}/g, SLACK),
  tokenDetector("Stripe key", /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16}/g, ALNUM),
  tokenDetector("Google API key", /\bAIza[0-9A-Za-z_-]{35}/g, BASE64URL),
  jwt,
  assignment,
];

// ---------------------------------------------------------------------------------------------------------
// Scanning and redacting text.

/** Where the scanned part of a longer text ends: after the last whitespace at or before the bound. */
function scanCut(text: string): number {
  for (let i = MAX_SCAN_CHARS; i > 0; i--) if (isSpace(text.charCodeAt(i - 1))) return i;
  return 0;
}

/** No credential is shorter than this (`a=` and an 8-character value): shorter texts are not scanned. */
const MIN_CREDENTIAL_CHARS = 10;

/** Every credential in `text` (which the caller keeps within `MAX_SCAN_CHARS`), by detector. */
export function scanCredentials(text: string, work?: ScanWork): CredentialSpan[] {
  const spans: CredentialSpan[] = [];
  if (text.length < MIN_CREDENTIAL_CHARS) return spans;
  for (const detector of CREDENTIAL_DETECTORS) for (const span of detector.find(text, work)) spans.push(span);
  return spans;
}

/**
 * The names of the credential kinds found in a text (empty when none). A text longer than `MAX_SCAN_CHARS`
 * is scanned up to there and also reports `UNSCANNED_KIND` (the workflow fields it checks are far shorter).
 */
export function findCredentials(text: string): string[] {
  const head = text.length > MAX_SCAN_CHARS ? text.slice(0, scanCut(text)) : text;
  const found: string[] = [];
  if (text.length < MIN_CREDENTIAL_CHARS) return found;
  for (const detector of CREDENTIAL_DETECTORS) {
    if (!detector.find(head).next().done) found.push(detector.kind);
  }
  if (head.length < text.length) found.push(UNSCANNED_KIND);
  return found;
}

function replaceSpans(text: string, spans: CredentialSpan[]): string {
  if (!spans.length) return text;
  spans.sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  let i = 0;
  while (i < spans.length) {
    const start = spans[i]!.start;
    let end = spans[i]!.end;
    for (i++; i < spans.length && spans[i]!.start <= end; i++) end = Math.max(end, spans[i]!.end);
    out += text.slice(at, start) + REDACTED;
    at = end;
  }
  return out + text.slice(at);
}

/**
 * Replaces every credential-shaped substring with "[REDACTED]" (of an assignment, the value). Past
 * `MAX_SCAN_CHARS`, everything after the last whitespace before the bound is replaced by one marker, so a
 * credential that straddles the bound never shows in part.
 *
 * @example
 * redactText("use Bearer abcdefghij0123456789") // "use [REDACTED]"
 * redactText("DB_PASSWORD=hunter2hunter2") // "DB_PASSWORD=[REDACTED]"
 */
export function redactText(text: string): string {
  if (text.length <= MAX_SCAN_CHARS) return replaceSpans(text, scanCredentials(text));
  const cut = scanCut(text);
  const head = text.slice(0, cut);
  return `${replaceSpans(head, scanCredentials(head))}${REDACTED} (${text.length - cut} more characters, not scanned)`;
}

// ---------------------------------------------------------------------------------------------------------
// Sensitive keys.

/** Keys longer than this are sensitive without looking (no legitimate key is that long). */
const MAX_KEY_CHARS = 256;

/** Words that make a key sensitive, also at the end of a longer word ("dbpassword", "authtoken", "oauth"). */
const SENSITIVE_SUFFIXES = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "secrets",
  "token",
  "tokens",
  "credential",
  "credentials",
  "apikey",
  "apikeys",
  "accesskey",
  "privatekey",
  "auth",
];
/** Whole words that make a key sensitive. */
const SENSITIVE_WORDS = new Set(["pwd", "creds", "authorization", "authentication", "cookie", "cookies"]);
/** "<qualifier> key": api key, access key, private key, … */
const KEY_QUALIFIERS = new Set(["api", "access", "private", "secret", "signing", "encryption", "ssh"]);
/** A last word that makes the key describe a credential rather than hold one: `token_endpoint`, `auth_type`. */
const DESCRIPTOR_WORDS = new Set([
  "endpoint",
  "endpoints",
  "url",
  "uri",
  "type",
  "method",
  "methods",
  "supported",
  "expires",
  "expiry",
  "expiration",
  "ttl",
  "name",
  "id",
  "policy",
  "required",
  "enabled",
]);

/** A sensitive key has one of these in it (each word below is a substring of the key): a cheap first test. */
const SENSITIVE_HINT = /pass|pwd|secret|token|cred|key|auth|cookie/i;

/**
 * Whether a key (an object key, a header or metadata name, the left side of an assignment) names a
 * credential: its words, split at anything but a letter and at camelCase humps, name a password / passwd /
 * pwd / secret / token / API, access or private key / credential / auth (also as the end of a word:
 * `dbpassword`), unless the last word describes it (`token_endpoint`, `auth_type`).
 *
 * @example
 * isSensitiveKey("db_password") // true
 * isSensitiveKey("apiKey") // true
 * isSensitiveKey("x-auth-token") // true
 * isSensitiveKey("author") // false
 */
export function isSensitiveKey(key: string): boolean {
  if (key.length > MAX_KEY_CHARS) return true;
  if (!SENSITIVE_HINT.test(key)) return false;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
  if (!words.length || DESCRIPTOR_WORDS.has(words[words.length - 1]!)) return false;
  return words.some(
    (w, i) =>
      SENSITIVE_WORDS.has(w) ||
      SENSITIVE_SUFFIXES.some((s) => w.endsWith(s)) ||
      w.includes("password") ||
      ((w === "key" || w === "keys") && i > 0 && KEY_QUALIFIERS.has(words[i - 1]!)),
  );
}

/** Whether `value` under `key` is a credential: a non-empty string under a sensitive key. */
export function holdsCredential(key: string, value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "" && isSensitiveKey(key);
}

/**
 * Redacts a JSON-like value: credential-shaped strings anywhere (also in keys), and every non-empty string
 * under a sensitive key, however deeply nested under it. Numbers, booleans and null stay (`tokens_used: 12`).
 */
export function redactValue<T>(value: T, knownSecrets: readonly string[] = []): T {
  // Exact values of secrets we know (a source's auth profile) go first, whatever their shape.
  const known = knownSecrets.filter((s) => s.length >= 4);
  return redactInner(value, 0, false, known) as T;
}

/** Every occurrence of a known secret value replaced. */
function redactKnown(text: string, known: readonly string[]): string {
  let out = text;
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

function redactInner(value: unknown, depth: number, sensitive: boolean, known: readonly string[]): unknown {
  if (depth > 64) return REDACTED;
  if (typeof value === "string") return sensitive && value.trim() !== "" ? REDACTED : redactText(redactKnown(value, known));
  if (Array.isArray(value)) return value.map((v) => redactInner(v, depth + 1, sensitive, known));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        redactText(redactKnown(k, known)),
        redactInner(v, depth + 1, sensitive || isSensitiveKey(k), known),
      ]),
    );
  }
  return value;
}
