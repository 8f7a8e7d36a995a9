import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/app";
import { call, callJson, createOrg, expectError } from "../helpers";

describe("error envelope and bad input", () => {
  it("answers malformed JSON with 400", async () => {
    const org = await createOrg();
    const res = await callJson("/mcp-servers", {
      key: org.ownerKey,
      rawBody: "{not json",
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    const error = expectError(res, 400, "validation_failed");
    expect(error.message).toMatch(/JSON/);
  });

  it("answers a non-JSON content type with 415", async () => {
    const org = await createOrg();
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await callJson("/mcp-servers", {
        key: org.ownerKey,
        rawBody: "name=x",
        method: "POST",
        headers: { "content-type": contentType },
      });
      expectError(res, 415, "unsupported_media_type");
    }
    const noType = await callJson("/mcp-servers", { key: org.ownerKey, rawBody: '{"name":"x"}', method: "POST" });
    expectError(noType, 415, "unsupported_media_type");
  });

  it("answers an oversized body with 413", async () => {
    const org = await createOrg();
    const res = await callJson("/mcp-servers", {
      key: org.ownerKey,
      body: { name: "x", url: "https://e.com", description: "x".repeat(MAX_BODY_BYTES) },
    });
    expectError(res, 413, "payload_too_large");
  });

  it("answers unknown paths with 404 and wrong methods with 405 and Allow", async () => {
    const org = await createOrg();
    expectError(await callJson("/nope", { key: org.ownerKey }), 404, "not_found");
    expectError(await callJson("/", { key: org.ownerKey }), 404, "not_found");
    const res = await callJson("/org", { key: org.ownerKey, method: "DELETE" });
    expectError(res, 405, "method_not_allowed");
    expect(res.res.headers.get("allow")).toBe("GET");
    const put = await callJson(`/mcp-servers/${crypto.randomUUID()}`, { key: org.ownerKey, method: "PUT", body: {} });
    expectError(put, 405, "method_not_allowed");
    const outside = await call("/elsewhere".replace(/^/, "/api/../elsewhere"));
    expect(outside.status).toBe(404);
  });

  it("echoes a safe X-Request-Id and makes one otherwise", async () => {
    const given = await call("/org", { headers: { "x-request-id": "req-12345678" } });
    expect(given.headers.get("x-request-id")).toBe("req-12345678");
    const unsafe = await call("/org", { headers: { "x-request-id": "bad id\twith spaces" } });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("headers on every answer", () => {
  it("carries X-Request-Id, nosniff and Cache-Control: no-store on successes and on every kind of error", async () => {
    const org = await createOrg();
    const answers = [
      await call("/org", { key: org.ownerKey, headers: { "x-request-id": "req-12345678" } }),
      await call("/org", { headers: { "x-request-id": "req-12345678" } }),
      await call("/nope", { key: org.ownerKey, headers: { "x-request-id": "req-12345678" } }),
      await call("/org", { key: org.ownerKey, method: "DELETE", headers: { "x-request-id": "req-12345678" } }),
      await call(`/runs/not-a-uuid`, { key: org.ownerKey, headers: { "x-request-id": "req-12345678" } }),
      await call("/mcp-servers", {
        key: org.ownerKey,
        body: { name: "x", url: "https://e.com", description: "x".repeat(MAX_BODY_BYTES) },
        headers: { "x-request-id": "req-12345678" },
      }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 401, 404, 405, 400, 413]);
    for (const res of answers) {
      expect(res.headers.get("x-request-id"), String(res.status)).toBe("req-12345678");
      expect(res.headers.get("x-content-type-options"), String(res.status)).toBe("nosniff");
      expect(res.headers.get("cache-control"), String(res.status)).toBe("no-store");
      expect(res.headers.get("content-type"), String(res.status)).toMatch(/^application\/json/);
      await res.arrayBuffer();
    }
  });

  it("answers a body over the limit sent without a length (streamed) with the same 413 and headers", async () => {
    const org = await createOrg();
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < Math.ceil(MAX_BODY_BYTES / chunk.length) + 1) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await callJson("/mcp-servers", { key: org.ownerKey, rawBody: stream, method: "POST", headers: { "content-type": "application/json" } });
    expectError(res, 413, "payload_too_large");
    expect(res.res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.res.headers.get("cache-control")).toBe("no-store");
    expect(res.res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("GET /org", () => {
  it("returns the organization and the calling key", async () => {
    const org = await createOrg({ features: ["mcp-analytics"] });
    const key = await org.keyFor("editor");
    const res = await callJson("/org", { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      organization: {
        id: org.id,
        slug: org.slug,
        name: org.name,
        features: ["mcp-analytics"],
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      apiKey: { id: key.split("_")[1], name: "editor key", role: "editor" },
    });
    expect(JSON.stringify(res.body)).not.toContain(key.split("_")[2]);
  });

  it("requires a key", async () => {
    expectError(await callJson("/org"), 401, "unauthorized");
  });
});
