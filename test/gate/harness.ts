/**
 * Runs the CI gate (src/gate/) inside workerd against the real Worker: its fetch is the Worker's own, its
 * clock is virtual, and its sleep executes the queued runs (their messages as captured from the real Queue
 * binding by the test file's `captureQueue()`) through the real consumer and engine, against the in-process
 * MCP fixture. So a gate that polls sees its runs finish exactly as a gate against `npm run dev` does.
 */
import { exports } from "cloudflare:workers";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { expect } from "vitest";
import { runGateCli } from "../../src/gate/cli";
import { callJson, type TestOrg } from "../helpers";
import { createMcpFixture, FIXTURE_URL } from "../fixtures/mcp-server";
import { engineHarness, type Network } from "../runner/engine-harness";
import { createMcpSource, createWorkflow, type captureQueue } from "../workflows/fixtures";

export const API_BASE = "http://127.0.0.1:8787/api/armature/v1";

/** The Worker's own fetch, as the gate's network. */
export const workerFetch = (request: Request): Promise<Response> => exports.default.fetch(request);

export interface GateInvocation {
  /** The organization whose queued runs the gate's sleep executes; also the default key's. */
  org: TestOrg;
  /** ARMATURE_API_KEY; the org's owner key unless given (null: unset). */
  key?: string | null;
  /** More environment (GITHUB_SHA, …). */
  env?: Record<string, string>;
  /**
   * The network each executed run gets, by the order of execution (0 first) within this invocation; a
   * single network for all. `null`: the sleep executes nothing (the runs stay queued).
   */
  network?: Network | ((n: number) => Network) | null;
  /** The gate's fetch, e.g. one that fails or wraps the Worker's. */
  fetch?: (request: Request) => Promise<Response>;
}

export interface GateResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  files: Map<string, string>;
  /** Every sleep the gate asked for, in ms. */
  sleeps: number[];
  /** Virtual time the invocation took, in ms. */
  elapsed: number;
}

export function gateHarness(queue: ReturnType<typeof captureQueue>) {
  const { deliver } = engineHarness(queue);
  const fixture = createMcpFixture();

  /**
   * Executes every queued run of the org, oldest first, one batch per run; returns how many. A workflow's
   * initial runs are left queued: the gate never waits for them, and they stand for an identical run
   * already in the queue, which a gate's dispatch must not be folded into.
   */
  async function runQueued(org: TestOrg, networkFor: (n: number) => Network, start: number): Promise<number> {
    const listed = await callJson<{ runs: Array<{ id: string; trigger: string }> }>("/runs?status=queued&sort=createdAt&pageSize=100", {
      key: org.ownerKey,
    });
    expect(listed.status).toBe(200);
    let n = start;
    for (const { id } of listed.body.runs.filter((r) => r.trigger !== "initial")) {
      await deliver(await queue.waitForRuns([id]), networkFor(n++));
    }
    return n - start;
  }

  /** `npm run armature -- gate <argv>` against the Worker. */
  async function gate(argv: string[], opts: GateInvocation): Promise<GateResult> {
    const network = opts.network === undefined ? fixture : opts.network;
    const networkFor = typeof network === "function" ? network : () => network!;
    let executed = 0;
    let clock = Date.now();
    const started = clock;
    const stdout: string[] = [];
    const stderr: string[] = [];
    const files = new Map<string, string>();
    const sleeps: number[] = [];
    const key = opts.key === undefined ? opts.org.ownerKey : opts.key;
    const exitCode = await runGateCli(argv, {
      fetch: opts.fetch ?? workerFetch,
      env: { ...(key === null ? {} : { ARMATURE_API_KEY: key }), ...opts.env },
      clock: {
        now: () => clock,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock += ms;
          if (network !== null) executed += await runQueued(opts.org, networkFor, executed);
        },
      },
      writeFile: async (path, contents) => {
        files.set(path, contents);
      },
      stdout: (text) => stdout.push(text),
      stderr: (text) => stderr.push(text),
    });
    return { exitCode, stdout: stdout.join(""), stderr: stderr.join(""), files, sleeps, elapsed: clock - started };
  }

  /** A workflow on `armature/scripted` against the fixture (`body` over the defaults); its initial run stays queued. */
  async function gateWorkflow(org: TestOrg, body: Record<string, unknown>) {
    const source = await createMcpSource(org, { url: FIXTURE_URL });
    const created = await createWorkflow(org, { mcpServerId: source.id, testerModelIds: ["armature/scripted"], ...body });
    return created.workflow.id;
  }

  return { gate, gateWorkflow, fixture };
}

export interface JunitCase {
  name: string;
  classname: string;
  failure?: { message: string; type: string; text: string };
  error?: { message: string; type: string; text: string };
}
export interface JunitSuite {
  name: string;
  tests: number;
  failures: number;
  errors: number;
  properties: Record<string, string>;
  cases: JunitCase[];
  systemOut: string;
}
export interface Junit {
  name: string;
  tests: number;
  failures: number;
  errors: number;
  suites: JunitSuite[];
}

/** Validates the XML (fast-xml-parser's validator) and parses it back into suites and cases. */
export function parseJunit(xml: string): Junit {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`invalid XML: ${JSON.stringify(valid.err)}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    textNodeName: "text",
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: true, // numeric character references (&#10;), as every XML parser reads them
    isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
  });
  const doc = parser.parse(xml) as { testsuites: Record<string, unknown> & { testsuite?: Array<Record<string, unknown>> } };
  const root = doc.testsuites;
  const detail = (node: unknown) => {
    if (node === undefined) return undefined;
    const n = node as Record<string, string>;
    return { message: n.message ?? "", type: n.type ?? "", text: n.text ?? "" };
  };
  const text = (node: unknown) => (typeof node === "string" ? node : ((node as { text?: string } | undefined)?.text ?? ""));
  return {
    name: String(root.name),
    tests: Number(root.tests),
    failures: Number(root.failures),
    errors: Number(root.errors),
    suites: (root.testsuite ?? []).map((s) => ({
      name: String(s.name),
      tests: Number(s.tests),
      failures: Number(s.failures),
      errors: Number(s.errors),
      properties: Object.fromEntries(
        ((s.properties as { property?: Array<{ name: string; value: string }> } | undefined)?.property ?? []).map((p) => [p.name, p.value]),
      ),
      cases: ((s.testcase as Array<Record<string, unknown>> | undefined) ?? []).map((c) => ({
        name: String(c.name),
        classname: String(c.classname),
        ...(c.failure !== undefined ? { failure: detail(c.failure) } : {}),
        ...(c.error !== undefined ? { error: detail(c.error) } : {}),
      })),
      systemOut: text(s["system-out"]),
    })),
  };
}
