import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { KeyPrincipal } from "../../src/auth/verify-api-key";
import type { AppEnv, Env } from "../../src/env";
import { handleError } from "../../src/lib/error-handler";
import {
  RATE_LIMIT_BINDINGS,
  RATE_LIMIT_WINDOW_SECONDS,
  RATE_LIMITS,
  policyHeader,
  rateLimit,
  rateLimitClass,
} from "../../src/lib/rate-limit";
// Vite's `?raw` import gives the file's text; the project has no type declarations for it.
// @ts-expect-error -- no module declaration for `?raw` imports
import wranglerToml from "../../wrangler.toml?raw";
import { call, callJson, createOrg, expectError, type TestOrg } from "../helpers";
import { captureQueue, createWorkflow, runsOfWorkflow } from "../workflows/fixtures";

// Every delivery of this file's runs goes to a recorder, never to the consumer in the background.
captureQueue();

const spies: Array<{ mockRestore(): void }> = [];
afterEach(() => {
  for (const spy of spies.splice(0)) spy.mockRestore();
});

/**
 * The limiter's windows are wall-clock minutes. A test that fills a policy waits, when fewer than `seconds`
 * are left of the current minute, for the next one, so that its whole burst lands in one window.
 */
async function freshWindow(seconds = 10) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

/** Makes `n` requests, `width` at a time; answers their statuses. */
async function burst(n: number, request: () => Promise<Response>, width = 24): Promise<number[]> {
  const statuses: number[] = [];
  for (let done = 0; done < n; done += width) {
    const batch = await Promise.all(Array.from({ length: Math.min(width, n - done) }, request));
    for (const res of batch) {
      statuses.push(res.status);
      await res.body?.cancel();
    }
  }
  return statuses;
}

/** A write that costs nothing but the limiter: an empty body is refused by validation (400). */
const write = (key: string) => call("/mcp-servers", { key, body: {} });

/** `"writes-per-key";r=119;t=42, …` as { "writes-per-key": { r: 119, t: 42 }, … }. */
function parseRateLimit(value: string | null): Record<string, { r: number; t: number }> {
  expect(value).toMatch(/^"[a-z]+-per-(key|org)";r=\d+;t=\d+(, "[a-z]+-per-(key|org)";r=\d+;t=\d+)*$/);
  return Object.fromEntries(
    value!.split(", ").map((item) => {
      const [, name, r, t] = /^"([^"]+)";r=(\d+);t=(\d+)$/.exec(item)!;
      return [name!, { r: Number(r), t: Number(t) }];
    }),
  );
}

function expectPolicies(res: Response, cls: keyof typeof RATE_LIMITS) {
  expect(res.headers.get("ratelimit-policy")).toBe(policyHeader(cls));
  const state = parseRateLimit(res.headers.get("ratelimit"));
  expect(Object.keys(state)).toEqual([`${cls}-per-key`, `${cls}-per-org`]);
  for (const { t } of Object.values(state)) {
    expect(t).toBeGreaterThanOrEqual(1);
    expect(t).toBeLessThanOrEqual(60);
  }
  return state;
}

describe("RateLimit headers", () => {
  it("are on a success: both policies of the class, remaining counted down per key and per organization", async () => {
    const org = await createOrg();
    await freshWindow(5);
    const first = await call("/org", { key: org.ownerKey });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe(`"reads-per-key";q=600;w=60, "reads-per-org";q=3000;w=60`);
    const state = expectPolicies(first, "reads");
    expect(state["reads-per-key"]!.r).toBe(RATE_LIMITS.reads.key - 1);
    expect(state["reads-per-org"]!.r).toBe(RATE_LIMITS.reads.org - 1);

    const other = await org.keyFor("viewer");
    const second = expectPolicies(await call("/org", { key: other }), "reads");
    expect(second["reads-per-key"]!.r).toBe(RATE_LIMITS.reads.key - 1);
    expect(second["reads-per-org"]!.r).toBe(RATE_LIMITS.reads.org - 2);
  });

  it("are on error answers too, with the class of the request", async () => {
    const org = await createOrg();
    const notFound = await callJson(`/workflows/${crypto.randomUUID()}`, { key: org.ownerKey });
    expectError(notFound, 404, "not_found");
    expectPolicies(notFound.res, "reads");

    const invalid = await callJson("/mcp-servers", { key: org.ownerKey, body: {} });
    expectError(invalid, 400, "validation_failed");
    expectPolicies(invalid.res, "writes");

    const viewer = await org.keyFor("viewer");
    const forbidden = await callJson("/mcp-servers", { key: viewer, body: { name: "x", url: "https://e.com" } });
    expectError(forbidden, 403, "forbidden");
    expectPolicies(forbidden.res, "writes");

    const dispatch = await callJson(`/workflows/${crypto.randomUUID()}/runs`, { key: org.ownerKey, method: "POST" });
    expectError(dispatch, 404, "not_found");
    expectPolicies(dispatch.res, "dispatches");

    const unknownPath = await callJson("/nope", { key: org.ownerKey });
    expectError(unknownPath, 404, "not_found");
    expectPolicies(unknownPath.res, "reads");
  });

  it("are absent where no key is known (401) and on the unauthenticated /openapi and /docs", async () => {
    const res = await callJson("/org");
    expectError(res, 401, "unauthorized");
    expect(res.res.headers.get("ratelimit")).toBeNull();
    for (const path of ["/openapi", "/docs"]) {
      const doc = await call(path);
      expect(doc.status, path).toBe(200);
      expect(doc.headers.get("ratelimit"), path).toBeNull();
      expect(doc.headers.get("ratelimit-policy"), path).toBeNull();
    }
  });
});

describe("configuration", () => {
  it("binds every policy in wrangler.toml with the limit RATE_LIMITS states, each in its own namespace", () => {
    const blocks = (wranglerToml as string).split("[[ratelimits]]").slice(1);
    const bound = new Map(
      blocks.map((block) => {
        const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
        const namespace = /^namespace_id\s*=\s*"([^"]+)"/m.exec(block)?.[1];
        const simple = /^simple\s*=\s*\{\s*limit\s*=\s*(\d+)\s*,\s*period\s*=\s*(\d+)\s*\}/m.exec(block);
        return [name, { namespace, limit: Number(simple?.[1]), period: Number(simple?.[2]) }] as const;
      }),
    );
    for (const [cls, scopes] of Object.entries(RATE_LIMIT_BINDINGS)) {
      for (const [scope, binding] of Object.entries(scopes)) {
        expect(bound.get(binding), binding).toEqual({
          namespace: expect.stringMatching(/^\d+$/),
          limit: RATE_LIMITS[cls as keyof typeof RATE_LIMITS][scope as "key" | "org"],
          period: RATE_LIMIT_WINDOW_SECONDS,
        });
      }
    }
    const namespaces = [...bound.values()].map((b) => b.namespace);
    expect(new Set(namespaces).size).toBe(namespaces.length);
    for (const [cls, { key, org }] of Object.entries(RATE_LIMITS)) expect(org, cls).toBeGreaterThan(key);
  });
});

describe("classes", () => {
  it("classify GET as reads, POST /workflows/{id}/runs as dispatches, other methods as writes", () => {
    expect(rateLimitClass("GET", "/api/armature/v1/workflows/x/runs")).toBe("reads");
    expect(rateLimitClass("HEAD", "/api/armature/v1/org")).toBe("reads");
    expect(rateLimitClass("POST", "/api/armature/v1/workflows/x/runs")).toBe("dispatches");
    expect(rateLimitClass("POST", "/api/armature/v1/workflows")).toBe("writes");
    expect(rateLimitClass("POST", "/api/armature/v1/insights/events")).toBe("ingest");
    expect(rateLimitClass("POST", "/api/armature/v1/insights/otlp/v1/traces")).toBe("ingest");
    expect(rateLimitClass("PATCH", "/api/armature/v1/insights/topics/t")).toBe("writes");
    expect(rateLimitClass("PATCH", "/api/armature/v1/workflows/x")).toBe("writes");
    expect(rateLimitClass("DELETE", "/api/armature/v1/workflows/x")).toBe("writes");
  });
});

/** Asserts a 429 of `policy` and returns its parsed RateLimit header. */
async function expectRateLimited(res: Response, cls: keyof typeof RATE_LIMITS, scope: "key" | "org") {
  const body: unknown = await res.json();
  const error = expectError({ status: res.status, body }, 429, "rate_limited");
  const limit = RATE_LIMITS[cls][scope];
  expect(error.message).toBe(
    `Rate limit exceeded: at most ${limit} ${cls} a minute per ${scope === "key" ? "API key" : "organization"}; retry in ${res.headers.get("retry-after")} seconds`,
  );
  expect(error.details).toMatchObject({ policy: `${cls}-per-${scope}`, limit, windowSeconds: 60 });
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
  expect(res.headers.get("x-request-id")).toBeTruthy();
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const state = expectPolicies(res, cls);
  expect(state[`${cls}-per-${scope}`]).toEqual({ r: 0, t: retryAfter });
  return state;
}

describe("past a limit (the real binding)", () => {
  it("answers 429 rate_limited with Retry-After once a key has used its writes; its reads go on", { timeout: 60_000 }, async () => {
    const org = await createOrg();
    await freshWindow();
    const statuses = await burst(RATE_LIMITS.writes.key, () => write(org.ownerKey));
    expect(new Set(statuses)).toEqual(new Set([400]));

    const refused = await write(org.ownerKey);
    await expectRateLimited(refused, "writes", "key");
    // Other classes have their own budget.
    expect((await call("/org", { key: org.ownerKey })).status).toBe(200);
  });

  it("answers 429 once a key has used its dispatches, and a refused dispatch creates no run", { timeout: 60_000 }, async () => {
    const org = await createOrg();
    const wf = await createWorkflow(org);
    const runsBefore = (await runsOfWorkflow(wf.workflow.id)).length;
    await freshWindow();
    const statuses = await burst(RATE_LIMITS.dispatches.key, () =>
      call(`/workflows/${crypto.randomUUID()}/runs`, { key: org.ownerKey, method: "POST" }),
    );
    expect(new Set(statuses)).toEqual(new Set([404]));

    const refused = await call(`/workflows/${wf.workflow.id}/runs`, { key: org.ownerKey, method: "POST" });
    await expectRateLimited(refused, "dispatches", "key");
    expect(await runsOfWorkflow(wf.workflow.id)).toHaveLength(runsBefore);
    // Writes are another class.
    expect((await write(org.ownerKey)).status).toBe(400);
  });

  it("does not limit another key of the organization for the first key's use", { timeout: 60_000 }, async () => {
    const org = await createOrg();
    const [first, second] = [org.ownerKey, await org.keyFor("editor")];
    await freshWindow();
    await burst(RATE_LIMITS.writes.key, () => write(first));
    await expectRateLimited(await write(first), "writes", "key");

    const res = await write(second);
    expect(res.status).toBe(400);
    const state = expectPolicies(res, "writes");
    expect(state["writes-per-key"]!.r).toBe(RATE_LIMITS.writes.key - 1);
    // The first key's refused request did not count against the organization.
    expect(state["writes-per-org"]!.r).toBe(RATE_LIMITS.writes.org - RATE_LIMITS.writes.key - 1);
  });

  it("limits the organization across its keys", { timeout: 60_000 }, async () => {
    const org = await createOrg();
    const perKey = RATE_LIMITS.writes.key;
    const keys: string[] = [];
    for (let i = 0; i < Math.ceil(RATE_LIMITS.writes.org / perKey); i++) keys.push(await org.keyFor("editor"));
    const latecomer = await org.keyFor("editor");
    await freshWindow(20);
    let left = RATE_LIMITS.writes.org;
    for (const key of keys) {
      const n = Math.min(perKey, left);
      left -= n;
      const statuses = await burst(n, () => write(key));
      expect(new Set(statuses)).toEqual(new Set([400]));
    }

    const state = await expectRateLimited(await write(latecomer), "writes", "org");
    // The latecomer's own key policy let it through; the organization's did not.
    expect(state["writes-per-key"]!.r).toBe(perKey - 1);
    // Reads are counted apart.
    expect((await call("/org", { key: latecomer })).status).toBe(200);
  });

  it("keeps other organizations out of it", { timeout: 60_000 }, async () => {
    const [a, b] = [await createOrg(), await createOrg()];
    await freshWindow();
    await burst(RATE_LIMITS.dispatches.key, () => call(`/workflows/${crypto.randomUUID()}/runs`, { key: a.ownerKey, method: "POST" }));
    expect((await call(`/workflows/${crypto.randomUUID()}/runs`, { key: a.ownerKey, method: "POST" })).status).toBe(429);
    const res = await call(`/workflows/${crypto.randomUUID()}/runs`, { key: b.ownerKey, method: "POST" });
    expect(res.status).toBe(404);
    expect(expectPolicies(res, "dispatches")["dispatches-per-org"]!.r).toBe(RATE_LIMITS.dispatches.org - 1);
  });
});

describe("without a working binding", () => {
  const principal = (org: Pick<TestOrg, "id" | "slug" | "name">): KeyPrincipal => ({
    keyId: crypto.randomUUID(),
    keyName: "k",
    role: "owner",
    org: { id: org.id, slug: org.slug, name: org.name, features: [], createdAt: new Date() },
  });
  const appWith = (env: Partial<Env>) => {
    const app = new Hono<AppEnv>();
    app.onError(handleError);
    app.use("*", async (c, next) => {
      c.set("principal", principal({ id: crypto.randomUUID(), slug: "s", name: "n" }));
      await next();
    });
    app.use("*", rateLimit);
    app.get("/x", (c) => c.json({ ok: true }));
    return (path = "/x") => app.request(path, {}, env as Env);
  };
  const logged = (spy: { mock: { calls: unknown[][] } }, text: string) =>
    spy.mock.calls.filter((args) => args.some((a) => String(a).includes(text))).length;

  it("serves unlimited and without headers when the bindings are missing, and logs it once", async () => {
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => {});
    const consoleWarn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const consoleLog = vi.spyOn(console, "log").mockImplementation(() => {});
    spies.push(consoleError, consoleWarn, consoleLog);
    const request = appWith({});
    const all = () => logged(consoleError, "binding missing") + logged(consoleWarn, "binding missing") + logged(consoleLog, "binding missing");
    const first = await request();
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit")).toBeNull();
    expect(first.headers.get("ratelimit-policy")).toBeNull();
    // One line per missing binding (the key's and the organization's reads policy).
    expect(all()).toBe(2);
    for (let i = 0; i < 3; i++) expect((await request()).status).toBe(200);
    expect(all()).toBe(2);
  });

  it("fails open when the binding throws, and still reports the policies it could consult", async () => {
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => {});
    spies.push(consoleError);
    const broken = { limit: () => Promise.reject(new Error("limiter down")) } as unknown as RateLimit;
    const working = { limit: async () => ({ success: true }) } as unknown as RateLimit;
    const res = await appWith({ RATE_LIMIT_READS_PER_KEY: broken, RATE_LIMIT_READS_PER_ORG: working })();
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-policy")).toBe(`"reads-per-org";q=3000;w=60`);
    expect(res.headers.get("ratelimit")).toMatch(/^"reads-per-org";r=2999;t=\d+$/);
  });
});

describe("the OpenAPI document", () => {
  it("documents 429 with Retry-After on every operation, the RateLimit headers on its responses, and its class", async () => {
    const { body: doc } = await callJson<any>("/openapi");
    const resolve = (r: any) => (r.$ref ? r.$ref.split("/").slice(1).reduce((o: any, k: string) => o[k], doc) : r);
    let operations = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        expect(op["x-armature-rate-limit"], where).toBe(rateLimitClass(method, path));
        const tooMany = resolve(op.responses["429"]);
        expect(tooMany, where).toBeDefined();
        expect(Object.keys(tooMany.headers).sort(), where).toEqual(["ratelimit", "ratelimit-policy", "retry-after", "x-request-id"]);
        expect(tooMany.description).toContain("600 per API key and 3000 per organization");
        expect(resolve(tooMany.headers["retry-after"]).schema).toEqual({ type: "integer", minimum: 1 });
        expect(resolve(tooMany.headers["ratelimit-policy"]).description).toContain("120 per API key and 600 per organization");
        for (const [status, response] of Object.entries<any>(op.responses)) {
          const headers = resolve(response).headers ?? {};
          if (status === "401") expect(headers.ratelimit, `${where} ${status}`).toBeUndefined();
          else expect(Object.keys(headers), `${where} ${status}`).toEqual(expect.arrayContaining(["ratelimit", "ratelimit-policy"]));
        }
      }
    }
    expect(operations).toBeGreaterThan(10);
  });
});
