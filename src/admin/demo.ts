import { hashSecret, parseApiKey, type PepperSet } from "../auth/api-key";
import { mintApiKey } from "../auth/key-records";
import type { Role } from "../auth/roles";
import { int, intOrNull, runStatements, type SqlExecutor, type SqlRow, text } from "./executor";
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
/**
 * The name of the demo viewer key: the key the demo MCP source sends to the Armature MCP API, so the demo's runs
 * read the demo organization through MCP. Kept and replaced like the owner key.
 */
export const DEMO_VIEWER_KEY_NAME = "Demo viewer key (demo MCP source)";

export interface DemoState {
  /** The demo owner key to print. */
  key: string;
  /** The demo viewer key, for the demo MCP source's auth profile. */
  viewerKey: string;
  orgCreated: boolean;
  /** True when `key` is new (no stored key, or the stored one no longer works). */
  minted: boolean;
  /** True when `viewerKey` is new. */
  viewerMinted: boolean;
  /** Ids of older demo keys (owner or viewer) revoked because a new one was minted. */
  revokedKeyIds: string[];
}

/** The keys kept from an earlier run (the files in the state directory), null when there is none. */
export interface StoredDemoKeys {
  owner: string | null;
  viewer?: string | null;
}

const DEMO_KEYS = [
  { slot: "owner", role: "owner", name: DEMO_KEY_NAME },
  { slot: "viewer", role: "viewer", name: DEMO_VIEWER_KEY_NAME },
] as const satisfies ReadonlyArray<{ slot: keyof StoredDemoKeys; role: Role; name: string }>;

/**
 * Makes sure the demo organization and its two working demo keys exist: the owner key `npm run dev` prints and
 * the viewer key of the demo MCP source. Each stored key (kept from an earlier run) is kept when it still
 * authenticates with its role (same database, same peppers, not revoked or expired); otherwise a new key is
 * minted and older demo keys of that name are revoked. One round trip to read, one more only when minting.
 *
 * @example
 * const demo = await ensureDemo(execute, parsePeppers(devVars.API_KEY_PEPPERS), { owner: await readKey("demo-key") });
 * if (demo.minted) await storeKey(demo.key);
 */
export async function ensureDemo(
  execute: SqlExecutor,
  peppers: PepperSet,
  storedKeys: StoredDemoKeys,
  opts: { now?: Date; newId?: () => string } = {},
): Promise<DemoState> {
  const now = opts.now ?? new Date();
  const stored = DEMO_KEYS.map((k) => {
    const raw = storedKeys[k.slot]?.trim() || null;
    return { raw, parsed: raw ? parseApiKey(raw) : null };
  });
  const [inserted, orgRows, ...keyRows] = await runStatements(execute, [
    insertOrganizationSql({
      id: opts.newId?.() ?? crypto.randomUUID(),
      slug: DEMO_ORG.slug,
      name: DEMO_ORG.name,
      features: [...DEMO_ORG.features],
      createdAt: now.getTime(),
    }),
    selectOrganizationSql(DEMO_ORG.slug),
    // An id that cannot exist keeps the result sets in place when there is no stored key.
    ...stored.map((s) => selectApiKeyHashSql(s.parsed?.keyId ?? "")),
  ]);
  const orgId = text(orgRows![0]!, "id");
  const orgCreated = inserted!.length > 0;

  const keys: string[] = [];
  const minted: boolean[] = [];
  const statements: string[] = [];
  for (const [i, spec] of DEMO_KEYS.entries()) {
    const { raw, parsed } = stored[i]!;
    if (raw && parsed && (await usable(keyRows[i]![0], { orgId, role: spec.role, now, peppers, keyId: parsed.keyId, secret: parsed.secret }))) {
      keys.push(raw);
      minted.push(false);
      continue;
    }
    const { key, row: keyRow } = await mintApiKey(peppers, { orgId, role: spec.role, name: spec.name, now });
    const { orgId: _unused, ...insertRow } = keyRow;
    statements.push(insertApiKeySql(insertRow, DEMO_ORG.slug), revokeKeysNamedSql(orgId, spec.name, keyRow.id, now.getTime()));
    keys.push(key);
    minted.push(true);
  }
  const results = statements.length ? await runStatements(execute, statements) : [];
  // Every second result set holds the ids a revoke statement revoked.
  const revokedKeyIds = results.filter((_, i) => i % 2 === 1).flatMap((rows) => rows.map((r) => text(r, "id")));
  return { key: keys[0]!, viewerKey: keys[1]!, orgCreated, minted: minted[0]!, viewerMinted: minted[1]!, revokedKeyIds };
}

/** Whether a stored key's row says the key still authenticates in the demo organization with its role. */
async function usable(
  row: SqlRow | undefined,
  want: { orgId: string; role: Role; now: Date; peppers: PepperSet; keyId: string; secret: string },
): Promise<boolean> {
  if (!row) return false;
  const pepper = want.peppers.byVersion.get(int(row, "hash_version"));
  const expiresAt = intOrNull(row, "expires_at");
  return (
    text(row, "org_id") === want.orgId &&
    text(row, "role") === want.role &&
    intOrNull(row, "revoked_at") === null &&
    (expiresAt === null || expiresAt > want.now.getTime()) &&
    pepper !== undefined &&
    equalStrings(await hashSecret(pepper, want.keyId, want.secret), text(row, "secret_hash"))
  );
}

/** Compares two strings without stopping at the first difference. */
function equalStrings(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
