import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ROLES } from "../auth/roles";
import { RUN_CLASSIFICATION_IDS, RUN_STATUSES, RUN_TRIGGERS } from "../runs/status";
import type { WorkflowConfig } from "../workflows/schemas";

/** Milliseconds since the epoch, read and written as a Date. */
const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

export const organizations = sqliteTable("organizations", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  features: text("features", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  createdAt: timestamp("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    /** HMAC-SHA-256 of the secret under the pepper named by hashVersion, base64url. */
    secretHash: text("secret_hash").notNull(),
    hashVersion: integer("hash_version").notNull(),
    createdAt: timestamp("created_at").notNull(),
    expiresAt: timestamp("expires_at"),
    revokedAt: timestamp("revoked_at"),
    lastUsedAt: timestamp("last_used_at"),
  },
  (t) => [index("api_keys_org_idx").on(t.orgId)],
);

export const mcpServers = sqliteTable(
  "mcp_servers",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    url: text("url").notNull(),
    transport: text("transport", { enum: ["streamable-http", "sse"] }).notNull(),
    description: text("description"),
    defaultAuthProfileId: text("default_auth_profile_id"),
    createdAt: timestamp("created_at").notNull(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [
    index("mcp_servers_org_created_idx").on(t.orgId, t.createdAt),
    uniqueIndex("mcp_servers_org_name_uq").on(t.orgId, t.name),
  ],
);

export const mcpAuthProfiles = sqliteTable(
  "mcp_auth_profiles",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    mcpServerId: text("mcp_server_id")
      .notNull()
      .references(() => mcpServers.id),
    name: text("name").notNull(),
    type: text("type", { enum: ["bearer", "header"] }).notNull(),
    headerName: text("header_name"),
    /** AES-GCM ciphertext of the secret value: `v1.<iv>.<ciphertext>`, base64url. */
    secretCiphertext: text("secret_ciphertext").notNull(),
    secretHint: text("secret_hint").notNull(),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [index("mcp_auth_profiles_server_idx").on(t.mcpServerId)],
);

export const workflows = sqliteTable(
  "workflows",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    categorySlug: text("category_slug"),
    currentVersionId: text("current_version_id").notNull(),
    currentVersionNumber: integer("current_version_number").notNull(),
    scheduleCron: text("schedule_cron"),
    scheduleTimezone: text("schedule_timezone"),
    scheduleEnabled: integer("schedule_enabled", { mode: "boolean" }).notNull().default(false),
    nextDueAt: timestamp("next_due_at"),
    archivedAt: timestamp("archived_at"),
    createdAt: timestamp("created_at").notNull(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [
    index("workflows_org_active_idx").on(t.orgId, t.archivedAt, t.createdAt),
    index("workflows_due_idx").on(t.nextDueAt),
  ],
);

/** An immutable snapshot of everything a workflow run needs. */
export const workflowVersions = sqliteTable(
  "workflow_versions",
  {
    id: text("id").primaryKey(),
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id),
    orgId: text("org_id").notNull(),
    version: integer("version").notNull(),
    config: text("config", { mode: "json" }).notNull().$type<WorkflowConfig>(),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [uniqueIndex("workflow_versions_workflow_version_uq").on(t.workflowId, t.version)],
);

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id),
    workflowVersionId: text("workflow_version_id").notNull(),
    workflowVersion: integer("workflow_version").notNull(),
    workflowName: text("workflow_name").notNull(),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    classification: text("classification", { enum: RUN_CLASSIFICATION_IDS }),
    trigger: text("trigger", { enum: RUN_TRIGGERS }).notNull(),
    reason: text("reason"),
    modelId: text("model_id").notNull(),
    skillMode: text("skill_mode", { enum: ["none", "skill"] }).notNull().default("none"),
    skillVersionId: text("skill_version_id"),
    baselineRunId: text("baseline_run_id"),
    /** Identifies "the same dispatch" for de-duplication while the run is active; null once terminal or when forced. */
    activeFingerprint: text("active_fingerprint"),
    scheduleDueAt: timestamp("schedule_due_at"),
    queueAttempts: integer("queue_attempts").notNull().default(0),
    /** The version's limits.timeoutSeconds, copied so the sweep can find overdue runs in SQL. */
    timeoutSeconds: integer("timeout_seconds").notNull(),
    createdAt: timestamp("created_at").notNull(),
    enqueuedAt: timestamp("enqueued_at"),
    startedAt: timestamp("started_at"),
    finishedAt: timestamp("finished_at"),
    durationMs: integer("duration_ms"),
    evaluatorOutput: text("evaluator_output", { mode: "json" }).$type<Record<string, unknown>>(),
    costUsd: real("cost_usd"),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    error: text("error"),
    /** The MCP protocol revision the source answered in (e.g. 2026-07-28), and its era: 2025 or 2026. */
    mcpProtocolVersion: text("mcp_protocol_version"),
    mcpProtocolEra: text("mcp_protocol_era", { enum: ["2025", "2026"] }),
    /** The digest of the skill the tester ran with (skillMode "skill"). */
    skillDigest: text("skill_digest"),
    /** 1 for a dispatched run; n for the (n-1)th retry of an infrastructure failure. */
    attempt: integer("attempt").notNull().default(1),
    /** The run this one retries, when it is a retry. */
    retryOfRunId: text("retry_of_run_id"),
  },
  (t) => [
    index("runs_org_created_idx").on(t.orgId, t.createdAt),
    index("runs_org_workflow_created_idx").on(t.orgId, t.workflowId, t.createdAt),
    index("runs_org_status_created_idx").on(t.orgId, t.status, t.createdAt),
    index("runs_org_classification_created_idx").on(t.orgId, t.classification, t.createdAt),
    index("runs_org_duration_idx").on(t.orgId, t.durationMs),
    index("runs_org_cost_idx").on(t.orgId, t.costUsd),
    // At most one active run per fingerprint: concurrent identical dispatches fold into one run.
    uniqueIndex("runs_active_fingerprint_uq")
      .on(t.orgId, t.activeFingerprint)
      .where(sql`active_fingerprint IS NOT NULL`),
    index("runs_status_enqueued_idx").on(t.status, t.enqueuedAt),
    index("runs_status_started_idx").on(t.status, t.startedAt),
    index("runs_workflow_idx").on(t.workflowId),
  ],
);

export const runTraces = sqliteTable("run_traces", {
  runId: text("run_id")
    .primaryKey()
    .references(() => runs.id),
  spans: text("spans", { mode: "json" }).notNull().$type<unknown[]>(),
  createdAt: timestamp("created_at").notNull(),
});

export const runToolCalls = sqliteTable(
  "run_tool_calls",
  {
    id: text("id").primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    seq: integer("seq").notNull(),
    toolName: text("tool_name").notNull(),
    arguments: text("arguments", { mode: "json" }).$type<unknown>(),
    result: text("result", { mode: "json" }).$type<unknown>(),
    isError: integer("is_error", { mode: "boolean" }).notNull().default(false),
    /** True when the workflow's tool policy refused the call before it reached the source. */
    policyRefused: integer("policy_refused", { mode: "boolean" }).notNull().default(false),
    durationMs: integer("duration_ms").notNull(),
    startedAt: timestamp("started_at").notNull(),
  },
  (t) => [uniqueIndex("run_tool_calls_run_seq_uq").on(t.runId, t.seq)],
);

export const runEvaluations = sqliteTable("run_evaluations", {
  runId: text("run_id")
    .primaryKey()
    .references(() => runs.id),
  verdict: text("verdict", { enum: ["pass", "fail", "partial"] }).notNull(),
  judgeModelId: text("judge_model_id").notNull(),
  summary: text("summary"),
  criteria: text("criteria", { mode: "json" }).notNull().$type<unknown[]>(),
  /** The run the criteria were compared with, if any. */
  baselineRunId: text("baseline_run_id"),
  createdAt: timestamp("created_at").notNull(),
});

/** Claims an idempotency key for one dispatch; the same key with the same body replays these runs. */
export const dispatchIdempotency = sqliteTable(
  "dispatch_idempotency",
  {
    orgId: text("org_id").notNull(),
    key: text("key").notNull(),
    workflowId: text("workflow_id").notNull(),
    requestHash: text("request_hash").notNull(),
    runIds: text("run_ids", { mode: "json" }).notNull().$type<string[]>(),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.key] }), index("dispatch_idempotency_created_idx").on(t.createdAt)],
);

/** One row per (workflow, due time) the scheduler has dispatched: the primary key makes each due time fire once. */
export const scheduleTicks = sqliteTable(
  "schedule_ticks",
  {
    workflowId: text("workflow_id").notNull(),
    dueAt: timestamp("due_at").notNull(),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.dueAt] })],
);

// ---------------------------------------------------------------------------------------------------------
// MCP Analytics (insights): raw events as MCP sources send them, and the aggregates every read is served from.
// docs/insights.md says how each aggregate is derived.

/** One usage event, as the client sent it; `id` is the client's, unique per organization (retries are ignored). */
export const insightEvents = sqliteTable(
  "insight_events",
  {
    orgId: text("org_id").notNull(),
    id: text("id").notNull(),
    sessionId: text("session_id").notNull(),
    mcpServerId: text("mcp_server_id"),
    type: text("type", {
      enum: ["session_start", "tool_call", "search", "log", "feedback", "session_end", "tools_list"],
    }).notNull(),
    occurredAt: timestamp("occurred_at").notNull(),
    ingestedAt: timestamp("ingested_at").notNull(),
    clientName: text("client_name"),
    clientVersion: text("client_version"),
    intent: text("intent"),
    toolName: text("tool_name"),
    query: text("query"),
    resultCount: integer("result_count"),
    isError: integer("is_error", { mode: "boolean" }).notNull().default(false),
    rating: text("rating", { enum: ["positive", "negative"] }),
    /** The type's other fields (arguments, result, durationMs, level, message, comment, toolNames), redacted. */
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    index("insight_events_session_idx").on(t.orgId, t.sessionId, t.occurredAt),
    index("insight_events_occurred_idx").on(t.occurredAt),
  ],
);

/** A session's aggregate, recomputed from its events whenever events of it arrive. */
export const insightSessions = sqliteTable(
  "insight_sessions",
  {
    orgId: text("org_id").notNull(),
    id: text("id").notNull(),
    mcpServerId: text("mcp_server_id"),
    clientName: text("client_name"),
    clientVersion: text("client_version"),
    startedAt: timestamp("started_at").notNull(),
    lastEventAt: timestamp("last_event_at").notNull(),
    events: integer("events").notNull(),
    toolCalls: integer("tool_calls").notNull(),
    toolErrors: integer("tool_errors").notNull(),
    searches: integer("searches").notNull(),
    failedSearches: integer("failed_searches").notNull(),
    negativeFeedback: integer("negative_feedback").notNull(),
    /** 0 to 1, from the documented signals. */
    frustration: real("frustration").notNull(),
    /** The derivation's details: signals, intents, failed queries, views (all, high_frustration, repeat, flagged). */
    summary: text("summary", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] }), index("insight_sessions_org_started_idx").on(t.orgId, t.startedAt)],
);

/** The sums over sessions the hourly buckets and the bucket days hold (new builders for each table). */
const sessionSumColumns = () => ({
  sessions: integer("sessions").notNull(),
  toolCalls: integer("tool_calls").notNull(),
  toolErrors: integer("tool_errors").notNull(),
  searches: integer("searches").notNull(),
  failedSearches: integer("failed_searches").notNull(),
  frustrationSum: real("frustration_sum").notNull(),
});

/** Per organization, source and hour: the overview's sums, kept by the rollup from the sessions that started in the hour. */
export const insightBuckets = sqliteTable(
  "insight_buckets",
  {
    orgId: text("org_id").notNull(),
    /** The source, or "" for events without one. */
    mcpServerId: text("mcp_server_id").notNull(),
    bucketStart: timestamp("bucket_start").notNull(),
    ...sessionSumColumns(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.mcpServerId, t.bucketStart] })],
);

/**
 * Per organization and UTC day (of the sessions' started_at): the same sums as the hourly buckets, all sources
 * together, so that the 7d-90d overview reads one row per day of its windows (migration 0008), not every hour and
 * source the organization ever had. Kept by the rollup alongside the buckets.
 */
export const insightBucketDays = sqliteTable(
  "insight_bucket_days",
  {
    orgId: text("org_id").notNull(),
    day: timestamp("day").notNull(),
    ...sessionSumColumns(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day] })],
);

/** A recurring intent: a stable id, label and flags, whatever events arrive later. */
export const insightTopics = sqliteTable(
  "insight_topics",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    /** The grouping key of its intents (docs/insights.md). */
    key: text("key").notNull(),
    label: text("label").notNull(),
    isUnmetDemand: integer("is_unmet_demand", { mode: "boolean" }).notNull().default(false),
    archived: integer("archived", { mode: "boolean" }).notNull().default(false),
    createdAt: timestamp("created_at").notNull(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [uniqueIndex("insight_topics_org_key_uq").on(t.orgId, t.key)],
);

/** Which sessions a topic's intents occurred in (volume, frustration and trend per window come from here). */
export const insightTopicSessions = sqliteTable(
  "insight_topic_sessions",
  {
    orgId: text("org_id").notNull(),
    topicId: text("topic_id").notNull(),
    sessionId: text("session_id").notNull(),
    startedAt: timestamp("started_at").notNull(),
    frustration: real("frustration").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.topicId, t.sessionId] }),
    index("insight_topic_sessions_org_idx").on(t.orgId, t.topicId, t.startedAt),
    // The 24h reads (all topics of a window of hours): the window's links only, from the index alone (migration 0006).
    index("insight_topic_sessions_started_idx").on(t.orgId, t.startedAt, t.topicId, t.frustration),
    // The rollup replaces one session's links (and moves their counts out of the topic days) by session (migration 0007).
    index("insight_topic_sessions_session_idx").on(t.orgId, t.sessionId),
  ],
);

/** Failed searches grouped by normalized query (and source). */
export const insightSearchClusters = sqliteTable(
  "insight_search_clusters",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    mcpServerId: text("mcp_server_id").notNull(),
    key: text("key").notNull(),
    /** The query as first seen, for display. */
    query: text("query").notNull(),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [uniqueIndex("insight_search_clusters_org_key_uq").on(t.orgId, t.mcpServerId, t.key)],
);

/**
 * Each failed search of a cluster (count, distinct sessions, first and last seen per window). The cluster index
 * carries session_id (migration 0006) so that every read of a cluster's misses in a window, the distinct sessions
 * included, is answered from the index alone, without one table lookup per miss.
 */
export const insightSearchMisses = sqliteTable(
  "insight_search_misses",
  {
    orgId: text("org_id").notNull(),
    clusterId: text("cluster_id").notNull(),
    eventId: text("event_id").notNull(),
    sessionId: text("session_id").notNull(),
    occurredAt: timestamp("occurred_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.eventId] }),
    index("insight_search_misses_cluster_session_idx").on(t.orgId, t.clusterId, t.occurredAt, t.sessionId),
    // The reads of every cluster in a window (the 24h overview, GET /searches): the window's misses only, from the index alone.
    index("insight_search_misses_occurred_idx").on(t.orgId, t.occurredAt, t.clusterId, t.sessionId),
    // A topic's related searches join its sessions' misses by session.
    index("insight_search_misses_session_idx").on(t.orgId, t.sessionId, t.clusterId),
  ],
);

/**
 * One session's share of the tool days: per source, tool and UTC day, how many of its tools_list events listed
 * the tool and how many of its tool calls (and errored ones) named it. Rewritten with the session's rollup; a tool
 * day is the sum of these rows, so a rollup never reads other sessions' raw events.
 */
export const insightSessionTools = sqliteTable(
  "insight_session_tools",
  {
    orgId: text("org_id").notNull(),
    sessionId: text("session_id").notNull(),
    mcpServerId: text("mcp_server_id").notNull(),
    toolName: text("tool_name").notNull(),
    day: timestamp("day").notNull(),
    offered: integer("offered").notNull(),
    calls: integer("calls").notNull(),
    errors: integer("errors").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.sessionId, t.mcpServerId, t.toolName, t.day] }),
    index("insight_session_tools_day_idx").on(t.orgId, t.day, t.toolName),
  ],
);

/**
 * Sessions whose events were stored and whose rollup has not finished yet: written in the same batch as the
 * events, deleted when the rollup is done. The sweep rolls up what is left (a rollup cut off with its request).
 */
export const insightPendingRollups = sqliteTable(
  "insight_pending_rollups",
  {
    orgId: text("org_id").notNull(),
    sessionId: text("session_id").notNull(),
    queuedAt: timestamp("queued_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.sessionId] }), index("insight_pending_rollups_queued_idx").on(t.queuedAt)],
);

/** Per source, tool and day: how often it was offered (tools_list) and called, for "offered but never called". */
export const insightToolDays = sqliteTable(
  "insight_tool_days",
  {
    orgId: text("org_id").notNull(),
    mcpServerId: text("mcp_server_id").notNull(),
    toolName: text("tool_name").notNull(),
    day: timestamp("day").notNull(),
    offered: integer("offered").notNull(),
    calls: integer("calls").notNull(),
    errors: integer("errors").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.mcpServerId, t.toolName, t.day] }),
    // The overview's unused tools: the tool days of its window, from the index alone (migration 0008).
    index("insight_tool_days_day_idx").on(t.orgId, t.day, t.mcpServerId, t.toolName, t.offered, t.calls),
  ],
);

/**
 * Per topic and UTC day (of the sessions' started_at): how many of the topic's sessions started that day and the
 * sum of their frustration. Recomputed by the rollup from insight_topic_sessions for the (topic, day) pairs its
 * sessions touch now or touched before; the overview's unmet-demand count and top topics read these rows.
 */
export const insightTopicDays = sqliteTable(
  "insight_topic_days",
  {
    orgId: text("org_id").notNull(),
    topicId: text("topic_id").notNull(),
    day: timestamp("day").notNull(),
    sessions: integer("sessions").notNull(),
    frustrationSum: real("frustration_sum").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.topicId] })],
);

/**
 * Per UTC day (of the sessions' started_at): the latest updated_at of the sessions that started that day, the
 * overview's `asOf`. Recomputed by the rollup for the days its sessions are in now or were in before.
 */
export const insightSessionDays = sqliteTable(
  "insight_session_days",
  {
    orgId: text("org_id").notNull(),
    day: timestamp("day").notNull(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day] })],
);

/**
 * Per failed-search cluster and UTC day (of the misses' occurred_at): the misses, the first and the last. Recomputed
 * by the rollup from insight_search_misses for the (cluster, day) pairs of the misses its sessions have; the
 * overview's top failed searches read these rows (distinct sessions are counted from the misses of those five only).
 */
export const insightClusterDays = sqliteTable(
  "insight_cluster_days",
  {
    orgId: text("org_id").notNull(),
    clusterId: text("cluster_id").notNull(),
    day: timestamp("day").notNull(),
    misses: integer("misses").notNull(),
    firstSeen: timestamp("first_seen").notNull(),
    lastSeen: timestamp("last_seen").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.clusterId] })],
);
