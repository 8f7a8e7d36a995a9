import type { NewApiKey } from "../auth/key-records";

/**
 * SQL statements for the admin CLI, built as text because `wrangler d1 execute --command` has no bound
 * parameters. Every value goes through `sqlText` or `sqlInt`; nothing else is ever spliced in.
 * Each statement is atomic on its own, so it does not matter whether a runner batches them.
 */

/**
 * A SQLite string literal: the text in single quotes with each quote doubled (SQLite gives backslashes no
 * meaning). NUL and lone surrogates cannot travel through wrangler and D1 intact, so they are refused.
 *
 * @example
 * sqlText("O'Brien") // "'O''Brien'"
 */
export function sqlText(value: string): string {
  if (typeof value !== "string") throw new TypeError("sqlText expects a string");
  if (/[\0\p{Cs}]/u.test(value)) throw new RangeError("text for SQL must not contain NUL or lone surrogates");
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * A SQLite integer literal; anything but a safe integer is refused.
 *
 * @example
 * sqlInt(Date.now()) // "1795000000000"
 */
export function sqlInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${String(value)}`);
  return String(value);
}

/** `sqlInt(value)`, or NULL. */
export function sqlIntOrNull(value: number | null): string {
  return value === null ? "NULL" : sqlInt(value);
}

const ORG_COLUMNS = "id, slug, name, features, created_at";
const KEY_COLUMNS = "k.id, k.name, k.role, k.created_at, k.last_used_at, k.expires_at, k.revoked_at";

export interface NewOrganization {
  id: string;
  slug: string;
  name: string;
  features: string[];
  createdAt: number;
}

/** Inserts an organization unless its slug is taken; returns the new row, or no row when it exists. */
export function insertOrganizationSql(org: NewOrganization): string {
  return (
    `INSERT INTO organizations (id, slug, name, features, created_at) VALUES (` +
    `${sqlText(org.id)}, ${sqlText(org.slug)}, ${sqlText(org.name)}, ${sqlText(JSON.stringify(org.features))}, ${sqlInt(org.createdAt)}) ` +
    `ON CONFLICT (slug) DO NOTHING RETURNING ${ORG_COLUMNS}`
  );
}

export function selectOrganizationSql(slug: string): string {
  return `SELECT ${ORG_COLUMNS} FROM organizations WHERE slug = ${sqlText(slug)}`;
}

/** Every organization with its count of usable (not revoked, not expired) keys. */
export function listOrganizationsSql(now: number): string {
  return (
    `SELECT o.slug, o.name, o.features, o.created_at, ` +
    `(SELECT count(*) FROM api_keys k WHERE k.org_id = o.id AND k.revoked_at IS NULL ` +
    `AND (k.expires_at IS NULL OR k.expires_at > ${sqlInt(now)})) AS active_keys ` +
    `FROM organizations o ORDER BY o.slug`
  );
}

/** Adds `feature` to the organization's features unless present; returns the resulting features. */
export function enableFeatureSql(slug: string, feature: string): string {
  const f = sqlText(feature);
  return (
    `UPDATE organizations SET features = CASE ` +
    `WHEN EXISTS (SELECT 1 FROM json_each(organizations.features) WHERE value = ${f}) THEN features ` +
    `ELSE json_insert(features, '$[#]', ${f}) END ` +
    `WHERE slug = ${sqlText(slug)} RETURNING features`
  );
}

/** Removes `feature` from the organization's features; returns the resulting features. */
export function disableFeatureSql(slug: string, feature: string): string {
  return (
    `UPDATE organizations SET features = ` +
    `(SELECT json_group_array(value) FROM json_each(organizations.features) WHERE value <> ${sqlText(feature)}) ` +
    `WHERE slug = ${sqlText(slug)} RETURNING features`
  );
}

export type ApiKeyRow = Omit<NewApiKey["row"], "orgId">;

/**
 * Inserts a minted key into the organization named by `orgSlug`; returns the key's id, or no row when
 * there is no such organization.
 */
export function insertApiKeySql(row: ApiKeyRow, orgSlug: string): string {
  return (
    `INSERT INTO api_keys (id, org_id, name, role, secret_hash, hash_version, created_at, expires_at) ` +
    `SELECT ${sqlText(row.id)}, id, ${sqlText(row.name)}, ${sqlText(row.role)}, ${sqlText(row.secretHash)}, ` +
    `${sqlInt(row.hashVersion)}, ${sqlInt(row.createdAt.getTime())}, ${sqlIntOrNull(row.expiresAt?.getTime() ?? null)} ` +
    `FROM organizations WHERE slug = ${sqlText(orgSlug)} RETURNING id`
  );
}

/** An organization's keys, oldest first: never the secret hash. */
export function listApiKeysSql(orgSlug: string): string {
  return (
    `SELECT ${KEY_COLUMNS} FROM api_keys k JOIN organizations o ON o.id = k.org_id ` +
    `WHERE o.slug = ${sqlText(orgSlug)} ORDER BY k.created_at, k.id`
  );
}

/** One key with its organization's slug, for messages: never the secret hash. */
export function selectApiKeySql(keyId: string): string {
  return (
    `SELECT ${KEY_COLUMNS}, o.slug AS org_slug FROM api_keys k JOIN organizations o ON o.id = k.org_id ` +
    `WHERE k.id = ${sqlText(keyId)}`
  );
}

/** The stored hash of one key, to check a key the caller holds (the dev server's demo key). */
export function selectApiKeyHashSql(keyId: string): string {
  return (
    `SELECT k.id, k.org_id, k.role, k.secret_hash, k.hash_version, k.expires_at, k.revoked_at ` +
    `FROM api_keys k WHERE k.id = ${sqlText(keyId)}`
  );
}

/** Revokes a key that is not revoked yet; returns its id, or no row when it is unknown or already revoked. */
export function revokeApiKeySql(keyId: string, now: number): string {
  return (
    `UPDATE api_keys SET revoked_at = ${sqlInt(now)} ` +
    `WHERE id = ${sqlText(keyId)} AND revoked_at IS NULL RETURNING id`
  );
}

/** Revokes an organization's live keys called `name`, except `keepId`; returns their ids. */
export function revokeKeysNamedSql(orgId: string, name: string, keepId: string, now: number): string {
  return (
    `UPDATE api_keys SET revoked_at = ${sqlInt(now)} ` +
    `WHERE org_id = ${sqlText(orgId)} AND name = ${sqlText(name)} AND id <> ${sqlText(keepId)} ` +
    `AND revoked_at IS NULL RETURNING id`
  );
}
