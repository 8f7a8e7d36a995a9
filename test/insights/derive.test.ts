import { describe, expect, it } from "vitest";
import {
  FRUSTRATION_SIGNAL_CAP,
  FRUSTRATION_WEIGHTS,
  HIGH_FRUSTRATION_THRESHOLD,
  frustrationScore,
  searchKey,
  stem,
  suggestedWorkflow,
  summarizeSession,
  topicKey,
  topicLabel,
  type DeriveEvent,
} from "../../src/insights/derive";
import { CreateWorkflowBody } from "../../src/workflows/schemas";

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
let seq = 0;

/** An event `i` seconds after T0. */
function ev(i: number, type: DeriveEvent["type"], fields: Partial<DeriveEvent> = {}): DeriveEvent {
  return {
    id: `e${String(seq++).padStart(4, "0")}`,
    sessionId: "s1",
    mcpServerId: null,
    type,
    occurredAt: new Date(T0 + i * 1000),
    clientName: null,
    clientVersion: null,
    intent: null,
    toolName: null,
    query: null,
    resultCount: null,
    isError: false,
    rating: null,
    data: {},
    ...fields,
  };
}
const call = (i: number, tool: string, args: unknown, isError = false, more: Partial<DeriveEvent> = {}) =>
  ev(i, "tool_call", { toolName: tool, isError, data: { arguments: args }, ...more });
const search = (i: number, query: string, resultCount: number | null, isError = false, more: Partial<DeriveEvent> = {}) =>
  ev(i, "search", { query, resultCount, isError, ...more });

describe("summarizeSession: counts, time, client, source", () => {
  it("counts a clean session and reads no signal", () => {
    const s = summarizeSession([
      ev(0, "session_start", { clientName: "claude-desktop", clientVersion: "1.2", mcpServerId: "src-a", intent: "List invoices" }),
      call(1, "list_invoices", { page: 1 }, false, { mcpServerId: "src-a" }),
      search(2, "invoice", 3, false, { mcpServerId: "src-a" }),
      ev(3, "feedback", { rating: "positive" }),
      ev(4, "session_end"),
    ]);
    expect(s).toMatchObject({
      mcpServerId: "src-a",
      clientName: "claude-desktop",
      clientVersion: "1.2",
      startedAt: new Date(T0),
      lastEventAt: new Date(T0 + 4000),
      events: 5,
      toolCalls: 1,
      toolErrors: 0,
      searches: 1,
      failedSearches: 0,
      negativeFeedback: 0,
      frustration: 0,
    });
    expect(s.summary).toEqual({
      intents: ["List invoices"],
      failedQueries: [],
      signals: { erroredToolCalls: 0, retriedWithChangedArguments: 0, failedSearches: 0, negativeFeedback: 0, endedAfterError: 0 },
      views: [],
      topicKeys: ["invoic list"],
      clusterKeys: [],
    });
  });

  it("orders events by time whatever order they come in, and picks the most common non-null source", () => {
    const s = summarizeSession([
      ev(5, "log", { mcpServerId: "b" }),
      ev(1, "log", { mcpServerId: "a" }),
      ev(0, "session_start"),
      ev(3, "log", { mcpServerId: "b" }),
    ]);
    expect(s.startedAt).toEqual(new Date(T0));
    expect(s.lastEventAt).toEqual(new Date(T0 + 5000));
    expect(s.mcpServerId).toBe("b");
    expect(summarizeSession([ev(0, "log")]).mcpServerId).toBeNull();
  });

  it("refuses an empty session", () => {
    expect(() => summarizeSession([])).toThrow();
  });
});

describe("frustration signals", () => {
  it("counts errored tool calls", () => {
    const s = summarizeSession([call(0, "a", {}, true), call(1, "b", {}, true), call(2, "c", {})]);
    expect(s.summary.signals.erroredToolCalls).toBe(2);
    expect(s.toolErrors).toBe(2);
    expect(s.frustration).toBe(0.4);
  });

  it("counts a call of the same tool right after with changed arguments, not an identical one or another tool in between", () => {
    const s = summarizeSession([
      call(0, "search_docs", { q: "a", n: 1 }),
      call(1, "search_docs", { n: 1, q: "a" }), // same arguments, keys in another order: not a change
      call(2, "search_docs", { q: "b", n: 1 }), // changed: 1
      call(3, "other", {}),
      call(4, "search_docs", { q: "c" }), // another tool in between: not a retry
      call(5, "search_docs", { q: "d" }), // changed: 2
    ]);
    expect(s.summary.signals.retriedWithChangedArguments).toBe(2);
    expect(s.frustration).toBe(0.2);
  });

  it("counts failed searches: no result or an error", () => {
    const s = summarizeSession([search(0, "a", 0), search(1, "b", null, true), search(2, "c", 5), search(3, "d", null)]);
    expect(s.searches).toBe(4);
    expect(s.failedSearches).toBe(2);
    expect(s.summary.signals.failedSearches).toBe(2);
    expect(s.summary.failedQueries).toEqual(["a", "b"]);
    expect(s.frustration).toBe(0.3);
  });

  it("counts negative feedback and flags the session", () => {
    const s = summarizeSession([ev(0, "feedback", { rating: "negative", data: { comment: "useless" } }), ev(1, "feedback", { rating: "positive" })]);
    expect(s.negativeFeedback).toBe(1);
    expect(s.summary.signals.negativeFeedback).toBe(1);
    expect(s.frustration).toBe(0.5);
    expect(s.summary.views).toEqual(["high_frustration", "flagged"]);
  });

  it("sees a session that ends right after an error, not one that recovered or has not ended", () => {
    const ended = summarizeSession([call(0, "a", {}), call(1, "a", {}, true), ev(2, "log"), ev(3, "session_end")]);
    expect(ended.summary.signals).toMatchObject({ erroredToolCalls: 1, endedAfterError: 1 });
    expect(ended.frustration).toBe(0.45);
    expect(ended.summary.views).toEqual(["flagged"]);

    const afterFailedSearch = summarizeSession([search(0, "x", 0), ev(1, "session_end")]);
    expect(afterFailedSearch.summary.signals.endedAfterError).toBe(1);

    const recovered = summarizeSession([call(0, "a", {}, true), call(1, "b", {}), ev(2, "session_end")]);
    expect(recovered.summary.signals.endedAfterError).toBe(0);

    const ongoing = summarizeSession([call(0, "a", {}, true)]);
    expect(ongoing.summary.signals.endedAfterError).toBe(0);
  });

  it("keeps the score in [0, 1], caps each signal, and crosses the threshold where documented", () => {
    const none = { erroredToolCalls: 0, retriedWithChangedArguments: 0, failedSearches: 0, negativeFeedback: 0, endedAfterError: 0 };
    expect(frustrationScore(none)).toBe(0);
    expect(frustrationScore({ ...none, erroredToolCalls: 100 })).toBeCloseTo(FRUSTRATION_WEIGHTS.erroredToolCalls * FRUSTRATION_SIGNAL_CAP, 10);
    expect(frustrationScore({ ...none, erroredToolCalls: 100 })).toBe(frustrationScore({ ...none, erroredToolCalls: FRUSTRATION_SIGNAL_CAP }));
    expect(frustrationScore({ erroredToolCalls: 50, retriedWithChangedArguments: 50, failedSearches: 50, negativeFeedback: 50, endedAfterError: 1 })).toBe(1);
    expect(frustrationScore({ ...none, erroredToolCalls: -3 })).toBe(0);
    const many = summarizeSession(Array.from({ length: 40 }, (_, i) => (i % 2 ? call(i, "t", { i }, true) : search(i, `q${i}`, 0))));
    expect(many.frustration).toBe(1);
    expect(many.frustration).toBeGreaterThanOrEqual(HIGH_FRUSTRATION_THRESHOLD);
    expect(many.summary.views).toContain("high_frustration");
  });
});

describe("views", () => {
  it("repeat: the same intent (by topic) coming back after another one", () => {
    const s = summarizeSession([
      ev(0, "session_start", { intent: "Export invoices" }),
      call(1, "x", {}, false, { intent: "export invoices" }),
      call(2, "y", {}, false, { intent: "Check status" }),
      call(3, "x", {}, false, { intent: "export the invoice" }),
    ]);
    expect(s.summary.views).toEqual(["repeat"]);
    expect(s.summary.intents).toEqual(["Export invoices", "export invoices", "Check status", "export the invoice"]);
    expect(s.summary.topicKeys).toEqual(["export invoic", "check status"]);
  });

  it("not repeat: one intent carried by consecutive events", () => {
    const s = summarizeSession([ev(0, "session_start", { intent: "Export invoices" }), call(1, "x", {}, false, { intent: "Export invoices" })]);
    expect(s.summary.views).toEqual([]);
    expect(s.summary.intents).toEqual(["Export invoices"]);
  });

  it("repeat: the same failed search (normalized) more than once", () => {
    const s = summarizeSession([search(0, "Refund policy", 0), search(1, "refund  policy?", 0)]);
    expect(s.summary.views).toContain("repeat");
    expect(s.summary.failedQueries).toEqual(["Refund policy", "refund  policy?"]);
    expect(s.summary.clusterKeys).toEqual(["refund policy"]);
  });
});

describe("topicKey", () => {
  it("groups intents with the same terms, whatever case, punctuation, order, stop words, plural or tense", () => {
    const same = ["Create an invoice!", "creating invoices", "Invoice: create", "please create the INVOICES", "created invoice"];
    expect(new Set(same.map(topicKey))).toEqual(new Set(["creat invoic"]));
    expect(topicKey("Delete an invoice")).not.toBe(topicKey("Create an invoice"));
  });

  it("keeps stop words when there is nothing else, and gives '' for no words", () => {
    expect(topicKey("How to?")).toBe("how to");
    expect(topicKey("?!…")).toBe("");
  });

  it("stems a small documented set of suffixes", () => {
    expect(["invoices", "invoice"].map(stem)).toEqual(["invoic", "invoic"]);
    expect(["stopped", "stops", "stopping"].map(stem)).toEqual(["stop", "stop", "stop"]);
    expect(["queries", "query"].map(stem)).toEqual(["query", "query"]);
    expect(["status", "analysis", "boxes", "box"].map(stem)).toEqual(["status", "analysis", "box", "box"]);
    expect(stem("v2s")).toBe("v2s");
  });

  it("labels a topic with the raw intent, trimmed", () => {
    expect(topicLabel("  Create   an invoice ")).toBe("Create an invoice");
  });
});

describe("searchKey", () => {
  it("normalizes case, whitespace and punctuation, and keeps word order", () => {
    expect(searchKey("  Refund   Policy?! ")).toBe("refund policy");
    expect(searchKey("refund-policy")).toBe("refund policy");
    expect(searchKey("ＲＥＦＵＮＤ policy")).toBe("refund policy");
    expect(searchKey("policy refund")).not.toBe(searchKey("refund policy"));
    expect(searchKey("...")).toBe("");
  });
});

describe("suggestedWorkflow", () => {
  const source = "3f1c1d2e-8d4b-4b8e-9a57-2f0f4b1f6c1a";

  it("is a valid create-workflow body that exercises the failed query, checking the search tool's result", () => {
    const { workflow, suggestedGap } = suggestedWorkflow({ mcpServerId: source, query: "webhook retry (policy)?", toolName: "search_docs", misses: 4, sessions: 3 });
    const parsed = CreateWorkflowBody.safeParse(workflow);
    expect(parsed.error?.issues).toBeUndefined();
    expect(workflow!.mcpServerId).toBe(source);
    expect(workflow!.testerPrompt).toContain("webhook retry (policy)?");
    expect(workflow!.criteria).toContainEqual(expect.objectContaining({ check: { type: "no_tool_errors" } }));
    expect(workflow!.criteria).toContainEqual(
      expect.objectContaining({ check: { type: "tool_result_matches", tool: "search_docs", pattern: "webhook|retry|policy", flags: "i" } }),
    );
    expect(suggestedGap).toContain('"webhook retry (policy)?"');
    expect(suggestedGap).toContain("4 failed searches in 3 sessions");
    expect(new RegExp("webhook|retry|policy", "i").test("Our Webhook docs")).toBe(true);
  });

  it("checks the answer when the search tool is unknown, and escapes the query in the pattern", () => {
    const { workflow } = suggestedWorkflow({ mcpServerId: source, query: "c++ .NET $price" });
    expect(CreateWorkflowBody.safeParse(workflow).success).toBe(true);
    const check = workflow!.criteria!.find((c) => c.check?.type === "answer_matches")!.check as { pattern: string };
    expect(check.pattern).toBe("c|net|price");
  });

  it("stays valid for a very long or odd query", () => {
    const { workflow } = suggestedWorkflow({ mcpServerId: source, query: `${"x".repeat(5000)} ?? (a+)+` });
    expect(CreateWorkflowBody.safeParse(workflow).error?.issues).toBeUndefined();
    const punctuation = suggestedWorkflow({ mcpServerId: source, query: "(((" });
    expect(CreateWorkflowBody.safeParse(punctuation.workflow).error?.issues).toBeUndefined();
  });

  it("suggests no workflow for searches without a source, but still the gap", () => {
    const r = suggestedWorkflow({ mcpServerId: "", query: "refunds" });
    expect(r.workflow).toBeNull();
    expect(r.suggestedGap).toContain("refunds");
  });
});
