import { and, asc, eq, gt, gte, or, sql, type SQL } from "drizzle-orm";
import { preparedPerClient, rawReader, type Database } from "../db/client";
import { mcpAuthProfiles, mcpServers } from "../db/schema";
import { isUniqueViolation } from "../lib/d1";
import { ApiError } from "../lib/errors";
import { preSerializedList, sqlIso } from "../lib/json-text";
import { cappedCount, listScope, pageOf, resolvePaging, type PageQuery } from "../lib/pagination";
import { sealSecret, secretHint } from "../lib/secret-box";
import type { CreateMcpServerInput, McpServerView } from "./schemas";

type ServerRow = typeof mcpServers.$inferSelect;
type ProfileRow = typeof mcpAuthProfiles.$inferSelect;

function toView(server: ServerRow, profiles: ProfileRow[]): McpServerView {
  return {
    id: server.id,
    name: server.name,
    url: server.url,
    transport: server.transport,
    description: server.description,
    defaultMcpAuthProfileId: server.defaultAuthProfileId,
    authProfiles: profiles
      .filter((p) => p.mcpServerId === server.id)
      .map((p) => ({
        id: p.id,
        name: p.name,
        type: p.type,
        headerName: p.headerName,
        secretHint: p.secretHint,
        createdAt: p.createdAt.toISOString(),
      })),
    createdAt: server.createdAt.toISOString(),
    updatedAt: server.updatedAt.toISOString(),
  };
}

const S = (name: string) => `"mcp_servers"."${name}"`;
const P = (name: string) => `"p"."${name}"`;

/**
 * A source as SQLite writes it: the same fields, in the same order, as `toView`, its auth profiles (never their
 * secrets) oldest first, then by name, from a correlated subquery on mcp_auth_profiles_server_idx.
 */
const SERVER_JSON = `json_object(
  'id', ${S("id")},
  'name', ${S("name")},
  'url', ${S("url")},
  'transport', ${S("transport")},
  'description', ${S("description")},
  'defaultMcpAuthProfileId', ${S("default_auth_profile_id")},
  'authProfiles', json((SELECT json_group_array(json_object(
      'id', ${P("id")}, 'name', ${P("name")}, 'type', ${P("type")}, 'headerName', ${P("header_name")},
      'secretHint', ${P("secret_hint")}, 'createdAt', ${sqlIso(P("created_at"))}
    ) ORDER BY ${P("created_at")}, ${P("name")})
    FROM "mcp_auth_profiles" AS "p" WHERE ${P("org_id")} = ${S("org_id")} AND ${P("mcp_server_id")} = ${S("id")})),
  'createdAt', ${sqlIso(S("created_at"))},
  'updatedAt', ${sqlIso(S("updated_at"))}
)`.replace(/\s*\n\s*/g, " ");

type ServerListRow = [json: string, createdAt: number, id: string, total: number | null];

const inOrgPlaceholder = () => eq(mcpServers.orgId, sql.placeholder("orgId"));

/** The list's first or page-numbered page, with its capped count; prepared once per client. */
const serversPage = preparedPerClient((db) =>
  db
    .select({
      json: sql.raw(SERVER_JSON),
      createdAt: mcpServers.createdAt,
      id: mcpServers.id,
      total: cappedCount(sql`${mcpServers}`, inOrgPlaceholder()),
    })
    .from(mcpServers)
    .where(inOrgPlaceholder())
    .orderBy(asc(mcpServers.createdAt), asc(mcpServers.id))
    .limit(sql.placeholder("limit"))
    .offset(sql.placeholder("offset"))
    .prepare(),
);

/** A cursor page: after (created_at, id); the lone lower bound lets the index range search start at the cursor. */
const serversAfter = preparedPerClient((db) => {
  const at = sql.placeholder("at");
  const id = sql.placeholder("id");
  return db
    .select({ json: sql.raw(SERVER_JSON), createdAt: mcpServers.createdAt, id: mcpServers.id, total: sql.raw("NULL") })
    .from(mcpServers)
    .where(and(inOrgPlaceholder(), gte(mcpServers.createdAt, at), or(gt(mcpServers.createdAt, at), and(eq(mcpServers.createdAt, at), gt(mcpServers.id, id)))))
    .orderBy(asc(mcpServers.createdAt), asc(mcpServers.id))
    .limit(sql.placeholder("limit"))
    .prepare();
});

/**
 * One page of the organization's sources, oldest first, with their auth profiles, in one statement: by page
 * number (OFFSET, counted up to `TOTAL_CAP`) or after a cursor (keyset on created_at then id, total carried).
 * SQLite writes each source's JSON (profiles included) and the count is a scalar subquery; the answer carries
 * its JSON text (src/lib/json-text.ts).
 */
export async function listMcpServers(db: Database, orgId: string, query: PageQuery) {
  const paging = resolvePaging(query, listScope("mcp-servers", orgId, {}), ["number", "string"]);
  const counting = paging.carriedTotal === null;
  let rows: ServerListRow[];
  if (paging.after) {
    const [at, id] = paging.after as [number, string];
    rows = (await serversAfter(db).values({ orgId, at, id, limit: paging.limit })) as ServerListRow[];
  } else {
    rows = (await serversPage(db).values({ orgId, limit: paging.limit, offset: paging.offset })) as ServerListRow[];
  }
  let counted: number | null = null;
  if (counting) {
    // An empty page has no row to carry the count: count on its own.
    counted = rows[0]?.[3] ?? (await db.values<[number]>(sql`select ${cappedCount(sql`${mcpServers}`, eq(mcpServers.orgId, orgId))}`))[0]?.[0] ?? 0;
  }
  const { items, info } = pageOf(paging, rows, counted, (r) => [r[1], r[2]]);
  return preSerializedList<"mcpServers", McpServerView, typeof info>("mcpServers", items.map((r) => r[0]), info);
}

/** One source with its profiles as SQLite writes it (SERVER_JSON), prepared once per client: the point read. */
const serverInOrg = rawReader<"orgId" | "id">((db) =>
  db
    .select({ json: sql.raw(SERVER_JSON) })
    .from(mcpServers)
    .where(and(inOrgPlaceholder(), eq(mcpServers.id, sql.placeholder("id")))),
);

/**
 * The source, or a 404 when it does not exist in this organization: one prepared statement, its profiles from
 * SERVER_JSON's subquery (the list's JSON, so both answers agree by construction).
 */
export async function getMcpServer(db: Database, orgId: string, id: string): Promise<McpServerView> {
  const [row] = (await serverInOrg(db, { orgId, id })) as Array<[string]>;
  if (!row) throw new ApiError("not_found", "MCP source not found");
  return JSON.parse(row[0]) as McpServerView;
}

/** Registers a source and its auth profiles in one batch; secrets are sealed before they reach D1. */
export async function createMcpServer(
  db: Database,
  encryptionKey: string,
  orgId: string,
  input: CreateMcpServerInput,
): Promise<McpServerView> {
  const clash = await db
    .select({ id: mcpServers.id })
    .from(mcpServers)
    .where(and(eq(mcpServers.orgId, orgId), eq(mcpServers.name, input.name)))
    .get();
  if (clash) throw new ApiError("conflict", `An MCP source named '${input.name}' already exists`, { id: clash.id });

  const now = new Date();
  const serverId = crypto.randomUUID();
  const inputs = input.authProfiles ?? [];
  const profiles: ProfileRow[] = await Promise.all(
    inputs.map(async (p) => {
      const id = crypto.randomUUID();
      return {
        id,
        orgId,
        mcpServerId: serverId,
        name: p.name,
        type: p.type,
        headerName: p.type === "header" ? (p.headerName ?? null) : null,
        secretCiphertext: await sealSecret(encryptionKey, p.value, `${orgId}:${id}`),
        secretHint: secretHint(p.value),
        createdAt: now,
      };
    }),
  );
  const defaultIndex = inputs.findIndex((p) => p.isDefault);
  const server: ServerRow = {
    id: serverId,
    orgId,
    name: input.name,
    url: input.url,
    transport: input.transport,
    description: input.description ?? null,
    // One profile is the default by itself; with several, the one marked isDefault (or none).
    defaultAuthProfileId: profiles[defaultIndex >= 0 ? defaultIndex : profiles.length === 1 ? 0 : -1]?.id ?? null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await db.batch([db.insert(mcpServers).values(server), ...profiles.map((p) => db.insert(mcpAuthProfiles).values(p))]);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ApiError("conflict", `An MCP source named '${input.name}' already exists`);
    throw err;
  }
  return toView(server, profiles);
}
