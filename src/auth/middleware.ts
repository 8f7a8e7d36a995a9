import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import { parsePeppers, type PepperSet } from "./api-key";
import { orgFromHost } from "./org-host";
import { verifyApiKey } from "./verify-api-key";

let pepperCache: { raw: string; set: PepperSet } | undefined;
function peppers(raw: string): PepperSet {
  if (pepperCache?.raw !== raw) pepperCache = { raw, set: parsePeppers(raw) };
  return pepperCache.set;
}

const unauthorized = () =>
  new ApiError("unauthorized", "A valid API key is required: send 'Authorization: Bearer amt_<key-id>_<secret>'");

/**
 * Verifies the bearer key and checks it against the organization the host names. Every failure, a key
 * of another organization included, is the same 401.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized();
  const principal = await verifyApiKey(match[1]!, {
    db: c.var.app.db,
    peppers: peppers(c.env.API_KEY_PEPPERS),
    defer: c.var.app.waitUntil,
    log: c.var.app.log,
  });
  if (!principal) throw unauthorized();
  const host = orgFromHost(c.req.header("host") ?? new URL(c.req.url).host, c.env.ARMATURE_BASE_DOMAIN);
  if (host.kind === "slug" && host.slug !== principal.org.slug) {
    // *.localhost falls back to the key's organization unless the label is another organization's slug.
    if (host.strict || (await slugExists(c.env.DB, host.slug))) throw unauthorized();
  }
  c.set("principal", principal);
  await next();
});

async function slugExists(db: D1Database, slug: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 FROM organizations WHERE slug = ?").bind(slug).first()) !== null;
}
