/**
 * `tsx scripts/conformance-server.ts <api-base-url> <api-key> [scenario…]`: the official MCP conformance suite
 * (`@modelcontextprotocol/conformance`) with our MCP API as the server under test, e.g.
 *
 *   npx tsx scripts/conformance-server.ts http://127.0.0.1:8787/api/armature/v1 "$ARMATURE_API_KEY"
 *
 * The MCP endpoint is `/api/armature/mcp` next to the API base. Default scenarios: `server-initialize`,
 * `ping`, `tools-list` and `dns-rebinding-protection`, the suite's server scenarios that apply to a server
 * that only offers tools (the others call the suite's own test tools, prompts and resources).
 *
 * The suite's CLI cannot send a header, and the endpoint needs the API key. So the script puts a forwarding
 * proxy on 127.0.0.1 (a free port) in front of it: it adds `Authorization: Bearer <key>` to every request and
 * passes everything else through as the suite sent it (method, path, body, and the Host and Origin headers, so
 * the dns-rebinding scenario's `Host: evil.example.com` / `Origin: http://evil.example.com` reach the Worker,
 * which must refuse them, and its loopback Host/Origin must pass). The proxy listens on loopback only, which
 * that scenario also requires of the URL it tests.
 *
 * Each scenario runs as `npx conformance server --url <proxy>/api/armature/mcp --scenario <name>`, its results
 * written to a temporary directory. Exit codes: 0 every scenario passed, 1 one failed, 2 bad arguments.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const DEFAULT_SCENARIOS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"];
const MCP_PATH = "/api/armature/mcp";

const [apiBase, apiKey, ...chosen] = process.argv.slice(2);
if (!apiBase || !apiKey || !/^https?:\/\//.test(apiBase)) {
  console.error("usage: tsx scripts/conformance-server.ts <api-base-url> <api-key> [scenario…]");
  console.error(`default scenarios: ${DEFAULT_SCENARIOS.join(", ")}`);
  process.exit(2);
}
const target = new URL(apiBase);
const scenarios = chosen.length > 0 ? chosen : DEFAULT_SCENARIOS;

/** Forwards a request to the API's host, the key added, every other header (Host and Origin too) untouched. */
const proxy = http.createServer((req, res) => {
  const upstream = http.request(
    {
      hostname: target.hostname,
      port: target.port || 80,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, authorization: `Bearer ${apiKey}` },
      // Keep the Host header the suite sent, not the target's.
      setHost: false,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", (error) => {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(`conformance proxy: ${error.message}`);
  });
  req.pipe(upstream);
});
if (target.protocol !== "http:") {
  console.error("conformance-server: the API must be plain http (a local wrangler dev); the proxy does not speak TLS");
  process.exit(2);
}
await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${MCP_PATH}`;

function run(scenario: string, outputDir: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("npx", ["conformance", "server", "--url", url, "--scenario", scenario, "-o", outputDir], { stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const outputDir = mkdtempSync(path.join(tmpdir(), "mcp-conformance-"));
const failed: string[] = [];
try {
  for (const scenario of scenarios) {
    console.log(`--- conformance: server scenario ${scenario} against ${MCP_PATH} (through the key-adding proxy)`);
    if ((await run(scenario, outputDir)) !== 0) failed.push(scenario);
  }
} finally {
  proxy.close();
  rmSync(outputDir, { recursive: true, force: true });
}
if (failed.length > 0) {
  console.error(`conformance-server: failed: ${failed.join(", ")}`);
  process.exit(1);
}
console.log(`conformance-server: passed: ${scenarios.join(", ")}`);
