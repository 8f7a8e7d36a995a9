import { generateApiKey, hashSecret, type PepperSet } from "./api-key";
import type { Role } from "./roles";

/** The stored row of a new API key, and the full key to show once. */
export interface NewApiKey {
  key: string;
  row: {
    id: string;
    orgId: string;
    name: string;
    role: Role;
    secretHash: string;
    hashVersion: number;
    createdAt: Date;
    expiresAt: Date | null;
  };
}

/**
 * Mints a key for an organization: the secret is hashed under the current pepper and only the hash is kept.
 *
 * @example
 * const { key, row } = await mintApiKey(parsePeppers(env.API_KEY_PEPPERS), { orgId, role: "editor", name: "ci" });
 */
export async function mintApiKey(
  peppers: PepperSet,
  opts: { orgId: string; role: Role; name: string; expiresAt?: Date | null; now?: Date },
): Promise<NewApiKey> {
  const { keyId, secret, key } = generateApiKey();
  const pepper = peppers.byVersion.get(peppers.current)!;
  return {
    key,
    row: {
      id: keyId,
      orgId: opts.orgId,
      name: opts.name,
      role: opts.role,
      secretHash: await hashSecret(pepper, keyId, secret),
      hashVersion: peppers.current,
      createdAt: opts.now ?? new Date(),
      expiresAt: opts.expiresAt ?? null,
    },
  };
}
