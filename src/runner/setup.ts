import { and, eq, sql } from "drizzle-orm";
import type { AppContext } from "../context";
import { mcpAuthProfiles, mcpServers, workflowVersions } from "../db/schema";
import { openSecret } from "../lib/secret-box";
import type { RunRow } from "../runs/lifecycle";
import type { WorkflowConfig } from "../workflows/schemas";
import { storedConfig } from "../workflows/store";
import { RunFailure } from "./types";

/** What a run executes: its version's config, the source, and the auth header (decrypted here, never stored). */
export interface RunSetup {
  config: WorkflowConfig;
  source: { id: string; url: string; transport: "streamable-http" | "sse" };
  /** The auth profile as one request header, or empty; its value is also a known secret for redaction. */
  headers: Record<string, string>;
  secrets: string[];
}

/** The auth profile a run uses: its version's `defaultMcpAuthProfileId`, else the source's default. */
const PROFILE_ID = sql`coalesce(${workflowVersions.config} ->> '$.defaultMcpAuthProfileId', ${mcpServers.defaultAuthProfileId})`;

/**
 * Reads what a claimed run needs, in one statement (one D1 round trip, where it was three in sequence): the
 * version's config (through storedConfig: parsed once per isolate for the same text, as dispatch reads it), its
 * source, and the auth profile, which is the version's `defaultMcpAuthProfileId`, else the source's default; the
 * profile's secret is decrypted only here, inside the consumer.
 */
export async function loadRunSetup(ctx: Pick<AppContext, "db" | "config">, run: RunRow): Promise<RunSetup> {
  const row = await ctx.db
    .select({
      configText: sql<string>`${workflowVersions.config}`,
      sourceId: mcpServers.id,
      url: mcpServers.url,
      transport: mcpServers.transport,
      profileId: mcpAuthProfiles.id,
      profileType: mcpAuthProfiles.type,
      headerName: mcpAuthProfiles.headerName,
      secretCiphertext: mcpAuthProfiles.secretCiphertext,
    })
    .from(workflowVersions)
    .leftJoin(mcpServers, and(eq(mcpServers.id, sql`${workflowVersions.config} ->> '$.mcpServerId'`), eq(mcpServers.orgId, workflowVersions.orgId)))
    .leftJoin(
      mcpAuthProfiles,
      and(eq(mcpAuthProfiles.id, PROFILE_ID), eq(mcpAuthProfiles.orgId, workflowVersions.orgId), eq(mcpAuthProfiles.mcpServerId, mcpServers.id)),
    )
    .where(and(eq(workflowVersions.id, run.workflowVersionId), eq(workflowVersions.orgId, run.orgId)))
    .get();
  if (!row) throw new RunFailure("internal_error", "The run's workflow version is missing");
  const config = storedConfig(row.configText);
  if (row.sourceId === null || row.url === null || row.transport === null) {
    throw new RunFailure("mcp_connection_failed", "The workflow's MCP source no longer exists");
  }
  const headers: Record<string, string> = {};
  const secrets: string[] = [];
  if (row.profileId !== null && row.secretCiphertext !== null) {
    const value = await openSecret(ctx.config.secretsEncryptionKey, row.secretCiphertext, `${run.orgId}:${row.profileId}`);
    if (row.profileType === "bearer") headers.authorization = `Bearer ${value}`;
    else headers[row.headerName!.toLowerCase()] = value;
    secrets.push(value);
  }
  return { config, source: { id: row.sourceId, url: row.url, transport: row.transport }, headers, secrets };
}
