/**
 * Answers whose JSON is already written: a list page whose items SQLite serialized (`json_object` per row,
 * docs/benchmarks.md, "Lists: JSON built by SQLite"). The answer is an ordinary object for every reader (its
 * items are parsed on first access, once), and carries the JSON text of the whole answer, which the REST layer
 * sends as the body as is and the MCP API parses once, instead of serializing the object again.
 */

const BODY = Symbol("json body");

/** The JSON text of an answer built by {@link preSerializedList}, or undefined for any other value. */
export function jsonTextOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const text = (value as { [BODY]?: unknown })[BODY];
  return typeof text === "string" ? text : undefined;
}

/**
 * The answer `{ [key]: items, ...info }` from the JSON texts of its items (each well-formed) and the page info.
 * Reading `[key]` (a spread, `JSON.stringify`, a test) parses the items once; the REST layer and the MCP API read
 * the text with {@link jsonTextOf} and never do.
 *
 * The text is written by one `join`, so it is one flat string. The page as a concatenated (cons) string, which has
 * to be flattened (copied again) before the body is encoded, cost 0.6-0.9 ms more CPU per 148 KB page than the
 * same text flat (docs/benchmarks.md, "The lists' extra time").
 *
 * @example
 * const out = preSerializedList("runs", ['{"id":"r1"}'], { page: 1, total: 1 });
 * jsonTextOf(out) // '{"runs":[{"id":"r1"}],"page":1,"total":1}'
 * out.runs[0].id  // "r1"
 */
export function preSerializedList<K extends string, Item, Info extends object>(
  key: K,
  itemTexts: readonly string[],
  info: Info,
): { [P in K]: Item[] } & Info {
  const body = flatJsonText(key, itemTexts, info);
  let items: Item[] | undefined;
  let stale = false;
  const out = {} as Record<string | symbol, unknown>;
  // The items first: the same key order as `{ [key]: items, ...info }`.
  Object.defineProperty(out, key, {
    enumerable: true,
    configurable: true,
    get: () => (items ??= (JSON.parse(body) as Record<K, Item[]>)[key]),
    set: (v: Item[]) => {
      // Replaced items: the text no longer says what the object does, so it is not used any more.
      items = v;
      stale = true;
    },
  });
  Object.assign(out, info);
  Object.defineProperty(out, BODY, { get: () => (stale ? undefined : body), enumerable: false });
  return out as { [P in K]: Item[] } & Info;
}

/**
 * `{"key":[item,…],…info}` in one allocation: the opening is prefixed to the first item and the page info
 * appended to the last, and one `join(",")` copies every piece into a new flat string.
 */
function flatJsonText(key: string, itemTexts: readonly string[], info: object): string {
  const infoText = JSON.stringify(info);
  const head = `{${JSON.stringify(key)}:[`;
  const tail = `]${infoText === "{}" ? "" : `,${infoText.slice(1, -1)}`}}`;
  if (itemTexts.length === 0) return head + tail;
  const parts = itemTexts.slice();
  parts[0] = head + parts[0];
  parts[parts.length - 1] += tail;
  return parts.join(",");
}

/**
 * SQL for the ISO 8601 text of a millisecond timestamp column, exactly as `Date#toISOString` writes it (NULL for
 * NULL): the timestamps of the answers SQLite writes.
 */
export const sqlIso = (column: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${column} / 1000.0, 'unixepoch')`;
