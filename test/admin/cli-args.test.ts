import { describe, expect, it } from "vitest";
import { parseInvocation } from "../../src/admin/args";
import { cli } from "./fixtures";

describe("admin CLI arguments", () => {
  it("parses every command with its options, in any order", () => {
    expect(parseInvocation(["org", "create", "acme", "--name", "Acme Inc."])).toEqual({
      options: { remote: false, json: false },
      command: { kind: "org-create", slug: "acme", name: "Acme Inc." },
    });
    expect(parseInvocation(["--json", "org", "create", "acme"]).command).toEqual({
      kind: "org-create",
      slug: "acme",
      name: "acme",
    });
    expect(parseInvocation(["org", "list", "--remote"])).toEqual({
      options: { remote: true, json: false },
      command: { kind: "org-list" },
    });
    expect(parseInvocation(["org", "features", "acme", "--enable=mcp-analytics", "--disable", "mcp-analytics"]).command).toEqual({
      kind: "org-features",
      slug: "acme",
      changes: [
        { action: "enable", feature: "mcp-analytics" },
        { action: "disable", feature: "mcp-analytics" },
      ],
    });
    expect(
      parseInvocation(["key", "create", "--role", "admin", "--org", "acme", "--expires-in-days", "30", "--name", " ci "]),
    ).toEqual({
      options: { remote: false, json: false },
      command: { kind: "key-create", org: "acme", role: "admin", name: "ci", expiresInDays: 30 },
    });
    expect(parseInvocation(["key", "create", "--org", "acme", "--role", "viewer"]).command).toMatchObject({
      name: "viewer key",
      expiresInDays: null,
    });
    expect(parseInvocation(["key", "list", "--org", "acme", "--persist-to", "/tmp/state"])).toEqual({
      options: { remote: false, json: false, persistTo: "/tmp/state" },
      command: { kind: "key-list", org: "acme" },
    });
    expect(parseInvocation(["key", "revoke", "0123456789abcdef"]).command).toEqual({
      kind: "key-revoke",
      keyId: "0123456789abcdef",
    });
    // A whole key is reduced to its id.
    expect(parseInvocation(["key", "revoke", `amt_0123456789abcdef_${"x".repeat(43)}`]).command).toEqual({
      kind: "key-revoke",
      keyId: "0123456789abcdef",
    });
  });

  it("accepts exactly the slugs that are one DNS label of lowercase letters, digits and hyphens", () => {
    for (const slug of ["a", "0", "acme", "acme-eu-2", "a".repeat(63)]) {
      expect(parseInvocation(["org", "create", slug]).command, slug).toMatchObject({ slug });
    }
    for (const slug of ["", "-acme", "acme-", "Acme", "ac_me", "ac.me", "a".repeat(64), "acmé", "acme ", "'; DROP"]) {
      expect(() => parseInvocation(["org", "create", "--", slug]), JSON.stringify(slug)).toThrow(/Invalid organization slug/);
    }
  });

  it("prints help on stdout with exit code 0", async () => {
    for (const argv of [["--help"], ["-h"], ["help"], ["key", "create", "--help"]]) {
      const r = await cli(argv);
      expect(r.exitCode, argv.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/^Usage: npm run armature -- <command> \[options\]/);
      expect(r.stdout).toContain("key create --org <slug> --role <viewer|editor|admin|owner>");
      expect(r.stderr).toBe("");
    }
  });

  const invalid: Array<[string[], string, string]> = [
    [[], "error: No command given", "Usage: npm run armature -- <command> [options]"],
    [["frob"], "error: Unknown command 'frob'", "Commands:"],
    [["key"], "error: Unknown command 'key': key commands are 'key create', 'key list', 'key revoke'", "Commands:"],
    [["org", "create"], "error: Missing <slug>", "Usage: npm run armature -- org create <slug> [--name <name>]"],
    [["org", "create", "a", "b"], "error: Unexpected argument 'b'", "Usage: npm run armature -- org create"],
    [["org", "create", "Acme"], "error: Invalid organization slug 'Acme': use 1-63 lowercase letters", "org create <slug>"],
    [["org", "create", "acme", "--name"], "error: --name needs a value", "org create <slug>"],
    [["org", "create", "acme", "--name", "--remote"], "error: --name needs a value", "org create <slug>"],
    [["org", "create", "-acme"], "error: Unknown option '-acme'", "org create <slug>"],
    [["org", "create", "acme", "--name", "   "], "error: The organization name must not be empty", "org create"],
    [["org", "create", "acme", "--name", "a\nb"], "error: The organization name must not contain control characters", "org create"],
    [["org", "create", "acme", "--name", "x".repeat(101)], "error: The organization name must be at most 100 characters", "org create"],
    [["org", "create", "acme", "--role", "owner"], "error: 'org create' has no option --role", "org create <slug>"],
    [["org", "create", "acme", "--frob"], "error: Unknown option '--frob'", "org create <slug>"],
    [["org", "features", "acme", "--enable", "time-travel"], "error: Unknown feature 'time-travel': known features are mcp-analytics", "org features <slug>"],
    [["key", "create", "--org", "acme"], "error: Missing --role", "key create --org <slug> --role"],
    [["key", "create", "--role", "owner"], "error: Missing --org", "key create --org <slug> --role"],
    [["key", "create", "--org", "acme", "--role", "root"], "error: Unknown role 'root': use one of ingest, viewer, editor, admin, owner", "key create"],
    [["key", "create", "--org", "acme", "--role", "owner", "--role", "viewer"], "error: --role given more than once", "key create"],
    [["key", "create", "--org", "acme", "--role", "owner", "--expires-in-days", "0"], "error: Invalid --expires-in-days '0'", "key create"],
    [["key", "create", "--org", "acme", "--role", "owner", "--expires-in-days", "1.5"], "error: Invalid --expires-in-days '1.5'", "key create"],
    [["key", "create", "--org", "acme", "--role", "owner", "--expires-in-days", "3651"], "error: Invalid --expires-in-days '3651'", "key create"],
    [["key", "list"], "error: Missing --org", "Usage: npm run armature -- key list --org <slug>"],
    [["key", "revoke"], "error: Missing <key-id>", "Usage: npm run armature -- key revoke <key-id>"],
    [["key", "revoke", "abc"], "error: Invalid key id 'abc'", "key revoke <key-id>"],
    [["org", "list", "--remote", "--local"], "error: Use either --remote or --local, not both", "org list"],
    [["org", "list", "--remote", "--persist-to", "x"], "error: --persist-to is for the local database", "org list"],
    [["org", "list", "--json=yes"], "error: --json takes no value", "org list"],
  ];

  it.each(invalid)("refuses %j with a message, the usage and exit code 2", async (argv, message, usage) => {
    const r = await cli(argv, {
      executor: () => {
        throw new Error("must not reach the database");
      },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.startsWith(message), r.stderr).toBe(true);
    expect(r.stderr).toContain(usage);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("never echoes something that looks like a secret key in an error", async () => {
    const r = await cli(["key", "revoke", "amt_0123456789abcdef_tooshort"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: Invalid key id: a key id is the 16 letters and digits after 'amt_'/);
    expect(r.stderr).not.toContain("tooshort");
  });

  it("answers with a JSON error envelope under --json", async () => {
    const r = await cli(["key", "create", "--org", "acme", "--json"]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: "usage", message: "Missing --role" } });
  });
});
