import { and, asc, count, eq, inArray } from "drizzle-orm";
import type { Database } from "../db/client";
import { mcpAuthProfiles, mcpServers } from "../db/schema";
import { chunk, isUniqueViolation } from "../lib/d1";
import { ApiError } from "../lib/errors";
import { pageInfo, pageWindow, type PageRequest } from "../lib/pagination";
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

async function profilesOf(db: Database, serverIds: string[]): Promise<ProfileRow[]> {
  if (serverIds.length === 0) return [];
  const batches = await Promise.all(
    chunk(serverIds, 90).map((ids) =>
      db
        .select()
        .from(mcpAuthProfiles)
        .where(inArray(mcpAuthProfiles.mcpServerId, ids))
        .orderBy(asc(mcpAuthProfiles.createdAt), asc(mcpAuthProfiles.name))
        .all(),
    ),
  );
  return batches.flat();
}

/** One page of the organization's sources, oldest first, and how many there are. */
export async function listMcpServers(db: Database, orgId: string, page: PageRequest) {
  const { limit, offset } = pageWindow(page);
  const [servers, totals] = await db.batch([
    db
      .select()
      .from(mcpServers)
      .where(eq(mcpServers.orgId, orgId))
      .orderBy(asc(mcpServers.createdAt), asc(mcpServers.id))
      .limit(limit)
      .offset(offset),
    db.select({ total: count() }).from(mcpServers).where(eq(mcpServers.orgId, orgId)),
  ]);
  const profiles = await profilesOf(
    db,
    servers.map((s) => s.id),
  );
  return { mcpServers: servers.map((s) => toView(s, profiles)), ...pageInfo(page, totals[0]?.total ?? 0) };
}

/** The source, or a 404 when it does not exist in this organization. */
export async function getMcpServer(db: Database, orgId: string, id: string): Promise<McpServerView> {
  const server = await db
    .select()
    .from(mcpServers)
    .where(and(eq(mcpServers.orgId, orgId), eq(mcpServers.id, id)))
    .get();
  if (!server) throw new ApiError("not_found", "MCP source not found");
  return toView(server, await profilesOf(db, [server.id]));
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
