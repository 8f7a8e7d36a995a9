import { localhostAllowedOrigins, validateOriginHeader } from "@modelcontextprotocol/server";

/**
 * Whether a request's `Origin` may reach the MCP API (DNS-rebinding protection, as the MCP transport
 * specification asks: a present Origin that is not allowed is refused with 403). No Origin passes: only
 * browsers send one, and non-browser MCP clients do not. Allowed: loopback hosts (`localhost`, `*.localhost`,
 * `127.0.0.1`, `[::1]`, any port: local development) and the base domain and its subdomains (the
 * organizations' own hosts). Anything else, and an Origin that is not a URL (the opaque `null` included), is
 * refused. The parsing is the SDK's (`validateOriginHeader`); the suffix rule is ours, since its list holds
 * exact hostnames only.
 *
 * @example
 * originAllowed("http://127.0.0.1:8787", "armature.app") // true
 * originAllowed("https://acme.armature.app", "armature.app") // true
 * originAllowed("http://evil.example.com", "armature.app") // false
 */
export function originAllowed(origin: string | null | undefined, baseDomain: string): boolean {
  const base = baseDomain.toLowerCase();
  const result = validateOriginHeader(origin, [...localhostAllowedOrigins(), base]);
  if (result.ok) return true;
  if (result.errorCode !== "invalid_origin" || !result.hostname) return false;
  const host = result.hostname.toLowerCase();
  return host.endsWith(".localhost") || host.endsWith(`.${base}`);
}
