/**
 * The insights read operations (and the topic update): overview, sessions, a session's trace, topics.
 * docs/insights.md ("Reading") says what each number means; the SQL is in ./queries.ts.
 */
import { z } from "@hono/zod-openapi";
import { defineOperation } from "../operations/operation";
import { CreateWorkflowBody } from "../workflows/schemas";
import {
  CLUSTER_SAMPLE_SESSIONS,
  getOverview,
  getSearch,
  getSessionTrace,
  getTopic,
  INSIGHT_RANGES,
  listSearches,
  listSessions,
  listTopics,
  MAX_TRACE_EVENTS,
  SESSION_VIEWS,
  TOPIC_SORTS,
  UNUSED_TOOLS_LIMIT,
  updateTopic,
} from "./queries";

// ---------------------------------------------------------------------------------------------------------
// Inputs.

const DECIMAL = /^[0-9]{1,9}$/;
const NOT_DECIMAL = "Must be a whole number written in decimal digits";
export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 25;

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

const rangeQuery = z
  .enum(INSIGHT_RANGES)
  .default("7d")
  .openapi({
    param: { name: "range", in: "query" },
    description:
      "The window: the last 24 whole hours (`24h`) or 7, 30 or 90 whole UTC days (`7d`, `30d`, `90d`), the current hour or day included. Default 7d.",
    example: "7d",
  });

const limitQuery = (what: string) =>
  z
    .preprocess(
      (raw) => (typeof raw === "string" && !DECIMAL.test(raw) ? Number.NaN : raw),
      z.coerce.number({ error: NOT_DECIMAL }).int(NOT_DECIMAL).min(1).max(MAX_LIMIT),
    )
    .default(DEFAULT_LIMIT)
    .openapi({
      param: { name: "limit", in: "query" },
      type: "integer",
      minimum: 1,
      maximum: MAX_LIMIT,
      description: `The most ${what} to answer, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}); more is a 400, never a clamp.`,
      example: DEFAULT_LIMIT,
    });

const textFilter = (name: string, description: string) =>
  z
    .string()
    .min(1)
    .max(500)
    .refine(noControl, "Must not contain control characters")
    .optional()
    .openapi({ param: { name, in: "query" }, description });

/** Ids of insights resources: session ids are the client's strings, topic and cluster ids the derivation's. */
const insightIdParam = (what: string) =>
  z.object({
    id: z
      .string()
      .min(1)
      .max(200)
      .openapi({ param: { name: "id", in: "path" }, description: `The ${what} id, 1 to 200 characters.`, example: "sess_01HZX3" }),
  });
const SessionIdParam = insightIdParam("session");
const TopicIdParam = insightIdParam("topic");
const SearchIdParam = insightIdParam("failed-search cluster");

export const OverviewQuery = z.object({ range: rangeQuery });
export const TopicQuery = z.object({ range: rangeQuery });
export const SearchQuery = z.object({ range: rangeQuery });
export const ListSearchesQuery = z.object({ range: rangeQuery, limit: limitQuery("clusters") });

export const ListSessionsQuery = z.object({
  range: rangeQuery,
  view: z
    .enum(["all", ...SESSION_VIEWS])
    .default("all")
    .openapi({
      param: { name: "view", in: "query" },
      description:
        "`high_frustration` and `flagged`: sessions the derivation put in that view. `repeat`: those, and sessions whose client (`client.name`) had one of the session's intents in another session of the window (computed at read time).",
      example: "high_frustration",
    }),
  intent: textFilter("intent", "Only sessions with this raw intent label (exact match)."),
  search_miss: textFilter("search_miss", "Only sessions with a failed search of exactly this text."),
  limit: limitQuery("sessions"),
});

export const ListTopicsQuery = z.object({
  range: rangeQuery,
  sort: z
    .enum(TOPIC_SORTS)
    .default("volume")
    .openapi({
      param: { name: "sort", in: "query" },
      description:
        "`volume`: most sessions first; `frustration`: highest mean frustration first; `trend`: largest rise (`trend`, volume minus previous volume) first. Ties: volume, then label.",
      example: "volume",
    }),
  limit: limitQuery("topics"),
});

export const UpdateTopicBody = z
  .strictObject({
    label: z.string().trim().min(1).max(200).refine(noControl, "Must not contain control characters").optional().openapi({ description: "New display label." }),
    is_unmet_demand: z.boolean().optional().openapi({ description: "Flag the topic as unmet demand." }),
    archived: z.boolean().optional().openapi({ description: "Archive (leaves every list and the overview) or unarchive the topic." }),
  })
  .refine((b) => Object.keys(b).length > 0, {
    message: "Send at least one of label, is_unmet_demand, archived",
    // Only for a body that is otherwise valid: an unknown field alone is named as such.
    when: (payload) => payload.issues.length === 0,
  })
  .openapi("UpdateInsightTopicRequest");

// ---------------------------------------------------------------------------------------------------------
// Answers.

const Timestamp = z.iso.datetime();
const Rate = z.number().min(0);
const Window = {
  from: Timestamp.openapi({ description: "First instant of the window (inclusive)." }),
  to: Timestamp.openapi({ description: "End of the window (exclusive): the end of the current hour or UTC day." }),
};

const Kpi = z
  .object({ value: z.number(), previous: z.number().openapi({ description: "The same figure over the window of the same length just before." }) })
  .openapi("InsightKpi");

export const InsightTopicSchema = z
  .object({
    id: z.string(),
    label: z.string(),
    isUnmetDemand: z.boolean().openapi({ description: "Set with `is_unmet_demand` on PATCH." }),
    archived: z.boolean(),
    volume: z.number().int().min(0).openapi({ description: "Sessions of the topic that started in the window." }),
    previousVolume: z.number().int().min(0).openapi({ description: "Sessions in the previous window of the same length." }),
    frustration: Rate.openapi({ description: "Mean frustration (0 to 1) of those sessions; 0 without any." }),
    trend: z.number().int().openapi({ description: "`volume - previousVolume`: positive when the topic is rising." }),
  })
  .openapi("InsightTopic");

export const InsightClusterSummarySchema = z
  .object({
    id: z.string(),
    query: z.string().openapi({ description: "The failed query as first seen." }),
    mcpServerId: z.string().nullable(),
    count: z.number().int().min(0).openapi({ description: "Failed searches of the cluster in the window." }),
    sessions: z.number().int().min(0).openapi({ description: "Distinct sessions they came from." }),
    firstSeen: Timestamp,
    lastSeen: Timestamp,
  })
  .openapi("InsightSearchClusterSummary");

const TrendPoint = z.object({
  bucketStart: Timestamp,
  sessions: z.number().int(),
  toolCalls: z.number().int(),
  toolErrors: z.number().int(),
  searches: z.number().int(),
  failedSearches: z.number().int(),
  errorRate: Rate,
  failedSearchRate: Rate,
  avgFrustration: Rate,
});

export const InsightOverviewSchema = z
  .object({
    range: z.enum(INSIGHT_RANGES),
    ...Window,
    bucket: z.enum(["hour", "day"]).openapi({ description: "`hour` for 24h, `day` (UTC) otherwise." }),
    asOf: Timestamp.nullable().openapi({
      description:
        "When the aggregates of this window and the previous one were last written (the latest session update); null when neither has a session.",
    }),
    kpis: z.object({
      sessions: Kpi,
      toolCalls: Kpi,
      errorRate: Kpi.openapi({ description: "Tool errors / tool calls; 0 without calls." }),
      failedSearchRate: Kpi.openapi({ description: "Failed searches / searches; 0 without searches." }),
      avgFrustration: Kpi.openapi({ description: "Mean session frustration; 0 without sessions." }),
      unmetDemandTopics: Kpi.openapi({ description: "Non-archived topics flagged unmet demand with sessions in the window." }),
    }),
    trend: z.array(TrendPoint).openapi({ description: "One point per hour (24h) or day, oldest first; empty buckets are zeros." }),
    topTopics: z.array(InsightTopicSchema).openapi({ description: "Up to 5 non-archived topics by volume." }),
    topFailedSearches: z.array(InsightClusterSummarySchema).openapi({ description: "Up to 5 failed-search clusters by count in the window." }),
    unusedTools: z
      .array(
        z.object({
          mcpServerId: z.string().nullable().openapi({ description: "The source that offered the tool; null for tool lists that named none." }),
          toolName: z.string(),
          offered: z.number().int().min(1).openapi({ description: "`tools_list` events of the window that offered the tool." }),
        }),
      )
      .openapi({
        description: `Tools offered (by \`tools_list\`) in the window and never called there, per source, from the daily tool aggregates: up to ${UNUSED_TOOLS_LIMIT}, most offered first, then by source and name.`,
      }),
  })
  .openapi("InsightOverview");

export const InsightSessionSchema = z
  .object({
    id: z.string(),
    mcpServerId: z.string().nullable(),
    client: z.object({ name: z.string().nullable(), version: z.string().nullable() }),
    startedAt: Timestamp,
    lastEventAt: Timestamp,
    counts: z.object({
      events: z.number().int(),
      toolCalls: z.number().int(),
      toolErrors: z.number().int(),
      searches: z.number().int(),
      failedSearches: z.number().int(),
      negativeFeedback: z.number().int(),
    }),
    frustration: Rate.openapi({ description: "0 to 1." }),
    intents: z.array(z.string()),
    views: z.array(z.enum(SESSION_VIEWS)).openapi({ description: "The views the session is in (`repeat` includes the read-time client repeat)." }),
  })
  .openapi("InsightSession");

export const InsightSessionListSchema = z
  .object({ range: z.enum(INSIGHT_RANGES), ...Window, sessions: z.array(InsightSessionSchema) })
  .openapi("InsightSessionList");

export const InsightSessionTraceSchema = z
  .object({
    session: InsightSessionSchema,
    classifications: z.object({
      frustration: Rate,
      signals: z
        .record(z.string(), z.union([z.number(), z.boolean()]))
        .openapi({ description: "The frustration signals: erroredToolCalls, retriedWithChangedArguments, failedSearches, negativeFeedback, endedAfterError." }),
      views: z.array(z.enum(SESSION_VIEWS)),
      intents: z.array(z.string()),
      failedQueries: z.array(z.string()),
    }),
    events: z.array(
      z.object({
        id: z.string(),
        type: z.enum(["session_start", "tool_call", "search", "log", "feedback", "session_end", "tools_list"]),
        occurredAt: Timestamp,
        intent: z.string().nullable(),
        toolName: z.string().nullable(),
        query: z.string().nullable(),
        resultCount: z.number().int().nullable(),
        isError: z.boolean(),
        rating: z.enum(["positive", "negative"]).nullable(),
        data: z.record(z.string(), z.unknown()).openapi({ description: "The type's other fields (arguments, result, durationMs, level, message, comment, toolNames)." }),
      }),
    ),
    truncated: z.boolean().openapi({ description: `True when the session has more than the ${MAX_TRACE_EVENTS} events answered.` }),
  })
  .openapi("InsightSessionTrace");

export const InsightTopicListSchema = z
  .object({ range: z.enum(INSIGHT_RANGES), ...Window, topics: z.array(InsightTopicSchema) })
  .openapi("InsightTopicList");

export const InsightTopicDetailSchema = InsightTopicSchema.extend({
  range: z.enum(INSIGHT_RANGES),
  ...Window,
  samples: z.array(InsightSessionSchema).openapi({ description: "Up to 5 of the topic's most recent sessions in the window." }),
  relatedSearches: z
    .array(
      z.object({
        id: z.string(),
        query: z.string(),
        mcpServerId: z.string().nullable(),
        sharedSessions: z.number().int().openapi({ description: "The topic's sessions in the window that had a failed search of this cluster." }),
        misses: z.number().int().openapi({ description: "Those sessions' failed searches of this cluster." }),
      }),
    )
    .openapi({ description: "Up to 5 failed-search clusters sharing sessions with the topic in the window." }),
}).openapi("InsightTopicDetail");

const SearchSuggestion = {
  sampleSessions: z
    .array(z.object({ sessionId: z.string(), lastSeen: Timestamp.openapi({ description: "The session's latest failed search of the cluster in the window." }) }))
    .openapi({ description: `Up to ${CLUSTER_SAMPLE_SESSIONS} sessions with failed searches of the cluster in the window, the latest first.` }),
  suggestedGap: z.string().openapi({ description: "What seems to be missing from the source, in one sentence." }),
  suggestedWorkflow: CreateWorkflowBody.nullable().openapi({
    description: "A ready-to-POST `/workflows` body that passes once the gap is filled; null when the searches named no source.",
  }),
};

export const InsightSearchClusterSchema = InsightClusterSummarySchema.extend(SearchSuggestion).openapi("InsightSearchCluster");

export const InsightSearchListSchema = z
  .object({ range: z.enum(INSIGHT_RANGES), ...Window, searches: z.array(InsightSearchClusterSchema) })
  .openapi("InsightSearchList");

export const InsightSearchDetailSchema = InsightClusterSummarySchema.extend({
  firstSeen: Timestamp.nullable().openapi({ description: "First failed search in the window; null without any." }),
  lastSeen: Timestamp.nullable().openapi({ description: "Last failed search in the window; null without any." }),
  range: z.enum(INSIGHT_RANGES),
  ...Window,
  ...SearchSuggestion,
}).openapi("InsightSearchDetail");

// ---------------------------------------------------------------------------------------------------------
// Operations.

const common = { tag: "insights", feature: "mcp-analytics", role: "viewer", readOnly: true } as const;

export const getInsightsOverviewOp = defineOperation({
  ...common,
  name: "getInsightsOverview",
  summary: "Get the MCP analytics overview",
  description:
    "Headline KPIs (each with the previous window's value), hourly or daily trend lines, top topics and top failed-search clusters, from the aggregates.",
  input: { query: OverviewQuery },
  output: InsightOverviewSchema,
  outputDescription: "The overview of the window.",
  run: (ctx, { range }) => getOverview(ctx.db, ctx.principal.org.id, range, ctx.now()),
});

export const listInsightSessionsOp = defineOperation({
  ...common,
  name: "listInsightSessions",
  summary: "List MCP analytics sessions",
  description: "Sessions that started in the window and match every filter, newest first, up to `limit`.",
  input: { query: ListSessionsQuery },
  output: InsightSessionListSchema,
  outputDescription: "The matching sessions.",
  run: (ctx, query) => listSessions(ctx.db, ctx.principal.org.id, query, ctx.now()),
});

export const getInsightSessionTraceOp = defineOperation({
  ...common,
  name: "getInsightSessionTrace",
  summary: "Get a session's trace",
  description: `The session's events in order (tool calls with arguments and results, searches, logs, feedback; at most ${MAX_TRACE_EVENTS}) and its classifications, redacted.`,
  input: { path: SessionIdParam },
  output: InsightSessionTraceSchema,
  outputDescription: "The session's trace.",
  run: (ctx, { id }) => getSessionTrace(ctx.db, ctx.principal.org.id, id, ctx.now()),
});

export const listInsightTopicsOp = defineOperation({
  ...common,
  name: "listInsightTopics",
  summary: "List recurring topics",
  description: "Non-archived topics with sessions in the window, sorted by `sort`, up to `limit`.",
  input: { query: ListTopicsQuery },
  output: InsightTopicListSchema,
  outputDescription: "The topics.",
  run: (ctx, query) => listTopics(ctx.db, ctx.principal.org.id, query, ctx.now()),
});

export const getInsightTopicOp = defineOperation({
  ...common,
  name: "getInsightTopic",
  summary: "Get a topic",
  description: "The topic (archived ones too) with its figures for the window, sample sessions and related failed searches.",
  input: { path: TopicIdParam, query: TopicQuery },
  output: InsightTopicDetailSchema,
  outputDescription: "The topic.",
  run: (ctx, { id, range }) => getTopic(ctx.db, ctx.principal.org.id, id, range, ctx.now()),
});

export const updateInsightTopicOp = defineOperation({
  ...common,
  name: "updateInsightTopic",
  summary: "Rename, flag or archive a topic",
  description:
    "Sets any of `label`, `is_unmet_demand` and `archived` (snake_case, as documented); at least one is required. Answers the topic as `GET` does for 7d.",
  role: "editor",
  readOnly: false,
  input: { path: TopicIdParam, body: UpdateTopicBody },
  output: InsightTopicDetailSchema,
  outputDescription: "The updated topic.",
  run: (ctx, { id, ...body }) => updateTopic(ctx.db, ctx.principal.org.id, id, body, ctx.now()),
});

export const listInsightSearchesOp = defineOperation({
  ...common,
  name: "listInsightSearches",
  summary: "List failed-search clusters",
  description:
    "Clusters of failed searches with misses in the window, by count (then the latest first), up to `limit`, each with a sample of sessions and a suggested gap and workflow.",
  input: { query: ListSearchesQuery },
  output: InsightSearchListSchema,
  outputDescription: "The clusters.",
  run: (ctx, query) => listSearches(ctx.db, ctx.principal.org.id, query, ctx.now()),
});

export const getInsightSearchOp = defineOperation({
  ...common,
  name: "getInsightSearch",
  summary: "Get a failed-search cluster",
  description: "The cluster's figures for the window, a sample of its sessions, and a suggested gap and workflow.",
  input: { path: SearchIdParam, query: SearchQuery },
  output: InsightSearchDetailSchema,
  outputDescription: "The cluster.",
  run: (ctx, { id, range }) => getSearch(ctx.db, ctx.principal.org.id, id, range, ctx.now()),
});
