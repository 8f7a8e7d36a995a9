import { describe, expect, it } from "vitest";
import {
  checkOutboundUrl,
  createGuardedFetch,
  OutboundRefusedError,
  OutboundResponseTooLargeError,
  type GuardedFetchOptions,
} from "../../src/runner/mcp/outbound";

const BASE = "armature.app";

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  redirect: string | undefined;
}

/** An inner fetch that records each request and answers from `routes` (by full URL), else 200 "ok". */
function innerFetch(routes: Record<string, () => Response> = {}) {
  const seen: Seen[] = [];
  const fn: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const body = init?.body === undefined || init.body === null ? null : await new Response(init.body).text();
    seen.push({ url, method: init?.method ?? "GET", headers, body, redirect: init?.redirect });
    return routes[url]?.() ?? new Response("ok");
  };
  return { fn, seen };
}

function guarded(options: Partial<GuardedFetchOptions> & { fetch: typeof fetch }) {
  return createGuardedFetch({ baseDomain: BASE, allowPrivate: false, ...options });
}

async function refusal(promise: Promise<unknown>): Promise<OutboundRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundRefusedError);
  return error as OutboundRefusedError;
}

const redirect = (location: string, status = 302) => () => new Response(null, { status, headers: { location } });

describe("the outbound guard: hosts", () => {
  // Every notation of a loopback, private or metadata address is an IP literal, refused before any I/O.
  const LITERALS: Array<[string, string]> = [
    ["https://127.0.0.1/mcp", "127.0.0.1"],
    ["https://2130706433/mcp", "127.0.0.1"], // decimal
    ["https://0x7f000001/mcp", "127.0.0.1"], // hex
    ["https://0177.0.0.1/mcp", "127.0.0.1"], // octal
    ["https://127.1/mcp", "127.0.0.1"], // short form
    ["https://169.254.169.254/latest/meta-data", "169.254.169.254"],
    ["https://2852039166/", "169.254.169.254"],
    ["https://0xa9fea9fe/", "169.254.169.254"],
    ["https://0251.0376.0251.0376/", "169.254.169.254"],
    ["https://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254"],
    ["https://[::ffff:169.254.169.254]/", "[::ffff:a9fe:a9fe]"], // IPv4-mapped
    ["https://[::ffff:a9fe:a9fe]/", "[::ffff:a9fe:a9fe]"],
    ["https://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"],
    ["https://[::1]/", "[::1]"],
    ["https://[fe80::1]/", "[fe80::1]"],
    ["https://[fd00::1]/", "[fd00::1]"],
    ["https://10.0.0.1/", "10.0.0.1"],
    ["https://192.168.1.1/", "192.168.1.1"],
    ["https://100.64.0.1/", "100.64.0.1"],
    ["https://0.0.0.0/", "0.0.0.0"],
    ["https://8.8.8.8/", "8.8.8.8"], // even a public address: a literal is refused
    ["https://[2606:4700::1111]/", "[2606:4700::1111]"],
  ];

  it.each(LITERALS)("refuses %s (host %s) without a request", async (url, host) => {
    const inner = innerFetch();
    const error = await refusal(guarded({ fetch: inner.fn })(url));
    expect(error.host).toBe(host);
    expect(error.message).toContain(host);
    expect(inner.seen).toHaveLength(0);
  });

  const NAMES: Array<[string, string]> = [
    ["https://localhost/mcp", "loopback"],
    ["https://app.localhost/mcp", "loopback"],
    ["https://metadata.google.internal/computeMetadata/v1/", "metadata"],
    ["https://METADATA.google.internal./", "metadata"],
    ["https://%6detadata.google.internal/", "metadata"],
    ["https://printer.local/", "private"],
    ["https://intranet/", "private"],
    ["https://mcp.test/", "reserved"],
  ];

  it.each(NAMES)("refuses the name in %s (%s)", async (url, kind) => {
    const inner = innerFetch();
    const error = await refusal(guarded({ fetch: inner.fn })(url));
    expect(error.rule).toBe("host-kind");
    expect(error.kind).toBe(kind);
    expect(error.message).toContain(kind === "metadata" ? "metadata" : kind);
    expect(inner.seen).toHaveLength(0);
  });

  it.each(["https://armature.app/mcp", "https://acme.armature.app/api/armature/v1/runs", "https://ACME.Armature.App./x"])(
    "refuses our own base domain: %s",
    async (url) => {
      const inner = innerFetch();
      const error = await refusal(guarded({ fetch: inner.fn })(url));
      expect(error.rule).toBe("base-domain");
      expect(inner.seen).toHaveLength(0);
    },
  );

  it("does not mistake a look-alike for the base domain", async () => {
    const inner = innerFetch();
    await guarded({ fetch: inner.fn })("https://notarmature.app/mcp");
    await guarded({ fetch: inner.fn })("https://armature.app.evil.example.com/mcp");
    expect(inner.seen.map((s) => s.url)).toEqual(["https://notarmature.app/mcp", "https://armature.app.evil.example.com/mcp"]);
  });

  it("refuses plain http, other schemes and credentials in the URL", async () => {
    const inner = innerFetch();
    const fetchIt = guarded({ fetch: inner.fn });
    expect((await refusal(fetchIt("http://mcp.example.com/mcp"))).rule).toBe("https-required");
    expect((await refusal(fetchIt("ftp://mcp.example.com/mcp"))).rule).toBe("scheme");
    expect((await refusal(fetchIt("file:///etc/passwd"))).rule).toBe("scheme");
    const creds = await refusal(fetchIt("https://user:hunter2@mcp.example.com/mcp"));
    expect(creds.rule).toBe("url-credentials");
    expect(creds.message).not.toContain("hunter2");
    expect((await refusal(fetchIt("not a url"))).rule).toBe("invalid-url");
    expect(inner.seen).toHaveLength(0);
  });

  it("lets a public https host through, with the request as given", async () => {
    const inner = innerFetch();
    const response = await guarded({ fetch: inner.fn })("https://mcp.example.com/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k-123" },
      body: '{"jsonrpc":"2.0"}',
    });
    expect(await response.text()).toBe("ok");
    expect(inner.seen).toEqual([
      {
        url: "https://mcp.example.com/mcp",
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "k-123" },
        body: '{"jsonrpc":"2.0"}',
        redirect: "manual",
      },
    ]);
  });

  it("accepts a Request as input", async () => {
    const inner = innerFetch();
    await guarded({ fetch: inner.fn })(new Request("https://mcp.example.com/mcp", { method: "POST", body: "hi" }));
    expect(inner.seen[0]).toMatchObject({ method: "POST", body: "hi" });
    await refusal(guarded({ fetch: inner.fn })(new Request("https://127.0.0.1/")));
  });

  it("never names a header value in a refusal", async () => {
    const inner = innerFetch();
    const error = await refusal(
      guarded({ fetch: inner.fn })("https://169.254.169.254/?token=secret-in-query", { headers: { authorization: "Bearer sk-live-secret" } }),
    );
    expect(error.message).not.toContain("sk-live-secret");
    expect(error.message).not.toContain("secret-in-query");
  });
});

describe("the outbound guard: allowPrivate", () => {
  const local = (inner: typeof fetch) => createGuardedFetch({ baseDomain: BASE, allowPrivate: true, fetch: inner });

  it.each(["http://127.0.0.1:8787/mcp", "http://localhost:3000/mcp", "http://10.1.2.3/mcp", "https://[::1]:8443/mcp", "http://[fd12::1]/", "http://100.100.1.1/"])(
    "admits %s",
    async (url) => {
      const inner = innerFetch();
      const response = await local(inner.fn)(url);
      expect(response.status).toBe(200);
      expect(inner.seen).toHaveLength(1);
    },
  );

  it.each([
    "http://169.254.169.254/latest/meta-data",
    "http://0xa9fea9fe/",
    "http://[::ffff:169.254.169.254]/",
    "http://metadata.google.internal/",
    "http://169.254.1.1/",
    "http://[fe80::1]/",
    "http://100.100.100.200/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://acme.armature.app/",
  ])("still refuses %s", async (url) => {
    const inner = innerFetch();
    await refusal(local(inner.fn)(url));
    expect(inner.seen).toHaveLength(0);
  });

  it("off by default: the same hosts are refused", async () => {
    const inner = innerFetch();
    await refusal(guarded({ fetch: inner.fn })("http://127.0.0.1:8787/mcp"));
    await refusal(guarded({ fetch: inner.fn })("https://127.0.0.1:8787/mcp"));
    await refusal(guarded({ fetch: inner.fn })("https://localhost/mcp"));
  });
});

describe("the outbound guard: redirects", () => {
  it("follows a redirect by hand, checking the hop", async () => {
    const inner = innerFetch({ "https://a.example.com/mcp": redirect("https://b.example.com/mcp", 307) });
    const response = await guarded({ fetch: inner.fn })("https://a.example.com/mcp", { method: "POST", body: "x" });
    expect(await response.text()).toBe("ok");
    expect(inner.seen.map((s) => [s.url, s.method, s.body, s.redirect])).toEqual([
      ["https://a.example.com/mcp", "POST", "x", "manual"],
      ["https://b.example.com/mcp", "POST", "x", "manual"],
    ]);
  });

  it.each([
    ["http://127.0.0.1/mcp", "127.0.0.1"],
    ["https://2130706433/", "127.0.0.1"],
    ["https://169.254.169.254/latest/meta-data/iam", "169.254.169.254"],
    ["https://0xa9fea9fe/", "169.254.169.254"],
    ["https://[::ffff:a9fe:a9fe]/", "[::ffff:a9fe:a9fe]"],
    ["https://metadata.google.internal/", "metadata.google.internal"],
    ["https://10.0.0.5/", "10.0.0.5"],
    ["https://acme.armature.app/api", "acme.armature.app"],
  ])("refuses a redirect to %s", async (location, host) => {
    const inner = innerFetch({ "https://mcp.example.com/mcp": redirect(location) });
    const error = await refusal(guarded({ fetch: inner.fn })("https://mcp.example.com/mcp"));
    expect(error.host).toBe(host);
    expect(inner.seen).toHaveLength(1);
  });

  it("refuses a relative redirect that stays on a refused host (only reachable with allowPrivate)", async () => {
    const inner = innerFetch({ "http://127.0.0.1/a": redirect("http://169.254.169.254/b") });
    const local = createGuardedFetch({ baseDomain: BASE, allowPrivate: true, fetch: inner.fn });
    await refusal(local("http://127.0.0.1/a"));
  });

  it("checks the Location even when the caller follows redirects itself (redirect: manual)", async () => {
    const inner = innerFetch({
      "https://mcp.example.com/a": redirect("https://mcp.example.com/b"),
      "https://mcp.example.com/c": redirect("http://127.0.0.1/"),
    });
    const fetchIt = guarded({ fetch: inner.fn });
    const response = await fetchIt("https://mcp.example.com/a", { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("https://mcp.example.com/b");
    await refusal(fetchIt("https://mcp.example.com/c", { redirect: "manual" }));
  });

  it("stops after maxRedirects", async () => {
    const routes: Record<string, () => Response> = {};
    for (let i = 0; i < 10; i++) routes[`https://mcp.example.com/${i}`] = redirect(`https://mcp.example.com/${i + 1}`);
    const inner = innerFetch(routes);
    const error = await refusal(guarded({ fetch: inner.fn, maxRedirects: 3 })("https://mcp.example.com/0"));
    expect(error.rule).toBe("too-many-redirects");
    expect(inner.seen).toHaveLength(4);
  });

  it("rewrites POST to GET on 303 and drops the body", async () => {
    const inner = innerFetch({ "https://mcp.example.com/a": redirect("https://mcp.example.com/b", 303) });
    await guarded({ fetch: inner.fn })("https://mcp.example.com/a", {
      method: "POST",
      body: "x",
      headers: { "content-type": "application/json" },
    });
    expect(inner.seen[1]).toMatchObject({ method: "GET", body: null, headers: {} });
  });

  it("forwards no credentials to another origin", async () => {
    const inner = innerFetch({ "https://a.example.com/mcp": redirect("https://b.example.com/mcp", 307) });
    await guarded({ fetch: inner.fn })("https://a.example.com/mcp", {
      method: "POST",
      body: "x",
      headers: { authorization: "Bearer s3cret", "x-api-key": "k-123", accept: "application/json", "content-type": "application/json" },
    });
    expect(inner.seen[0]!.headers).toMatchObject({ authorization: "Bearer s3cret", "x-api-key": "k-123" });
    expect(inner.seen[1]!.headers).toEqual({ accept: "application/json", "content-type": "application/json" });
  });

  it("keeps the headers on a same-origin hop", async () => {
    const inner = innerFetch({ "https://a.example.com/mcp": redirect("/mcp/v2", 307) });
    await guarded({ fetch: inner.fn })("https://a.example.com/mcp", { headers: { "x-api-key": "k-123" } });
    expect(inner.seen[1]).toMatchObject({ url: "https://a.example.com/mcp/v2", headers: { "x-api-key": "k-123" } });
  });

  it("fails a redirect when the caller said redirect: error", async () => {
    const inner = innerFetch({ "https://a.example.com/mcp": redirect("https://a.example.com/b") });
    await expect(guarded({ fetch: inner.fn })("https://a.example.com/mcp", { redirect: "error" })).rejects.toThrow(TypeError);
  });
});

/** Reads a body chunk by chunk to its end or its error: the bytes received before it ended, and the error if any. */
async function readToEnd(response: Response): Promise<{ received: number; error: unknown }> {
  const reader = response.body!.getReader();
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { received, error: undefined };
      received += value.byteLength;
    }
  } catch (error) {
    return { received, error };
  }
}

describe("the outbound guard: limits", () => {
  const chunked = (sizes: number[], contentType = "application/octet-stream") => () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const size of sizes) controller.enqueue(new Uint8Array(size).fill(120));
          controller.close();
        },
      }),
      { headers: { "content-type": contentType } },
    );

  it("passes a body within the cap", async () => {
    const inner = innerFetch({ "https://mcp.example.com/x": chunked([400, 600]) });
    const response = await guarded({ fetch: inner.fn, maxResponseBytes: 1000 })("https://mcp.example.com/x");
    expect((await response.arrayBuffer()).byteLength).toBe(1000);
  });

  it("errors a streamed body past the cap", async () => {
    const inner = innerFetch({ "https://mcp.example.com/x": chunked([400, 400, 400]) });
    const response = await guarded({ fetch: inner.fn, maxResponseBytes: 1000 })("https://mcp.example.com/x");
    await expect(response.arrayBuffer()).rejects.toBeInstanceOf(OutboundResponseTooLargeError);
  });

  it("caps an event stream too, while it is being read", async () => {
    const event = `event: message\ndata: ${"y".repeat(200)}\n\n`;
    const bytes = new TextEncoder().encode(event);
    const inner = innerFetch({
      "https://mcp.example.com/sse": () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              controller.enqueue(bytes); // endless
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    });
    const response = await guarded({ fetch: inner.fn, maxResponseBytes: 2048 })("https://mcp.example.com/sse");
    const { received, error } = await readToEnd(response);
    expect(error).toBeInstanceOf(OutboundResponseTooLargeError);
    expect(received).toBeLessThanOrEqual(2048);
    expect((error as Error).message).toContain("mcp.example.com");
  });

  it("passes a body whose declared length is within the cap, status and headers as they were", async () => {
    const body = "z".repeat(900);
    const inner = innerFetch({
      "https://mcp.example.com/x": () =>
        new Response(body, { status: 202, headers: { "content-length": "900", "content-type": "text/event-stream", "mcp-session-id": "s1" } }),
    });
    const response = await guarded({ fetch: inner.fn, maxResponseBytes: 1000 })("https://mcp.example.com/x");
    expect(response.status).toBe(202);
    expect(response.headers.get("mcp-session-id")).toBe("s1");
    expect(await response.text()).toBe(body);
  });

  it("never reads more than the declared length, whatever the body carries", async () => {
    // A network response cannot carry more than its Content-Length; a Response made by an injected fetch can.
    const inner = innerFetch({ "https://mcp.example.com/x": () => new Response("x".repeat(5000), { headers: { "content-length": "100" } }) });
    const response = await guarded({ fetch: inner.fn, maxResponseBytes: 1000 })("https://mcp.example.com/x");
    const { received, error } = await readToEnd(response);
    expect(error).toBeInstanceOf(Error);
    expect(received).toBeLessThanOrEqual(100);
  });

  it("counts an encoded body as it is read: its Content-Length is not the length the runtime decodes", async () => {
    const inner = innerFetch({
      "https://mcp.example.com/x": () =>
        new Response(new TextEncoder().encode("x".repeat(5000)), { headers: { "content-length": "10", "content-encoding": "gzip" }, encodeBody: "manual" }),
    });
    const response = await guarded({ fetch: inner.fn, maxResponseBytes: 1000 })("https://mcp.example.com/x");
    await expect(response.arrayBuffer()).rejects.toBeInstanceOf(OutboundResponseTooLargeError);
  });

  it("refuses at once when Content-Length is over the cap", async () => {
    const inner = innerFetch({ "https://mcp.example.com/x": () => new Response("x".repeat(5000), { headers: { "content-length": "5000" } }) });
    await expect(guarded({ fetch: inner.fn, maxResponseBytes: 1000 })("https://mcp.example.com/x")).rejects.toBeInstanceOf(
      OutboundResponseTooLargeError,
    );
  });

  it("times out a request that does not answer", async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        if (init?.signal?.aborted) reject(init.signal.reason);
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
      });
    const started = Date.now();
    const error = await guarded({ fetch: hanging, timeoutMs: 50 })("https://mcp.example.com/x").catch((e: unknown) => e);
    expect((error as Error).name).toBe("TimeoutError");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("passes the caller's abort on", async () => {
    const controller = new AbortController();
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        if (init?.signal?.aborted) reject(init.signal.reason);
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
      });
    const pending = guarded({ fetch: hanging })("https://mcp.example.com/x", { signal: controller.signal });
    controller.abort(new Error("run cancelled"));
    await expect(pending).rejects.toThrow("run cancelled");
  });
});

describe("checkOutboundUrl", () => {
  it("is the same rule set, for a URL checked before connecting", () => {
    expect(() => checkOutboundUrl("https://mcp.example.com/mcp", { baseDomain: BASE, allowPrivate: false })).not.toThrow();
    expect(() => checkOutboundUrl("https://[::ffff:7f00:1]/", { baseDomain: BASE, allowPrivate: false })).toThrow(OutboundRefusedError);
    expect(() => checkOutboundUrl("http://127.0.0.1/", { baseDomain: BASE, allowPrivate: true })).not.toThrow();
  });
});
