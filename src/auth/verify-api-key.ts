import { eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { apiKeys, organizations } from "../db/schema";
import { hashSecret, parseApiKey, type ParsedApiKey, type PepperSet } from "./api-key";
import { bytesEqual, sha256Ascii } from "./sha256";
import { createLogger, errorFields, type Logger } from "../lib/logger";
import type { Role } from "./roles";

/** What a verified key grants: its organization and role. */
export interface KeyPrincipal {
  keyId: string;
  keyName: string;
  role: Role;
  org: { id: string; slug: string; name: string; features: string[]; createdAt: Date };
}

interface KeyRecord extends KeyPrincipal {
  secretHash: string;
  hashVersion: number;
  revokedAt: Date | null;
  expiresAt: Date | null;
}

/**
 * How long a key record is trusted inside one isolate. A revocation bites everywhere within this time;
 * docs/operations.md states it.
 */
export const KEY_CACHE_TTL_MS = 30_000;
/** lastUsedAt is written at most this often per key and isolate. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;
const CACHE_MAX_ENTRIES = 1_000;

interface CacheEntry {
  record: KeyRecord | null;
  expires: number;
  /**
   * SHA-256 of the secret of the key that last passed the HMAC check against this record (the entry is its key
   * id's), so that the same key within the entry's lifetime is recognised by one digest and a constant-time
   * comparison instead of the HMAC. A one-way digest of a 256-bit random secret: it cannot be turned back into the
   * secret, and only the secret itself digests to it. Never set for a record that failed or was not found.
   */
  verified?: Uint8Array;
  /** What the record grants, built once per entry: every request of the key answers this same object. */
  principal?: KeyPrincipal;
}

const recordCache = new Map<string, CacheEntry>();
const lastUsedWrites = new Map<string, number>();

/** Forgets cached key records (tests, and the CLI's in-process callers). */
export function clearKeyCache(): void {
  recordCache.clear();
  lastUsedWrites.clear();
}

/** The cached entry of `keyId` while it is fresh; undefined when it must be read from D1. */
function cachedEntry(keyId: string, now: number): CacheEntry | undefined {
  const cached = recordCache.get(keyId);
  return cached && cached.expires > now ? cached : undefined;
}

async function loadKeyRecord(db: Database, keyId: string, now: number): Promise<CacheEntry> {
  const row = await db
    .select({ key: apiKeys, org: organizations })
    .from(apiKeys)
    .innerJoin(organizations, eq(organizations.id, apiKeys.orgId))
    .where(eq(apiKeys.id, keyId))
    .get();
  const record: KeyRecord | null = row
    ? {
        keyId: row.key.id,
        keyName: row.key.name,
        role: row.key.role,
        secretHash: row.key.secretHash,
        hashVersion: row.key.hashVersion,
        revokedAt: row.key.revokedAt,
        expiresAt: row.key.expiresAt,
        org: {
          id: row.org.id,
          slug: row.org.slug,
          name: row.org.name,
          features: row.org.features,
          createdAt: row.org.createdAt,
        },
      }
    : null;
  if (recordCache.size >= CACHE_MAX_ENTRIES) recordCache.delete(recordCache.keys().next().value!);
  const entry: CacheEntry = { record, expires: now + KEY_CACHE_TTL_MS };
  recordCache.set(keyId, entry);
  return entry;
}

const encoder = new TextEncoder();

/**
 * SHA-256 of the presented key's secret, synchronously (src/auth/sha256.ts): done on every request of a known key,
 * where WebCrypto's promise and copies cost more than the hashing. The secret alone: the cache entry it is
 * compared with is the key id's, so the id is matched already, and the 43-character secret is one SHA-256 block
 * where the whole 64-character key is two.
 */
const secretDigest = (secret: string): Uint8Array => sha256Ascii(secret);

export interface VerifyOptions {
  db: Database;
  peppers: PepperSet;
  /** Runs bookkeeping writes after the response (ctx.waitUntil). */
  defer: (work: Promise<unknown>) => void;
  now?: number;
  log?: Logger;
}

/**
 * Verifies a presented `amt_<key-id>_<secret>` key. Returns null for every kind of failure (malformed,
 * unknown, revoked, expired, wrong secret) so callers answer all of them alike. A malformed key never
 * reaches D1. Answers synchronously (no promise) when it can: a malformed key, or a key verified in this
 * isolate whose record is still cached, the case of nearly every request; `await` takes either.
 */
export function verifyApiKey(presented: string, opts: VerifyOptions): KeyPrincipal | null | Promise<KeyPrincipal | null> {
  const parsed = parseApiKey(presented);
  if (!parsed) return null;
  const now = opts.now ?? Date.now();
  const entry = cachedEntry(parsed.keyId, now);
  // This exact key already passed the HMAC check against this cached record: skip the HMAC. The record, and
  // with it this shortcut, lives no longer than KEY_CACHE_TTL_MS, so revocation bites exactly as before.
  const record = entry?.record;
  if (record && entry.verified && opts.peppers.byVersion.get(record.hashVersion)) {
    if (bytesEqual(secretDigest(parsed.secret), entry.verified)) return grant(entry, record, parsed.secret, now, opts);
  }
  return verifyWithHmac(parsed, entry, now, opts);
}

/** The full check: the record (from D1 unless cached), then the HMAC of the secret under the record's pepper. */
async function verifyWithHmac(
  parsed: ParsedApiKey,
  cached: CacheEntry | undefined,
  now: number,
  opts: VerifyOptions,
): Promise<KeyPrincipal | null> {
  const entry = cached ?? (await loadKeyRecord(opts.db, parsed.keyId, now));
  const { record } = entry;
  const pepper = record && opts.peppers.byVersion.get(record.hashVersion);
  // An unknown key id costs the same HMAC as a known one, so timing does not tell which ids exist.
  const digest = await hashSecret(pepper || opts.peppers.byVersion.get(opts.peppers.current)!, parsed.keyId, parsed.secret);
  if (!record || !pepper || !digestsEqual(digest, record.secretHash)) return null;
  // Only a key hashed under the current pepper is remembered: an older one is re-hashed and re-read.
  if (record.hashVersion === opts.peppers.current) entry.verified = secretDigest(parsed.secret);
  return grant(entry, record, parsed.secret, now, opts);
}

/** After the secret checked out: refuses a revoked or expired key, does the bookkeeping, answers the principal. */
function grant(entry: CacheEntry, record: KeyRecord, secret: string, now: number, opts: VerifyOptions): KeyPrincipal | null {
  if (record.revokedAt && record.revokedAt.getTime() <= now) return null;
  if (record.expiresAt && record.expiresAt.getTime() <= now) return null;

  const lastWrite = lastUsedWrites.get(record.keyId) ?? 0;
  const rehash = record.hashVersion !== opts.peppers.current;
  if (now - lastWrite >= LAST_USED_WRITE_INTERVAL_MS || rehash) {
    lastUsedWrites.set(record.keyId, now);
    opts.defer(recordKeyUse(opts, record, secret, now, rehash));
  }
  if (!entry.principal) {
    const { secretHash: _h, hashVersion: _v, revokedAt: _r, expiresAt: _e, ...principal } = record;
    entry.principal = principal;
  }
  return entry.principal;
}

/** Stamps lastUsedAt and, when the key was hashed under an older pepper, re-hashes it under the current one. */
async function recordKeyUse(opts: VerifyOptions, record: KeyRecord, secret: string, now: number, rehash: boolean) {
  const update: Partial<typeof apiKeys.$inferInsert> = { lastUsedAt: new Date(now) };
  if (rehash) {
    update.secretHash = await hashSecret(opts.peppers.byVersion.get(opts.peppers.current)!, record.keyId, secret);
    update.hashVersion = opts.peppers.current;
    recordCache.delete(record.keyId);
  }
  try {
    await opts.db.update(apiKeys).set(update).where(eq(apiKeys.id, record.keyId)).run();
  } catch (err) {
    (opts.log ?? createLogger()).error("failed to record key use", { keyId: record.keyId, error: errorFields(err) });
  }
}

/** Constant-time comparison of two digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const ea = encoder.encode(a);
  const eb = encoder.encode(b);
  if (ea.byteLength !== eb.byteLength) return false;
  return crypto.subtle.timingSafeEqual(ea, eb);
}
