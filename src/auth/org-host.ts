/** What the request's host says about the organization (shared between calls: treat it as read-only). */
export type HostOrg =
  /** `<slug>.<base domain>` or `<slug>.localhost`: the organization is named by the host. */
  | { kind: "slug"; slug: string; strict: boolean }
  /** Any other host (127.0.0.1, localhost, workers.dev, a custom domain): the key's own organization. */
  | { kind: "key" };

/**
 * Reads the organization slug from the host.
 *
 * @example
 * orgFromHost("acme.armature.app", "armature.app") // { kind: "slug", slug: "acme", strict: true }
 * orgFromHost("127.0.0.1:8787", "armature.app")    // { kind: "key" }
 */
export function orgFromHost(host: string | undefined, baseDomain: string): HostOrg {
  // Every request asks, nearly always with the host and base domain of the one before.
  if (host === last.host && baseDomain === last.baseDomain) return last.org;
  const org = readHost(host, baseDomain);
  last = { host, baseDomain, org };
  return org;
}

let last: { host: string | undefined; baseDomain: string; org: HostOrg } = { host: undefined, baseDomain: "", org: { kind: "key" } };

function readHost(host: string | undefined, baseDomain: string): HostOrg {
  const hostname = (host ?? "").toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const base = baseDomain.toLowerCase();
  if (hostname.endsWith(`.${base}`)) {
    const label = hostname.slice(0, -(base.length + 1));
    // A host two labels deep (a.b.armature.app) names no organization; nothing may match it.
    return { kind: "slug", slug: label.includes(".") ? "" : label, strict: true };
  }
  if (hostname.endsWith(".localhost")) {
    const label = hostname.slice(0, -".localhost".length);
    return { kind: "slug", slug: label, strict: false };
  }
  return { kind: "key" };
}
