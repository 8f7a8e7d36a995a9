/**
 * Host classification: what kind of place does a URL host point at?
 *
 * One classifier for every outbound-request decision: MCP source registration refuses link-local and
 * cloud metadata hosts with it, and the run engine's outbound guard refuses everything but `public`
 * with it when deployed. Pure functions over text — no DNS, no I/O.
 *
 * ## Input
 *
 * A URL hostname as WHATWG `new URL(...).hostname` gives it (IPv6 in brackets), or any raw spelling of
 * one. Every notation is normalised before classification:
 *
 * - IPv4 in the forms the WHATWG URL parser (and `inet_aton`) accept: dotted decimal, a single 32-bit
 *   number (`2852039166`), hex (`0xa9fea9fe`, `0xa9.0xfe.0xa9.0xfe`), octal (`0251.0376.0251.0376`),
 *   and short forms where the last part fills the remaining bytes (`169.254.43518`, `127.1`).
 * - IPv6 in any RFC 4291 form, bracketed or not, upper or lower case, `::`-compressed or not, with a
 *   trailing dotted IPv4 (`::ffff:169.254.169.254`), and with a zone id (`fe80::1%25eth0`, `fe80::1%eth0`;
 *   the zone is dropped). IPv4 carried inside IPv6 is unwrapped and decides the kind: IPv4-mapped
 *   `::ffff:0:0/96`, IPv4-translated `::ffff:0:0:0/96`, IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`
 *   and local-use `64:ff9b:1::/48`, 6to4 `2002::/16`, and Teredo `2001::/32` (the obfuscated client).
 * - Names: lower case, trailing dots removed (`metadata.google.internal.`), percent-escapes decoded and
 *   Unicode mapped to ASCII the way the URL parser does (`%6detadata`, full-width letters and dots).
 *
 * Anything that is not a valid IPv4, IPv6 or domain name — a name ending in a number that is not an
 * IPv4 address (`1.2.3.4.5`, `08`), stray brackets, forbidden characters — is `invalid`: callers refuse it.
 *
 * Where the URL parser is more lenient, this module takes the stricter reading, so a guard built on it
 * refuses rather than misses: empty labels (`a..b`) are `invalid`, and every trailing dot is dropped
 * before the IPv4 check (`169.254.169.254..` is 169.254.169.254, where a URL would keep it as a name).
 * For every host a URL accepts otherwise, `host` is exactly what `new URL(...).hostname` gives.
 *
 * ## Kinds
 *
 * | kind           | what                                                                                     |
 * | -------------- | ---------------------------------------------------------------------------------------- |
 * | `public`       | anything below does not cover: a global unicast address, or an ordinary DNS name          |
 * | `loopback`     | `127.0.0.0/8`, `::1`, `localhost` and `*.localhost` (RFC 6761), `localhost.localdomain`, `ip6-localhost`, `ip6-loopback` |
 * | `private`      | RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), deprecated IPv6 site-local `fec0::/10`, local-only names (dotless names, `*.internal`, `*.local`, `*.home.arpa`, `*.localdomain`, `*.lan`, `*.home`, `*.corp`, `*.intranet`, `*.private`) |
 * | `cgnat`        | shared address space `100.64.0.0/10` (RFC 6598)                                           |
 * | `link-local`   | `169.254.0.0/16`, `fe80::/10` (so `fe90::1` and `febf::1` too)                            |
 * | `unique-local` | `fc00::/7`                                                                                |
 * | `metadata`     | cloud metadata and platform credential endpoints, see {@link METADATA_IPV4}, {@link METADATA_IPV6}, {@link METADATA_NAMES} |
 * | `unspecified`  | `0.0.0.0/8` ("this network", which reaches the local host on Linux), `::`                 |
 * | `multicast`    | `224.0.0.0/4`, `ff00::/8`                                                                 |
 * | `broadcast`    | `255.255.255.255`                                                                         |
 * | `reserved`     | documentation, benchmarking, protocol-assignment and future-use ranges (`192.0.0.0/24`, `192.0.2.0/24`, `198.18.0.0/15`, `198.51.100.0/24`, `203.0.113.0/24`, `192.88.99.0/24`, `240.0.0.0/4`, `100::/64`, `2001:db8::/32`, `3fff::/20`, `2001:2::/48`, ORCHID `2001:10::/28` and `2001:20::/28`, `5f00::/16`, IPv6 outside `2000::/3`) and special-use names (`*.invalid`, `*.test`, `*.example`, `*.onion`, `*.alt`) |
 * | `invalid`      | not a host at all (see above)                                                             |
 *
 * `metadata` is checked before the range a metadata address sits in (`169.254.169.254` is `metadata`,
 * not `link-local`; `100.100.100.200` is `metadata`, not `cgnat`).
 *
 * A name is classified by its text only. `public` for a name means "nothing in the name marks it as
 * internal": DNS may still point it anywhere, so a guard that must not reach internal addresses has to
 * check the address actually connected to as well.
 */

export const HOST_KINDS = [
  "public",
  "loopback",
  "private",
  "cgnat",
  "link-local",
  "unique-local",
  "metadata",
  "unspecified",
  "multicast",
  "broadcast",
  "reserved",
  "invalid",
] as const;

export type HostKind = (typeof HOST_KINDS)[number];

export interface HostClassification {
  kind: HostKind;
  /** True when the host is an IPv4 or IPv6 address in any notation, false for a name (or `invalid`). */
  isIpLiteral: boolean;
  /**
   * The normalised host, as `URL.hostname` renders it: a lower-case name without trailing dots, dotted-decimal
   * IPv4, or bracketed canonical IPv6 without zone. The input (trimmed) when `invalid`.
   */
  host: string;
  /** For an IP literal: the canonical address without brackets or zone (`169.254.169.254`, `::ffff:a9fe:a9fe`). */
  ip?: string;
  /** For an IP literal: 4 or 6. */
  family?: 4 | 6;
  /** For IPv6 that carries an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo): that address; it decided `kind`. */
  embeddedIpv4?: string;
  /** For IPv6 with a zone id (`fe80::1%eth0`): the zone, which plays no part in the kind. */
  zone?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Cloud metadata endpoints

/** IPv4 addresses of cloud metadata and platform credential services. */
export const METADATA_IPV4: readonly string[] = [
  "169.254.169.254", // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack, Hetzner, Linode, … instance metadata
  "169.254.170.2", // AWS ECS task metadata and credentials
  "169.254.170.23", // AWS EKS Pod Identity agent
  "169.254.0.23", // Tencent Cloud (metadata.tencentyun.com)
  "169.254.42.42", // Scaleway
  "100.100.100.200", // Alibaba Cloud
  "168.63.129.16", // Azure WireServer (platform agent, health probes, DNS)
  "192.0.0.192", // Oracle Cloud (legacy metadata)
];

/** IPv6 addresses (or prefixes, as `address/length`) of cloud metadata and platform credential services. */
export const METADATA_IPV6: readonly string[] = [
  "fd00:ec2::/32", // AWS platform block: IMDS ::254, EKS Pod Identity ::23, DNS ::253, NTP ::123
  "fd20:ce::254", // Google Cloud (IPv6-only instances)
  "fd00:c1::a9fe:a9fe", // Oracle Cloud
  "fd00:42::42", // Scaleway
  "fe80::a9fe:a9fe", // OpenStack
];

/** Host names of cloud metadata services (exact, after normalisation). */
export const METADATA_NAMES: readonly string[] = [
  "metadata", // GCP short name (resolves through the search domain)
  "metadata.google.internal",
  "metadata.goog",
  "instance-data", // AWS
  "instance-data.ec2.internal",
  "metadata.azure.com",
  "metadata.azure.internal",
  "metadata.tencentyun.com",
  "metadata.oraclecloud.com",
  "api.metadata.cloud.ibm.com",
  "metadata.platformequinix.com",
  "metadata.packet.net",
];

/** AWS regional form: `instance-data.<region>.compute.internal`. */
const METADATA_NAME_PATTERNS: readonly RegExp[] = [/^instance-data\.[a-z0-9-]+\.compute\.internal$/];

const LOOPBACK_NAMES = new Set(["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"]);
/** Suffixes only a local resolver answers for. */
const PRIVATE_SUFFIXES = ["internal", "local", "localdomain", "home.arpa", "lan", "home", "corp", "intranet", "private"];
/** Special-use names (RFC 6761, RFC 7686, RFC 9476) that never resolve on the internet. */
const RESERVED_SUFFIXES = ["invalid", "test", "example", "onion", "alt"];

// ---------------------------------------------------------------------------------------------------------------
// IPv4

/** One part of an IPv4 address as the WHATWG URL parser reads it: `0x` hex, leading-`0` octal, else decimal. */
function parseIpv4Part(part: string): number | null {
  if (part === "") return null;
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(digits)) {
    digits = digits.slice(2);
    radix = 16;
  } else if (digits.length > 1 && digits.startsWith("0")) {
    digits = digits.slice(1);
    radix = 8;
  }
  if (digits === "") return 0;
  const valid = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return null;
  // Very long inputs lose precision but stay far above every limit checked below.
  return parseInt(digits, radix);
}

/**
 * An IPv4 address in any notation the WHATWG URL parser accepts, as a 32-bit unsigned number, or null.
 * One to four dot-separated parts, each decimal, `0x` hex or leading-zero octal; the last part fills the
 * remaining bytes (`127.1` = 127.0.0.1, `169.254.43518` = 169.254.169.254, `2852039166` = 169.254.169.254).
 * One trailing dot is allowed.
 */
export function parseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIpv4Part(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (4 - numbers.length)) return null;
  return numbers.reduce((acc, n, i) => acc + n * 256 ** (3 - i), last);
}

/** Dotted decimal for a 32-bit unsigned number. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

/** WHATWG "ends in a number": the last label is all digits or parses as an IPv4 part, so the host must be IPv4. */
function endsInNumber(host: string): boolean {
  const parts = host.split(".");
  if (parts[parts.length - 1] === "") {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1]!;
  return /^[0-9]+$/.test(last) || parseIpv4Part(last) !== null;
}

const inV4 = (n: number, base: string, bits: number) =>
  bits === 0 || Math.floor(n / 2 ** (32 - bits)) === Math.floor(parseIpv4(base)! / 2 ** (32 - bits));

const V4_RANGES: ReadonlyArray<[string, number, HostKind]> = [
  ["0.0.0.0", 8, "unspecified"],
  ["127.0.0.0", 8, "loopback"],
  ["10.0.0.0", 8, "private"],
  ["172.16.0.0", 12, "private"],
  ["192.168.0.0", 16, "private"],
  ["100.64.0.0", 10, "cgnat"],
  ["169.254.0.0", 16, "link-local"],
  ["192.0.0.0", 24, "reserved"], // IETF protocol assignments
  ["192.0.2.0", 24, "reserved"], // TEST-NET-1
  ["198.51.100.0", 24, "reserved"], // TEST-NET-2
  ["203.0.113.0", 24, "reserved"], // TEST-NET-3
  ["192.88.99.0", 24, "reserved"], // 6to4 relay anycast (deprecated)
  ["198.18.0.0", 15, "reserved"], // benchmarking
  ["224.0.0.0", 4, "multicast"],
  ["255.255.255.255", 32, "broadcast"],
  ["240.0.0.0", 4, "reserved"], // future use
];

const METADATA_V4 = new Set(METADATA_IPV4.map((a) => parseIpv4(a)!));

/** The kind of an IPv4 address given as a 32-bit unsigned number. */
export function classifyIpv4(n: number): HostKind {
  if (METADATA_V4.has(n)) return "metadata";
  for (const [base, bits, kind] of V4_RANGES) if (inV4(n, base, bits)) return kind;
  return "public";
}

// ---------------------------------------------------------------------------------------------------------------
// IPv6

const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/**
 * An IPv6 address (no brackets, no zone) as eight 16-bit pieces, or null. Follows the WHATWG IPv6 parser:
 * `::` compression once, 1–4 hex digits a piece, an optional trailing dotted-decimal IPv4 (strict: four
 * decimal parts, no leading zeros).
 */
export function parseIpv6(text: string): number[] | null {
  const address = [0, 0, 0, 0, 0, 0, 0, 0];
  let pieceIndex = 0;
  let compress: number | null = null;
  let p = 0;
  if (text[p] === ":") {
    if (text[p + 1] !== ":") return null;
    p += 2;
    pieceIndex++;
    compress = pieceIndex;
  }
  while (p < text.length) {
    if (pieceIndex === 8) return null;
    if (text[p] === ":") {
      if (compress !== null) return null;
      p++;
      pieceIndex++;
      compress = pieceIndex;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && isHex(text[p])) {
      value = value * 16 + parseInt(text[p]!, 16);
      p++;
      length++;
    }
    if (text[p] === ".") {
      if (length === 0) return null;
      p -= length;
      if (pieceIndex > 6) return null;
      let numbersSeen = 0;
      while (p < text.length) {
        let piece: number | null = null;
        if (numbersSeen > 0) {
          if (text[p] === "." && numbersSeen < 4) p++;
          else return null;
        }
        if (!isDigit(text[p])) return null;
        while (isDigit(text[p])) {
          const digit = Number(text[p]);
          if (piece === null) piece = digit;
          else if (piece === 0) return null;
          else piece = piece * 10 + digit;
          if (piece > 255) return null;
          p++;
        }
        address[pieceIndex] = address[pieceIndex]! * 0x100 + piece!;
        numbersSeen++;
        if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
      }
      if (numbersSeen !== 4) return null;
      break;
    } else if (text[p] === ":") {
      p++;
      if (p >= text.length) return null;
    } else if (p < text.length) {
      return null;
    }
    address[pieceIndex] = value;
    pieceIndex++;
  }
  if (compress !== null) {
    let swaps = pieceIndex - compress;
    pieceIndex = 7;
    while (pieceIndex !== 0 && swaps > 0) {
      const other = compress + swaps - 1;
      [address[pieceIndex], address[other]] = [address[other]!, address[pieceIndex]!];
      pieceIndex--;
      swaps--;
    }
  } else if (pieceIndex !== 8) {
    return null;
  }
  return address;
}

/** Canonical IPv6 text as the WHATWG URL serializer writes it: lower-case hex, the first longest run of 2+ zero pieces as `::`. */
export function formatIpv6(pieces: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (pieces[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && pieces[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? "::" : ":";
      i += bestLength - 1;
      continue;
    }
    out += pieces[i]!.toString(16);
    if (i < 7) out += ":";
  }
  return out;
}

interface V6Range {
  pieces: number[];
  bits: number;
  kind: HostKind;
}

const v6Range = (cidr: string, kind: HostKind): V6Range => {
  const [address, bits] = cidr.split("/");
  return { pieces: parseIpv6(address!)!, bits: bits === undefined ? 128 : Number(bits), kind };
};

function inV6(pieces: readonly number[], range: V6Range): boolean {
  let bits = range.bits;
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((pieces[i]! & mask) !== (range.pieces[i]! & mask)) return false;
  }
  return true;
}

const METADATA_V6 = METADATA_IPV6.map((cidr) => v6Range(cidr, "metadata"));

/** Checked in order after metadata and the IPv4-carrying forms. */
const V6_RANGES: readonly V6Range[] = [
  v6Range("::/128", "unspecified"),
  v6Range("::1/128", "loopback"),
  v6Range("fe80::/10", "link-local"),
  v6Range("fec0::/10", "private"), // site-local, deprecated by RFC 3879
  v6Range("fc00::/7", "unique-local"),
  v6Range("ff00::/8", "multicast"),
  v6Range("100::/64", "reserved"), // discard-only
  v6Range("2001:db8::/32", "reserved"), // documentation
  v6Range("3fff::/20", "reserved"), // documentation (RFC 9637)
  v6Range("2001:2::/48", "reserved"), // benchmarking
  v6Range("2001:10::/28", "reserved"), // ORCHID (deprecated)
  v6Range("2001:20::/28", "reserved"), // ORCHIDv2
  v6Range("5f00::/16", "reserved"), // SRv6 SIDs (RFC 9602)
];

const GLOBAL_UNICAST = v6Range("2000::/3", "public");

const v4From = (hi: number, lo: number) => hi * 0x10000 + lo;
const zeros = (pieces: readonly number[], from: number, to: number) => pieces.slice(from, to).every((x) => x === 0);

/** The IPv4 address an IPv6 address carries, with how; null when it carries none. */
function embeddedIpv4(w: readonly number[]): { v4: number; form: "mapped" | "translated" | "compatible" | "nat64" | "nat64-local" | "6to4" | "teredo" } | null {
  if (zeros(w, 0, 5) && w[5] === 0xffff) return { v4: v4From(w[6]!, w[7]!), form: "mapped" };
  if (zeros(w, 0, 4) && w[4] === 0xffff && w[5] === 0) return { v4: v4From(w[6]!, w[7]!), form: "translated" };
  if (zeros(w, 0, 6) && !zeros(w, 6, 8) && !(w[6] === 0 && w[7] === 1)) return { v4: v4From(w[6]!, w[7]!), form: "compatible" };
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(w, 2, 6)) return { v4: v4From(w[6]!, w[7]!), form: "nat64" };
  if (w[0] === 0x64 && w[1] === 0xff9b && w[2] === 1) return { v4: v4From(w[6]!, w[7]!), form: "nat64-local" };
  if (w[0] === 0x2002) return { v4: v4From(w[1]!, w[2]!), form: "6to4" };
  if (w[0] === 0x2001 && w[1] === 0) return { v4: v4From(w[6]! ^ 0xffff, w[7]! ^ 0xffff), form: "teredo" };
  return null;
}

/** The kind of an IPv6 address given as eight pieces, and the IPv4 address that decided it, if any. */
export function classifyIpv6(pieces: readonly number[]): { kind: HostKind; embeddedIpv4?: string } {
  if (METADATA_V6.some((r) => inV6(pieces, r))) return { kind: "metadata" };
  const embedded = embeddedIpv4(pieces);
  if (embedded) {
    const kind = classifyIpv4(embedded.v4);
    // The local-use NAT64 prefix only exists inside one network, whatever it translates to.
    return { kind: embedded.form === "nat64-local" && kind === "public" ? "reserved" : kind, embeddedIpv4: formatIpv4(embedded.v4) };
  }
  for (const range of V6_RANGES) if (inV6(pieces, range)) return { kind: range.kind };
  return { kind: inV6(pieces, GLOBAL_UNICAST) ? "public" : "reserved" };
}

// ---------------------------------------------------------------------------------------------------------------
// Hosts

/** Code points a domain may never contain (WHATWG forbidden domain code points, plus any whitespace and C1 control). */
const FORBIDDEN_DOMAIN = /[\u0000-\u0020\u007f-\u009f#%/:<>?@[\\\]^|\s]/u;

const invalid = (host: string): HostClassification => ({ kind: "invalid", isIpLiteral: false, host });

function classifyV6Literal(text: string, original: string): HostClassification {
  let address = text;
  let zone: string | undefined;
  const percent = address.indexOf("%");
  if (percent >= 0) {
    zone = address.slice(percent + 1);
    address = address.slice(0, percent);
    if (zone.startsWith("25")) zone = zone.slice(2); // `%25` is how a URL writes the `%` before a zone
    if (!/^[0-9A-Za-z._~-]+$/.test(zone)) return invalid(original);
  }
  const pieces = parseIpv6(address);
  if (!pieces) return invalid(original);
  const ip = formatIpv6(pieces);
  const result: HostClassification = { ...classifyIpv6(pieces), isIpLiteral: true, host: `[${ip}]`, ip, family: 6 };
  if (zone !== undefined) result.zone = zone;
  return result;
}

const underSuffix = (name: string, suffixes: readonly string[]) =>
  suffixes.some((s) => name === s || name.endsWith(`.${s}`));

function classifyName(name: string): HostKind {
  if (LOOPBACK_NAMES.has(name) || name.endsWith(".localhost")) return "loopback";
  if (METADATA_NAMES.includes(name) || METADATA_NAME_PATTERNS.some((re) => re.test(name))) return "metadata";
  if (underSuffix(name, RESERVED_SUFFIXES)) return "reserved";
  if (!name.includes(".") || underSuffix(name, PRIVATE_SUFFIXES)) return "private";
  return "public";
}

/**
 * Classifies a URL hostname (or any spelling of a host) after normalising its notation; see the module
 * documentation for the notations and kinds.
 *
 * @example classifyHost("[::ffff:a9fe:a9fe]") // { kind: "metadata", isIpLiteral: true, ip: "::ffff:a9fe:a9fe", embeddedIpv4: "169.254.169.254", … }
 * @example classifyHost("0251.0376.0251.0376") // { kind: "metadata", isIpLiteral: true, ip: "169.254.169.254", … }
 * @example classifyHost("Metadata.Google.Internal.") // { kind: "metadata", isIpLiteral: false, host: "metadata.google.internal" }
 */
export function classifyHost(hostname: string): HostClassification {
  const original = hostname.trim();
  if (original === "") return invalid(original);

  // IPv6: bracketed as in a URL, or bare (it has a colon, which no name or IPv4 address has).
  if (original.startsWith("[") || original.endsWith("]")) {
    if (!(original.startsWith("[") && original.endsWith("]"))) return invalid(original);
    return classifyV6Literal(original.slice(1, -1), original);
  }
  if (original.includes(":")) return classifyV6Literal(original, original);

  let host = original;
  // Percent-escapes and non-ASCII: let the WHATWG host parser decode and map them (UTS #46), as a URL would.
  if (/[%\u0080-\u{10ffff}]/u.test(host)) {
    if (/[\u0000-\u0020\u007f#/:<>?@[\\\]^|]/.test(host)) return invalid(original);
    try {
      host = new URL(`http://${host}/`).hostname;
    } catch {
      return invalid(original);
    }
    if (host.startsWith("[")) return classifyV6Literal(host.slice(1, -1), original);
  }
  host = host.toLowerCase().replace(/\.+$/, "");
  if (host === "" || FORBIDDEN_DOMAIN.test(host)) return invalid(original);

  if (endsInNumber(host)) {
    const v4 = parseIpv4(host);
    if (v4 === null) return invalid(original);
    const ip = formatIpv4(v4);
    return { kind: classifyIpv4(v4), isIpLiteral: true, host: ip, ip, family: 4 };
  }
  if (host.split(".").some((label) => label === "")) return invalid(original);
  return { kind: classifyName(host), isIpLiteral: false, host };
}

/** True when the host is an IPv4 or IPv6 address in any notation (`2852039166`, `[::1]`, `fe80::1%eth0`). */
export function isIpLiteral(hostname: string): boolean {
  return classifyHost(hostname).isIpLiteral;
}

/** The host's kind; shorthand for `classifyHost(hostname).kind`. */
export function hostKind(hostname: string): HostKind {
  return classifyHost(hostname).kind;
}
