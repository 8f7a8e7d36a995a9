import { randomBase62, toBase64Url } from "../lib/encoding";

/** `amt_<key-id>_<secret>`: a 16-character public id and a 43-character secret (256 random bits), both base62. */
const KEY_PATTERN = /^amt_([0-9A-Za-z]{16})_([0-9A-Za-z]{43})$/;
export const KEY_ID_LENGTH = 16;
export const SECRET_BYTES = 32;

export interface ParsedApiKey {
  keyId: string;
  secret: string;
}

/**
 * Splits a presented key into id and secret; null when it is not shaped like an Armature key.
 *
 * @example
 * parseApiKey("amt_0123456789abcdef_...") // { keyId: "0123456789abcdef", secret: "..." }
 */
export function parseApiKey(presented: string): ParsedApiKey | null {
  const match = KEY_PATTERN.exec(presented);
  return match ? { keyId: match[1]!, secret: match[2]! } : null;
}

export function formatApiKey(keyId: string, secret: string): string {
  return `amt_${keyId}_${secret}`;
}

/** A fresh key id and secret. The secret is shown once and never stored. */
export function generateApiKey(): ParsedApiKey & { key: string } {
  const keyId = randomBase62(12).slice(-KEY_ID_LENGTH).padStart(KEY_ID_LENGTH, "0");
  const secret = randomBase62(SECRET_BYTES);
  return { keyId, secret, key: formatApiKey(keyId, secret) };
}

/** Versioned peppers, parsed from `API_KEY_PEPPERS` = "<version>:<pepper>,<version>:<pepper>" (first is current). */
export interface PepperSet {
  current: number;
  byVersion: Map<number, string>;
}

export function parsePeppers(value: string | undefined): PepperSet {
  const byVersion = new Map<number, string>();
  let current: number | undefined;
  for (const entry of (value ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const sep = entry.indexOf(":");
    const version = Number(entry.slice(0, sep));
    const pepper = entry.slice(sep + 1);
    if (sep < 1 || !Number.isInteger(version) || version < 1 || pepper.length < 16) {
      throw new Error("API_KEY_PEPPERS must be '<version>:<pepper of 16+ chars>' entries separated by commas");
    }
    byVersion.set(version, pepper);
    current ??= version;
  }
  if (current === undefined) throw new Error("API_KEY_PEPPERS is not set");
  return { current, byVersion };
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(pepper: string): Promise<CryptoKey> {
  let key = hmacKeys.get(pepper);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    hmacKeys.set(pepper, key);
  }
  return key;
}

/** HMAC-SHA-256(pepper, keyId + ":" + secret), base64url. Binding the id stops a hash being reused for another key. */
export async function hashSecret(pepper: string, keyId: string, secret: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(pepper), new TextEncoder().encode(`${keyId}:${secret}`));
  return toBase64Url(mac);
}
