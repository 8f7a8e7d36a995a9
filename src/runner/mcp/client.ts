/**
 * The run's connection to its workflow's MCP source, on the official client (`@modelcontextprotocol/client`).
 *
 * - Version negotiation `auto` on Streamable HTTP: a 2026 server is spoken to in the stateless 2026-07-28
 *   protocol (`server/discover`), a 2025 server through `initialize`. The deprecated HTTP+SSE transport only
 *   exists in the 2025 revisions, so `transport: "sse"` connects with the `initialize` handshake directly.
 * - Every request goes through the caller's fetch (the outbound guard); the auth profile's header rides on
 *   every request and is never written to a trace, an error or a log (messages are scrubbed of its value).
 * - The tester has no human: elicitation is declined, and so is any other request a server makes of the
 *   client (sampling, roots, …); each decline is a trace event on `parentSpanId`.
 * - Errors end the run with a classification (`RunFailure`): the guard's refusal → `mcp_address_refused`;
 *   an unreachable, failing or silent source → `mcp_connection_failed`; answers outside the protocol →
 *   `mcp_protocol_error`. A JSON-RPC error from `tools/call` is not a failure of the run: it becomes an
 *   `isError` outcome the tester sees.
 */
import {
  Client,
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SSEClientTransport,
  SseError,
  StreamableHTTPClientTransport,
  type CallToolResult,
  type Tool,
} from "@modelcontextprotocol/client";
import { SkillsClient, SkillVerificationError, type Skill } from "@modelcontextprotocol/client/ext/skills";
import { redactValue } from "../../lib/redaction";
import {
  RunFailure,
  type McpSession,
  type McpToolInfo,
  type SkillInfo,
  type ToolAnnotations,
  type ToolCallOutcome,
  type TraceRecorder,
} from "../types";
import { OutboundRefusedError, OutboundResponseTooLargeError } from "./outbound";

export interface ConnectSourceOptions {
  /** The MCP endpoint (Streamable HTTP) or the event-stream URL (HTTP+SSE). */
  url: string;
  transport: "streamable-http" | "sse";
  /** The auth profile's header(s), sent on every request; values never appear in traces or errors. */
  headers: Record<string, string>;
  /** The guarded fetch (`createGuardedFetch`): every request of the session goes through it. */
  fetch: typeof fetch;
  trace: TraceRecorder;
  /** The span the `mcp.connect` span and the decline events hang under. */
  parentSpanId: string;
  /** Aborts the connection and every request of the session (the run's signal). */
  signal?: AbortSignal;
  /** Time limit of one MCP request (connect, a page of tools/list, one tool call), in ms. Default 60 s. */
  requestTimeoutMs?: number;
}

/** The client's identity as servers see it. */
export const CLIENT_INFO = { name: "armature-tester", version: "1.0.0" } as const;

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const MAX_MESSAGE_CHARS = 600;
const DECLINED_EVENT = "elicitation declined";
/** Server→client requests the 2026 protocol embeds in `input_required` results. */
const INPUT_METHODS = new Set(["elicitation/create", "sampling/createMessage", "roots/list"]);

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** The values to scrub from every message: each header value, and each long word of it (`Bearer <token>`). */
function secretValues(headers: Record<string, string>): string[] {
  const out = new Set<string>();
  for (const value of Object.values(headers)) {
    const v = value.trim();
    if (v.length >= 4) out.add(v);
    for (const part of v.split(/\s+/)) if (part.length >= 8) out.add(part);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** A message fit for a run's error: known secrets and credential-shaped text redacted, one line, bounded. */
function clean(message: string, secrets: readonly string[]): string {
  const redacted = redactValue(message, secrets).replace(/\s+/g, " ").trim();
  return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS - 1)}…` : redacted;
}

function* causes(error: unknown): Generator<unknown> {
  let current = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

const named = (error: unknown, name: string) => error instanceof Error && error.name === name;
const isRefusal = (e: unknown): e is OutboundRefusedError => e instanceof OutboundRefusedError || named(e, "OutboundRefusedError");
const isTooLarge = (e: unknown): e is OutboundResponseTooLargeError =>
  e instanceof OutboundResponseTooLargeError || named(e, "OutboundResponseTooLargeError");
const isTimeout = (e: unknown) => named(e, "TimeoutError") || (e instanceof SdkError && e.code === SdkErrorCode.RequestTimeout);

/** What the guard reports itself: a refusal or an oversized body ends the session, whatever the SDK made of it. */
function guardFailure(error: unknown, secrets: readonly string[]): RunFailure | undefined {
  for (const e of causes(error)) {
    if (isRefusal(e)) return new RunFailure("mcp_address_refused", clean(e.message, secrets));
    if (isTooLarge(e)) return new RunFailure("mcp_protocol_error", clean(e.message, secrets));
  }
  return undefined;
}

/**
 * The run failure an MCP error means. Exported for the orchestrator and its tests; `secrets` are the values
 * scrubbed from the message (the auth profile's header values).
 */
export function mcpRunFailure(error: unknown, secrets: readonly string[] = []): RunFailure {
  if (error instanceof RunFailure) return error;
  const guarded = guardFailure(error, secrets);
  if (guarded) return guarded;
  const failed = (message: string) => new RunFailure("mcp_connection_failed", clean(message, secrets));
  const protocol = (message: string) => new RunFailure("mcp_protocol_error", clean(message, secrets));

  for (const e of causes(error)) {
    if (isTimeout(e)) return failed("The MCP source did not answer in time");
    if (e instanceof SdkHttpError && typeof e.status === "number") {
      if (e.status === 401 || e.status === 403) return failed(`The MCP source refused the request's credentials (HTTP ${e.status})`);
      // The SDK follows redirects within the origin only; its message names where another one pointed.
      const redirect = /Redirect (?:to|from) .*$/.exec(e.message)?.[0]?.replace(/\s*\(redirectPolicy: [^)]*\)\s*$/, "");
      if (e.status >= 300 && e.status < 400 && redirect) return failed(`The MCP source redirected (HTTP ${e.status}): ${redirect}`);
      return failed(`The MCP source answered HTTP ${e.status}${e.statusText ? ` ${e.statusText}` : ""}`);
    }
    if (named(e, "ZodError")) return protocol("The MCP source sent a message that is not valid JSON-RPC");
    if (named(e, "SyntaxError")) return protocol("The MCP source sent a message that is not valid JSON");
  }

  const top = error;
  if (top instanceof ProtocolError) {
    if (top.code === ProtocolErrorCode.UnsupportedProtocolVersion) {
      return protocol(`The MCP source supports none of this client's protocol versions: ${top.message}`);
    }
    return protocol(`The MCP source answered with a JSON-RPC error: ${top.message}`);
  }
  if (top instanceof SdkError) {
    switch (top.code) {
      case SdkErrorCode.EraNegotiationFailed:
        // A probe that failed on the network carries the network error as its cause.
        for (const e of causes(top.cause)) {
          if (e instanceof TypeError || named(e, "TypeError")) return failed(`The MCP source could not be reached: ${firstLine(e)}`);
        }
        return /unusable reply/i.test(top.message) ? protocol(top.message) : failed(top.message);
      case SdkErrorCode.ClientHttpUnexpectedContent:
      case SdkErrorCode.InvalidResult:
      case SdkErrorCode.UnsupportedResultType:
      case SdkErrorCode.ListPaginationExceeded:
      case SdkErrorCode.CapabilityNotSupported:
      case SdkErrorCode.MethodNotSupportedByProtocolVersion:
      case SdkErrorCode.InputRequiredRoundsExceeded:
        return protocol(`The MCP source answered outside the protocol: ${top.message}`);
      default:
        return failed(`The MCP connection failed: ${top.message}`);
    }
  }
  if (top instanceof SseError) {
    const status = top.code;
    if (status === 401 || status === 403) return failed(`The MCP source refused the request's credentials (HTTP ${status})`);
    if (/content type/i.test(top.message)) return protocol(`The MCP source's event stream is not an event stream: ${firstLine(top)}`);
    return failed(`The MCP source's event stream failed: ${firstLine(top)}`);
  }
  if (top instanceof Error && /protocol version/i.test(top.message)) return protocol(top.message);
  if (top instanceof TypeError) return failed(`The MCP source could not be reached: ${firstLine(top)}`);
  return failed(`The MCP connection failed: ${firstLine(top)}`);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n", 1)[0] ?? "";
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/** The URL as a trace may show it: origin and path, without credentials, query or fragment. */
function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length === 1 ? present[0]! : AbortSignal.any(present);
}

function textOf(content: unknown[]): string {
  const texts: string[] = [];
  for (const block of content) {
    const { type, text } = (block ?? {}) as { type?: unknown; text?: unknown };
    if (type === "text" && typeof text === "string") texts.push(text);
  }
  return texts.join("\n");
}

function toOutcome(result: CallToolResult): ToolCallOutcome {
  const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
  const outcome: ToolCallOutcome = { content, isError: result.isError === true, text: textOf(content) };
  if (result.structuredContent !== undefined) outcome.structuredContent = result.structuredContent;
  return outcome;
}

function errorOutcome(text: string): ToolCallOutcome {
  return { content: [{ type: "text", text }], isError: true, text };
}

const ANNOTATION_KEYS = ["title", "readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;

function toToolInfo(tool: Tool): McpToolInfo {
  const info: McpToolInfo = {
    name: tool.name,
    inputSchema:
      tool.inputSchema && typeof tool.inputSchema === "object" ? (tool.inputSchema as Record<string, unknown>) : { type: "object" },
  };
  if (typeof tool.title === "string") info.title = tool.title;
  if (typeof tool.description === "string") info.description = tool.description;
  if (tool.annotations && typeof tool.annotations === "object") {
    const annotations: ToolAnnotations = {};
    const source = tool.annotations as Record<string, unknown>;
    for (const key of ANNOTATION_KEYS) {
      const value = source[key];
      if (key === "title" ? typeof value === "string" : typeof value === "boolean") (annotations as Record<string, unknown>)[key] = value;
    }
    info.annotations = annotations;
  }
  return info;
}

async function sha256Digest(bytes: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `sha256:${[...hash].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The digest the skill's entry publishes for its SKILL.md (absent for "dynamic" skills). */
function listedDigest(skill: Skill): string | undefined {
  if (!Array.isArray(skill.resources)) return undefined;
  return skill.resources.find((r) => r.uri === skill.uri)?.digest;
}

function toSkillInfo(skill: Skill, digest = listedDigest(skill)): SkillInfo {
  const info: SkillInfo = { name: skill.frontmatter.name, uri: skill.uri };
  if (typeof skill.frontmatter.description === "string") info.description = skill.frontmatter.description;
  if (digest !== undefined) info.digest = digest;
  return info;
}

/**
 * The `eventsource` package calls `onmessage` itself and then dispatches the same event, and workerd's
 * EventTarget also calls an `on<type>` property on dispatch: in a Worker every SSE message would arrive twice
 * (duplicate responses, and every server request answered twice). Let each event object through once.
 */
function deliverSseEventsOnce(transport: SSEClientTransport): void {
  const start = transport.start.bind(transport);
  transport.start = () => {
    const started = start();
    const source = (transport as unknown as { _eventSource?: { onmessage: ((event: Event) => void) | null } })._eventSource;
    const handler = source?.onmessage;
    if (source && typeof handler === "function") {
      const seen = new WeakSet<Event>();
      source.onmessage = (event: Event) => {
        if (seen.has(event)) return;
        seen.add(event);
        handler.call(source, event);
      };
    }
    return started;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The session

/**
 * Connects to the source, lists every tool (every page), and returns the open session.
 * Throws a {@link RunFailure} (`mcp_address_refused`, `mcp_connection_failed`, `mcp_protocol_error`) when the
 * source cannot be used; the `mcp.connect` span records the outcome either way.
 */
export async function connectSource(options: ConnectSourceOptions): Promise<McpSession> {
  const secrets = secretValues(options.headers);
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const { trace, parentSpanId } = options;

  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    const failure = new RunFailure("mcp_address_refused", "The MCP source's URL is not a valid URL");
    const span = trace.start("mcp.connect", "mcp.connect", parentSpanId, { transport: options.transport });
    trace.end(span, { error: failure.message, attributes: { classification: failure.classification } });
    throw failure;
  }
  const spanId = trace.start("mcp.connect", "mcp.connect", parentSpanId, { url: describeUrl(url), transport: options.transport });

  // Ends the session's requests at once when the guard refuses a hop or a body outgrows its cap: the SDK
  // would otherwise report a failed event stream out of band and let the request wait for its timeout.
  const session = new AbortController();
  const noteFatal = (error: unknown) => {
    if (session.signal.aborted) return;
    const failure = guardFailure(error, secrets);
    if (failure) session.abort(failure);
  };
  const watchBody = (response: Response): Response => {
    if (response.body === null) return response;
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          noteFatal(error);
          controller.error(error);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const sessionFetch: typeof fetch = async (input, init) => {
    try {
      return watchBody(await options.fetch(input, init));
    } catch (error) {
      noteFatal(error);
      throw error;
    }
  };

  const requestInit: RequestInit = { headers: { ...options.headers } };
  let transport: StreamableHTTPClientTransport | SSEClientTransport;
  if (options.transport === "sse") {
    transport = new SSEClientTransport(url, { fetch: sessionFetch, requestInit });
    deliverSseEventsOnce(transport);
  } else {
    transport = new StreamableHTTPClientTransport(url, { fetch: sessionFetch, requestInit });
  }

  const client = new Client(CLIENT_INFO, {
    // Elicitation is declared so that servers ask rather than fail; every request is declined.
    capabilities: { elicitation: { form: {}, url: {} } },
    versionNegotiation: { mode: options.transport === "sse" ? "legacy" : "auto" },
  });
  client.setRequestHandler("elicitation/create", async (request) => {
    const params = request.params as { mode?: string; message?: unknown; url?: unknown };
    const attributes: Record<string, unknown> = { method: "elicitation/create", mode: params.mode ?? "form" };
    if (typeof params.message === "string") attributes.message = clean(params.message, secrets);
    if (typeof params.url === "string") {
      try {
        attributes.url = describeUrl(new URL(params.url));
      } catch {
        // not a URL: nothing to record
      }
    }
    trace.event(parentSpanId, DECLINED_EVENT, attributes);
    return { action: "decline" };
  });
  // Sampling, roots and anything else a 2025 server asks of the client: declined as well.
  client.fallbackRequestHandler = async (request) => {
    trace.event(parentSpanId, DECLINED_EVENT, { method: request.method });
    throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `The client declines ${request.method}: the tester has no human to ask`);
  };
  client.onerror = noteFatal;

  const requestOptions = (signal?: AbortSignal) => ({ signal: anySignal([session.signal, options.signal, signal]), timeout });
  /** The failure for an error, preferring what the guard saw and what the caller's abort said. */
  const failureOf = (error: unknown, signal?: AbortSignal): unknown => {
    for (const s of [signal, options.signal]) if (s?.aborted) return s.reason;
    if (session.signal.aborted && session.signal.reason instanceof RunFailure) return session.signal.reason;
    return mcpRunFailure(error, secrets);
  };
  const interrupted = (signal?: AbortSignal) => Boolean(signal?.aborted || options.signal?.aborted || session.signal.aborted);

  let tools: McpToolInfo[];
  try {
    await client.connect(transport, requestOptions());
    tools = (await client.listTools(undefined, requestOptions())).tools.map(toToolInfo);
  } catch (error) {
    const failure = failureOf(error);
    trace.end(spanId, {
      error: failure instanceof Error ? failure.message : "The MCP connection failed",
      attributes: failure instanceof RunFailure ? { classification: failure.classification } : {},
    });
    session.abort();
    await client.close().catch(() => {});
    await transport.close().catch(() => {});
    throw failure;
  }

  const protocolVersion = client.getNegotiatedProtocolVersion() ?? "unknown";
  const era: "2025" | "2026" = client.getProtocolEra() === "modern" ? "2026" : "2025";
  const server = client.getServerVersion();
  const serverInfo = server ? { name: server.name, version: server.version } : undefined;
  trace.end(spanId, {
    attributes: {
      protocolVersion,
      era,
      ...(serverInfo ? { serverName: serverInfo.name, serverVersion: serverInfo.version } : {}),
      toolCount: tools.length,
    },
  });

  const skills = new SkillsClient(client, { skipInvalid: true });
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new RunFailure("mcp_connection_failed", "The MCP session is closed");
  };

  const findSkill = async (nameOrUri: string): Promise<Skill | null> => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(nameOrUri)) {
      try {
        return (await skills.get(nameOrUri, requestOptions())).skill;
      } catch (error) {
        // The server's answer for a skill it does not serve is a JSON-RPC error.
        if (error instanceof ProtocolError && !interrupted()) return null;
        throw error;
      }
    }
    const listing = await skills.list({}, requestOptions());
    return listing.skills.find((s) => s.frontmatter.name === nameOrUri) ?? null;
  };

  /**
   * A tools/call error that is the tool's, not the connection's: a JSON-RPC error answering the call, an input
   * request the client cannot serve, or a result the client cannot accept. The tester sees it; the run goes on.
   */
  const toolLevelOutcome = (error: unknown, tool: string): ToolCallOutcome | undefined => {
    if (error instanceof ProtocolError) return errorOutcome(clean(error.message, secrets));
    if (!(error instanceof SdkError)) return undefined;
    if (error.code === SdkErrorCode.CapabilityNotSupported) {
      const method = (error.data as { method?: unknown } | undefined)?.method;
      if (typeof method === "string" && INPUT_METHODS.has(method)) {
        trace.event(parentSpanId, DECLINED_EVENT, { method, tool });
        return errorOutcome(`The tool asked the client for ${method}; the tester has no human to ask, so it was declined`);
      }
      return undefined;
    }
    if (
      error.code === SdkErrorCode.InvalidResult ||
      error.code === SdkErrorCode.UnsupportedResultType ||
      error.code === SdkErrorCode.InputRequiredRoundsExceeded
    ) {
      return errorOutcome(clean(`The tool's result was not accepted: ${error.message}`, secrets));
    }
    return undefined;
  };

  const result: McpSession = {
    protocolVersion,
    era,
    ...(serverInfo ? { serverInfo } : {}),
    tools,

    async callTool(name, args, signal) {
      ensureOpen();
      try {
        return toOutcome((await client.callTool({ name, arguments: args }, requestOptions(signal))) as CallToolResult);
      } catch (error) {
        if (!interrupted(signal)) {
          const outcome = toolLevelOutcome(error, name);
          if (outcome) return outcome;
        }
        throw failureOf(error, signal);
      }
    },

    async listSkills() {
      ensureOpen();
      if (!skills.supported) return [];
      try {
        return (await skills.list({}, requestOptions())).skills.map((s) => toSkillInfo(s));
      } catch (error) {
        throw failureOf(error);
      }
    },

    async getSkill(nameOrUri) {
      ensureOpen();
      if (!skills.supported) return null;
      try {
        const entry = await findSkill(nameOrUri);
        if (!entry) return null;
        const file = await skills.read(entry, undefined, requestOptions());
        const text = file.text ?? new TextDecoder().decode(file.bytes);
        const digest = listedDigest(entry) ?? (await sha256Digest(file.bytes));
        return { skill: toSkillInfo(entry, digest), text, digest };
      } catch (error) {
        if (error instanceof SkillVerificationError && !interrupted()) {
          throw new RunFailure("mcp_protocol_error", clean(`The skill does not match its published entry: ${error.message}`, secrets));
        }
        throw failureOf(error);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined) {
        await transport.terminateSession().catch(() => {});
      }
      session.abort(new RunFailure("mcp_connection_failed", "The MCP session was closed"));
      await client.close().catch(() => {});
    },
  };
  return result;
}
