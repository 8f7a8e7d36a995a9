import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import * as schedule from "../../src/workflows/schedule";
import { nextDueAt, scheduleProblem } from "../../src/workflows/schedule";

const cronProblem = (cron: string, timezone = "UTC") => {
  const problem = scheduleProblem(cron, timezone);
  if (problem) expect(problem.field).toBe("cron");
  return problem?.message ?? null;
};

const canonicalTimeZone = (tz: string): string | null =>
  (schedule as unknown as { canonicalTimeZone: (tz: string) => string | null }).canonicalTimeZone(tz);

describe("schedule: minimum gap over the whole cycle", () => {
  it("refuses firings closer than 5 minutes anywhere in the day, not only in the next few runs", () => {
    expect(cronProblem("0,10,20,30-59 12 * * *")).toBe(
      "Scheduled runs must be at least 5 minutes apart: 12:30 and 12:31 are 1 minute apart",
    );
    // The last minute of an hour and the first of the next.
    expect(cronProblem("*/7 * * * *")).toBe("Scheduled runs must be at least 5 minutes apart: 00:56 and 01:00 are 4 minutes apart");
    expect(cronProblem("0,4 * * * *")).toContain("at least 5 minutes apart");
    expect(cronProblem("* * * * *")).toContain("at least 5 minutes apart");
  });

  it("refuses a short wrap-around from the last firing of a day to the first of the next day", () => {
    expect(cronProblem("0,58 0,23 * * *")).toBe(
      "Scheduled runs must be at least 5 minutes apart: 23:58 and 00:00 on the next day are 2 minutes apart",
    );
    expect(cronProblem("*/7 0,23 * * *")).toBe(
      "Scheduled runs must be at least 5 minutes apart: 23:56 and 00:00 on the next day are 4 minutes apart",
    );
  });

  it("judges the wrap-around by whether two consecutive calendar days can both fire", () => {
    const refused = [
      "0,58 0,23 * * 1,2", // Monday, Tuesday
      "0,58 0,23 * * 6,0", // Saturday, Sunday (the week wraps)
      "0,58 0,23 * * 6,7", // 7 is Sunday too
      "0,58 0,23 * * SAT-SUN",
      "0,58 0,23 14,15 * *",
      "0,58 0,23 31,1 * *", // Jan 31, Feb 1
      "0,58 0,23 31,1 12,1 *", // Dec 31, Jan 1 (the year wraps)
      "0,58 0,23 28,1 2,3 *", // Feb 28, Mar 1 in common years
      "0,58 0,23 29,1 2,3 *", // Feb 29, Mar 1 in leap years
      "0,58 0,23 28,29 2 *", // Feb 28, 29 in leap years
      "0,58 0,23 1 * 2", // both day fields restricted: the 1st OR Tuesdays; a Monday 1st is followed by a Tuesday
      "0,58 0,23 */1 * 1", // "*/1" is not "*": croner ORs it with the day of week, so every day fires
    ];
    for (const cron of refused) expect(cronProblem(cron), cron).toContain("on the next day are 2 minutes apart");

    const accepted = [
      "0,58 0,23 * * 1", // Mondays only
      "0,58 0,23 * * 6,1", // Saturday and Monday are not consecutive
      "0,58 0,23 * * 1,3,5",
      "0,58 0,23 1,15 * *",
      "0,58 0,23 31,1 1,3 *", // Jan 31 (Feb off), Mar 1 (Feb off), Mar 31 (Apr off)
      "0,58 0,23 30,1 2,3 *", // Feb has no 30th; Mar 30 is not followed by a firing Mar 31
      "0,58 0,23 1 1 *",
      "0,55 0,23 * * *", // exactly 5 minutes across midnight
      "*/5 * * * *",
      "*/7 0 * * *", // 00:56 is a day away from the next 00:00
      "0,5 * * * *",
      "0 9 * * 1-5",
      "30 2 * * *",
    ];
    for (const cron of accepted) expect(cronProblem(cron), cron).toBeNull();
  });

  it("stays cheap for the densest expressions", () => {
    const start = Date.now();
    for (let i = 0; i < 50; i++) {
      scheduleProblem("*/5 * * * *", "UTC");
      scheduleProblem("0,58 0,23 1-31 1-12 0-7", "Europe/Berlin");
    }
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe("schedule: cron field messages", () => {
  it("names the field and the offending value", () => {
    const cases: Array<[string, string]> = [
      ["0 0 1 13 *", "month: 13 is out of range 1-12"],
      ["0 0 1 0 *", "month: 0 is out of range 1-12"],
      ["61 * * * *", "minute: 61 is out of range 0-59"],
      ["0 24 * * *", "hour: 24 is out of range 0-23"],
      ["0 9-25 * * *", "hour: 25 is out of range 0-23"],
      ["0 0 32 * *", "day-of-month: 32 is out of range 1-31"],
      ["0 0 0 * *", "day-of-month: 0 is out of range 1-31"],
      ["0 0 * * 8", "day-of-week: 8 is out of range 0-7"],
      ["0 0 * * 1,2,9", "day-of-week: 9 is out of range 0-7"],
      ["*/0 * * * *", "minute: step 0 is out of range 1-60"],
      ["0 */25 * * *", "hour: step 25 is out of range 1-24"],
      ["0 0 * * 5-1", "day-of-week: range 5-1 runs backwards; list it in two parts instead, like 5-6,0-1"],
      ["0 0 * * 7-1", "day-of-week: range 7-1 runs backwards; Sunday is 0 as well, like 0-1"],
      ["5/x * * * *", "minute: step 'x' is not a number"],
      ["0 22-2 * * *", "hour: range 22-2 runs backwards; list it in two parts instead, like 22-23,0-2"],
      ["0 0 * FOO *", "month: 'FOO' is not a number or a month name (JAN-DEC)"],
      ["0 0 * * MOM", "day-of-week: 'MOM' is not a number or a day name (SUN-SAT)"],
      ["0 0 * JAN MON-FOO", "day-of-week: 'FOO' is not a number or a day name (SUN-SAT)"],
      ["x * * * *", "minute: 'x' is not a number"],
      ["0 0 MON * *", "day-of-month: 'MON' is not a number"],
      ["5/10 * * * *", "minute: '5/10' steps from a single value; write */10 or a range with a step, like 5-59/10"],
      ["*/x * * * *", "minute: step 'x' is not a number"],
      ["1,,2 * * * *", "minute: '1,,2' has an empty list item"],
      ["1-2-3 * * * *", "minute: '1-2-3' is not a number, a range a-b or a step"],
      ["*/5/2 * * * *", "minute: '*/5/2' is not a number, a range a-b or a step"],
      ["-5 * * * *", "minute: '-5' is not a number, a range a-b or a step"],
      ["0 0 L * *", "day-of-month: 'L' uses a cron extension (L, W, #, ?), which schedules do not support"],
      ["0 0 15W * *", "day-of-month: '15W' uses a cron extension (L, W, #, ?), which schedules do not support"],
      ["0 0 * * 5#2", "day-of-week: '5#2' uses a cron extension (L, W, #, ?), which schedules do not support"],
      ["0 0 * * 5L", "day-of-week: '5L' uses a cron extension (L, W, #, ?), which schedules do not support"],
      ["0 0 ? * 1", "day-of-month: '?' uses a cron extension (L, W, #, ?), which schedules do not support"],
      ["0 0 * * +1", "day-of-week: '+1' is not a number, a range a-b or a step"],
      ["0 0 30 2 *", "The expression never fires: none of its months has any of its days of the month"],
      ["0 0 31 4,6,9,11 *", "The expression never fires: none of its months has any of its days of the month"],
      ["0 0 * *", "Must have five fields: minute hour day-of-month month day-of-week"],
      ["@daily", "Must have five fields: minute hour day-of-month month day-of-week"],
    ];
    for (const [cron, message] of cases) expect(cronProblem(cron), cron).toBe(message);
  });

  it("accepts the standard syntax, names included, and croner reads it the same way", () => {
    const accepted = [
      "0 9 * * 1-5",
      "0 9 * * MON-FRI",
      "0 9 * * mon-fri",
      "0 9 * * FRI-SUN",
      "0 9 * * 0-7/2",
      "0 9 1 JAN,jul *",
      "0 9 1 jan-dec/3 *",
      "15,45 */2 * * *",
      "0-55/5 8-18 * * *",
      "05 09 01 01 *",
      "0 0 29 2 *", // fires in leap years
      "0 0 31 * *",
      "0 12 1 * 1", // the 1st or Mondays
    ];
    for (const cron of accepted) {
      expect(cronProblem(cron), cron).toBeNull();
      expect(nextDueAt(cron, "UTC", new Date("2026-01-01T00:00:00Z")), cron).toBeInstanceOf(Date);
    }
    // Names map the same way croner maps them.
    const after = new Date("2026-03-04T00:00:00Z");
    expect(nextDueAt("0 9 * * FRI-SUN", "UTC", after)).toEqual(new Cron("0 9 * * 5-7", { timezone: "UTC", mode: "5-part" }).nextRun(after));
    expect(nextDueAt("0 9 1 jan-dec/3 *", "UTC", after)).toEqual(new Date("2026-04-01T09:00:00Z"));
  });
});

describe("schedule: time zones", () => {
  it("gives the canonical IANA spelling of a zone sent in another case", () => {
    const cases: Array<[string, string]> = [
      ["europe/berlin", "Europe/Berlin"],
      ["EUROPE/BERLIN", "Europe/Berlin"],
      ["Europe/Berlin", "Europe/Berlin"],
      ["utc", "UTC"],
      ["UTC", "UTC"],
      ["etc/utc", "Etc/UTC"],
      ["america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"],
      ["asia/kolkata", "Asia/Kolkata"], // not turned into the older alias Asia/Calcutta
      ["Asia/Calcutta", "Asia/Calcutta"],
      ["europe/kyiv", "Europe/Kyiv"],
      ["us/eastern", "US/Eastern"],
      ["etc/gmt+5", "Etc/GMT+5"],
      ["america/port-au-prince", "America/Port-au-Prince"],
      ["america/port_of_spain", "America/Port_of_Spain"],
      ["antarctica/dumontdurville", "Antarctica/DumontDUrville"],
      ["antarctica/mcmurdo", "Antarctica/McMurdo"],
      ["america/knox_in", "America/Knox_IN"],
      ["america/north_dakota/new_salem", "America/North_Dakota/New_Salem"],
    ];
    for (const [input, canonical] of cases) expect(canonicalTimeZone(input), input).toBe(canonical);
    for (const bad of ["Mars/Olympus", "+05:00", "GMT+5", "", "Europe/constructor", "Europe", "europe/berlin "]) {
      expect(canonicalTimeZone(bad), bad).toBeNull();
    }
    expect(scheduleProblem("0 9 * * *", "europe/berlin")).toBeNull();
    expect(scheduleProblem("0 9 * * *", "utc")).toBeNull();
    expect(scheduleProblem("0 9 * * *", "Mars/Olympus")).toEqual({ field: "timezone", message: "Unknown IANA time zone 'Mars/Olympus'" });
  });
});
