import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { mcpAuthProfiles, mcpServers } from "../db/schema";
import { validationError, type FieldIssue } from "../lib/errors";
import { findCredentials, holdsCredential } from "../lib/redaction";
import { findModel } from "../models/catalog";
import {
  LIMIT_BOUNDS,
  type CreateWorkflowInput,
  type TesterTargetInput,
  type UpdateWorkflowInput,
  type WorkflowConfig,
} from "./schemas";
import { canonicalTimeZone, scheduleProblem } from "./schedule";

type Targets = WorkflowConfig["testerTargets"];

/**
 * The runs one dispatch makes: `testerTargets`, else `testerModelIds`, else `testerModelId`, else the default
 * tester model.
 */
export function resolveTargets(
  input: { testerTargets?: TesterTargetInput[] | null; testerModelIds?: string[] | null; testerModelId?: string | null },
  defaultModel: string,
): Targets {
  if (input.testerTargets?.length) {
    return input.testerTargets.map((t) => ({
      modelId: t.modelId,
      skillMode: t.skillMode ?? "none",
      skillVersionId: t.skillVersionId ?? null,
    }));
  }
  const ids = input.testerModelIds?.length ? input.testerModelIds : [input.testerModelId || defaultModel];
  return ids.map((modelId) => ({ modelId, skillMode: "none" as const, skillVersionId: null }));
}

/** Fills every default of a create request into a full version config (not yet preflighted). */
export function configFromCreate(input: CreateWorkflowInput, defaultModel: string): WorkflowConfig {
  return {
    name: input.name,
    description: input.description ?? null,
    categorySlug: input.categorySlug ?? null,
    mcpServerId: input.mcpServerId,
    defaultMcpAuthProfileId: input.defaultMcpAuthProfileId ?? null,
    testerPrompt: input.testerPrompt,
    testerModelId: input.testerModelId ?? null,
    testerModelIds: input.testerModelIds ?? null,
    testerTargets: resolveTargets(input, defaultModel),
    criteria: (input.criteria ?? []).map(storedCriterion),
    schedule: input.schedule
      ? { cron: input.schedule.cron, timezone: storedTimeZone(input.schedule.timezone), enabled: input.schedule.enabled ?? true }
      : null,
    limits: {
      timeoutSeconds: input.limits?.timeoutSeconds ?? LIMIT_BOUNDS.timeoutSeconds.default,
      maxTurns: input.limits?.maxTurns ?? LIMIT_BOUNDS.maxTurns.default,
      maxToolCalls: input.limits?.maxToolCalls ?? LIMIT_BOUNDS.maxToolCalls.default,
      maxOutputTokens: input.limits?.maxOutputTokens ?? LIMIT_BOUNDS.maxOutputTokens.default,
      maxCostUsd: input.limits?.maxCostUsd ?? LIMIT_BOUNDS.maxCostUsd.default,
    },
    retryPolicy: {
      maxAttempts: input.retryPolicy?.maxAttempts ?? 1,
      backoffSeconds: input.retryPolicy?.backoffSeconds ?? 30,
      retryOn: input.retryPolicy?.retryOn ?? ["infrastructure"],
    },
    toolPolicy: {
      allow: input.toolPolicy?.allow ?? null,
      deny: input.toolPolicy?.deny ?? [],
      allowDestructive: input.toolPolicy?.allowDestructive ?? false,
    },
    metadata: input.metadata ?? {},
  };
}

/**
 * Applies a PATCH to a version config. Policy objects (limits, retryPolicy, toolPolicy) merge field by field;
 * a new model selection replaces the old one; `schedule: null` clears the schedule.
 */
export function applyUpdate(current: WorkflowConfig, patch: UpdateWorkflowInput, defaultModel: string): WorkflowConfig {
  const next: WorkflowConfig = structuredClone(current);
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.mcpServerId !== undefined) {
    next.mcpServerId = patch.mcpServerId;
    // A profile belongs to one source: moving sources drops it unless the patch names a new one.
    if (patch.defaultMcpAuthProfileId === undefined) next.defaultMcpAuthProfileId = null;
  }
  if (patch.testerPrompt !== undefined) next.testerPrompt = patch.testerPrompt;
  if (patch.description !== undefined) next.description = patch.description ?? null;
  if (patch.categorySlug !== undefined) next.categorySlug = patch.categorySlug ?? null;
  if (patch.defaultMcpAuthProfileId !== undefined) next.defaultMcpAuthProfileId = patch.defaultMcpAuthProfileId ?? null;
  if (patch.testerTargets !== undefined || patch.testerModelIds !== undefined || patch.testerModelId !== undefined) {
    // A new model selection replaces the old one whole: the fields the patch leaves out are cleared.
    next.testerModelId = patch.testerModelId ?? null;
    next.testerModelIds = patch.testerModelIds ?? null;
    next.testerTargets = resolveTargets(
      { testerTargets: patch.testerTargets, testerModelIds: next.testerModelIds, testerModelId: next.testerModelId },
      defaultModel,
    );
  }
  if (patch.criteria !== undefined) {
    next.criteria = patch.criteria.map(storedCriterion);
  }
  if (patch.schedule !== undefined) {
    next.schedule = patch.schedule
      ? { cron: patch.schedule.cron, timezone: storedTimeZone(patch.schedule.timezone), enabled: patch.schedule.enabled ?? true }
      : null;
  }
  if (patch.limits) next.limits = { ...next.limits, ...definedOnly(patch.limits) };
  if (patch.retryPolicy) next.retryPolicy = { ...next.retryPolicy, ...definedOnly(patch.retryPolicy) };
  if (patch.toolPolicy) next.toolPolicy = { ...next.toolPolicy, ...definedOnly(patch.toolPolicy) };
  if (patch.metadata !== undefined) next.metadata = patch.metadata;
  return next;
}

/** A criterion as a version stores it: its text, whether it is required, and its check when it has one. */
function storedCriterion(c: NonNullable<CreateWorkflowInput["criteria"]>[number]): WorkflowConfig["criteria"][number] {
  return { criterionText: c.criterionText, isRequired: c.isRequired ?? true, ...(c.check ? { check: c.check } : {}) };
}

/**
 * A schedule's zone as stored: its canonical spelling (`europe/berlin` → `Europe/Berlin`). An unknown zone is
 * kept as sent, for the preflight to report.
 */
function storedTimeZone(tz: string | undefined): string {
  const zone = tz ?? "UTC";
  return canonicalTimeZone(zone) ?? zone;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Where the i-th tester target came from in the request, for error messages: explicit targets win, then
 * testerModelIds, then testerModelId (the same order resolveTargets uses).
 */
export function targetSourceField(input: {
  testerTargets?: unknown[] | null;
  testerModelIds?: string[] | null;
  testerModelId?: string | null;
}): (i: number) => string {
  const derived = input.testerModelIds?.length
    ? "testerModelIds"
    : input.testerModelId
      ? "testerModelId"
      : null;
  const explicit = derived === null || isExplicit(input);
  if (explicit) return (i) => `testerTargets.${i}.modelId`;
  return derived === "testerModelIds" ? (i) => `testerModelIds.${i}` : () => "testerModelId";
}

/** A config's targets are explicit unless they are exactly what testerModelIds / testerModelId would make. */
function isExplicit(input: { testerTargets?: unknown[] | null; testerModelIds?: string[] | null; testerModelId?: string | null }) {
  const targets = (input.testerTargets ?? []) as Array<{ modelId: string; skillMode?: string; skillVersionId?: string | null }>;
  if (targets.length === 0) return false;
  const ids = input.testerModelIds?.length ? input.testerModelIds : input.testerModelId ? [input.testerModelId] : [];
  return !(
    targets.length === ids.length &&
    targets.every((t, i) => t.modelId === ids[i] && (t.skillMode ?? "none") === "none" && !t.skillVersionId)
  );
}

/** Names every tester target that repeats an earlier one (same model, skill mode and skill version). */
export function duplicateTargetIssues(targets: Targets, fieldOf: (i: number) => string): FieldIssue[] {
  const seen = new Set<string>();
  const issues: FieldIssue[] = [];
  targets.forEach((t, i) => {
    const key = JSON.stringify([t.modelId, t.skillMode, t.skillVersionId]);
    if (seen.has(key)) issues.push({ field: fieldOf(i).replace(/\.modelId$/, ""), message: "Duplicate tester target" });
    seen.add(key);
  });
  return issues;
}

/** Checks tester targets against the model catalog. */
export function targetIssues(targets: Array<{ modelId: string }>, fieldOf: (i: number) => string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  targets.forEach((t, i) => {
    const model = findModel(t.modelId);
    // The id is echoed only when it does not look like a credential (the preflight flags those on its own).
    const named = findCredentials(t.modelId).length ? "this model" : `model '${t.modelId}'`;
    if (!model) issues.push({ field: fieldOf(i), message: `Unknown ${named}: not in the model catalog` });
    else if (!model.uses.includes("tester")) {
      issues.push({ field: fieldOf(i), message: `Model '${t.modelId}' cannot be used as a tester` });
    }
  });
  return issues;
}

/**
 * The safety preflight: everything that must hold before a workflow version is written. Throws one 400
 * naming every problem.
 */
export async function preflightWorkflow(db: Database, orgId: string, config: WorkflowConfig, source: "create" | "update") {
  const issues: FieldIssue[] = [];
  // Fields are named relative to the operation's input; each surface adds its own prefix (REST: `body.`).

  const server = await db
    .select({ id: mcpServers.id, defaultAuthProfileId: mcpServers.defaultAuthProfileId })
    .from(mcpServers)
    .where(and(eq(mcpServers.orgId, orgId), eq(mcpServers.id, config.mcpServerId)))
    .get();
  if (!server) {
    issues.push({ field: "mcpServerId", message: "No MCP source with this id in this organization" });
  } else if (config.defaultMcpAuthProfileId) {
    const profile = await db
      .select({ id: mcpAuthProfiles.id })
      .from(mcpAuthProfiles)
      .where(
        and(
          eq(mcpAuthProfiles.orgId, orgId),
          eq(mcpAuthProfiles.id, config.defaultMcpAuthProfileId),
          eq(mcpAuthProfiles.mcpServerId, server.id),
        ),
      )
      .get();
    if (!profile) issues.push({ field: "defaultMcpAuthProfileId", message: "Not an auth profile of this MCP source" });
  }

  const fieldOf = targetSourceField(config);
  issues.push(...targetIssues(config.testerTargets, fieldOf), ...duplicateTargetIssues(config.testerTargets, fieldOf));

  if (config.schedule) {
    const problem = scheduleProblem(config.schedule.cron, config.schedule.timezone);
    if (problem) issues.push({ field: `schedule.${problem.field}`, message: problem.message });
  }

  // No credentials anywhere in the config: every string in it (the schemas bound each one's length), every
  // metadata key, and every non-empty string under a credential-named metadata key. One issue per field; the
  // message names the kinds, never the value.
  const secretFields = new Map<string, string[]>();
  const secretIssue = (field: string, kinds: string[]) => {
    if (!kinds.length) return;
    const known = secretFields.get(field);
    if (known) known.push(...kinds.filter((k) => !known.includes(k)));
    else secretFields.set(field, [...kinds]);
  };
  const secretCheck = (value: unknown, path: string[]): void => {
    if (typeof value === "string") {
      const [top, index, leaf] = path;
      // A target's model id is named where it came from (testerModelIds.N, testerModelId, testerTargets.N.modelId).
      const field = top === "testerTargets" && leaf === "modelId" ? fieldOf(Number(index)).slice("body.".length) : path.join(".");
      secretIssue(field, findCredentials(value));
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => secretCheck(v, [...path, String(i)]));
    } else if (value && typeof value === "object") {
      const isMetadata = path.length === 1 && path[0] === "metadata";
      for (const [key, v] of Object.entries(value)) {
        if (!isMetadata) {
          // A check's expected arguments are free-form, like metadata: a key must not be a credential, nor hold one.
          if (path[0] === "criteria" && path[2] === "check" && path[3] === "arguments") {
            const keyKinds = findCredentials(key);
            secretIssue(path.join("."), keyKinds); // never echo a key that is a credential
            if (!keyKinds.length && holdsCredential(key, v)) secretIssue([...path, key].join("."), ["value of a credential-named key"]);
            secretCheck(v, keyKinds.length ? path : [...path, key]);
            continue;
          }
          secretCheck(v, [...path, key]);
          continue;
        }
        const keyKinds = findCredentials(key);
        const field = keyKinds.length ? "metadata" : `metadata.${key}`; // never echo a key that is a credential
        secretIssue(field, keyKinds);
        if (holdsCredential(key, v)) secretIssue(field, ["value of a credential-named key"]);
        if (typeof v === "string") secretIssue(field, findCredentials(v));
      }
    }
  };
  secretCheck(config, []);
  for (const [field, kinds] of secretFields) {
    issues.push({
      field,
      message: `Contains what looks like a credential (${kinds.join(", ")}); it would end up in run traces. Put secrets in an MCP auth profile.`,
    });
  }

  if (issues.length) {
    throw validationError(issues, source === "create" ? "Workflow preflight failed" : "Workflow update preflight failed");
  }
  return { defaultAuthProfileId: server?.defaultAuthProfileId ?? null };
}

