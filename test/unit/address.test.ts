import { describe, expect, it } from "vitest";
import {
  classifyHost,
  formatIpv4,
  formatIpv6,
  HOST_KINDS,
  hostKind,
  isIpLiteral,
  METADATA_IPV4,
  METADATA_IPV6,
  METADATA_NAMES,
  parseIpv4,
  parseIpv6,
  type HostKind,
} from "../../src/net/address";

/** [input, kind, canonical ip (undefined for names and invalid hosts)] */
type Row = [string, HostKind, string?];

const IPV4_NOTATIONS: Row[] = [
  // 169.254.169.254 in every IPv4 notation
  ["169.254.169.254", "metadata", "169.254.169.254"],
  ["2852039166", "metadata", "169.254.169.254"],
  ["0xa9fea9fe", "metadata", "169.254.169.254"],
  ["0XA9FEA9FE", "metadata", "169.254.169.254"],
  ["0xa9.0xfe.0xa9.0xfe", "metadata", "169.254.169.254"],
  ["0251.0376.0251.0376", "metadata", "169.254.169.254"],
  ["025177524776", "metadata", "169.254.169.254"],
  ["169.254.43518", "metadata", "169.254.169.254"],
  ["169.16689662", "metadata", "169.254.169.254"],
  ["0xa9.254.0251.0xfe", "metadata", "169.254.169.254"],
  ["169.254.169.254.", "metadata", "169.254.169.254"],
  ["169.254.169.254..", "metadata", "169.254.169.254"],
  // loopback
  ["127.0.0.1", "loopback", "127.0.0.1"],
  ["127.1", "loopback", "127.0.0.1"],
  ["127.0.1", "loopback", "127.0.0.1"],
  ["2130706433", "loopback", "127.0.0.1"],
  ["0x7f000001", "loopback", "127.0.0.1"],
  ["017700000001", "loopback", "127.0.0.1"],
  ["0x7f.1", "loopback", "127.0.0.1"],
  ["127.255.255.254", "loopback", "127.255.255.254"],
  // unspecified
  ["0.0.0.0", "unspecified", "0.0.0.0"],
  ["0", "unspecified", "0.0.0.0"],
  ["0x0", "unspecified", "0.0.0.0"],
  ["0x", "unspecified", "0.0.0.0"],
  ["0.1.2.3", "unspecified", "0.1.2.3"],
  // private
  ["10.0.0.1", "private", "10.0.0.1"],
  ["012.0.0.1", "private", "10.0.0.1"],
  ["167772161", "private", "10.0.0.1"],
  ["172.16.0.1", "private", "172.16.0.1"],
  ["172.31.255.255", "private", "172.31.255.255"],
  ["192.168.1.1", "private", "192.168.1.1"],
  ["0xc0a80101", "private", "192.168.1.1"],
  ["192.168.257", "private", "192.168.1.1"],
  // cgnat
  ["100.64.0.1", "cgnat", "100.64.0.1"],
  ["100.127.255.255", "cgnat", "100.127.255.255"],
  // link-local
  ["169.254.0.1", "link-local", "169.254.0.1"],
  ["169.254.255.255", "link-local", "169.254.255.255"],
  ["0xa9fe0001", "link-local", "169.254.0.1"],
  // metadata
  ["169.254.170.2", "metadata", "169.254.170.2"],
  ["169.254.170.23", "metadata", "169.254.170.23"],
  ["169.254.0.23", "metadata", "169.254.0.23"],
  ["100.100.100.200", "metadata", "100.100.100.200"],
  ["1684301000", "metadata", "100.100.100.200"],
  ["168.63.129.16", "metadata", "168.63.129.16"],
  ["192.0.0.192", "metadata", "192.0.0.192"],
  // multicast, broadcast, reserved
  ["224.0.0.1", "multicast", "224.0.0.1"],
  ["239.255.255.250", "multicast", "239.255.255.250"],
  ["255.255.255.255", "broadcast", "255.255.255.255"],
  ["4294967295", "broadcast", "255.255.255.255"],
  ["0xffffffff", "broadcast", "255.255.255.255"],
  ["240.0.0.1", "reserved", "240.0.0.1"],
  ["255.255.255.254", "reserved", "255.255.255.254"],
  ["192.0.2.1", "reserved", "192.0.2.1"],
  ["198.51.100.7", "reserved", "198.51.100.7"],
  ["203.0.113.9", "reserved", "203.0.113.9"],
  ["198.18.0.1", "reserved", "198.18.0.1"],
  ["198.19.255.255", "reserved", "198.19.255.255"],
  ["192.0.0.8", "reserved", "192.0.0.8"],
  ["192.88.99.1", "reserved", "192.88.99.1"],
  // public, including the edges of the ranges above
  ["8.8.8.8", "public", "8.8.8.8"],
  ["134744072", "public", "8.8.8.8"],
  ["1.1.1.1", "public", "1.1.1.1"],
  ["9.255.255.255", "public", "9.255.255.255"],
  ["11.0.0.0", "public", "11.0.0.0"],
  ["172.15.255.255", "public", "172.15.255.255"],
  ["172.32.0.0", "public", "172.32.0.0"],
  ["192.167.255.255", "public", "192.167.255.255"],
  ["192.169.0.0", "public", "192.169.0.0"],
  ["100.63.255.255", "public", "100.63.255.255"],
  ["100.128.0.0", "public", "100.128.0.0"],
  ["169.253.255.255", "public", "169.253.255.255"],
  ["169.255.0.0", "public", "169.255.0.0"],
  ["126.255.255.255", "public", "126.255.255.255"],
  ["128.0.0.0", "public", "128.0.0.0"],
  ["1.0.0.0", "public", "1.0.0.0"],
  ["223.255.255.255", "public", "223.255.255.255"],
  ["198.17.255.255", "public", "198.17.255.255"],
  ["198.20.0.0", "public", "198.20.0.0"],
];
const IPV6_NOTATIONS: Array<[string, HostKind, string, string?]> = [
  // [input, kind, canonical ip, embedded IPv4]
  // loopback and unspecified
  ["[::1]", "loopback", "::1"],
  ["::1", "loopback", "::1"],
  ["[0:0:0:0:0:0:0:1]", "loopback", "::1"],
  ["[0000:0000:0000:0000:0000:0000:0000:0001]", "loopback", "::1"],
  ["[::0.0.0.1]", "loopback", "::1"],
  ["[::]", "unspecified", "::"],
  ["[0:0:0:0:0:0:0:0]", "unspecified", "::"],
  // IPv4-mapped
  ["[::ffff:169.254.169.254]", "metadata", "::ffff:a9fe:a9fe", "169.254.169.254"],
  ["[::ffff:a9fe:a9fe]", "metadata", "::ffff:a9fe:a9fe", "169.254.169.254"],
  ["[::FFFF:A9FE:A9FE]", "metadata", "::ffff:a9fe:a9fe", "169.254.169.254"],
  ["[0:0:0:0:0:ffff:169.254.169.254]", "metadata", "::ffff:a9fe:a9fe", "169.254.169.254"],
  ["[0000:0000:0000:0000:0000:ffff:a9fe:a9fe]", "metadata", "::ffff:a9fe:a9fe", "169.254.169.254"],
  ["[::ffff:127.0.0.1]", "loopback", "::ffff:7f00:1", "127.0.0.1"],
  ["[::ffff:7f00:1]", "loopback", "::ffff:7f00:1", "127.0.0.1"],
  ["[::ffff:10.1.2.3]", "private", "::ffff:a01:203", "10.1.2.3"],
  ["[::ffff:169.254.1.1]", "link-local", "::ffff:a9fe:101", "169.254.1.1"],
  ["[::ffff:100.100.100.200]", "metadata", "::ffff:6464:64c8", "100.100.100.200"],
  ["[::ffff:169.254.170.2]", "metadata", "::ffff:a9fe:aa02", "169.254.170.2"],
  ["[::ffff:0.0.0.0]", "unspecified", "::ffff:0:0", "0.0.0.0"],
  ["[::ffff:8.8.8.8]", "public", "::ffff:808:808", "8.8.8.8"],
  // IPv4-translated (SIIT)
  ["[::ffff:0:169.254.169.254]", "metadata", "::ffff:0:a9fe:a9fe", "169.254.169.254"],
  ["[::ffff:0:a9fe:a9fe]", "metadata", "::ffff:0:a9fe:a9fe", "169.254.169.254"],
  // IPv4-compatible (deprecated)
  ["[::169.254.169.254]", "metadata", "::a9fe:a9fe", "169.254.169.254"],
  ["[::a9fe:a9fe]", "metadata", "::a9fe:a9fe", "169.254.169.254"],
  ["[::127.0.0.1]", "loopback", "::7f00:1", "127.0.0.1"],
  ["[::192.168.0.1]", "private", "::c0a8:1", "192.168.0.1"],
  ["[::8.8.8.8]", "public", "::808:808", "8.8.8.8"],
  // NAT64
  ["[64:ff9b::169.254.169.254]", "metadata", "64:ff9b::a9fe:a9fe", "169.254.169.254"],
  ["[64:ff9b::a9fe:a9fe]", "metadata", "64:ff9b::a9fe:a9fe", "169.254.169.254"],
  ["[64:ff9b::7f00:1]", "loopback", "64:ff9b::7f00:1", "127.0.0.1"],
  ["[64:ff9b::a00:1]", "private", "64:ff9b::a00:1", "10.0.0.1"],
  ["[64:ff9b::808:808]", "public", "64:ff9b::808:808", "8.8.8.8"],
  ["[64:ff9b:1::a9fe:a9fe]", "metadata", "64:ff9b:1::a9fe:a9fe", "169.254.169.254"],
  ["[64:ff9b:1::808:808]", "reserved", "64:ff9b:1::808:808", "8.8.8.8"],
  // 6to4
  ["[2002:a9fe:a9fe::]", "metadata", "2002:a9fe:a9fe::", "169.254.169.254"],
  ["[2002:a9fe:a9fe::1]", "metadata", "2002:a9fe:a9fe::1", "169.254.169.254"],
  ["[2002:7f00:1::1]", "loopback", "2002:7f00:1::1", "127.0.0.1"],
  ["[2002:c0a8:101::1]", "private", "2002:c0a8:101::1", "192.168.1.1"],
  ["[2002:808:808::1]", "public", "2002:808:808::1", "8.8.8.8"],
  // Teredo: the client address is the last 32 bits, inverted
  ["[2001:0:4136:e378:8000:63bf:5601:5656]", "link-local", "2001:0:4136:e378:8000:63bf:5601:5656", "169.254.169.169"],
  ["[2001:0:4136:e378:8000:63bf:f7f7:f7f7]", "public", "2001:0:4136:e378:8000:63bf:f7f7:f7f7", "8.8.8.8"],
  // link-local fe80::/10, with zones
  ["[fe80::1]", "link-local", "fe80::1"],
  ["[FE80::1]", "link-local", "fe80::1"],
  ["[fe80::1%25eth0]", "link-local", "fe80::1"],
  ["[fe80::1%eth0]", "link-local", "fe80::1"],
  ["fe80::1%eth0", "link-local", "fe80::1"],
  ["[fe90::1]", "link-local", "fe90::1"],
  ["[fea0::1]", "link-local", "fea0::1"],
  ["[febf::1]", "link-local", "febf::1"],
  ["[febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff]", "link-local", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["[fe80::a9fe:a9fe]", "metadata", "fe80::a9fe:a9fe"],
  // site-local (deprecated), unique-local, metadata inside unique-local
  ["[fec0::1]", "private", "fec0::1"],
  ["[feff::1]", "private", "feff::1"],
  ["[fc00::1]", "unique-local", "fc00::1"],
  ["[fd12:3456:789a::1]", "unique-local", "fd12:3456:789a::1"],
  ["[fdff:ffff::1]", "unique-local", "fdff:ffff::1"],
  ["[fd00:ec2::254]", "metadata", "fd00:ec2::254"],
  ["[FD00:EC2:0:0:0:0:0:254]", "metadata", "fd00:ec2::254"],
  ["[fd00:ec2::23]", "metadata", "fd00:ec2::23"],
  ["[fd20:ce::254]", "metadata", "fd20:ce::254"],
  ["[fd00:c1::a9fe:a9fe]", "metadata", "fd00:c1::a9fe:a9fe"],
  ["[fd00:42::42]", "metadata", "fd00:42::42"],
  ["[fd00:ec3::254]", "unique-local", "fd00:ec3::254"],
  // multicast and reserved
  ["[ff02::1]", "multicast", "ff02::1"],
  ["[ff05::1:3]", "multicast", "ff05::1:3"],
  ["[100::1]", "reserved", "100::1"],
  ["[2001:db8::1]", "reserved", "2001:db8::1"],
  ["[3fff::1]", "reserved", "3fff::1"],
  ["[2001:2::1]", "reserved", "2001:2::1"],
  ["[2001:10::1]", "reserved", "2001:10::1"],
  ["[2001:20::1]", "reserved", "2001:20::1"],
  ["[5f00::1]", "reserved", "5f00::1"],
  ["[4000::1]", "reserved", "4000::1"],
  ["[::2:3]", "unspecified", "::2:3", "0.2.0.3"], // IPv4-compatible 0.2.0.3, in 0.0.0.0/8
  // public
  ["[2606:4700:4700::1111]", "public", "2606:4700:4700::1111"],
  ["[2001:4860:4860::8888]", "public", "2001:4860:4860::8888"],
  ["[2620:4f:8000::1]", "public", "2620:4f:8000::1"],
  ["[3ffe::1]", "public", "3ffe::1"],
  ["[2001:1::1]", "public", "2001:1::1"],
];
const NAMES: Array<[string, HostKind, string]> = [
  // [input, kind, normalised name]
  ["localhost", "loopback", "localhost"],
  ["LOCALHOST", "loopback", "localhost"],
  ["localhost.", "loopback", "localhost"],
  ["acme.localhost", "loopback", "acme.localhost"],
  ["a.b.localhost.", "loopback", "a.b.localhost"],
  ["localhost.localdomain", "loopback", "localhost.localdomain"],
  ["ip6-localhost", "loopback", "ip6-localhost"],
  ["metadata", "metadata", "metadata"],
  ["metadata.google.internal", "metadata", "metadata.google.internal"],
  ["metadata.google.internal.", "metadata", "metadata.google.internal"],
  ["METADATA.GOOGLE.INTERNAL", "metadata", "metadata.google.internal"],
  ["Metadata.Google.Internal..", "metadata", "metadata.google.internal"],
  ["metadata.goog", "metadata", "metadata.goog"],
  ["instance-data", "metadata", "instance-data"],
  ["instance-data.", "metadata", "instance-data"],
  ["instance-data.ec2.internal", "metadata", "instance-data.ec2.internal"],
  ["instance-data.eu-west-1.compute.internal", "metadata", "instance-data.eu-west-1.compute.internal"],
  ["metadata.azure.com", "metadata", "metadata.azure.com"],
  ["metadata.tencentyun.com", "metadata", "metadata.tencentyun.com"],
  ["api.metadata.cloud.ibm.com", "metadata", "api.metadata.cloud.ibm.com"],
  ["%6d%65tadata.google.internal", "metadata", "metadata.google.internal"],
  ["ｍｅｔａｄａｔａ．ｇｏｏｇｌｅ．ｉｎｔｅｒｎａｌ", "metadata", "metadata.google.internal"],
  ["metadata\u3002google\u3002internal", "metadata", "metadata.google.internal"],
  ["meta\u00addata.google.internal", "metadata", "metadata.google.internal"],
  ["mcp", "private", "mcp"],
  ["db.internal", "private", "db.internal"],
  ["printer.local", "private", "printer.local"],
  ["nas.home.arpa", "private", "nas.home.arpa"],
  ["box.localdomain", "private", "box.localdomain"],
  ["host.docker.internal", "private", "host.docker.internal"],
  ["mcp.test", "reserved", "mcp.test"],
  ["nothing.invalid", "reserved", "nothing.invalid"],
  ["x.example", "reserved", "x.example"],
  ["abc.onion", "reserved", "abc.onion"],
  ["mcp.example.com", "public", "mcp.example.com"],
  ["MCP.Example.COM.", "public", "mcp.example.com"],
  ["metadata.example.com", "public", "metadata.example.com"],
  ["169.254.example.com", "public", "169.254.example.com"],
  ["localhost.example.com", "public", "localhost.example.com"],
  ["instance-data.example.com", "public", "instance-data.example.com"],
  ["xn--bcher-kva.example.com", "public", "xn--bcher-kva.example.com"],
  ["bücher.example.com", "public", "xn--bcher-kva.example.com"],
  ["0xg.example.com", "public", "0xg.example.com"],
  ["1.2.3.0xg", "public", "1.2.3.0xg"], // the last label is no number, so this is a name (as in a URL)
];

const INVALID = [
  "",
  "   ",
  "[",
  "]",
  "[::1",
  "::1]",
  "[127.0.0.1]",
  "[example.com]",
  "[::1]:80",
  "1.2.3.4.5",
  "256.0.0.1",
  "1.2.3.256.",
  "1.2.65536",
  "4294967296",
  "0x100000000",
  "08",
  "09.1.1.1",
  "00000169.254.169.254",
  "999999999999999999999999",
  "[1:2:3:4:5:6:7:8:9]",
  "[1::2::3]",
  "[:1]",
  "[1:]",
  "[12345::1]",
  "[::ffff:0251.0376.0251.0376]",
  "[::ffff:1.2.3]",
  "[::ffff:1.2.3.4.5]",
  "[::ffff:256.1.1.1]",
  "[1:2:3:4:5:6:7:1.2.3.4]",
  "[fe80::1%]",
  "[fe80::1%25]",
  "[fe80::1%eth 0]",
  "[g::1]",
  "example.com@169.254.169.254",
  "exa mple.com",
  "a..b",
  "exa\u0085mple.com",
  "exa\r\nmple.com",
  "a/b",
  "a?b",
  "a#b",
  "a\\b",
  ".",
  "..",
  "%",
  "%zz.example.com",
  "%00.example.com",
];

describe("classifyHost: IPv4 in every notation", () => {
  it.each(IPV4_NOTATIONS)("%s → %s %s", (input, kind, ip) => {
    expect(classifyHost(input)).toEqual({ kind, isIpLiteral: true, host: ip, ip, family: 4 });
    expect(isIpLiteral(input)).toBe(true);
  });
});

describe("classifyHost: IPv6 in every notation", () => {
  it.each(IPV6_NOTATIONS)("%s → %s %s", (input, kind, ip, embedded) => {
    const c = classifyHost(input);
    expect(c).toMatchObject({ kind, isIpLiteral: true, host: `[${ip}]`, ip, family: 6 });
    expect(c.embeddedIpv4).toBe(embedded);
    expect(isIpLiteral(input)).toBe(true);
  });

  it("reports and drops the zone id", () => {
    expect(classifyHost("[fe80::1%25eth0]")).toEqual({ kind: "link-local", isIpLiteral: true, host: "[fe80::1]", ip: "fe80::1", family: 6, zone: "eth0" });
    expect(classifyHost("fe80::1%en0").zone).toBe("en0");
    expect(classifyHost("[::1]").zone).toBeUndefined();
  });
});

describe("classifyHost: names", () => {
  it.each(NAMES)("%s → %s", (input, kind, host) => {
    expect(classifyHost(input)).toEqual({ kind, isIpLiteral: false, host });
    expect(isIpLiteral(input)).toBe(false);
  });

  it("knows every listed metadata name, with a trailing dot and in upper case", () => {
    for (const name of METADATA_NAMES) {
      expect(hostKind(name), name).toBe("metadata");
      expect(hostKind(`${name.toUpperCase()}.`), name).toBe("metadata");
    }
  });
});

describe("classifyHost: invalid hosts", () => {
  it.each(INVALID.map((h) => [h]))("%j → invalid", (input) => {
    const c = classifyHost(input);
    expect(c.kind).toBe("invalid");
    expect(c.isIpLiteral).toBe(false);
    expect(c.ip).toBeUndefined();
  });
});

describe("classifyHost: surrounding whitespace", () => {
  it("trims it", () => {
    expect(classifyHost("  169.254.169.254\n")).toMatchObject({ kind: "metadata", ip: "169.254.169.254" });
    expect(classifyHost("\t[::1] ")).toMatchObject({ kind: "loopback", ip: "::1" });
    expect(classifyHost(" localhost ")).toMatchObject({ kind: "loopback", host: "localhost" });
  });
});

describe("metadata address lists", () => {
  it("classifies every listed address as metadata, also mapped into IPv6", () => {
    for (const v4 of METADATA_IPV4) {
      expect(hostKind(v4), v4).toBe("metadata");
      expect(hostKind(`[::ffff:${v4}]`), v4).toBe("metadata");
      expect(hostKind(String(parseIpv4(v4))), v4).toBe("metadata");
    }
    for (const v6 of METADATA_IPV6) {
      const address = v6.split("/")[0]!;
      expect(hostKind(`[${address}]`), v6).toBe("metadata");
    }
    // The whole AWS block, not just the documented addresses.
    expect(hostKind("[fd00:ec2::253]")).toBe("metadata");
    expect(hostKind("[fd00:ec2:ffff::1]")).toBe("metadata");
  });
});

describe("agrees with the WHATWG URL parser", () => {
  // Every IP spelling above, as the URL parser normalises it: our canonical form must be its hostname.
  const spellings = [
    ...IPV4_NOTATIONS.map(([h]) => h).filter((h) => !h.endsWith("..")),
    ...IPV6_NOTATIONS.map(([h]) => h).filter((h) => h.startsWith("[") && !h.includes("%")),
  ];
  it.each(spellings.map((h) => [h]))("%s", (input) => {
    const fromUrl = new URL(`http://${input}/`).hostname;
    expect(classifyHost(input).host).toBe(fromUrl);
    // Classifying the URL's own hostname gives the same answer.
    expect(classifyHost(fromUrl)).toEqual(classifyHost(input));
  });

  it("refuses (as invalid) the IP spellings the URL parser refuses", () => {
    for (const input of INVALID.filter((h) => /^[\d.x[\]:a-f]+$/i.test(h) && /[\d:]/.test(h) && !h.includes("]:"))) {
      expect(() => new URL(`http://${input}/`), input).toThrow();
    }
  });
});

describe("helpers", () => {
  it("parseIpv4 / formatIpv4", () => {
    expect(parseIpv4("169.254.169.254")).toBe(0xa9fea9fe);
    expect(parseIpv4("0xa9fea9fe")).toBe(0xa9fea9fe);
    expect(parseIpv4("1.2.3.4.")).toBe(0x01020304);
    expect(parseIpv4("1.2.3.4.5")).toBeNull();
    expect(parseIpv4("")).toBeNull();
    expect(parseIpv4("a.b.c.d")).toBeNull();
    expect(formatIpv4(0)).toBe("0.0.0.0");
    expect(formatIpv4(0xffffffff)).toBe("255.255.255.255");
    expect(formatIpv4(0xa9fea9fe)).toBe("169.254.169.254");
  });

  it("parseIpv6 / formatIpv6", () => {
    expect(parseIpv6("::ffff:169.254.169.254")).toEqual([0, 0, 0, 0, 0, 0xffff, 0xa9fe, 0xa9fe]);
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIpv6("1::")).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6("[::1]")).toBeNull();
    expect(parseIpv6("fe80::1%eth0")).toBeNull();
    expect(formatIpv6([0, 0, 0, 0, 0, 0, 0, 0])).toBe("::");
    expect(formatIpv6([1, 0, 0, 0, 0, 0, 0, 0])).toBe("1::");
    expect(formatIpv6([1, 0, 0, 2, 0, 0, 0, 3])).toBe("1:0:0:2::3");
    expect(formatIpv6([1, 0, 0, 2, 0, 0, 3, 4])).toBe("1::2:0:0:3:4");
    expect(formatIpv6([1, 0, 2, 3, 4, 5, 6, 7])).toBe("1:0:2:3:4:5:6:7");
  });

  it("isIpLiteral", () => {
    for (const h of ["127.0.0.1", "2130706433", "[::1]", "::1", "fe80::1%eth0", "0x7f.1", "169.254.169.254."]) expect(isIpLiteral(h), h).toBe(true);
    for (const h of ["localhost", "example.com", "1.2.3.4.5", "[nope]", "", "1.2.3.4.example.com"]) expect(isIpLiteral(h), h).toBe(false);
  });

  it("HOST_KINDS lists every kind produced", () => {
    const produced = new Set<string>([
      ...IPV4_NOTATIONS.map((r) => r[1]),
      ...IPV6_NOTATIONS.map((r) => r[1]),
      ...NAMES.map((r) => r[1]),
      "invalid",
    ]);
    expect([...produced].sort()).toEqual([...HOST_KINDS].sort());
  });
});
