/** True when a D1 error (possibly wrapped by drizzle) is a UNIQUE or PRIMARY KEY constraint violation. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (/UNIQUE constraint failed|PRIMARY KEY/i.test(String((e as Error).message ?? e))) return true;
  }
  return false;
}

/** D1 binds at most 100 parameters per statement; this splits a list into chunks that fit. */
export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
