/**
 * Tool names as the model sees them. Providers accept only `[A-Za-z0-9_-]{1,64}` (OpenAI's limit; Anthropic
 * allows 128), while MCP tool names may hold dots, slashes and more. A name that fits is used as it is; one
 * that does not has every other character replaced by `_` and is cut to 64 characters, with a numeric suffix
 * when two tools would otherwise share a name.
 */
const FITS = /^[A-Za-z0-9_-]{1,64}$/;

/** The provider-safe form of one name (before de-duplication). */
export function safeToolName(name: string): string {
  if (FITS.test(name)) return name;
  const replaced = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  return replaced === "" ? "tool" : replaced;
}

/** Maps between the source's tool names and the names offered to the model, both ways. */
export interface ToolNameMap {
  toModel: Map<string, string>;
  toSource: Map<string, string>;
}

/** Model-facing names for `names` (in order): unique, provider-safe, unchanged when already safe. */
export function modelToolNames(names: readonly string[]): ToolNameMap {
  const toModel = new Map<string, string>();
  const toSource = new Map<string, string>();
  // Names that already fit keep their name; the others take what is left.
  const ordered = [...names.filter((n) => FITS.test(n)), ...names.filter((n) => !FITS.test(n))];
  for (const name of ordered) {
    if (toModel.has(name)) continue;
    let candidate = safeToolName(name);
    for (let i = 2; toSource.has(candidate); i++) {
      const suffix = `_${i}`;
      candidate = `${safeToolName(name).slice(0, 64 - suffix.length)}${suffix}`;
    }
    toModel.set(name, candidate);
    toSource.set(candidate, name);
  }
  return { toModel, toSource };
}
