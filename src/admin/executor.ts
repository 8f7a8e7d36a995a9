import { AdminError } from "./errors";

export type SqlRow = Record<string, unknown>;

/**
 * Runs SQL statements in order and returns each statement's rows. The CLI's runs them through
 * `wrangler d1 execute`; tests run them on the D1 binding.
 */
export type SqlExecutor = (statements: string[]) => Promise<SqlRow[][]>;

/** Runs `statements` and checks that one result set came back per statement. */
export async function runStatements(execute: SqlExecutor, statements: string[]): Promise<SqlRow[][]> {
  const results = await execute(statements);
  if (results.length !== statements.length) {
    throw new AdminError(
      "database",
      `Expected ${statements.length} result set(s) from the database, got ${results.length}`,
    );
  }
  return results;
}

export function text(row: SqlRow, column: string): string {
  const value = row[column];
  if (typeof value !== "string") throw new AdminError("database", `Unexpected value in column ${column}`);
  return value;
}

export function int(row: SqlRow, column: string): number {
  const value = row[column];
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new AdminError("database", `Unexpected value in column ${column}`);
  }
  return value;
}

export function intOrNull(row: SqlRow, column: string): number | null {
  return row[column] === null || row[column] === undefined ? null : int(row, column);
}

/** A JSON array of strings stored as text (organizations.features). */
export function stringList(row: SqlRow, column: string): string[] {
  const parsed: unknown = JSON.parse(text(row, column));
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string")) {
    throw new AdminError("database", `Unexpected value in column ${column}`);
  }
  return parsed;
}
