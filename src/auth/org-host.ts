/** What the request's host says about the organization. */
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
