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

export { schema };
