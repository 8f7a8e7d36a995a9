import { and, eq } from "drizzle-orm";
import type { AppContext } from "../context";
import { mcpAuthProfiles, mcpServers, workflowVersions } from "../db/schema";
import { openSecret } from "../lib/secret-box";
import type { RunRow } from "../runs/lifecycle";
import type { WorkflowConfig } from "../workflows/schemas";
import { RunFailure } from "./types";

/** What a run executes: its version's config, the source, and the auth header (decrypted here, never stored). */
export interface RunSetup {
  config: WorkflowConfig;
  source: { id: string; url: string; transport: "streamable-http" | "sse" };
  /** The auth profile as one request header, or empty; its value is also a known secret for redaction. */
  headers: Record<string, string>;
  secrets: string[];
}

/**
 * Reads what a claimed run needs. The auth profile is the workflow version's `defaultMcpAuthProfileId`, else
 * the source's default; it is decrypted only here, inside the consumer.
 */
export async function loadRunSetup(ctx: Pick<AppContext, "db" | "config">, run: RunRow): Promise<RunSetup> {
  const version = await ctx.db
    .select({ config: workflowVersions.config })
    .from(workflowVersions)
    .where(and(eq(workflowVersions.id, run.workflowVersionId), eq(workflowVersions.orgId, run.orgId)))
    .get();
  if (!version) throw new RunFailure("internal_error", "The run's workflow version is missing");
  const config = version.config;
  const source = await ctx.db
    .select()
    .from(mcpServers)
    .where(and(eq(mcpServers.id, config.mcpServerId), eq(mcpServers.orgId, run.orgId)))
    .get();
  if (!source) throw new RunFailure("mcp_connection_failed", "The workflow's MCP source no longer exists");
  const profileId = config.defaultMcpAuthProfileId ?? source.defaultAuthProfileId;
  const headers: Record<string, string> = {};
  const secrets: string[] = [];
  if (profileId) {
    const profile = await ctx.db
      .select()
      .from(mcpAuthProfiles)
      .where(and(eq(mcpAuthProfiles.id, profileId), eq(mcpAuthProfiles.orgId, run.orgId), eq(mcpAuthProfiles.mcpServerId, source.id)))
      .get();
    if (profile) {
      const value = await openSecret(ctx.config.secretsEncryptionKey, profile.secretCiphertext, `${run.orgId}:${profile.id}`);
      if (profile.type === "bearer") headers.authorization = `Bearer ${value}`;
      else headers[profile.headerName!.toLowerCase()] = value;
      secrets.push(value);
    }
  }
  return { config, source: { id: source.id, url: source.url, transport: source.transport }, headers, secrets };
}
