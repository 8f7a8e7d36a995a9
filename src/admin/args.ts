import { splitArgs } from "../lib/cli-args";
import type { Role } from "../auth/roles";
import { AdminError } from "./errors";
import {
  validateExpiresInDays,
  validateFeature,
  validateKeyId,
  validateName,
  validateRole,
  validateSlug,
  type Feature,
} from "./validation";

export interface GlobalOptions {
  /** Work on the deployed D1 database instead of the local one. */
  remote: boolean;
  /** Print machine-readable JSON. */
  json: boolean;
  /** Local state directory (wrangler's --persist-to); undefined means wrangler's default, .wrangler/state. */
  persistTo?: string;
}

export type FeatureChange = { action: "enable" | "disable"; feature: Feature };

export type Command =
  | { kind: "help" }
  | { kind: "org-create"; slug: string; name: string }
  | { kind: "org-list" }
  | { kind: "org-features"; slug: string; changes: FeatureChange[] }
  | { kind: "key-create"; org: string; role: Role; name: string; expiresInDays: number | null }
  | { kind: "key-list"; org: string }
  | { kind: "key-revoke"; keyId: string };

export interface Invocation {
  options: GlobalOptions;
  command: Command;
}

interface CommandSpec {
  usage: string;
  summary: string;
  positionals: string[];
  /** Options taking a value; repeatable ones may be given more than once. */
  options: string[];
  repeatable?: string[];
  required?: string[];
}

const COMMANDS: Record<string, CommandSpec> = {
  "org create": {
    usage: "org create <slug> [--name <name>]",
    summary: "Create an organization (slug: lowercase letters, digits, hyphens)",
    positionals: ["slug"],
    options: ["name"],
  },
  "org list": { usage: "org list", summary: "List organizations", positionals: [], options: [] },
  "org features": {
    usage: "org features <slug> [--enable <feature>] [--disable <feature>]",
    summary: "Show or change an organization's features (known: mcp-analytics)",
    positionals: ["slug"],
    options: [],
    repeatable: ["enable", "disable"],
  },
  "key create": {
    usage: "key create --org <slug> --role <viewer|editor|admin|owner> [--name <name>] [--expires-in-days <n>]",
    summary: "Create an API key; the secret key is printed once",
    positionals: [],
    options: ["org", "role", "name", "expires-in-days"],
    required: ["org", "role"],
  },
  "key list": {
    usage: "key list --org <slug>",
    summary: "List an organization's keys (never their secrets)",
    positionals: [],
    options: ["org"],
    required: ["org"],
  },
  "key revoke": { usage: "key revoke <key-id>", summary: "Revoke a key", positionals: ["key-id"], options: [] },
};

const GLOBAL_FLAGS = ["remote", "local", "json", "help"];
const GLOBAL_VALUE_OPTIONS = ["persist-to"];

/** The full help text. `program` is how the user runs the CLI. */
export function usageText(program = "npm run armature --"): string {
  const fits = (c: CommandSpec) => c.usage.length <= 64;
  const width = Math.max(...Object.values(COMMANDS).filter(fits).map((c) => c.usage.length));
  const commands = Object.values(COMMANDS).map((c) =>
    fits(c) ? `  ${c.usage.padEnd(width)}  ${c.summary}` : `  ${c.usage}\n  ${" ".repeat(width)}  ${c.summary}`,
  );
  return [
    `Usage: ${program} <command> [options]`,
    "",
    "Commands:",
    ...commands,
    "",
    "CI gate (a client of the REST API, not of the database; docs/ci.md):",
    "  gate <workflow-id> [options]  Dispatch a workflow's runs, wait for them, exit 0 when they pass;",
    `  ${" ".repeat(28)}  see \`${program} gate --help\``,
    "",
    "Options:",
    "  --remote            Use the deployed D1 database (wrangler login; key create needs API_KEY_PEPPERS set)",
    "  --persist-to <dir>  Local state directory (default .wrangler/state, the one `npm run dev` uses)",
    "  --json              Machine-readable output",
    "  -h, --help          Show this help",
  ].join("\n");
}

function commandUsage(name: string, program = "npm run armature --"): string {
  return `Usage: ${program} ${COMMANDS[name]!.usage}`;
}

/**
 * Parses the CLI's arguments (everything after `npm run armature --`) and validates every value.
 * Throws AdminError `usage` or `invalid_argument` with the usage to show.
 *
 * @example
 * parseInvocation(["key", "create", "--org", "demo", "--role", "viewer", "--json"])
 * // { options: { remote: false, json: true }, command: { kind: "key-create", org: "demo", role: "viewer", ... } }
 */
export function parseInvocation(argv: readonly string[]): Invocation {
  const { positionals: words, flags, values } = splitArgs(argv, {
    flags: GLOBAL_FLAGS,
    isValueOption,
    fail: (message, positionals) => {
      throw usageError(message, positionals);
    },
  });

  if (flags.has("remote") && flags.has("local")) throw usageError("Use either --remote or --local, not both", words);
  const persist = values.filter((v) => v.name === "persist-to");
  if (persist.length > 1) throw usageError("--persist-to given more than once", words);
  if (persist.length === 1 && flags.has("remote")) {
    throw usageError("--persist-to is for the local database; it cannot be used with --remote", words);
  }
  if (persist[0] && persist[0].value === "") throw usageError("--persist-to needs a value", words);
  const options: GlobalOptions = { remote: flags.has("remote"), json: flags.has("json") };
  if (persist[0]) options.persistTo = persist[0].value;

  if (flags.has("help") || words.length === 0 || (words.length === 1 && words[0] === "help")) {
    if (words.length === 0 && !flags.has("help")) throw new AdminError("usage", "No command given", usageText());
    return { options, command: { kind: "help" } };
  }

  const name = words.slice(0, 2).join(" ");
  const spec = COMMANDS[name];
  if (!spec) {
    const group = words[0];
    const known = Object.keys(COMMANDS).filter((c) => c.startsWith(`${group} `));
    const message =
      known.length > 0
        ? `Unknown command '${words.slice(0, 2).join(" ")}': ${group} commands are ${known.map((c) => `'${c}'`).join(", ")}`
        : `Unknown command '${words[0]}'`;
    throw new AdminError("usage", message, usageText());
  }
  const usage = commandUsage(name);
  const positionals = words.slice(2);
  if (positionals.length < spec.positionals.length) {
    throw new AdminError("usage", `Missing <${spec.positionals[positionals.length]}>`, usage);
  }
  if (positionals.length > spec.positionals.length) {
    throw new AdminError("usage", `Unexpected argument '${positionals[spec.positionals.length]}'`, usage);
  }

  const given = values.filter((v) => v.name !== "persist-to");
  const single = new Map<string, string>();
  for (const { name: option, value } of given) {
    const repeatable = spec.repeatable?.includes(option) ?? false;
    if (!repeatable && !spec.options.includes(option)) {
      throw new AdminError("usage", `'${name}' has no option --${option}`, usage);
    }
    if (!repeatable) {
      if (single.has(option)) throw new AdminError("usage", `--${option} given more than once`, usage);
      single.set(option, value);
    }
  }
  for (const option of spec.required ?? []) {
    if (!single.has(option)) throw new AdminError("usage", `Missing --${option}`, usage);
  }

  try {
    return { options, command: buildCommand(name, positionals, single, given) };
  } catch (err) {
    if (err instanceof AdminError && !err.usage) throw new AdminError(err.code, err.message, usage);
    throw err;
  }
}

function buildCommand(
  name: string,
  positionals: string[],
  single: Map<string, string>,
  given: Array<{ name: string; value: string }>,
): Command {
  switch (name) {
    case "org create": {
      const slug = validateSlug(positionals[0]!);
      return { kind: "org-create", slug, name: validateName(single.get("name") ?? slug, "organization name") };
    }
    case "org list":
      return { kind: "org-list" };
    case "org features":
      return {
        kind: "org-features",
        slug: validateSlug(positionals[0]!),
        changes: given.map((v) => ({ action: v.name as "enable" | "disable", feature: validateFeature(v.value) })),
      };
    case "key create": {
      const role = validateRole(single.get("role")!);
      const days = single.get("expires-in-days");
      return {
        kind: "key-create",
        org: validateSlug(single.get("org")!),
        role,
        name: validateName(single.get("name") ?? `${role} key`, "key name"),
        expiresInDays: days === undefined ? null : validateExpiresInDays(days),
      };
    }
    case "key list":
      return { kind: "key-list", org: validateSlug(single.get("org")!) };
    case "key revoke":
      return { kind: "key-revoke", keyId: validateKeyId(positionals[0]!) };
    default:
      throw new AdminError("usage", `Unknown command '${name}'`, usageText());
  }
}

function isValueOption(name: string): boolean {
  return (
    GLOBAL_VALUE_OPTIONS.includes(name) ||
    Object.values(COMMANDS).some((c) => c.options.includes(name) || (c.repeatable?.includes(name) ?? false))
  );
}

function usageError(message: string, words: string[]): AdminError {
  const name = words.slice(0, 2).join(" ");
  return new AdminError("usage", message, COMMANDS[name] ? commandUsage(name) : usageText());
}
