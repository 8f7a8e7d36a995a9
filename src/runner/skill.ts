import type { McpSession, TraceRecorder } from "./types";
import { RunFailure } from "./types";

/**
 * A tester target's `skillVersionId`: the skill's name or its `SKILL.md` URI, optionally pinned to a digest
 * with `@sha256:<hex>` (`search-skill@sha256:ab12…`). A pinned digest that no longer matches fails the run.
 */
export function parseSkillVersionId(id: string): { ref: string; digest: string | null } {
  const at = id.lastIndexOf("@sha256:");
  if (at > 0) return { ref: id.slice(0, at), digest: id.slice(at + "@sha256:".length).toLowerCase() };
  return { ref: id, digest: null };
}

/** Fetches the skill a target names from the source (MCP skills extension); its SKILL.md becomes the tester's instructions. */
export async function resolveSkill(session: McpSession, skillVersionId: string, trace: TraceRecorder, parentSpanId: string) {
  const { ref, digest } = parseSkillVersionId(skillVersionId);
  const span = trace.start(`skills/get ${ref}`, "skill", parentSpanId, { skill: ref, pinnedDigest: digest });
  const found = await session.getSkill(ref);
  if (!found) {
    trace.end(span, { error: "not published" });
    throw new RunFailure("skill_not_found", `The MCP source does not publish the skill '${ref}' (skills/list)`);
  }
  // The source's digest is `sha256:<hex>` (the skills extension's form); the pin holds the hex alone.
  const served = found.digest.toLowerCase().replace(/^sha256:/, "");
  if (digest && served !== digest) {
    trace.end(span, { error: "digest changed", attributes: { digest: found.digest } });
    throw new RunFailure("skill_changed", `The skill '${ref}' is pinned to sha256:${digest} but the source now serves sha256:${served}`);
  }
  trace.end(span, { attributes: { digest: found.digest, uri: found.skill.uri } });
  return { text: found.text, digest: found.digest };
}
