import { describe, expect, it } from "vitest";
import {
  CREDENTIAL_DETECTORS,
  MAX_SCAN_CHARS,
  REDACTED,
  UNSCANNED_KIND,
  findCredentials,
  holdsCredential,
  isSensitiveKey,
  redactText,
  redactValue,
  scanCredentials,
  type ScanWork,
} from "../../src/lib/redaction";

const b64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const JWT = [b64url('{"alg":"HS256","typ":"JWT"}'), b64url('{"sub":"1234567890","name":"Jane"}'), "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"].join(".");
const PRIVATE_KEY = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
  "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
  "-----END RSA PRIVATE KEY-----",
].join("\n");

/** One of each kind, with the secret part that must never survive redaction. */
const SAMPLES: Array<{ kind: string; text: string; secret: string }> = [
  { kind: "Armature API key", text: `amt_${"A1b2C3d4E5f6G7h8"}_${"x".repeat(40)}Yz9`, secret: "x".repeat(40) },
  { kind: "private key", text: PRIVATE_KEY, secret: "MIIEowIBAAKCAQEAu1SU1LfV" },
  { kind: "private key", text: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA (truncated", secret: "b3BlbnNzaC1rZXktdjEAAAAA" },
  { kind: "bearer token", text: "Bearer abcdefghijklmnop0123456789==", secret: "abcdefghijklmnop0123456789" },
  { kind: "basic credentials", text: `Basic ${btoa("user:correct-horse")}`, secret: btoa("user:correct-horse").slice(0, 12) },
  { kind: "Anthropic API key", text: `sk-ant-api03-${"Q".repeat(40)}`, secret: "Q".repeat(40) },
  { kind: "OpenAI API key", text: `sk-proj-${"R".repeat(48)}`, secret: "R".repeat(48) },
  { kind: "AWS access key", text: "AKIAIOSFODNN7EXAMPLE", secret: "IOSFODNN7EXAMPLE" },
  { kind: "GitHub token", text: `ghp_${"a1B2c3D4e5".repeat(4)}`, secret: "a1B2c3D4e5".repeat(4) },
  { kind: "GitHub token", text: `github_pat_${"11ABCDEFG0".repeat(5)}_more`, secret: "11ABCDEFG0".repeat(5) },
  { kind: "Slack token", text: "xoxb-1234567890-abcdefABCDEF", secret: "1234567890-abcdefABCDEF" },
  { kind: "Stripe key", text: `sk_live_${"S".repeat(24)}`, secret: "S".repeat(24) },
  { kind: "Google API key", text: `AIza${"G".repeat(35)}`, secret: "G".repeat(35) },
  { kind: "JSON Web Token", text: JWT, secret: JWT.split(".")[1]! },
  { kind: "password assignment", text: "password=hunter2hunter2", secret: "hunter2" },
];

describe("credential detection", () => {
  it.each(SAMPLES)("finds and redacts a $kind", ({ kind, text, secret }) => {
    for (const wrapped of [text, `before ${text} after`, `"${text}"`, `(${text})\n`]) {
      expect(findCredentials(wrapped), wrapped).toContain(kind);
      const redacted = redactText(wrapped);
      expect(redacted).toContain(REDACTED);
      expect(redacted).not.toContain(secret);
    }
  });

  it("redacts the value of an assignment to any sensitive key, keeping the key", () => {
    const cases: Array<[string, string]> = [
      ["password=hunter2hunter2", "password=[REDACTED]"],
      ['export DB_PASSWORD="hunter2hunter2"', 'export DB_PASSWORD="[REDACTED]"'],
      ['{"password": "hunter2hunter2", "user": "bob"}', '{"password": "[REDACTED]", "user": "bob"}'],
      ["--client-secret=abcdefgh123", "--client-secret=[REDACTED]"],
      ["x-api-key: 0123456789abcdef", "x-api-key: [REDACTED]"],
      ["apiKey = 'zzzzzzzzzz'", "apiKey = '[REDACTED]'"],
      ["GITHUB_TOKEN=some-opaque-value\nDEBUG=1", "GITHUB_TOKEN=[REDACTED]\nDEBUG=1"],
      ["a=1&access_token=abcdefgh12345&b=2", "a=1&access_token=[REDACTED]"],
    ];
    for (const [text, expected] of cases) {
      expect(redactText(text), text).toBe(expected);
      expect(findCredentials(text), text).toContain("password assignment");
    }
  });

  it("does not flag prose or ordinary values", () => {
    for (const text of [
      "Check the bearer responsibilities and basic functionality of the search tool.",
      "Basic tests: search returns recent issues, sorted by date.",
      "The password reset flow must send an email.",
      "Keep the token count under the limit; the secret: be brief.",
      "author: Jane Doe, reviewer=John Smith",
      "tokenizer=cl100k_base, max_tokens: 4096",
      "See https://example.com/docs?page=2&sort=desc#section-3",
      "sk-learn is a library; the AKIA prefix marks AWS keys; eyJ starts a JWT.",
      "A UUID: 0d3f6a51-8a3c-4d5e-9f00-1c2b3a4d5e6f and a hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      "",
    ]) {
      expect(findCredentials(text), text).toEqual([]);
      expect(redactText(text)).toBe(text);
    }
  });

  it("names every kind present, once, in detector order", () => {
    const text = `${SAMPLES.map((s) => s.text).join(" and ")} and again ${SAMPLES[0]!.text}`;
    const kinds = [...new Set(SAMPLES.map((s) => s.kind))];
    expect(findCredentials(text)).toEqual(CREDENTIAL_DETECTORS.map((d) => d.kind).filter((k) => kinds.includes(k)));
    const redacted = redactText(text);
    for (const { secret } of SAMPLES) expect(redacted).not.toContain(secret);
  });
});

describe("sensitive keys", () => {
  it("match password / secret / token / API, access and private key / credential / auth names", () => {
    for (const key of [
      "password", "Password", "PASSWORD", "passwd", "pwd", "db_password", "dbPassword", "db.password", "mysql-password",
      "passphrase", "secret", "client_secret", "clientSecret", "token", "x-auth-token", "XAuthToken", "access_token",
      "refreshToken", "apiKey", "APIKey", "api_key", "x-api-key", "accessKey", "aws_secret_access_key", "private_key",
      "PrivateKey", "ssh-key", "credential", "credentials", "gcp.credentials", "auth", "basic_auth", "oauth",
      "authorization", "Proxy-Authorization", "cookie", "set-cookie", "http.request.header.authorization", "tokens_used",
    ]) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
  });

  it("do not match look-alikes or keys that describe a credential", () => {
    for (const key of [
      "author", "authority", "tokenizer", "keyboard", "monkey", "secretary", "key", "keys", "primary_key", "name",
      "description", "token_endpoint", "auth_type", "token_type", "secret_name", "client_secret_expires_at_type",
      "passport", "compass", "query", "",
    ]) {
      expect(isSensitiveKey(key), key).toBe(false);
    }
  });

  it("hold a credential only as a non-empty string", () => {
    expect(holdsCredential("password", "hunter2hunter2")).toBe(true);
    expect(holdsCredential("tokens_used", 1500)).toBe(false);
    expect(holdsCredential("auth_required", true)).toBe(false);
    expect(holdsCredential("password", null)).toBe(false);
    expect(holdsCredential("password", "  ")).toBe(false);
    expect(holdsCredential("owner", "hunter2hunter2")).toBe(false);
  });

  it("redactValue uses the same rule, to any depth under a sensitive key, and redacts keys that are credentials", () => {
    const gh = `ghp_${"a1B2c3D4e5".repeat(4)}`;
    expect(
      redactValue({
        db_password: "short",
        headers: { Authorization: "anything", "X-Api-Key": "k", accept: "json" },
        auth: { user: "bob", pass: "x", retries: 3 },
        usage: { tokens_used: 1500, auth_required: true, token: null, secret: "" },
        note: `saw ${gh}`,
        [gh]: "value",
        list: [{ apiKey: "abc" }, "Bearer abcdefghijklmnop0123456789"],
      }),
    ).toEqual({
      db_password: REDACTED,
      headers: { Authorization: REDACTED, "X-Api-Key": REDACTED, accept: "json" },
      auth: { user: REDACTED, pass: REDACTED, retries: 3 },
      usage: { tokens_used: 1500, auth_required: true, token: null, secret: "" },
      note: `saw ${REDACTED}`,
      [REDACTED]: "value",
      list: [{ apiKey: REDACTED }, REDACTED],
    });
  });
});

describe("the scan bound", () => {
  const filler = (n: number) => "lorem ipsum ".repeat(Math.ceil(n / 12)).slice(0, n);

  it("redacts a long text up to the bound and drops the rest, never showing a secret past it", () => {
    const gh = `ghp_${"a1B2c3D4e5".repeat(4)}`;
    const head = `${filler(1000)} ${gh} `;
    const text = `${head}${filler(MAX_SCAN_CHARS)} ${gh} password=hunter2hunter2 ${filler(5000)}`;
    const out = redactText(text);
    expect(out.startsWith(`${filler(1000)} ${REDACTED} lorem`)).toBe(true);
    expect(out).not.toContain(gh.slice(4));
    expect(out).not.toContain("hunter2");
    expect(out.endsWith("more characters, not scanned)")).toBe(true);
    expect(out.length).toBeLessThan(MAX_SCAN_CHARS + 100);
  });

  it("drops a credential that straddles the bound whole", () => {
    const gh = `ghp_${"a1B2c3D4e5".repeat(4)}`;
    for (const credential of [gh, JWT, "Bearer abcdefghijklmnop0123456789", "password = hunter2hunter2", PRIVATE_KEY]) {
      for (let offset = 1; offset < credential.length; offset += 7) {
        const pad = filler(MAX_SCAN_CHARS - offset - 1);
        const out = redactText(`${pad} ${credential} tail`);
        expect(out).not.toContain(credential.slice(-12));
        expect(out).not.toContain("hunter2");
        expect(out).not.toContain("abcdefghijklmnop");
      }
    }
  });

  it("findCredentials reports text beyond the bound", () => {
    expect(findCredentials(filler(MAX_SCAN_CHARS + 10))).toEqual([UNSCANNED_KIND]);
    expect(findCredentials(filler(MAX_SCAN_CHARS))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Linearity.

/** Adversarial repeat units: prefixes of every kind without the rest, runs that a backtracking scan re-reads. */
const UNITS = [
  "eyJ-", "eyJa.", "eyJaaaaaaaaaa.eyJ", "eyJaaaaaaaaaa.eyJaaaaaaaaaa.", "-----BEGIN A ", "-----BEGIN PRIVATE KEY-----",
  "-----END A ", "-----END PRIVATE KEY", "Bearer ", "bearer\t", "Bearer aaaaaaaaaaaaaaa ", "Basic ", "Basic AAAAAAAA:",
  "sk-", "sk-ant-", "sk-proj-", "ghp_a", "ghp_", "github_pat_", "xoxb-", "sk_live_", "AIza-", "AKIA", "amt_a", "amt_",
  "password=", "password ", "password:\t", "pwd=", "api_key=\"", "\"secret\": \"", "a=", "a_", "-", "_", ".", " ", ":", "=",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];
const FAMILIES = [...UNITS, ...UNITS.flatMap((a) => ["eyJ-", "Bearer ", "password=", "-----BEGIN A ", "a_"].map((b) => a + b))];
const build = (unit: string, chars: number) => unit.repeat(Math.ceil(chars / unit.length));

/** Every quantifier in a regular expression's source that has no upper bound: `*`, `+`, `{n,}`. */
function unboundedQuantifiers(source: string): string[] {
  const stripped = source.replace(/\\./g, "e").replace(/\[(?:\\.|[^\]\\])*\]/g, "c");
  return stripped.match(/[*+]|\{\d+,\}/g) ?? [];
}

describe("linear scanning", () => {
  it("uses regular expressions with bounded quantifiers only", () => {
    expect(unboundedQuantifiers(/a+b*[+*]c{2,}\*d{1,3}/.source)).toEqual(["+", "*", "{2,}"]);
    for (const detector of CREDENTIAL_DETECTORS) {
      for (const anchor of detector.anchors) {
        expect(unboundedQuantifiers(anchor.source), `${detector.kind}: ${anchor.source}`).toEqual([]);
        const bounds = [...anchor.source.matchAll(/\{(\d+)(?:,(\d+))?\}/g)].map((m) => Number(m[2] ?? m[1]));
        expect(Math.max(0, ...bounds), anchor.source).toBeLessThanOrEqual(128);
      }
    }
  });

  it("reads each character a bounded number of times, on every adversarial family (counted, not timed)", () => {
    const perChar = 3 * CREDENTIAL_DETECTORS.length;
    for (const unit of FAMILIES) {
      const steps = (chars: number) => {
        const text = build(unit, chars);
        const work: ScanWork = { steps: 0, anchors: 0 };
        scanCredentials(text, work);
        expect(work.steps, JSON.stringify(unit)).toBeLessThanOrEqual(perChar * text.length + 100);
        expect(work.anchors, JSON.stringify(unit)).toBeLessThanOrEqual(text.length);
        return work.steps;
      };
      const small = steps(10_000);
      const large = steps(40_000);
      expect(large, JSON.stringify(unit)).toBeLessThanOrEqual(4 * small + 4 * 200);
    }
  });

  it("scans the JWT worst case of the old pattern quickly", () => {
    const text = "eyJ-".repeat(5000);
    const work: ScanWork = { steps: 0, anchors: 0 };
    scanCredentials(text, work);
    expect(work.anchors).toBe(1);
    expect(work.steps).toBeLessThanOrEqual(2 * text.length);
  });
});
