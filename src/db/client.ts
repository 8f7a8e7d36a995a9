import { Column, getTableColumns, is, Param, Placeholder, sql as drizzleSql, type Table } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

function build(d1: D1Database) {
  return drizzle(d1, { schema });
}

export type Database = ReturnType<typeof build>;

/**
 * One client per D1 binding and isolate: `drizzle(…, { schema })` rebuilds the relational metadata of the
 * whole schema, which cost 7–8 % of every request when it ran per request (docs/benchmarks.md). The client
 * holds no per-request state (D1 has no transactions here; every call goes straight to the binding), so
 * requests share it. Keyed by the binding object, so a test's or a wrapper's binding gets its own client.
 */
const clients = new WeakMap<D1Database, Database>();

/**
 * The drizzle client over the D1 binding, created on first use in this isolate.
 *
 * @example
 * const db = createDb(env.DB); // the same object for every request of this isolate
 */
export function createDb(d1: D1Database): Database {
  let db = clients.get(d1);
  if (!db) {
    db = build(d1);
    clients.set(d1, db);
  }
  return db;
}

/**
 * A query built once per client and reused: `build` runs on the first call for a client (with
 * `sql.placeholder`s for the values), later calls get the same prepared query, so the hottest point reads
 * skip drizzle's query building on every request.
 *
 * @example
 * const runById = preparedPerClient((db) =>
 *   db.select().from(runs).where(eq(runs.id, sql.placeholder("id"))).prepare(),
 * );
 * const row = await runById(db).get({ id });
 */
export function preparedPerClient<T>(build: (db: Database) => T): (db: Database) => T {
  const prepared = new WeakMap<Database, T>();
  return (db) => {
    let query = prepared.get(db);
    if (query === undefined) {
      query = build(db);
      prepared.set(db, query);
    }
    return query;
  };
}

/** Tables selected whole, each under its own key: `{ run: runs }`, `{ workflow: workflows, version: workflowVersions }`. */
type TableSelection = Record<string, Table>;
type RowsOf<T extends TableSelection> = { [K in keyof T]: T[K]["$inferSelect"] };
const selectFrom = <T extends TableSelection>(db: Database, tables: T) => db.select(tables);
type Selecting<T extends TableSelection> = ReturnType<typeof selectFrom<T>>;

/** What a read of whole rows needs per column, looked up once: where the value goes and how it is decoded. */
interface ColumnSlot {
  table: string;
  key: string;
  /** The column's mapFromDriverValue, or null where it returns the value as it is (text, integer, real). */
  decode: ((value: unknown) => unknown) | null;
}

/**
 * A one-row read of whole rows of `tables` (inner-joined: every table has its row), its statement rendered by
 * drizzle once per client: executed with D1's `raw()` on a statement prepared once, and decoded column by column
 * with each column's own `mapFromDriverValue`, looked up once. Drizzle's prepared `get()` answers the same
 * objects (a test compares them), but it fills placeholders, logs and maps each row by walking every column's
 * path with `is()` type checks (`mapResultRow`): about 4 % of a point read's CPU (docs/benchmarks.md). For the
 * hottest point reads only; everything else reads through drizzle. `decoders` replaces a column's own decoding
 * (a non-null value's; null stays null).
 *
 * @example
 * const runById = rowReader({ run: runs }, (q) => q.from(runs).where(eq(runs.id, sql.placeholder("id"))));
 * const found = await runById(db, { id }); // { run: RunRow } | undefined
 */
export function rowReader<T extends TableSelection, P extends string>(
  tables: T,
  query: (select: Selecting<T>) => { toSQL(): { sql: string; params: unknown[] } },
  decoders: RowDecoders<T> = {},
): (db: Database, values: Record<P, unknown>) => Promise<RowsOf<T> | undefined> {
  const decode = rowDecoder(tables, decoders);
  const read = rawReader<P>((db) => query(selectFrom(db, tables)));
  return async (db, values) => {
    const row = (await read(db, values))[0];
    return row === undefined ? undefined : decode(row);
  };
}

/** Per table and column, a decoding that replaces the column's own (a non-null value's; null stays null). */
type RowDecoders<T extends TableSelection> = {
  [K in keyof T]?: { [C in keyof T[K]["$inferSelect"]]?: (value: unknown) => T[K]["$inferSelect"][C] };
};

/**
 * Decodes one raw row holding every column of `tables`, in their order (what selecting or returning whole rows
 * answers), column by column with each column's own `mapFromDriverValue`, looked up once: what drizzle's row
 * mapping answers, without its per-column `is()` walk on every row.
 */
export function rowDecoder<T extends TableSelection>(tables: T, decoders: RowDecoders<T> = {}): (row: unknown[]) => RowsOf<T> {
  const slots: ColumnSlot[] = [];
  for (const [table, t] of Object.entries(tables)) {
    for (const [key, column] of Object.entries(getTableColumns(t))) {
      const own = column.mapFromDriverValue;
      const decode = (decoders[table] as Record<string, (value: unknown) => unknown> | undefined)?.[key];
      slots.push({ table, key, decode: decode ?? (own === Column.prototype.mapFromDriverValue ? null : (value) => own.call(column, value)) });
    }
  }
  const tableKeys = Object.keys(tables);
  return (row) => {
    const out: Record<string, Record<string, unknown>> = {};
    for (const key of tableKeys) out[key] = {};
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const value = row[i];
      out[slot.table]![slot.key] = value === null || slot.decode === null ? value : slot.decode(value);
    }
    return out as RowsOf<T>;
  };
}

/**
 * A read answered as D1's raw rows (arrays of column values, undecoded), its statement rendered by drizzle once
 * per client and prepared once: what {@link rowReader} decodes, and a point read whose one column SQLite already
 * wrote as the answer's JSON as it is, where drizzle's prepared `values()` would fill its placeholders with `is()`
 * checks and log on every call (a point read's largest cost of ours in the profile of `/mcp-servers/{id}`,
 * docs/benchmarks.md).
 *
 * @example
 * const serverJson = rawReader((db) => db.select({ json: sql.raw(SERVER_JSON) }).from(mcpServers).where(eq(mcpServers.id, sql.placeholder("id"))));
 * const [row] = await serverJson(db, { id }); // [json] | undefined
 */
export function rawReader<P extends string>(
  query: (db: Database) => Renderable,
): (db: Database, values: Record<P, unknown>) => Promise<unknown[][]> {
  const statement = statementOnce<P>(query);
  return (db, values) => statement(db, values).raw();
}

/**
 * Any statement drizzle builds with `sql.placeholder`s for its values (a write's too: `.set({ col:
 * sql.placeholder("x") })` encodes x as the column does), rendered once per client and prepared once, bound to
 * `values` on each call: for a hot write, run it on its own or in a D1 `batch`, where drizzle would build and
 * render the query, with an `is()` check per value, every time.
 *
 * @example
 * const touch = statementOnce<"id" | "at">((db) => db.update(runs).set({ enqueuedAt: sql.placeholder("at") }).where(eq(runs.id, sql.placeholder("id"))));
 * await touch(db, { id, at: new Date() }).run();
 */
export function statementOnce<P extends string>(query: (db: Database) => Renderable): (db: Database, values: Record<P, unknown>) => D1PreparedStatement {
  const prepared = preparedPerClient((db) => renderedOnce(db, query(db)));
  return (db, values) => {
    const { stmt, slots } = prepared(db);
    return stmt.bind(...bindSlots(slots, values));
  };
}

/** Any drizzle query builder, by what these helpers need of it: its rendering, toSQL(). */
export interface Renderable {
  toSQL(): { sql: string; params: unknown[] };
}

/**
 * One parameter of a statement rendered once: a placeholder's name, with the column that encodes its value when
 * drizzle bound one (an insert's or update's values), or a constant rendered with the statement.
 */
type ParamSlot = { name: string; encode: ((value: unknown) => unknown) | null } | { value: unknown };

/** The statement drizzle renders for `query`, prepared once on the client's binding, and its parameter slots. */
function renderedOnce(db: Database, query: Renderable): { stmt: D1PreparedStatement; slots: ParamSlot[] } {
  const { sql, params } = query.toSQL();
  const slots = params.map((p): ParamSlot => {
    if (is(p, Placeholder)) return { name: p.name, encode: null };
    if (is(p, Param) && is(p.value, Placeholder)) {
      const encoder = p.encoder as { mapToDriverValue(value: unknown): unknown };
      return { name: p.value.name, encode: (value) => encoder.mapToDriverValue(value) };
    }
    return { value: p };
  });
  return { stmt: db.$client.prepare(sql), slots };
}

/**
 * The values to bind, in order. Encoded as drizzle encodes a value it renders (null stays NULL; drizzle's own
 * placeholder filling would encode it too, writing a JSON column's null as the text `null`); a value not given
 * binds NULL, as D1 cannot bind `undefined`.
 */
function bindSlots(slots: readonly ParamSlot[], values: Record<string, unknown>): unknown[] {
  return slots.map((slot) => {
    if (!("name" in slot)) return slot.value;
    const value = values[slot.name] ?? null;
    return value === null || slot.encode === null ? value : slot.encode(value);
  });
}

/**
 * An INSERT of one whole row of `table` (a placeholder for every column; `insert` adds any conflict clause),
 * rendered by drizzle once per client, as a D1 statement bound to `row`'s values, each encoded by its column's
 * `mapToDriverValue` like drizzle's own insert. Drizzle building and rendering the runs table's 38-column insert
 * (an `is()` check per value and per chunk) on every request was a dispatch's largest cost after D1 itself: about
 * 0.3 ms of CPU (docs/benchmarks.md, "dispatch's insert rendered once"). For the hot writes only; run the
 * statements with D1's `batch` (`db.$client.batch`), drizzle queries alongside them through {@link d1Statement}.
 *
 * @example
 * const insertRun = rowWriter(runs, (db, values) => db.insert(runs).values(values));
 * await db.$client.batch([insertRun(db, row)]);
 */
export function rowWriter<T extends Table>(
  table: T,
  insert: (db: Database, values: Record<keyof T["$inferSelect"] & string, Placeholder>) => Renderable,
): (db: Database, row: T["$inferSelect"]) => D1PreparedStatement {
  const keys = Object.keys(getTableColumns(table)) as Array<keyof T["$inferSelect"] & string>;
  const values = Object.fromEntries(keys.map((key) => [key, drizzleSql.placeholder(key)])) as Record<keyof T["$inferSelect"] & string, Placeholder>;
  const statement = statementOnce<keyof T["$inferSelect"] & string>((db) => insert(db, values));
  return (db, row) => statement(db, row as Record<keyof T["$inferSelect"] & string, unknown>);
}

/** A drizzle query as a D1 statement (rendered now, with the values drizzle binds), to run in a D1 `batch`. */
export function d1Statement(db: Database, query: Renderable): D1PreparedStatement {
  const { sql, params } = query.toSQL();
  return db.$client.prepare(sql).bind(...params);
}

export { schema };
