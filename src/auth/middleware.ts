import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import { parsePeppers, type PepperSet } from "./api-key";
import { orgFromHost } from "./org-host";
import { type KeyPrincipal, verifyApiKey } from "./verify-api-key";

let pepperCache: { raw: string; set: PepperSet } | undefined;
function peppers(raw: string): PepperSet {
  if (pepperCache?.raw !== raw) pepperCache = { raw, set: parsePeppers(raw) };
  return pepperCache.set;
}

const unauthorized = () =>
  new ApiError("unauthorized", "A valid API key is required: send 'Authorization: Bearer amt_<key-id>_<secret>'");

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Verifies the bearer key and checks it against the organization the host names, then sets `principal`. Every
 * failure, a key of another organization included, throws the same 401. The API app runs it in one middleware
 * with the rate limits (src/app.ts); `authenticate` is it as a middleware of its own.
 */
export function authenticateRequest(c: Context<AppEnv>): void | Promise<void> {
  const match = BEARER.exec(c.req.header("authorization") ?? "");
  if (!match) throw unauthorized();
  const app = c.get("app");
  const verified = verifyApiKey(match[1]!, {
    db: app.db,
    peppers: peppers(c.env.API_KEY_PEPPERS),
    defer: app.waitUntil,
    log: app.log,
  });
  // A key verified in this isolate answers at once: no await on every request.
  return verified instanceof Promise ? verified.then((principal) => admit(c, principal)) : admit(c, verified);
}

/** Checks the principal against the organization the host names and sets it; throws the 401 otherwise. */
function admit(c: Context<AppEnv>, principal: KeyPrincipal | null): void | Promise<void> {
  if (!principal) throw unauthorized();
  const host = orgFromHost(c.req.header("host") ?? new URL(c.req.url).host, c.env.ARMATURE_BASE_DOMAIN);
  if (host.kind === "slug" && host.slug !== principal.org.slug) {
    // *.localhost falls back to the key's organization unless the label is another organization's slug.
    if (host.strict) throw unauthorized();
    return slugExists(c.env.DB, host.slug).then((exists) => {
      if (exists) throw unauthorized();
      c.set("principal", principal);
    });
  }
  c.set("principal", principal);
}

/** authenticateRequest as a middleware. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  await authenticateRequest(c);
  await next();
});

async function slugExists(db: D1Database, slug: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 FROM organizations WHERE slug = ?").bind(slug).first()) !== null;
}
