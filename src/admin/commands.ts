import type { PepperSet } from "../auth/api-key";
import { mintApiKey } from "../auth/key-records";
import type { Role } from "../auth/roles";
import { type Command, usageText } from "./args";
import { AdminError } from "./errors";
import { int, intOrNull, runStatements, type SqlExecutor, type SqlRow, stringList, text } from "./executor";
import {
  disableFeatureSql,
  enableFeatureSql,
  insertApiKeySql,
  insertOrganizationSql,
  listApiKeysSql,
  listOrganizationsSql,
  revokeApiKeySql,
  selectApiKeySql,
  selectOrganizationSql,
} from "./sql";

const DAY_MS = 86_400_000;
/** KEY_CACHE_TTL_MS of src/auth/verify-api-key.ts, in seconds (a test keeps the two equal). */
export const REVOCATION_DELAY_SECONDS = 30;

export interface AdminContext {
  execute: SqlExecutor;
  /** The API key peppers; only asked for by commands that mint keys. */
  peppers: () => PepperSet | Promise<PepperSet>;
  now?: () => Date;
  /** A new organization id. */
  newId?: () => string;
}

/** What a command prints: `text` for people, `json` with `--json`. */
export interface CommandOutput {
  text: string;
  json: unknown;
}

export interface OrganizationView {
  id: string;
  slug: string;
  name: string;
  features: string[];
  createdAt: string;
}

export interface KeyView {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

/**
 * Runs one admin command against the database behind `ctx.execute`.
 * Throws AdminError for everything the user should see as a message.
 *
 * @example
 * const out = await runCommand({ kind: "org-create", slug: "acme", name: "Acme" }, ctx);
 * console.log(out.text); // "Created organization acme (Acme), id …"
 */
export async function runCommand(command: Command, ctx: AdminContext): Promise<CommandOutput> {
  const now = ctx.now?.() ?? new Date();
  switch (command.kind) {
    case "help":
      return { text: usageText(), json: { usage: usageText() } };
    case "org-create":
      return createOrganization(command, ctx, now);
    case "org-list":
      return listOrganizations(ctx, now);
    case "org-features":
      return changeFeatures(command, ctx);
    case "key-create":
      return createKey(command, ctx, now);
    case "key-list":
      return listKeys(command, ctx, now);
    case "key-revoke":
      return revokeKey(command, ctx, now);
  }
}

async function createOrganization(
  command: Extract<Command, { kind: "org-create" }>,
  ctx: AdminContext,
  now: Date,
): Promise<CommandOutput> {
  const id = ctx.newId?.() ?? crypto.randomUUID();
  const [inserted] = await runStatements(ctx.execute, [
    insertOrganizationSql({ id, slug: command.slug, name: command.name, features: [], createdAt: now.getTime() }),
  ]);
  const row = inserted![0];
  if (!row) throw new AdminError("already_exists", `Organization '${command.slug}' already exists`);
  const organization = organizationView(row);
  return {
    text: `Created organization ${organization.slug} (${organization.name}), id ${organization.id}.`,
    json: { organization },
  };
}

async function listOrganizations(ctx: AdminContext, now: Date): Promise<CommandOutput> {
  const [rows] = await runStatements(ctx.execute, [listOrganizationsSql(now.getTime())]);
  const organizations = rows!.map((row) => ({
    slug: text(row, "slug"),
    name: text(row, "name"),
    features: stringList(row, "features"),
    createdAt: iso(int(row, "created_at")),
    activeKeys: int(row, "active_keys"),
  }));
  if (organizations.length === 0) return { text: "No organizations.", json: { organizations } };
  return {
    text: table(
      ["SLUG", "NAME", "FEATURES", "CREATED", "ACTIVE KEYS"],
      organizations.map((o) => [o.slug, o.name, o.features.join(",") || "-", o.createdAt, String(o.activeKeys)]),
    ),
    json: { organizations },
  };
}

async function changeFeatures(
  command: Extract<Command, { kind: "org-features" }>,
  ctx: AdminContext,
): Promise<CommandOutput> {
  const statements = [
    selectOrganizationSql(command.slug),
    ...command.changes.map((c) =>
      c.action === "enable" ? enableFeatureSql(command.slug, c.feature) : disableFeatureSql(command.slug, c.feature),
    ),
  ];
  const results = await runStatements(ctx.execute, statements);
  const before = results[0]![0];
  if (!before) throw notFoundOrg(command.slug);
  const after = results.at(-1)![0];
  if (!after) throw notFoundOrg(command.slug);
  const features = stringList(after, "features");
  const previous = stringList(before, "features");
  const lines = command.changes.map(({ action, feature }) => {
    const had = previous.includes(feature);
    if (action === "enable") return had ? `${feature} was already enabled.` : `Enabled ${feature}.`;
    return had ? `Disabled ${feature}.` : `${feature} was not enabled.`;
  });
  lines.push(`Features of ${command.slug}: ${features.length ? features.join(", ") : "(none)"}`);
  return { text: lines.join("\n"), json: { organization: command.slug, features } };
}

async function createKey(
  command: Extract<Command, { kind: "key-create" }>,
  ctx: AdminContext,
  now: Date,
): Promise<CommandOutput> {
  const peppers = await ctx.peppers();
  const expiresAt = command.expiresInDays === null ? null : new Date(now.getTime() + command.expiresInDays * DAY_MS);
  // The organization is resolved by slug inside the INSERT, so orgId is not needed here.
  const { key, row } = await mintApiKey(peppers, { orgId: "", role: command.role, name: command.name, expiresAt, now });
  const { orgId: _unused, ...keyRow } = row;
  const [inserted] = await runStatements(ctx.execute, [insertApiKeySql(keyRow, command.org)]);
  if (!inserted![0]) throw notFoundOrg(command.org);
  const view: KeyView = {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: iso(row.createdAt.getTime()),
    lastUsedAt: null,
    expiresAt: row.expiresAt ? iso(row.expiresAt.getTime()) : null,
    revokedAt: null,
  };
  return {
    text: [
      `Created ${view.role} key ${view.id} ('${view.name}') for organization ${command.org}` +
        (view.expiresAt ? `, expires ${view.expiresAt}.` : "."),
      "This is the only time the secret key is shown; store it now:",
      "",
      key,
    ].join("\n"),
    json: { organization: command.org, key, apiKey: view },
  };
}

async function listKeys(
  command: Extract<Command, { kind: "key-list" }>,
  ctx: AdminContext,
  now: Date,
): Promise<CommandOutput> {
  const [org, rows] = await runStatements(ctx.execute, [selectOrganizationSql(command.org), listApiKeysSql(command.org)]);
  if (!org![0]) throw notFoundOrg(command.org);
  const keys = rows!.map(keyView);
  if (keys.length === 0) return { text: `Organization ${command.org} has no keys.`, json: { organization: command.org, keys } };
  const expiry = (k: KeyView) =>
    k.expiresAt === null ? "-" : Date.parse(k.expiresAt) <= now.getTime() ? `${k.expiresAt} (expired)` : k.expiresAt;
  return {
    text: table(
      ["ID", "NAME", "ROLE", "CREATED", "LAST USED", "EXPIRES", "REVOKED"],
      keys.map((k) => [k.id, k.name, k.role, k.createdAt, k.lastUsedAt ?? "never", expiry(k), k.revokedAt ?? "-"]),
    ),
    json: { organization: command.org, keys },
  };
}

async function revokeKey(
  command: Extract<Command, { kind: "key-revoke" }>,
  ctx: AdminContext,
  now: Date,
): Promise<CommandOutput> {
  const [revoked, rows] = await runStatements(ctx.execute, [
    revokeApiKeySql(command.keyId, now.getTime()),
    selectApiKeySql(command.keyId),
  ]);
  const row = rows![0];
  if (!row) throw new AdminError("not_found", `No API key with id '${command.keyId}'`);
  const key = keyView(row);
  const org = text(row, "org_slug");
  if (revoked!.length === 0) {
    return {
      text: `Key ${key.id} ('${key.name}') of ${org} was already revoked at ${key.revokedAt}.`,
      json: { organization: org, apiKey: key, alreadyRevoked: true },
    };
  }
  return {
    text:
      `Revoked key ${key.id} ('${key.name}') of ${org}. ` +
      `A server that has the key cached may accept it for up to ${REVOCATION_DELAY_SECONDS} seconds more.`,
    json: { organization: org, apiKey: key, alreadyRevoked: false },
  };
}

function organizationView(row: SqlRow): OrganizationView {
  return {
    id: text(row, "id"),
    slug: text(row, "slug"),
    name: text(row, "name"),
    features: stringList(row, "features"),
    createdAt: iso(int(row, "created_at")),
  };
}

function keyView(row: SqlRow): KeyView {
  const optional = (column: string) => {
    const ms = intOrNull(row, column);
    return ms === null ? null : iso(ms);
  };
  return {
    id: text(row, "id"),
    name: text(row, "name"),
    role: text(row, "role") as Role,
    createdAt: iso(int(row, "created_at")),
    lastUsedAt: optional("last_used_at"),
    expiresAt: optional("expires_at"),
    revokedAt: optional("revoked_at"),
  };
}

function notFoundOrg(slug: string): AdminError {
  return new AdminError("not_found", `No organization with slug '${slug}' (see 'org list')`);
}

/** ISO 8601 in UTC, to the second. */
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? "")].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - [...c].length)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
