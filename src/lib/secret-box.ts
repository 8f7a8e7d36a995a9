import { fromBase64Url, toBase64Url } from "./encoding";

const keyCache = new Map<string, Promise<CryptoKey>>();

function aesKey(base64Key: string): Promise<CryptoKey> {
  let key = keyCache.get(base64Key);
  if (!key) {
    const raw = fromBase64Url(base64Key.trim());
    if (raw.byteLength !== 32) throw new Error("SECRETS_ENCRYPTION_KEY must be base64 of exactly 32 bytes");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(base64Key, key);
  }
  return key;
}

/**
 * Encrypts a secret with AES-256-GCM; `context` (for example the owning record's id) is bound as
 * associated data, so a ciphertext copied onto another record does not decrypt.
 *
 * @example
 * const sealed = await sealSecret(env.SECRETS_ENCRYPTION_KEY, "token", profileId); // "v1.<iv>.<ciphertext>"
 */
export async function sealSecret(base64Key: string, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
    await aesKey(base64Key),
    new TextEncoder().encode(plaintext),
  );
  return `v1.${toBase64Url(iv)}.${toBase64Url(ct)}`;
}

export async function openSecret(base64Key: string, sealed: string, context: string): Promise<string> {
  const [version, iv, ct] = sealed.split(".");
  if (version !== "v1" || !iv || !ct) throw new Error("unknown sealed secret format");
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: new TextEncoder().encode(context) },
    await aesKey(base64Key),
    fromBase64Url(ct),
  );
  return new TextDecoder().decode(pt);
}

/** What may be shown of a secret: its last four characters, and only when it is long enough to spare them. */
export function secretHint(secret: string): string {
  return secret.length >= 16 ? `••••${secret.slice(-4)}` : "••••";
}
