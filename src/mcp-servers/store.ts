import { and, asc, count, eq, gt, gte, inArray, or, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { mcpAuthProfiles, mcpServers } from "../db/schema";
import { isUniqueViolation } from "../lib/d1";
import { ApiError } from "../lib/errors";
import { listScope, pageOf, resolvePaging, type PageQuery } from "../lib/pagination";
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

const profileOrder = [asc(mcpAuthProfiles.createdAt), asc(mcpAuthProfiles.name)];

/**
 * One page of the organization's sources, oldest first, with their auth profiles, in one D1 batch: by page
 * number (OFFSET, counted) or after a cursor (keyset on created_at then id, total carried).
 */
export async function listMcpServers(db: Database, orgId: string, query: PageQuery) {
  const paging = resolvePaging(query, listScope("mcp-servers", orgId, {}), ["number", "string"]);
  const inOrg = eq(mcpServers.orgId, orgId);
  let where: SQL = inOrg;
  if (paging.after) {
    const [ms, id] = paging.after as [number, string];
    const at = new Date(ms);
    // The lone lower bound lets the index range search start at the cursor.
    where = and(inOrg, gte(mcpServers.createdAt, at), or(gt(mcpServers.createdAt, at), and(eq(mcpServers.createdAt, at), gt(mcpServers.id, id))))!;
  }
  const page = db.select().from(mcpServers).where(where).orderBy(asc(mcpServers.createdAt), asc(mcpServers.id)).limit(paging.limit).offset(paging.offset);
  // The profiles of exactly the page's sources (the extra row's too, dropped with it).
  const pageIds = db.select({ id: mcpServers.id }).from(mcpServers).where(where).orderBy(asc(mcpServers.createdAt), asc(mcpServers.id)).limit(paging.limit).offset(paging.offset);
  const profiles = db
    .select()
    .from(mcpAuthProfiles)
    .where(and(eq(mcpAuthProfiles.orgId, orgId), inArray(mcpAuthProfiles.mcpServerId, pageIds)))
    .orderBy(...profileOrder);
  let servers: ServerRow[];
  let profileRows: ProfileRow[];
  let counted: number | null = null;
  if (paging.carriedTotal === null) {
    const [s, p, totals] = await db.batch([page, profiles, db.select({ total: count() }).from(mcpServers).where(inOrg)]);
    [servers, profileRows, counted] = [s, p, totals[0]?.total ?? 0];
  } else {
    [servers, profileRows] = await db.batch([page, profiles]);
  }
  const { items, info } = pageOf(paging, servers, counted, (s) => [s.createdAt.getTime(), s.id]);
  return { mcpServers: items.map((s) => toView(s, profileRows)), ...info };
}

/** The source, or a 404 when it does not exist in this organization: one D1 batch with its profiles. */
export async function getMcpServer(db: Database, orgId: string, id: string): Promise<McpServerView> {
  const [found, profiles] = await db.batch([
    db
      .select()
      .from(mcpServers)
      .where(and(eq(mcpServers.orgId, orgId), eq(mcpServers.id, id))),
    db
      .select()
      .from(mcpAuthProfiles)
      .where(and(eq(mcpAuthProfiles.orgId, orgId), eq(mcpAuthProfiles.mcpServerId, id)))
      .orderBy(...profileOrder),
  ]);
  const server = found[0];
  if (!server) throw new ApiError("not_found", "MCP source not found");
  return toView(server, profiles);
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
