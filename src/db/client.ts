import { Column, getTableColumns, is, Placeholder, type Table } from "drizzle-orm";
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
 * hottest point reads only; everything else reads through drizzle.
 *
 * @example
 * const runById = rowReader({ run: runs }, (q) => q.from(runs).where(eq(runs.id, sql.placeholder("id"))));
 * const found = await runById(db, { id }); // { run: RunRow } | undefined
 */
export function rowReader<T extends TableSelection, P extends string>(
  tables: T,
  query: (select: Selecting<T>) => { toSQL(): { sql: string; params: unknown[] } },
): (db: Database, values: Record<P, unknown>) => Promise<RowsOf<T> | undefined> {
  const slots: ColumnSlot[] = [];
  for (const [table, t] of Object.entries(tables)) {
    for (const [key, column] of Object.entries(getTableColumns(t))) {
      const own = column.mapFromDriverValue;
      slots.push({ table, key, decode: own === Column.prototype.mapFromDriverValue ? null : (value) => own.call(column, value) });
    }
  }
  const tableKeys = Object.keys(tables);
  const prepared = preparedPerClient((db) => {
    const { sql, params } = query(selectFrom(db, tables)).toSQL();
    return {
      stmt: db.$client.prepare(sql),
      params: params.map((p): { name: string } | { value: unknown } => (is(p, Placeholder) ? { name: p.name } : { value: p })),
    };
  });
  return async (db, values) => {
    const { stmt, params } = prepared(db);
    const bound = params.map((p) => ("name" in p ? values[p.name as P] : p.value));
    const rows = await stmt.bind(...bound).raw();
    const row = rows[0];
    if (row === undefined) return undefined;
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

export { schema };
