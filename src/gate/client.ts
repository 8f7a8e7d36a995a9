import createClient from "openapi-fetch";
import type { components, paths } from "./api-types";
import { BACKOFF_START_MS, type Deadline, nextBackoff } from "./clock";
import { GateFailure } from "./failure";

type Schemas = components["schemas"];
export type Run = Schemas["Run"];
export type RunSummary = Schemas["RunSummary"];
export type Evaluation = Schemas["Evaluation"];
export type DispatchedRun = Schemas["DispatchedRun"];
export type DispatchRequest = Schemas["DispatchRunsRequest"];
export type DispatchResponse = Schemas["DispatchRunsResponse"];
export type WorkflowResponse = Schemas["WorkflowResponse"];

export interface GateApiDeps {
  apiBase: string;
  apiKey: string;
  fetch: (request: Request) => Promise<Response>;
  deadline: Deadline;
}

/**
 * How often a request is tried when it gets no HTTP answer or a 5xx. A 429 is always retried after its
 * Retry-After (it did nothing), within the deadline.
 */
export const TRIES = {
  /** The first request: a wrong --url fails fast instead of waiting for the timeout. */
  firstContact: 3,
  /** A dispatch with an idempotency key: a retry replays it rather than dispatching twice. */
  keyedDispatch: 3,
  /** A dispatch without one: a retry after a lost answer could dispatch twice, so none. */
  unkeyedDispatch: 1,
  /** Reads while polling: the server answered before, so keep trying until the deadline. */
  polling: Number.POSITIVE_INFINITY,
} as const;

/** A fetch that threw: no HTTP answer at all. */
class NoAnswer extends Error {
  constructor(readonly reason: unknown) {
    super("no answer");
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/**
 * The gate's view of the REST API: the typed client (openapi-fetch over the generated `paths`) with the
 * gate's retry rules, and every way of getting no answer turned into a GateFailure that says what to do.
 */
export function createGateApi(deps: GateApiDeps) {
  const origin = new URL(deps.apiBase).origin;
  const client = createClient<paths>({
    baseUrl: deps.apiBase,
    headers: { authorization: `Bearer ${deps.apiKey}` },
    fetch: async (request) => {
      try {
        return await deps.fetch(request);
      } catch (err) {
        throw new NoAnswer(err);
      }
    },
  });

  async function call<T>(what: string, tries: number, send: () => Promise<Answer<T>>): Promise<T> {
    let delay = BACKOFF_START_MS;
    for (let attempt = 1; ; attempt++) {
      let answer: Answer<T>;
      try {
        answer = await send();
      } catch (err) {
        if (!(err instanceof NoAnswer)) {
          throw new GateFailure("unreachable", `${what}: ${origin} answered, but not as the Armature API does (${describe(err)}); is --url right?`);
        }
        const problem = `could not reach ${origin} (${describe(err.reason)})`;
        if (attempt >= tries) throw new GateFailure("unreachable", `${what}: ${problem}. Is --url right and the server up?`);
        if (!(await deps.deadline.wait(delay))) throw new GateFailure("timeout", `Timed out: ${what}: ${problem}`);
        delay = nextBackoff(delay);
        continue;
      }
      const { response } = answer;
      if (response.ok) {
        if (answer.data === undefined || answer.data === null) {
          throw new GateFailure("unreachable", `${what}: ${origin} answered HTTP ${response.status} without a body; is --url the Armature API?`);
        }
        return answer.data;
      }
      if (response.status === 429) {
        attempt--; // a refused request did nothing: it does not use up a try
        if (!(await deps.deadline.wait(retryAfterMs(response) ?? delay))) {
          throw new GateFailure("timeout", `Timed out: ${what}: ${said(response.status, answer.error)}`);
        }
        delay = nextBackoff(delay);
        continue;
      }
      if (response.status >= 500 && attempt < tries) {
        if (!(await deps.deadline.wait(delay))) throw new GateFailure("timeout", `Timed out: ${what}: ${said(response.status, answer.error)}`);
        delay = nextBackoff(delay);
        continue;
      }
      throw refused(what, response.status, answer.error);
    }
  }

  return {
    apiBase: deps.apiBase,

    /** The run's REST URL, shown in the summary and the report. */
    runUrl: (id: string) => `${deps.apiBase}/runs/${id}`,

    async getWorkflow(id: string): Promise<WorkflowResponse> {
      const data = await call(`GET /workflows/${id}`, TRIES.firstContact, () =>
        client.GET("/workflows/{id}", { params: { path: { id } } }),
      );
      if (typeof data.workflow?.id !== "string") throw notTheApi(`GET /workflows/${id}`);
      return data;
    },

    async dispatch(workflowId: string, body: DispatchRequest, idempotencyKey: string | null): Promise<DispatchResponse> {
      const what = `POST /workflows/${workflowId}/runs`;
      const data = await call(what, idempotencyKey ? TRIES.keyedDispatch : TRIES.unkeyedDispatch, () =>
        client.POST("/workflows/{id}/runs", {
          params: { path: { id: workflowId }, header: idempotencyKey ? { "idempotency-key": idempotencyKey } : {} },
          body,
        }),
      );
      if (!Array.isArray(data.runs)) throw notTheApi(what);
      return data;
    },

    async getRun(id: string): Promise<Run> {
      const data = await call(`GET /runs/${id}`, TRIES.polling, () => client.GET("/runs/{id}", { params: { path: { id } } }));
      if (typeof data.status !== "string") throw notTheApi(`GET /runs/${id}`);
      return data;
    },

    async getEvaluation(id: string): Promise<Evaluation | null> {
      const data = await call(`GET /runs/${id}/evaluation`, TRIES.polling, () =>
        client.GET("/runs/{id}/evaluation", { params: { path: { id } } }),
      );
      return data.evaluation ?? null;
    },

    /** The workflow's newest runs (where a retry of a run appears). */
    async newestRuns(workflowId: string): Promise<RunSummary[]> {
      const data = await call(`GET /runs?workflowId=${workflowId}`, TRIES.polling, () =>
        client.GET("/runs", { params: { query: { workflowId, range: "24h", sort: "-createdAt", pageSize: 100 } } }),
      );
      return Array.isArray(data.runs) ? data.runs : [];
    },
  };
}

export type GateApi = ReturnType<typeof createGateApi>;

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date. */
function retryAfterMs(response: Response): number | null {
  const value = response.headers.get("retry-after")?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function errorEnvelope(body: unknown): { code: string; message: string } | null {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return error && typeof error.code === "string" && typeof error.message === "string" ? { code: error.code, message: error.message } : null;
}

function said(status: number, body: unknown): string {
  const envelope = errorEnvelope(body);
  return envelope ? `${status} ${envelope.code}: ${envelope.message}` : `HTTP ${status}`;
}

const HINTS: Record<number, string> = {
  401: "Check ARMATURE_API_KEY: it must be a valid, unrevoked key of the workflow's organization.",
  403: "Dispatching needs an editor, admin or owner key.",
  404: "Check the id, and that ARMATURE_API_KEY is a key of the workflow's organization.",
  409: "An archived workflow cannot be dispatched.",
  422: "The idempotency key was used for another dispatch: pass a different --idempotency-key.",
};

function refused(what: string, status: number, body: unknown): GateFailure {
  const envelope = errorEnvelope(body);
  const hint = envelope ? HINTS[status] : "The answer is not an Armature error: is --url the Armature API?";
  return new GateFailure(status >= 500 ? "unreachable" : "refused", `${what}: ${said(status, body).replace(/\.$/, "")}.${hint ? ` ${hint}` : ""}`);
}

function notTheApi(what: string): GateFailure {
  return new GateFailure("unreachable", `${what}: the answer is not the Armature API's; is --url right?`);
}

/** An error in one line, with its cause (Node's fetch says only "fetch failed" and puts ECONNREFUSED there). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause : null;
  const code = (cause as { code?: unknown } | null)?.code;
  return cause ? `${err.message}: ${cause.message}${typeof code === "string" && !cause.message.includes(code) ? ` (${code})` : ""}` : err.message;
}
