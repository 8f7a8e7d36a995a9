import { hashSecret, parseApiKey, type PepperSet } from "../auth/api-key";
import { mintApiKey } from "../auth/key-records";
import { int, intOrNull, runStatements, type SqlExecutor, text } from "./executor";
import {
  insertApiKeySql,
  insertOrganizationSql,
  revokeKeysNamedSql,
  selectApiKeyHashSql,
  selectOrganizationSql,
} from "./sql";

/** The organization `npm run dev` makes sure exists. Its features are set when it is created, never reset. */
export const DEMO_ORG = { slug: "demo", name: "Demo organization", features: ["mcp-analytics"] } as const;
/** The name of the demo owner key; an older key of this name is revoked when a new one is minted. */
export const DEMO_KEY_NAME = "Demo owner key (npm run dev)";

export interface DemoState {
  /** The demo owner key to print. */
  key: string;
  orgCreated: boolean;
  /** True when `key` is new (no stored key, or the stored one no longer works). */
  minted: boolean;
  /** Ids of older demo keys revoked because a new one was minted. */
  revokedKeyIds: string[];
}

/**
 * Makes sure the demo organization and a working demo owner key exist. `storedKey` is the key kept from an
 * earlier run: it is kept when it still authenticates (same database, same peppers, not revoked or
 * expired), otherwise a new key is minted and older demo keys are revoked.
 *
 * @example
 * const demo = await ensureDemo(execute, parsePeppers(devVars.API_KEY_PEPPERS), await readStoredKey());
 * if (demo.minted) await storeKey(demo.key);
 */
export async function ensureDemo(
  execute: SqlExecutor,
  peppers: PepperSet,
  storedKey: string | null,
  opts: { now?: Date; newId?: () => string } = {},
): Promise<DemoState> {
  const now = opts.now ?? new Date();
  const stored = storedKey ? parseApiKey(storedKey.trim()) : null;
  const [inserted, orgRows, keyRows] = await runStatements(execute, [
    insertOrganizationSql({
      id: opts.newId?.() ?? crypto.randomUUID(),
      slug: DEMO_ORG.slug,
      name: DEMO_ORG.name,
      features: [...DEMO_ORG.features],
      createdAt: now.getTime(),
    }),
    selectOrganizationSql(DEMO_ORG.slug),
    // An id that cannot exist keeps the result sets in place when there is no stored key.
    selectApiKeyHashSql(stored?.keyId ?? ""),
  ]);
  const orgId = text(orgRows![0]!, "id");
  const orgCreated = inserted!.length > 0;

  const row = keyRows![0];
  if (stored && row) {
    const pepper = peppers.byVersion.get(int(row, "hash_version"));
    const expiresAt = intOrNull(row, "expires_at");
    const usable =
      text(row, "org_id") === orgId &&
      text(row, "role") === "owner" &&
      intOrNull(row, "revoked_at") === null &&
      (expiresAt === null || expiresAt > now.getTime()) &&
      pepper !== undefined &&
      equalStrings(await hashSecret(pepper, stored.keyId, stored.secret), text(row, "secret_hash"));
    if (usable) return { key: storedKey!.trim(), orgCreated, minted: false, revokedKeyIds: [] };
  }

  const { key, row: keyRow } = await mintApiKey(peppers, { orgId, role: "owner", name: DEMO_KEY_NAME, now });
  const { orgId: _unused, ...insertRow } = keyRow;
  const [, revoked] = await runStatements(execute, [
    insertApiKeySql(insertRow, DEMO_ORG.slug),
    revokeKeysNamedSql(orgId, DEMO_KEY_NAME, keyRow.id, now.getTime()),
  ]);
  return { key, orgCreated, minted: true, revokedKeyIds: revoked!.map((r) => text(r, "id")) };
}

/** Compares two strings without stopping at the first difference. */
function equalStrings(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
