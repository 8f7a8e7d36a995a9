import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApiApp, createApp, createFetch } from "../../src/app";
import { API_BASE } from "../../src/lib/openapi";
import { auditOpenApiDocument, documentOperations } from "../../src/routes/docs/audit";
import { TAG_DESCRIPTIONS, type OpenApiDocument } from "../../src/routes/docs/document";
import {
  acceptsGzip,
  GZIP_ETAG_SUFFIX,
  ifNoneMatchMatches,
  OPENAPI_CACHE_CONTROL,
  openApiRequestOrigin,
  serializedOpenApiDocument,
} from "../../src/routes/docs";
import { z } from "@hono/zod-openapi";
import { call, callJson, createOrg, errorOf, expectError } from "../helpers";

/** Routes the top-level app serves under API_BASE that are about the API rather than part of it. */
const DOCS_ROUTES = ["GET /openapi", "OPTIONS /openapi", "GET /docs"];

/** `/runs/:id` (hono) -> `/runs/{id}` (OpenAPI). */
const toTemplate = (path: string) => path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");

/** Distinct `METHOD /path` of a hono app's handlers, middleware (`ALL`) left out. */
function servedOperations(routes: ReadonlyArray<{ method: string; path: string }>, base = ""): string[] {
  const out = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || !r.path.startsWith(base)) continue;
    out.add(`${r.method.toUpperCase()} ${toTemplate(r.path.slice(base.length))}`);
  }
  return [...out].sort();
}

async function fetchDocument(host = "127.0.0.1:8787") {
  const r = await callJson<OpenApiDocument>("/openapi", { host });
  expect(r.status).toBe(200);
  return r.body;
}

const key = (op: { method: string; path: string }) => `${op.method.toUpperCase()} ${op.path}`;

/** A request URL for an operation: path parameters filled with a syntactically valid id that names nothing. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, crypto.randomUUID());

/** True when the router, not an operation's handler, answered: no route (404 "No route for") or wrong method (405). */
function isRouterMiss(r: { status: number; body: unknown }, method: string, path: string) {
  if (r.status === 405) return true;
  return r.status === 404 && errorOf(r.body)?.message === `No route for ${method} ${API_BASE}${path}`;
}

describe("GET /openapi", () => {
  it("is served without a key, as OpenAPI 3.0.x JSON whose server is the host it was fetched from", async () => {
    for (const host of ["127.0.0.1:8787", "acme.armature.app", "docs.localhost:8799", "127.0.0.1:8787"]) {
      const res = await call("/openapi", { host });
      expect(res.status, host).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const doc = (await res.json()) as OpenApiDocument;
      expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
      expect(doc.servers).toHaveLength(1);
      expect(doc.servers?.[0]?.url).toBe(`http://${host}/api/armature/v1`);
    }
  });

  it("passes the house audit (the same one npm run lint:openapi runs)", async () => {
    expect(auditOpenApiDocument(await fetchDocument())).toEqual([]);
  });

  it("gives every operation a unique operationId, one known tag, bearerAuth and a documented 401", async () => {
    const doc = await fetchDocument();
    expect(Object.keys(doc.components?.securitySchemes ?? {})).toEqual(["bearerAuth"]);
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    const ops = documentOperations(doc);
    expect(ops.length).toBeGreaterThan(0);
    const ids = ops.map((o) => o.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, path, operation } of ops) {
      const where = `${method} ${path}`;
      expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.tags, where).toHaveLength(1);
      expect(Object.keys(TAG_DESCRIPTIONS), where).toContain((operation.tags as string[])[0]);
      expect(operation.security, where).toEqual([{ bearerAuth: [] }]);
      expect((operation.responses as Record<string, unknown>)["401"], where).toBeTruthy();
    }
  });

  it("lists exactly the tags of its operations, in the API's area order", async () => {
    const doc = await fetchDocument();
    const used = new Set(documentOperations(doc).map((o) => (o.operation.tags as string[])[0]!));
    const order = Object.keys(TAG_DESCRIPTIONS);
    const tags = doc.tags ?? [];
    expect(tags.map((t) => t.name)).toEqual(order.filter((t) => used.has(t)));
    for (const t of tags) expect(t.description, t.name).toBe(TAG_DESCRIPTIONS[t.name]);
  });

  it("documents every operation the API app registers, and nothing it does not", async () => {
    const documented = documentOperations(await fetchDocument()).map(key).sort();
    expect(documented).toEqual(servedOperations(createApiApp().routes));
  });

  it("leaves no route of the top-level app under the API base undocumented, docs endpoints aside", async () => {
    const documented = new Set(documentOperations(await fetchDocument()).map(key));
    const stray = servedOperations(createApp().routes, API_BASE).filter((op) => !documented.has(op) && !DOCS_ROUTES.includes(op));
    expect(stray).toEqual([]);
  });

  it("documents only live operations: each needs a key, and with one it reaches a handler rather than the router's 404/405", async () => {
    const org = await createOrg();
    // The detector below must recognise a route that does not exist, or this test could not fail.
    const canary = "/openapi-canary-no-such-route";
    expect(isRouterMiss(await callJson(canary, { key: org.ownerKey }), "GET", canary)).toBe(true);
    expect(isRouterMiss(await callJson("/org", { key: org.ownerKey, method: "DELETE" }), "DELETE", "/org")).toBe(true);

    for (const { method, path, operation } of documentOperations(await fetchDocument())) {
      const url = concrete(path);
      const m = method.toUpperCase();
      const body = operation.requestBody ? {} : undefined;
      const anonymous = await callJson(url, { method: m, body });
      expect(anonymous.status, `${m} ${path} without a key`).toBe(401);
      expectError(anonymous, 401, "unauthorized");
      const keyed = await callJson(url, { method: m, body, key: org.ownerKey });
      expect(isRouterMiss(keyed, m, url), `${m} ${path} answered ${keyed.status} ${JSON.stringify(keyed.body)}`).toBe(false);
    }
  });
});

describe("GET /openapi caching", () => {
  it("answers the same bytes with a strong ETag, revalidation-only cache headers and 304 on If-None-Match", async () => {
    const first = await call("/openapi");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers.get("cache-control")).toBe(OPENAPI_CACHE_CONTROL);
    expect(first.headers.get("access-control-expose-headers")).toBe("etag");
    const bytes = await first.text();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(bytes)));
    expect(etag).toBe(`"${btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}"`);

    const second = await call("/openapi");
    expect(second.headers.get("etag")).toBe(etag);
    expect(await second.text()).toBe(bytes);

    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const notModified = await call("/openapi", { headers: { "if-none-match": inm } });
      expect(notModified.status, inm).toBe(304);
      expect(notModified.headers.get("etag")).toBe(etag);
      expect(notModified.headers.get("cache-control")).toBe(OPENAPI_CACHE_CONTROL);
      expect(await notModified.text()).toBe("");
    }
    const stale = await call("/openapi", { headers: { "if-none-match": '"an-older-document"' } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(bytes);
  });

  it("answers gzip when Accept-Encoding allows it: the identity bytes exactly, compressed, with their own ETag", async () => {
    const identity = await call("/openapi");
    expect(identity.headers.get("content-encoding")).toBeNull();
    expect(identity.headers.get("vary")).toBe("Accept-Encoding");
    const etag = identity.headers.get("etag")!;
    const bytes = new Uint8Array(await identity.arrayBuffer());

    for (const ae of ["gzip", "gzip, deflate, br, zstd", "br;q=1.0, gzip;q=0.8, *;q=0.1", "*"]) {
      const res = await call("/openapi", { headers: { "accept-encoding": ae } });
      expect(res.status, ae).toBe(200);
      expect(res.headers.get("content-encoding"), ae).toBe("gzip");
      expect(res.headers.get("vary")).toBe("Accept-Encoding");
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("cache-control")).toBe(OPENAPI_CACHE_CONTROL);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      const gzipEtag = res.headers.get("etag")!;
      expect(gzipEtag).toBe(`${etag.slice(0, -1)}${GZIP_ETAG_SUFFIX}"`);
      // The runtime's fetch decodes Content-Encoding, as a browser does: decoded once, these are the JSON bytes
      // (compressed twice, they would still be gzip here).
      expect(new Uint8Array(await res.arrayBuffer()), ae).toEqual(bytes);
    }

    // What goes on the wire: the gzip bytes built once per isolate, which inflate to exactly the identity bytes.
    const doc = await serializedOpenApiDocument(createApiApp(), "http://127.0.0.1:8787");
    expect(doc.etag).toBe(etag);
    expect([doc.gzip[0], doc.gzip[1]]).toEqual([0x1f, 0x8b]);
    expect(doc.gzip.length).toBeLessThan(bytes.length / 4);
    const inflated = new Uint8Array(await new Response(new Blob([doc.gzip]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
    expect(inflated).toEqual(bytes);
    expect(doc.bytes).toEqual(bytes);

    for (const ae of ["identity", "br, deflate", "gzip;q=0", "gzip;q=0, *", "*;q=0"]) {
      const res = await call("/openapi", { headers: { "accept-encoding": ae } });
      expect(res.headers.get("content-encoding"), ae).toBeNull();
      expect(res.headers.get("etag"), ae).toBe(etag);
      expect(new Uint8Array(await res.arrayBuffer()), ae).toEqual(bytes);
    }
  });

  it("revalidates each encoding with its own ETag: 304 for the selected one, 200 for the other", async () => {
    const gz = { "accept-encoding": "gzip" };
    const gzipEtag = (await call("/openapi", { headers: gz })).headers.get("etag")!;
    const etag = (await call("/openapi")).headers.get("etag")!;
    expect(gzipEtag).not.toBe(etag);

    for (const inm of [gzipEtag, `W/${gzipEtag}`, `"other", ${gzipEtag}`, "*"]) {
      const notModified = await call("/openapi", { headers: { ...gz, "if-none-match": inm } });
      expect(notModified.status, inm).toBe(304);
      expect(notModified.headers.get("etag")).toBe(gzipEtag);
      expect(notModified.headers.get("vary")).toBe("Accept-Encoding");
      expect(notModified.headers.get("content-encoding")).toBeNull();
      expect(await notModified.text()).toBe("");
    }
    const crossed = await call("/openapi", { headers: { ...gz, "if-none-match": etag } });
    expect(crossed.status).toBe(200);
    expect(crossed.headers.get("content-encoding")).toBe("gzip");
    await crossed.arrayBuffer();
    const crossedBack = await call("/openapi", { headers: { "if-none-match": gzipEtag } });
    expect(crossedBack.status).toBe(200);
    expect(crossedBack.headers.get("content-encoding")).toBeNull();
    await crossedBack.arrayBuffer();
  });

  it("reads Accept-Encoding by coding and q-value", () => {
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip("")).toBe(false);
    expect(acceptsGzip("GZIP")).toBe(true);
    expect(acceptsGzip("x-gzip")).toBe(true);
    expect(acceptsGzip("gzip;q=0.001")).toBe(true);
    expect(acceptsGzip("gzip; q=0")).toBe(false);
    expect(acceptsGzip("gzip;q=0.000")).toBe(false);
    expect(acceptsGzip("deflate, *;q=0.5")).toBe(true);
    expect(acceptsGzip("gzipped")).toBe(false);
  });

  it("gives another host's document (its own servers URL) another ETag", async () => {
    const a = await call("/openapi", { host: "acme.armature.app" });
    const b = await call("/openapi", { host: "other.armature.app" });
    expect(a.headers.get("etag")).not.toBe(b.headers.get("etag"));
    const stale = await call("/openapi", { host: "other.armature.app", headers: { "if-none-match": a.headers.get("etag")! } });
    expect(stale.status).toBe(200);
  });

  it("changes the ETag when the document changes", async () => {
    const origin = "https://acme.armature.app";
    const before = await serializedOpenApiDocument(createApiApp(), origin);
    const again = await serializedOpenApiDocument(createApiApp(), origin);
    expect(again.etag).toBe(before.etag);
    const changed = createApiApp();
    changed.openapi(
      {
        method: "get",
        path: "/etag-canary",
        tags: ["org"],
        summary: "A route only this test registers",
        responses: { 200: { description: "ok", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } } },
      },
      (c) => c.json({ ok: true }, 200),
    );
    const after = await serializedOpenApiDocument(changed, origin);
    expect(after.etag).not.toBe(before.etag);
    expect(ifNoneMatchMatches(before.etag, after.etag)).toBe(false);
  });
});

describe("GET and HEAD /openapi before the app", () => {
  const URL_OF = (path = "/openapi", host = "127.0.0.1:8787") => `http://${host}${API_BASE}${path}`;
  /** Status, every header but the request id (each answer makes its own), and the bytes as they would be sent. */
  async function answerOf(res: Response) {
    const headers = Object.fromEntries([...res.headers].filter(([k]) => k !== "x-request-id"));
    return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
  }

  it("answers exactly as the app's route and middleware do: status, headers, ETag, 304 and body, for GET and HEAD", async () => {
    const worker = createFetch();
    const app = createApp();
    const etags = { identity: "", gzip: "" };
    for (const [name, accept] of [["identity", undefined], ["gzip", "gzip"]] as const) {
      const res = await worker(new Request(URL_OF(), { headers: accept ? { "accept-encoding": accept } : {} }), env);
      etags[name] = res.headers.get("etag")!;
      await res.arrayBuffer();
    }
    const cases: Array<Record<string, string>> = [
      {},
      { "accept-encoding": "gzip" },
      { "accept-encoding": "gzip;q=0, identity" },
      { "if-none-match": etags.identity },
      { "accept-encoding": "gzip", "if-none-match": etags.gzip },
      { "accept-encoding": "gzip", "if-none-match": etags.identity },
      { "if-none-match": `W/${etags.identity}, "other"` },
    ];
    for (const headers of cases) {
      for (const method of ["GET", "HEAD"]) {
        for (const url of [URL_OF(), URL_OF("/openapi?format=json"), URL_OF("/openapi", "acme.armature.app")]) {
          const where = `${method} ${url} ${JSON.stringify(headers)}`;
          const direct = await worker(new Request(url, { method, headers }), env);
          const viaApp = await app.request(url, { method, headers }, env);
          expect(direct.headers.get("x-request-id"), where).toMatch(/^[0-9a-f-]{36}$/);
          expect(viaApp.headers.get("x-request-id"), where).toMatch(/^[0-9a-f-]{36}$/);
          const [a, b] = [await answerOf(direct), await answerOf(viaApp)];
          expect(a, where).toEqual(b);
          if (a.status === 304) {
            // Only what updates the stored 200 (RFC 9110 §15.4.5; the request id is left out above): the stored 200
            // keeps its CORS fields and nosniff.
            expect(Object.keys(a.headers).sort(), where).toEqual(["cache-control", "etag", "vary"]);
          } else {
            expect(a.headers["x-content-type-options"], where).toBe("nosniff");
            expect(a.headers["access-control-allow-origin"], where).toBe("*");
            expect(a.headers["access-control-expose-headers"], where).toBe("etag");
          }
          if (method === "HEAD") expect(a.body.length, where).toBe(0);
        }
      }
    }
  });

  it("echoes a safe X-Request-Id as the app does and answers without an await once the document is built", async () => {
    const worker = createFetch();
    await (await worker(new Request(URL_OF()), env)).arrayBuffer();
    const res = worker(new Request(URL_OF(), { headers: { "x-request-id": "req-12345678" } }), env);
    expect(res).toBeInstanceOf(Response);
    expect((res as Response).headers.get("x-request-id")).toBe("req-12345678");
    const unsafe = await worker(new Request(URL_OF(), { headers: { "x-request-id": "bad id" } }), env);
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("takes only GET and HEAD of exactly the document's path, with the origin the app would use", () => {
    const origin = (url: string, init?: RequestInit) => openApiRequestOrigin(new Request(url, init));
    expect(origin(URL_OF())).toBe("http://127.0.0.1:8787");
    expect(origin(URL_OF("/openapi?x=1&y"))).toBe("http://127.0.0.1:8787");
    expect(origin(URL_OF(), { method: "HEAD" })).toBe("http://127.0.0.1:8787");
    expect(origin(`HTTP://Acme.Armature.APP:80${API_BASE}/openapi`)).toBe("http://acme.armature.app");
    expect(origin(`https://user:pw@acme.armature.app${API_BASE}/openapi`)).toBe("https://acme.armature.app");
    expect(origin(URL_OF())).toBe("http://127.0.0.1:8787");
    for (const path of ["/openapi/", "/openapix", "/open%61pi", "/openapi/x", "/org", ""]) expect(origin(URL_OF(path)), path).toBeNull();
    expect(origin(`http://127.0.0.1:8787/api/armature/v2/openapi`)).toBeNull();
    for (const method of ["POST", "OPTIONS", "PUT", "DELETE"]) expect(origin(URL_OF(), { method }), method).toBeNull();
  });

  it("leaves everything else to the app: other methods, a path hono decodes, other paths", async () => {
    const options = await call("/openapi", { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, OPTIONS");
    const post = await callJson("/openapi", { method: "POST", body: {} });
    expectError(post, 405, "method_not_allowed");
    const identity = await call("/openapi");
    const decoded = await call("/open%61pi");
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get("etag")).toBe(identity.headers.get("etag"));
    expect(await decoded.text()).toBe(await identity.text());
  });
});
