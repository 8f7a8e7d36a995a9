// `npm run test:browser -- <base-url> <api-key> [--screenshot <file>]`: opens the API reference page of a
// running server in headless Chromium and uses it as a person would. The base URL is the server's origin or
// its API base (http://127.0.0.1:8787 or http://127.0.0.1:8787/api/armature/v1); the key defaults to
// $ARMATURE_API_KEY. Checks that
//   - the page carries its Content-Security-Policy and renders the operations of the live document
//     (GET /workflows with its operationId listWorkflows among them);
//   - Authorize takes the key, and "Try it out" + Execute on GET /org sends it as `Authorization: Bearer <key>`
//     to the same origin and shows 200 with the key's organization;
//   - nothing was requested from another origin, and there was no CSP violation, console error, page error,
//     failed request or error response on the way.
// Chromium is the system one (/usr/bin/chromium, Debian's package; CHROMIUM_PATH overrides it): puppeteer-core
// never downloads a browser. Exits 1 with one line per problem.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import puppeteer, { type Browser, type HTTPRequest, type Page } from "puppeteer-core";

const API_PATH = "/api/armature/v1";
const TIMEOUT_MS = 30_000;

function usage(message: string): never {
  console.error(`check-docs-browser: ${message}`);
  console.error("usage: npm run test:browser -- <base-url> [<api-key>] [--screenshot <file.png>]");
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const rest: string[] = [];
  let screenshot: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--screenshot") {
      screenshot = argv[++i] ?? usage("--screenshot needs a file");
    } else if (a.startsWith("--screenshot=")) {
      screenshot = a.slice("--screenshot=".length);
    } else if (a === "--help" || a === "-h") {
      usage("help");
    } else {
      rest.push(a);
    }
  }
  const [base, keyArg] = rest;
  if (!base) usage("no base URL");
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    usage(`not a URL: ${base}`);
  }
  const key = keyArg ?? process.env.ARMATURE_API_KEY;
  if (!key) usage("no API key (second argument or $ARMATURE_API_KEY)");
  const origin = url.origin;
  return { origin, apiBase: `${origin}${API_PATH}`, docsUrl: `${origin}${API_PATH}/docs`, key, screenshot };
}

type Json = Record<string, any>;

/** The live document's operationId and tag for `GET <path>`: Swagger UI names the operation's element after them. */
function operation(doc: Json, p: string): { operationId: string; tag: string } {
  const op = doc.paths?.[p]?.get;
  if (!op?.operationId || !op.tags?.[0]) throw new Error(`the live document has no GET ${p} with an operationId and a tag`);
  return { operationId: op.operationId, tag: op.tags[0] };
}

/** Swagger UI's element id of an operation (`operations-<tag>-<operationId>`), as a CSS selector. */
const opSelector = (o: { operationId: string; tag: string }) => `#${CSS_escape(`operations-${o.tag}-${o.operationId}`)}`;
const CSS_escape = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, (c) => `\\${c}`);

async function main() {
  const { origin, apiBase, docsUrl, key, screenshot } = parseArgs(process.argv.slice(2));
  const problems: string[] = [];
  const problem = (line: string) => problems.push(line);

  // What the page should show: the live document's operations and the key's organization, asked directly.
  const doc = (await (await fetch(`${apiBase}/openapi`)).json()) as Json;
  const listWorkflows = operation(doc, "/workflows");
  const getOrg = operation(doc, "/org");
  const orgRes = await fetch(`${apiBase}/org`, { headers: { authorization: `Bearer ${key}` } });
  if (orgRes.status !== 200) throw new Error(`GET ${apiBase}/org with the key answered ${orgRes.status}: is the key right?`);
  const org = (await orgRes.json()) as Json;
  const slug: string = org.slug ?? org.organization?.slug;
  if (typeof slug !== "string") throw new Error(`GET /org answered no organization slug: ${JSON.stringify(org)}`);

  const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  const profile = mkdtempSync(path.join(os.tmpdir(), "armature-docs-chromium-"));
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir: profile,
      args: [
        // CI runs as root, where Chromium's sandbox cannot start.
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
      ],
      defaultViewport: { width: 1280, height: 900 },
    });
    const page = await browser.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const orgRequests: { authorization: string | undefined; url: string }[] = [];
    watch(page, origin, problem, (req) => {
      const u = new URL(req.url());
      if (req.method() === "GET" && u.pathname === `${API_PATH}/org`) orgRequests.push({ authorization: req.headers().authorization, url: req.url() });
    });
    // CSP violations, as the page itself sees them (Chromium also logs them as console errors).
    await page.evaluateOnNewDocument(() => {
      const w = window as unknown as { __cspViolations: string[] };
      w.__cspViolations = [];
      document.addEventListener("securitypolicyviolation", (e) => {
        w.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "(inline)"} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });

    const res = await page.goto(docsUrl, { waitUntil: "networkidle0" });
    if (!res || res.status() !== 200) throw new Error(`GET ${docsUrl} answered ${res?.status()}`);
    const csp = res.headers()["content-security-policy"] ?? "";
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
      if (!csp.split(";").map((d) => d.trim()).includes(directive)) problem(`the page's Content-Security-Policy lacks "${directive}": ${csp}`);
    }
    if (/unsafe-(inline|eval)/.test(csp)) problem(`the page's Content-Security-Policy allows unsafe-inline or unsafe-eval: ${csp}`);

    // 1. The operations of the live document are rendered.
    await page.waitForSelector(`${opSelector(listWorkflows)} .opblock-summary`);
    const summary = await page.$eval(`${opSelector(listWorkflows)} .opblock-summary`, (el) => el.textContent ?? "");
    if (!/GET/.test(summary) || !summary.includes("/workflows") || !summary.includes(listWorkflows.operationId)) {
      problem(`the GET /workflows operation does not show its method, path and operationId: ${JSON.stringify(summary)}`);
    }
    const shown = await page.$$eval(".opblock", (els) => els.length);
    const documented = Object.values(doc.paths as Json).reduce(
      (n: number, item: Json) => n + ["get", "put", "post", "delete", "patch", "head", "options", "trace"].filter((m) => item[m]).length,
      0,
    );
    if (shown !== documented) problem(`the page shows ${shown} operations, the live document has ${documented}`);

    // 2. Authorize with the key (an http bearer scheme: one value field).
    await page.click(".auth-wrapper .btn.authorize");
    await page.waitForSelector(".modal-ux #auth-bearer-value");
    await page.type(".modal-ux #auth-bearer-value", key);
    await page.click(".modal-ux .auth-btn-wrapper .btn.modal-btn.auth.authorize");
    await page.waitForSelector(".modal-ux .auth-btn-wrapper button[aria-label='Remove authorization']");
    await page.click(".modal-ux .btn.modal-btn.auth.btn-done");
    await page.waitForSelector(".modal-ux", { hidden: true });
    await page.waitForSelector(".auth-wrapper .btn.authorize.locked");

    // 3. Try it out on GET /org.
    const org$ = opSelector(getOrg);
    await page.click(`${org$} .opblock-summary-control`);
    await page.waitForSelector(`${org$} .try-out__btn`);
    await page.click(`${org$} .try-out__btn`);
    await page.waitForSelector(`${org$} .btn.execute`);
    await page.click(`${org$} .btn.execute`);
    await page.waitForSelector(`${org$} .live-responses-table .response .response-col_status`);
    const status = (await page.$eval(`${org$} .live-responses-table .response .response-col_status`, (el) => el.textContent ?? "")).trim();
    const body = await page.$eval(`${org$} .live-responses-table .response .response-col_description`, (el) => el.textContent ?? "");
    const curl = await page.$eval(`${org$} .curl-command`, (el) => el.textContent ?? "").catch(() => "");
    if (status !== "200") problem(`Execute on GET /org shows status ${JSON.stringify(status)}, not 200: ${body.slice(0, 300)}`);
    if (!body.includes(`"slug": "${slug}"`)) problem(`Execute on GET /org does not show the organization "${slug}": ${body.slice(0, 300)}`);
    if (!curl.includes(`Authorization: Bearer ${key}`)) problem(`the shown curl command does not carry the key: ${curl.slice(0, 300)}`);
    if (orgRequests.length !== 1) problem(`the page sent ${orgRequests.length} GET /org requests, not 1`);
    for (const r of orgRequests) {
      if (new URL(r.url).origin !== origin) problem(`GET /org went to ${r.url}, not to ${origin}`);
      if (r.authorization !== `Bearer ${key}`) problem(`GET /org was sent with authorization ${JSON.stringify(r.authorization)}, not the key`);
    }

    const violations = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
    for (const v of violations) problem(`CSP violation: ${v}`);
    if (screenshot) {
      // The executed request and its response in view.
      await page.$eval(`${org$} .live-responses-table`, (el) => el.scrollIntoView({ block: "start" }));
      await page.screenshot({ path: screenshot, fullPage: false });
      console.log(`check-docs-browser: screenshot in ${screenshot}`);
    }
  } finally {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  }

  if (problems.length > 0) {
    console.error(`check-docs-browser: ${docsUrl} FAILED (${problems.length} problem${problems.length === 1 ? "" : "s"}):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log(
    `check-docs-browser: ok: ${docsUrl} rendered ${listWorkflows.operationId} and the other operations, authorized with the key, ` +
      `GET /org answered 200 for "${slug}"; no CSP violation, console error or other origin`,
  );
}

/** Records as problems: console errors and warnings, page errors, failed requests, error responses, other origins. */
function watch(page: Page, origin: string, problem: (line: string) => void, onRequest: (req: HTTPRequest) => void) {
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warn") problem(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problem(`page error: ${err instanceof Error ? err.message : String(err)}`));
  page.on("request", (req) => {
    const u = req.url();
    if (!u.startsWith("data:") && new URL(u).origin !== origin) problem(`request to another origin: ${req.method()} ${u}`);
    onRequest(req);
  });
  page.on("requestfailed", (req) => problem(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
  page.on("response", (res) => {
    if (res.status() >= 400) problem(`${res.request().method()} ${res.url()} answered ${res.status()}`);
    // The versioned files come from the assets layer with a year of caching; the page itself is never cached.
    const { pathname } = new URL(res.url());
    const cache = res.headers()["cache-control"];
    if (pathname.startsWith(`${API_PATH}/docs/assets/`) && res.status() === 200 && cache !== "public, max-age=31536000, immutable") {
      problem(`${pathname} came with cache-control ${JSON.stringify(cache)}, not a year of immutable caching`);
    }
    if (pathname === `${API_PATH}/docs` && cache !== "no-cache") problem(`the page came with cache-control ${JSON.stringify(cache)}, not no-cache`);
  });
}

main().catch((err) => {
  console.error(`check-docs-browser: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
