import { Cron } from "croner";

/** Scheduled runs are at least this far apart, so a typo like "* * * * *" cannot flood a source. */
export const MIN_SCHEDULE_INTERVAL_MS = 5 * 60_000;

/** IANA zone names (`UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`), not offsets. */
const IANA_NAME = /^(?:UTC|[A-Za-z][A-Za-z_-]*(?:\/[A-Za-z0-9][A-Za-z0-9_+-]*)+)$/;

export function isValidTimeZone(tz: string): boolean {
  if (!IANA_NAME.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron expression or time zone is not acceptable, or null when it is. */
export function scheduleProblem(cron: string, timezone: string): { field: "cron" | "timezone"; message: string } | null {
  if (!isValidTimeZone(timezone)) return { field: "timezone", message: `Unknown IANA time zone '${timezone}'` };
  if (cron.trim().split(/\s+/).length !== 5) {
    return { field: "cron", message: "Must have five fields: minute hour day-of-month month day-of-week" };
  }
  let job: Cron;
  try {
    job = new Cron(cron, { timezone, paused: true, mode: "5-part" });
  } catch (err) {
    return { field: "cron", message: `Invalid cron expression: ${(err as Error).message}` };
  }
  const upcoming = job.nextRuns(4, new Date());
  if (upcoming.length === 0) return { field: "cron", message: "The expression never fires" };
  for (let i = 1; i < upcoming.length; i++) {
    if (upcoming[i]!.getTime() - upcoming[i - 1]!.getTime() < MIN_SCHEDULE_INTERVAL_MS) {
      return { field: "cron", message: "Scheduled runs must be at least 5 minutes apart" };
    }
  }
  return null;
}

/**
 * The first due time strictly after `after`, in the schedule's time zone.
 *
 * @example
 * nextDueAt("0 9 * * *", "Europe/Berlin", new Date("2026-01-01T00:00:00Z")) // 2026-01-01T08:00:00.000Z
 */
export function nextDueAt(cron: string, timezone: string, after: Date): Date | null {
  return new Cron(cron, { timezone, paused: true, mode: "5-part" }).nextRun(after);
}
