/**
 * The MCP API under test through the official client (`@modelcontextprotocol/client`), its requests sent to the
 * Worker's own fetch. Each request gets its own ExecutionContext, so `settle()` can wait for everything the
 * Worker left running after its answers (usage recording, rollups).
 */
import { Client, StreamableHTTPClientTransport, type CallToolResult } from "@modelcontextprotocol/client";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";
import { API, type ErrorObject } from "../helpers";

export const MCP_PATH = "/api/armature/mcp";
const DEFAULT_HOST = "127.0.0.1:8787";

const pending: ExecutionContext[] = [];

/** The Worker's fetch, keeping each request's ExecutionContext for `settle()`. */
export async function workerFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  pending.push(ctx);
  return worker.fetch(new Request(input, init), env, ctx);
}

/** Waits until everything the Worker's answers left running (`waitUntil`) has finished. */
export async function settle(): Promise<void> {
  while (pending.length > 0) await waitOnExecutionContext(pending.shift()!);
}

export interface ConnectOptions {
  /** The API key sent as a bearer token. */
  key: string;
  /** `auto` (default): the 2026-07-28 protocol when the server speaks it; `legacy`: a 2025-era client. */
  mode?: "auto" | "legacy";
  /** The host the client calls (default 127.0.0.1:8787). */
  host?: string;
  headers?: Record<string, string>;
  clientInfo?: { name: string; version: string };
}

/** An official MCP client connected to the MCP API. */
export async function connect(opts: ConnectOptions): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`http://${opts.host ?? DEFAULT_HOST}${MCP_PATH}`), {
    requestInit: { headers: { authorization: `Bearer ${opts.key}`, ...opts.headers } },
    fetch: workerFetch,
  });
  const client = new Client(opts.clientInfo ?? { name: "armature-tests", version: "1.0.0" }, {
    ...(opts.mode === "legacy" ? {} : { versionNegotiation: { mode: "auto" as const } }),
  });
  await client.connect(transport);
  return client;
}

/** The structured content of a successful tool result; fails the test with the error when it is one. */
export function structured<T = unknown>(result: CallToolResult): T {
  expect(result.isError ?? false, `the tool answered an error: ${JSON.stringify(result.structuredContent)}`).toBe(false);
  return result.structuredContent as T;
}

/** The REST error envelope's `error` of a tool error result with this code (and its text rendering). */
export function toolError(result: CallToolResult, code: string): ErrorObject {
  expect(result.isError, `expected a ${code} error, got ${JSON.stringify(result.structuredContent)}`).toBe(true);
  const error = (result.structuredContent as { error: ErrorObject }).error;
  expect(error.code).toBe(code);
  expect(error.message.length).toBeGreaterThan(0);
  expect(result.content).toEqual([{ type: "text", text: expect.stringContaining(`${code}: ${error.message}`) }]);
  return error;
}

/** A REST call through the same tracked fetch (so `settle()` covers what it leaves running too). */
export async function rest<T = unknown>(
  path: string,
  opts: { key: string; method?: string; body?: unknown; host?: string },
): Promise<{ status: number; body: T }> {
  const res = await workerFetch(`http://${opts.host ?? DEFAULT_HOST}${API}${path}`, {
    method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${opts.key}`, ...(opts.body === undefined ? {} : { "content-type": "application/json" }) },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** A raw HTTP request to the MCP endpoint (for what happens before the SDK: authentication, Origin, limits). */
export function postMcp(opts: { key?: string | null; authorization?: string; headers?: Record<string, string>; body?: unknown; method?: string; host?: string }) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...opts.headers,
  };
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  else if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  const method = opts.method ?? "POST";
  return workerFetch(`http://${opts.host ?? DEFAULT_HOST}${MCP_PATH}`, {
    method,
    headers,
    ...(method === "GET" || method === "HEAD" ? {} : { body: JSON.stringify(opts.body ?? { jsonrpc: "2.0", id: 1, method: "ping" }) }),
  });
}
