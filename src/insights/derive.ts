import type { insightEvents } from "../db/schema";
import type { CreateWorkflowInput } from "../workflows/schemas";

// What the insights aggregates say about a session, a recurring intent and a failed search: pure functions of
// the events, each rule documented here and in docs/insights.md ("What is derived"), with its reason.

/** The event fields the derivation reads (a row of `insight_events`). */
export type DeriveEvent = Pick<
  typeof insightEvents.$inferSelect,
  | "id"
  | "sessionId"
  | "mcpServerId"
  | "type"
  | "occurredAt"
  | "clientName"
  | "clientVersion"
  | "intent"
  | "toolName"
  | "query"
  | "resultCount"
  | "isError"
  | "rating"
  | "data"
>;

export type SessionView = "high_frustration" | "repeat" | "flagged";

/** Frustration signals of a session, each a count (endedAfterError: 0 or 1). */
export interface FrustrationSignals {
  erroredToolCalls: number;
  retriedWithChangedArguments: number;
  failedSearches: number;
  negativeFeedback: number;
  endedAfterError: number;
}

/** The `summary` JSON column of `insight_sessions`. */
export interface SessionSummaryJson {
  /** Raw intent labels, in order of first occurrence. */
  intents: string[];
  /** Raw queries of failed searches, distinct, in order of first occurrence. */
  failedQueries: string[];
  signals: FrustrationSignals;
  views: SessionView[];
  /** topicKey() of each intent, distinct, in order of first occurrence (empty keys left out). */
  topicKeys: string[];
  /** searchKey() of each failed query, distinct, in order of first occurrence (empty keys left out). */
  clusterKeys: string[];
}

/** The derived fields of an `insight_sessions` row. */
export interface SessionAggregate {
  mcpServerId: string | null;
  clientName: string | null;
  clientVersion: string | null;
  startedAt: Date;
  lastEventAt: Date;
  events: number;
  toolCalls: number;
  toolErrors: number;
  searches: number;
  failedSearches: number;
  negativeFeedback: number;
  frustration: number;
  summary: SessionSummaryJson;
}

/**
 * Weight of each frustration signal per occurrence. Negative feedback is the user saying so, the strongest
 * signal; an errored call or a session that gives up after an error are strong; a failed search or a retry with
 * changed arguments are weaker, since agents also search around and page through results on purpose.
 */
export const FRUSTRATION_WEIGHTS: Readonly<Record<keyof FrustrationSignals, number>> = {
  erroredToolCalls: 0.2,
  retriedWithChangedArguments: 0.1,
  failedSearches: 0.15,
  negativeFeedback: 0.5,
  endedAfterError: 0.25,
};
/** At most this many occurrences of one signal count, so one noisy signal (a loop of errors) cannot alone decide the score. */
export const FRUSTRATION_SIGNAL_CAP = 3;
/** A session whose score reaches this is in the `high_frustration` view. */
export const HIGH_FRUSTRATION_THRESHOLD = 0.5;

const isFailedSearch = (e: DeriveEvent) => e.type === "search" && (e.isError || e.resultCount === 0);
const isNegativeFeedback = (e: DeriveEvent) => e.type === "feedback" && e.rating === "negative";

/** The events in the order the derivation reads them: by time, then by id (stable whatever order they came in). */
export function orderEvents<T extends Pick<DeriveEvent, "occurredAt" | "id">>(events: readonly T[]): T[] {
  return [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** JSON with object keys sorted, so `{a:1,b:2}` and `{b:2,a:1}` are the same arguments. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The frustration signals of a session's events (in order):
 * - erroredToolCalls: tool calls that answered an error;
 * - retriedWithChangedArguments: a tool call whose previous tool call in the session was the same tool with other
 *   arguments (the agent trying again differently);
 * - failedSearches: searches with no result (resultCount 0) or an error;
 * - negativeFeedback: feedback rated negative;
 * - endedAfterError: 1 when the session has a session_end and the last tool call or search before it errored or
 *   found nothing (the agent gave up), else 0. A session without session_end may still be going on: 0.
 */
export function frustrationSignals(ordered: readonly DeriveEvent[]): FrustrationSignals {
  const signals: FrustrationSignals = { erroredToolCalls: 0, retriedWithChangedArguments: 0, failedSearches: 0, negativeFeedback: 0, endedAfterError: 0 };
  let previousCall: DeriveEvent | undefined;
  let lastAction: DeriveEvent | undefined;
  for (const e of ordered) {
    if (e.type === "session_end") {
      if (lastAction && (lastAction.type === "tool_call" ? lastAction.isError : isFailedSearch(lastAction))) signals.endedAfterError = 1;
      break;
    }
    if (e.type === "tool_call") {
      if (e.isError) signals.erroredToolCalls++;
      if (
        previousCall &&
        previousCall.toolName === e.toolName &&
        canonicalJson(previousCall.data?.arguments) !== canonicalJson(e.data?.arguments)
      ) {
        signals.retriedWithChangedArguments++;
      }
      previousCall = e;
      lastAction = e;
    } else if (e.type === "search") {
      if (isFailedSearch(e)) signals.failedSearches++;
      lastAction = e;
    } else if (isNegativeFeedback(e)) {
      signals.negativeFeedback++;
    }
  }
  // Events after the session_end (a late failed search, say) still count as failed searches and feedback.
  const endIndex = ordered.findIndex((e) => e.type === "session_end");
  if (endIndex >= 0) {
    for (const e of ordered.slice(endIndex + 1)) {
      if (e.type === "tool_call" && e.isError) signals.erroredToolCalls++;
      if (isFailedSearch(e)) signals.failedSearches++;
      if (isNegativeFeedback(e)) signals.negativeFeedback++;
    }
  }
  return signals;
}

/**
 * The frustration score in [0, 1]: the sum over the signals of weight × min(count, FRUSTRATION_SIGNAL_CAP), capped
 * at 1 and rounded to 3 decimals (so sums of the same session always compare equal).
 */
export function frustrationScore(signals: FrustrationSignals): number {
  let score = 0;
  for (const k of Object.keys(FRUSTRATION_WEIGHTS) as (keyof FrustrationSignals)[]) {
    score += FRUSTRATION_WEIGHTS[k] * Math.min(Math.max(signals[k], 0), FRUSTRATION_SIGNAL_CAP);
  }
  return Math.round(Math.min(1, score) * 1000) / 1000;
}

/**
 * Intent occurrences: consecutive events carrying intents of the same topic are one occurrence (a client labels
 * every event of one task with its intent); the same topic coming back after another intent is a second one.
 */
function intentOccurrences(ordered: readonly DeriveEvent[]): string[] {
  const out: string[] = [];
  for (const e of ordered) {
    if (!e.intent?.trim()) continue;
    const key = topicKey(e.intent) || e.intent.trim();
    if (out[out.length - 1] !== key) out.push(key);
  }
  return out;
}

const distinct = (items: string[]) => [...new Set(items)];
const countBy = (items: string[]) => items.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());

/**
 * A session's aggregate from its events (any order; at least one event).
 * - counts: events, tool calls, errored tool calls, searches, failed searches (resultCount 0 or isError), negative
 *   feedback;
 * - startedAt / lastEventAt: the first and last event's time;
 * - client: the first event that names a client gives the name and version;
 * - mcpServerId: the most common non-null source of its events (ties: the first seen);
 * - frustration: frustrationScore(frustrationSignals);
 * - views: `high_frustration` when the score ≥ HIGH_FRUSTRATION_THRESHOLD; `repeat` when the same intent topic
 *   occurs more than once (see intentOccurrences) or the same failed search (by searchKey) fails more than once;
 *   `flagged` when there is negative feedback or the session ended right after an error (it gave up).
 */
export function summarizeSession(events: readonly DeriveEvent[]): SessionAggregate {
  if (events.length === 0) throw new Error("summarizeSession needs at least one event");
  const ordered = orderEvents(events);
  const first = ordered[0]!;
  const last = ordered[ordered.length - 1]!;

  const sources = countBy(ordered.flatMap((e) => (e.mcpServerId ? [e.mcpServerId] : [])));
  let mcpServerId: string | null = null;
  for (const [id, n] of sources) if (mcpServerId === null || n > sources.get(mcpServerId)!) mcpServerId = id;

  const client = ordered.find((e) => e.clientName);
  const toolCalls = ordered.filter((e) => e.type === "tool_call");
  const searches = ordered.filter((e) => e.type === "search");
  const failed = searches.filter(isFailedSearch);

  const signals = frustrationSignals(ordered);
  const frustration = frustrationScore(signals);

  const intents = distinct(ordered.flatMap((e) => (e.intent?.trim() ? [e.intent] : [])));
  const failedQueries = distinct(failed.flatMap((e) => (e.query?.trim() ? [e.query] : [])));
  const topicKeys = distinct(intents.map(topicKey).filter(Boolean));
  const failedKeys = failed.map((e) => searchKey(e.query ?? "")).filter(Boolean);
  const clusterKeys = distinct(failedKeys);

  const views: SessionView[] = [];
  if (frustration >= HIGH_FRUSTRATION_THRESHOLD) views.push("high_frustration");
  const repeatedIntent = [...countBy(intentOccurrences(ordered)).values()].some((n) => n > 1);
  const repeatedMiss = [...countBy(failedKeys).values()].some((n) => n > 1);
  if (repeatedIntent || repeatedMiss) views.push("repeat");
  if (signals.negativeFeedback > 0 || signals.endedAfterError > 0) views.push("flagged");

  return {
    mcpServerId,
    clientName: client?.clientName ?? null,
    clientVersion: client?.clientVersion ?? null,
    startedAt: first.occurredAt,
    lastEventAt: last.occurredAt,
    events: ordered.length,
    toolCalls: toolCalls.length,
    toolErrors: toolCalls.filter((e) => e.isError).length,
    searches: searches.length,
    failedSearches: failed.length,
    negativeFeedback: ordered.filter(isNegativeFeedback).length,
    frustration,
    summary: { intents, failedQueries, signals, views, topicKeys, clusterKeys },
  };
}

// --- Topics: recurring intents ---

/** Words that carry no topic: articles, pronouns, auxiliaries, prepositions, politeness. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but if then else of to in on at by for with from into onto about as is are was were be been being " +
    "am do does did doing done have has had having i me my mine we us our ours you your yours he him his she her hers " +
    "it its they them their theirs this that these those there here what which who whom whose when where why how " +
    "can could should would will shall may might must please pls thanks thank just some any all"
  ).split(" "),
);
/** Keys and labels are cut to this many characters. */
export const KEY_MAX_LENGTH = 200;

/** Words of a text: NFKC, lowercase, every run of characters other than letters and digits is a separator. */
function words(text: string): string[] {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/**
 * A light suffix-stripping stemmer (English, a small subset of Porter's steps), so that plural, -ing and -ed forms
 * of a word share a stem: `ies` → `y`; `sses` → `ss`; a final `s` (not `ss`, `us`, `is`) is dropped; `ing` / `ed`
 * are dropped when at least 3 letters remain; then a doubled final consonant (not l, s, z) is made single and a
 * final `e` is dropped. `invoices`, `invoice` → `invoic`; `creating`, `created`, `create` → `creat`;
 * `stopped`, `stops` → `stop`. Words of 3 letters or fewer, and words with digits, are left as they are.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.endsWith("s") && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith("ing") && w.length - 3 >= 3) w = w.slice(0, -3);
  else if (w.endsWith("ed") && w.length - 2 >= 3) w = w.slice(0, -2);
  if (/([b-df-hj-km-np-rtv-y])\1$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith("e") && w.length > 3) w = w.slice(0, -1);
  return w;
}

/**
 * The grouping key of an intent: its words (see `words`), without stop words, stemmed, distinct and sorted,
 * joined by a space. Intents with the same set of terms share a topic whatever their word order, case,
 * punctuation, plural or tense: "Create an invoice!" and "creating invoices" are both `creat invoic`. When every
 * word is a stop word the stemmed words themselves are the key (so "how to" is still a topic); "" means no topic.
 */
export function topicKey(intent: string): string {
  let key = topicKeys.get(intent);
  if (key === undefined) {
    const all = words(intent);
    const content = all.filter((w) => !STOP_WORDS.has(w));
    key = [...new Set((content.length ? content : all).map(stem))].sort().join(" ").slice(0, KEY_MAX_LENGTH);
    // Intents repeat a lot (every event of a session carries its intent): keep the last few thousand keys.
    if (topicKeys.size >= TOPIC_KEY_CACHE) topicKeys.clear();
    topicKeys.set(intent, key);
  }
  return key;
}
const TOPIC_KEY_CACHE = 5000;
const topicKeys = new Map<string, string>();

/** A topic's display label: the first raw intent seen for its key, trimmed (and cut to KEY_MAX_LENGTH). */
export function topicLabel(intent: string): string {
  return intent.trim().replace(/\s+/g, " ").slice(0, KEY_MAX_LENGTH);
}

// --- Failed searches ---

/**
 * The cluster key of a search query: NFKC, lowercase, punctuation and whitespace runs become one space, trimmed.
 * Word order and word forms are kept (unlike topics): a search is a literal string sent to the source, and
 * "list users" and "users list" may behave differently. "" means no cluster.
 */
export function searchKey(query: string): string {
  return words(query).join(" ").slice(0, KEY_MAX_LENGTH);
}

/** A failed-search cluster, as the read side has it. */
export interface SearchClusterInput {
  /** The source where the searches happened; null or "" when the events named none. */
  mcpServerId: string | null;
  /** The query as first seen. */
  query: string;
  /** The tool that answered the searches, when known: the criteria then check its result. */
  toolName?: string | null;
  /** Failed searches and distinct sessions, when known, for the gap text. */
  misses?: number;
  sessions?: number;
}

export interface SuggestedWorkflow {
  /** A ready-to-POST `/workflows` body, or null when the searches named no source. */
  workflow: CreateWorkflowInput | null;
  /** What seems to be missing from the source, in one sentence. */
  suggestedGap: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
const quote = (s: string, max = 120) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/**
 * A workflow that would pass once the gap behind a failed-search cluster is filled: the tester asks the source
 * for the query, and the criteria check deterministically that no tool call errored and that the search tool's
 * result (or, without a known tool, the final answer) mentions one of the query's terms, plus a judged criterion
 * that the answer is based on what the source found rather than a "nothing found".
 */
export function suggestedWorkflow(cluster: SearchClusterInput): SuggestedWorkflow {
  const query = cluster.query.trim().replace(/\s+/g, " ") || "(empty query)";
  const counted =
    cluster.misses !== undefined
      ? ` (${cluster.misses} failed search${cluster.misses === 1 ? "" : "es"}${cluster.sessions !== undefined ? ` in ${cluster.sessions} session${cluster.sessions === 1 ? "" : "s"}` : ""})`
      : "";
  const suggestedGap = `Agents searched for "${quote(query)}" and found nothing${counted}: the source seems to lack content or a tool that answers it.`;
  if (!cluster.mcpServerId) return { workflow: null, suggestedGap };

  const all = words(query);
  const content = all.filter((w) => !STOP_WORDS.has(w));
  // At most 8 terms of at most 40 characters: the pattern stays far below the checks' 500-character limit.
  const terms = [...new Set((content.length ? content : all).map((t) => t.slice(0, 40)))].slice(0, 8);
  const pattern = terms.length ? terms.map(escapeRegExp).join("|") : escapeRegExp(query.slice(0, 40));
  const tool = cluster.toolName?.trim();
  const criteria: NonNullable<CreateWorkflowInput["criteria"]> = [
    { criterionText: "No tool call returns an error.", isRequired: true, check: { type: "no_tool_errors" } },
    tool
      ? {
          criterionText: `The ${quote(tool, 60)} result mentions "${quote(query, 80)}".`,
          isRequired: true,
          check: { type: "tool_result_matches", tool, pattern, flags: "i" },
        }
      : {
          criterionText: `The answer mentions "${quote(query, 80)}".`,
          isRequired: true,
          check: { type: "answer_matches", pattern, flags: "i" },
        },
    {
      criterionText: `The answer is based on what the source found for "${quote(query, 80)}", not a statement that nothing was found.`,
      isRequired: true,
    },
  ];
  return {
    workflow: {
      name: `Finds "${quote(query, 150)}"`,
      mcpServerId: cluster.mcpServerId,
      testerPrompt:
        `Using the tools of this MCP source, find information about "${quote(query, 1000)}" and answer with what you found. ` +
        `Search for it the way a user would. If the source has nothing about it, say so explicitly.`,
      description: `Suggested by MCP Analytics from failed searches for "${quote(query, 150)}".`,
      criteria,
    },
    suggestedGap,
  };
}
