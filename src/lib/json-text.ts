/**
 * Answers whose JSON is already written: a list page whose items SQLite serialized (`json_object` per row,
 * docs/benchmarks.md, "Lists: JSON built by SQLite"), or an answer written once and kept ({@link answerOfText}: a
 * workflow with its stored config). The answer is an ordinary object for every reader (what is only text is
 * parsed on first access, once), and carries the JSON text of the whole answer in pieces: the REST
 * layer sends them as the body as they are ({@link jsonBodyOf}) and the MCP API parses their text once
 * ({@link jsonTextOf}), instead of serializing the object again.
 */

/**
 * What an answer built from JSON text holds: the text in pieces, what it parsed to (on the first read of a key), and
 * whether a key was assigned since (the text then says something else than the object and is not used any more).
 */
interface TextState {
  readonly pieces: readonly string[];
  parsed?: Record<string, unknown>;
  stale: boolean;
}

const STATE = Symbol("json text");

type Holder = { [STATE]: TextState };

function piecesOf(value: unknown): readonly string[] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const state = (value as Partial<Holder>)[STATE];
  return state && !state.stale ? state.pieces : undefined;
}

function parsedOf(state: TextState): Record<string, unknown> {
  return (state.parsed ??= JSON.parse(state.pieces.join("")) as Record<string, unknown>);
}

/** The JSON text of an answer built by {@link preSerializedList} or {@link answerOfText}, or undefined for any other value. */
export function jsonTextOf(value: unknown): string | undefined {
  return piecesOf(value)?.join("");
}

/**
 * Pages of at least this many characters are sent as a Blob (see {@link jsonBodyOf}), smaller ones as one string.
 * V8 puts a string of over 128 KB (in one byte per character; half as many characters in two) in its large-object
 * space; below that, `join` fills one ordinary allocation faster than the runtime copies a hundred pieces.
 */
export const BLOB_BODY_MIN_CHARS = 100_000;

/**
 * The JSON of an answer built by {@link preSerializedList} as a response body, or undefined for any other value.
 * A large page is a `Blob` of the pieces: the runtime copies each piece into the body's bytes, outside the V8
 * heap, and the page never exists as one JavaScript string. A 148 KB page as one string is a large object in the
 * V8 heap, given back and mapped again request after request: the workflows list answered 0.79-0.86 × the bare
 * query's rate with it, 0.89-0.95 as a Blob. A smaller page is joined: the runs list (77 KB) answered 0.85-0.90 ×
 * bare as a Blob, 0.91-1.01 joined (docs/benchmarks.md, "The page as a Blob").
 */
export function jsonBodyOf(value: unknown): Blob | string | undefined {
  const pieces = piecesOf(value);
  if (!pieces) return undefined;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  return length < BLOB_BODY_MIN_CHARS ? pieces.join("") : new Blob(pieces as string[]);
}

/**
 * The answer `{ [key]: items, ...info }` from the JSON texts of its items (each well-formed) and the page info.
 * Reading `[key]` (a spread, `JSON.stringify`, a test) parses the items once; the REST layer and the MCP API read
 * the JSON with {@link jsonBodyOf} and {@link jsonTextOf} and never do.
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
  const out = {} as Record<string | symbol, unknown>;
  // The items first: the same key order as `{ [key]: items, ...info }`.
  readFromText(out, [key], jsonPieces(key, itemTexts, info));
  Object.assign(out, info);
  return out as { [P in K]: Item[] } & Info;
}

/**
 * The answer whose JSON is `text` (an object with the top-level `keys`, in the text's order), as an ordinary object
 * for every reader: each key is parsed from the text on its first access, once. The REST layer sends the text as
 * it is and the MCP API parses it ({@link jsonBodyOf}, {@link jsonTextOf}), so neither builds the object at all.
 * A key assigned a new value no longer agrees with the text, which is then not used any more.
 *
 * @example
 * const out = answerOfText<{ a: number[] }>(["a"], '{"a":[1]}');
 * jsonTextOf(out) // '{"a":[1]}'
 * out.a           // [1]
 */
export function answerOfText<T extends object>(keys: ReadonlyArray<keyof T & string>, text: string): T {
  const out = {} as Record<string | symbol, unknown>;
  readFromText(out, keys, [text]);
  return out as T;
}

/**
 * The accessor of `key` on every answer built from text: one per key name, shared, reading the state of the object
 * it is read on. With an accessor of its own closures on each answer, every answer's text (the page's items, through
 * the closures) survived the young collections and was promoted until a full collection, a quarter of a list's
 * allocation (docs/benchmarks.md, "What a list kept alive": most likely through the hidden class each answer then
 * needs, maps living in the old generation). Shared accessors give every answer of one shape the same hidden class.
 */
const accessors = new Map<string, PropertyDescriptor>();

function accessorOf(key: string): PropertyDescriptor {
  let descriptor = accessors.get(key);
  if (!descriptor) {
    descriptor = {
      enumerable: true,
      configurable: true,
      get(this: Holder) {
        return parsedOf(this[STATE])[key];
      },
      set(this: Holder, v: unknown) {
        const state = this[STATE];
        state.parsed = { ...parsedOf(state), [key]: v };
        state.stale = true;
      },
    };
    accessors.set(key, descriptor);
  }
  return descriptor;
}

/**
 * Defines `keys` on `out` as enumerable properties read from the JSON text `pieces` (parsed once, on the first
 * read of any of them) and gives `out` the pieces as its JSON. A key assigned a new value makes the text say
 * something else than the object: it is not used any more.
 */
function readFromText(out: Record<string | symbol, unknown>, keys: readonly string[], pieces: readonly string[]): void {
  for (const key of keys) Object.defineProperty(out, key, accessorOf(key));
  Object.defineProperty(out, STATE, { value: { pieces, stale: false } satisfies TextState });
}

/**
 * `{"key":[item,…],…info}` in pieces, one per item: the opening before the first item, a comma after each but the
 * last, and the page info and closing brace after the last. (A comma as a piece of its own doubles the pieces the
 * runtime converts, and measured slower.)
 */
function jsonPieces(key: string, itemTexts: readonly string[], info: object): string[] {
  const infoText = JSON.stringify(info);
  const head = `{${JSON.stringify(key)}:[`;
  const tail = infoText === "{}" ? "]}" : `],${infoText.slice(1)}`;
  const last = itemTexts.length - 1;
  if (last < 0) return [head + tail];
  return itemTexts.map((text, i) => (i === 0 ? head : "") + text + (i === last ? tail : ","));
}

/**
 * SQL for the ISO 8601 text of a millisecond timestamp column, exactly as `Date#toISOString` writes it (NULL for
 * NULL): the timestamps of the answers SQLite writes.
 */
export const sqlIso = (column: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${column} / 1000.0, 'unixepoch')`;
