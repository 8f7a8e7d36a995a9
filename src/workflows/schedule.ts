import { Cron } from "croner";

/** Scheduled runs are at least this far apart, so a typo like "* * * * *" cannot flood a source. */
export const MIN_SCHEDULE_INTERVAL_MS = 5 * 60_000;
const MIN_GAP_MINUTES = MIN_SCHEDULE_INTERVAL_MS / 60_000;
const MINUTES_PER_DAY = 24 * 60;

// ---------------------------------------------------------------------------------------------------------------
// Time zones

/** IANA zone names (`UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`), not offsets; any case. */
const IANA_NAME = /^(?:UTC|[A-Za-z][A-Za-z_-]*(?:\/[A-Za-z0-9][A-Za-z0-9_+-]*)+)$/i;

/**
 * Words of IANA names that are not spelled "Capitalized": the runtime (ICU) spells its own canonical ids right,
 * but not the links it maps onto them (`Asia/Kolkata` comes back as `Asia/Calcutta`, `US/Eastern` as
 * `America/New_York`), so those are spelled by rule: every word capitalized, except these.
 */
const WORD_SPELLING = new Map(
  ["US", "GMT", "UCT", "UTC", "ACT", "LHI", "NSW", "IN", "es", "au", "of"]
    .concat(["ComodRivadavia", "DeNoronha", "EasterIsland", "BajaNorte", "BajaSur", "DumontDUrville", "McMurdo"])
    .map((w) => [w.toLowerCase(), w]),
);

/**
 * The canonical spelling of an IANA zone name given in any case (`europe/berlin` → `Europe/Berlin`, `utc` →
 * `UTC`, `asia/kolkata` → `Asia/Kolkata`), or null when it is not a zone name the runtime knows. A link keeps
 * its own name (`US/Eastern` stays `US/Eastern`); only the case changes.
 */
export function canonicalTimeZone(tz: string): string | null {
  if (!IANA_NAME.test(tz)) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  if (resolved.toLowerCase() === tz.toLowerCase()) return resolved;
  return tz.toLowerCase().replace(/[a-z]+/g, (w) => WORD_SPELLING.get(w) ?? w[0]!.toUpperCase() + w.slice(1));
}

export function isValidTimeZone(tz: string): boolean {
  return canonicalTimeZone(tz) !== null;
}

// ---------------------------------------------------------------------------------------------------------------
// Cron fields
//
// Accepted, per field: `*`, a number, a range `a-b` (a ≤ b), a step `*/n` or `a-b/n`, and comma lists of these.
// Month names JAN-DEC and day names SUN-SAT (any case) stand for numbers, also in ranges. Day of week is 0-7,
// 0 and 7 both Sunday. croner's extensions (L, W, #, ?, a `+` prefix, `@daily` nicknames) and numeric-prefix
// steps (`5/10`) are refused: they are not standard cron, and the minimum-gap check below reasons about the
// standard syntax only. Everything accepted here is parsed by croner the same way.

interface FieldSpec {
  name: "minute" | "hour" | "day-of-month" | "month" | "day-of-week";
  min: number;
  max: number;
  /** The largest value `*` covers (day of week: 6; 7 is Sunday again). */
  top: number;
  /** The largest step croner accepts. */
  maxStep: number;
  names?: { kind: string; span: string; values: Map<string, number> };
}

const nameMap = (names: string[], first: number) => new Map(names.map((n, i) => [n.toLowerCase(), first + i]));

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59, top: 59, maxStep: 60 },
  { name: "hour", min: 0, max: 23, top: 23, maxStep: 24 },
  { name: "day-of-month", min: 1, max: 31, top: 31, maxStep: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    top: 12,
    maxStep: 12,
    names: {
      kind: "month",
      span: "JAN-DEC",
      values: nameMap(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1),
    },
  },
  {
    name: "day-of-week",
    min: 0,
    max: 7,
    top: 6,
    maxStep: 7,
    names: { kind: "day", span: "SUN-SAT", values: nameMap(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 0) },
  },
];

interface CronField {
  /** `values[v]` is true when v is in the field (day of week: 7 folded onto 0). */
  values: boolean[];
  /** The field is exactly `*` (croner combines the two day fields differently then). */
  star: boolean;
}

class FieldError extends Error {}

/** Extensions croner knows that we refuse: `?`, L, LW, nW, nL, n#k. */
const isExtension = (item: string) => /[#?]/.test(item) || /^(?:L|LW)$/i.test(item) || /\d[LW]$/i.test(item);

/** How to write a range that wraps around (`22-2` → `22-23,0-2`); day of week 7 is Sunday, like 0. */
function backwardsHint(spec: FieldSpec, lo: number, hi: number): string {
  const span = (a: number, b: number) => (a === b ? `${a}` : `${a}-${b}`);
  if (lo > spec.top) return `Sunday is 0 as well, like ${span(spec.min, hi)}`;
  return `list it in two parts instead, like ${span(lo, spec.top)},${span(spec.min, hi)}`;
}

function parseField(text: string, spec: FieldSpec): CronField {
  const values: boolean[] = Array.from({ length: spec.max + 1 }, () => false);
  const fail = (message: string) => new FieldError(`${spec.name}: ${message}`);
  if (text === "*") {
    for (let v = spec.min; v <= spec.top; v++) values[v] = true;
    return { values, star: true };
  }
  const value = (token: string, item: string, rangeEnd: boolean): number => {
    if (/^\d+$/.test(token)) {
      const n = Number.parseInt(token, 10);
      if (n < spec.min || n > spec.max) throw fail(`${token} is out of range ${spec.min}-${spec.max}`);
      return n;
    }
    if (/^[A-Za-z]+$/.test(token)) {
      const named = spec.names?.values.get(token.toLowerCase());
      // As in croner, SUN closing a range is 7 (`FRI-SUN` is 5-7).
      if (named !== undefined) return rangeEnd && spec.name === "day-of-week" && named === 0 ? 7 : named;
      const names = spec.names ? ` or a ${spec.names.kind} name (${spec.names.span})` : "";
      throw fail(`'${token}' is not a number${names}`);
    }
    throw fail(`'${item}' is not a number, a range a-b or a step`);
  };
  for (const item of text.split(",")) {
    if (item === "") throw fail(`'${text}' has an empty list item`);
    if (isExtension(item)) throw fail(`'${item}' uses a cron extension (L, W, #, ?), which schedules do not support`);
    const parts = item.split("/");
    if (parts.length > 2) throw fail(`'${item}' is not a number, a range a-b or a step`);
    const [range, stepText] = parts as [string, string | undefined];
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) throw fail(`step '${stepText}' is not a number`);
      step = Number.parseInt(stepText, 10);
      if (step < 1 || step > spec.maxStep) throw fail(`step ${stepText} is out of range 1-${spec.maxStep}`);
    }
    let lo = spec.min;
    let hi = spec.top;
    if (range !== "*") {
      const bounds = range.split("-");
      if (bounds.length > 2 || bounds.includes("")) throw fail(`'${item}' is not a number, a range a-b or a step`);
      lo = value(bounds[0]!, item, false);
      hi = bounds.length === 2 ? value(bounds[1]!, item, true) : lo;
      if (lo > hi) throw fail(`range ${range} runs backwards; ${backwardsHint(spec, lo, hi)}`);
      if (stepText !== undefined && bounds.length === 1) {
        const rangeStep = `${lo}-${spec.top}/${step}`;
        throw fail(`'${item}' steps from a single value; write */${step} or a range with a step, like ${rangeStep}`);
      }
    }
    for (let v = lo; v <= hi; v += step) values[v] = true;
  }
  if (spec.name === "day-of-week" && values[7]) values[0] = true;
  return { values, star: false };
}

interface ParsedCron {
  minute: CronField;
  hour: CronField;
  dayOfMonth: CronField;
  month: CronField;
  dayOfWeek: CronField;
}

function parseCron(cron: string): ParsedCron | string {
  const texts = cron.trim().split(/\s+/);
  if (texts.length !== 5) return "Must have five fields: minute hour day-of-month month day-of-week";
  try {
    const [minute, hour, dayOfMonth, month, dayOfWeek] = texts.map((t, i) => parseField(t, FIELDS[i]!)) as [
      CronField,
      CronField,
      CronField,
      CronField,
      CronField,
    ];
    return { minute, hour, dayOfMonth, month, dayOfWeek };
  } catch (err) {
    if (err instanceof FieldError) return err.message;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Firing days and the minimum gap

const COMMON_MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether the schedule fires on day `day` of month `month` when that day is weekday `weekday` (0 = Sunday), as
 * croner decides it: with both day fields restricted, a day fires when either matches (classic cron OR); a `*`
 * day field leaves the other one alone to decide. croner counts only a literal `*` as unrestricted (`*\/1` is
 * restricted).
 */
function firesOn(p: ParsedCron, month: number, day: number, weekday: number): boolean {
  if (!p.month.values[month]) return false;
  const dom = p.dayOfMonth.values[day]!;
  const dow = p.dayOfWeek.values[weekday]!;
  if (p.dayOfWeek.star) return dom;
  if (p.dayOfMonth.star) return dow;
  return dom || dow;
}

/**
 * Every calendar date (month, day) occurs on every weekday over the years, in common and in leap years alike
 * (Feb 29 included), so a date and the date after it can fall on any weekday w and w+1. The walk below covers
 * both kinds of year: 2 × 366 dates × 7 weekdays, a few thousand cheap checks.
 */
function eachDate(visit: (month: number, day: number, next: { month: number; day: number }) => boolean): boolean {
  for (const leap of [false, true]) {
    for (let month = 1; month <= 12; month++) {
      const length = month === 2 && leap ? 29 : COMMON_MONTH_DAYS[month - 1]!;
      for (let day = 1; day <= length; day++) {
        const next = day < length ? { month, day: day + 1 } : { month: (month % 12) + 1, day: 1 };
        if (visit(month, day, next)) return true;
      }
    }
  }
  return false;
}

const firesOnSomeDay = (p: ParsedCron) =>
  eachDate((month, day) => [0, 1, 2, 3, 4, 5, 6].some((w) => firesOn(p, month, day, w)));

const firesOnConsecutiveDays = (p: ParsedCron) =>
  eachDate((month, day, next) =>
    [0, 1, 2, 3, 4, 5, 6].some((w) => firesOn(p, month, day, w) && firesOn(p, next.month, next.day, (w + 1) % 7)),
  );

const clock = (minuteOfDay: number) =>
  `${String(Math.floor(minuteOfDay / 60)).padStart(2, "0")}:${String(minuteOfDay % 60).padStart(2, "0")}`;
const minutes = (n: number) => `${n} minute${n === 1 ? "" : "s"}`;

/**
 * Why firings come closer than MIN_SCHEDULE_INTERVAL_MS anywhere in the expression's cycle, or null.
 *
 * Every firing day fires at the same times of day (the minute × hour fields), so the cycle is one day: the
 * gaps between those times, plus the wrap from the day's last time to the next day's first time when two
 * consecutive calendar days can both fire. Any other pair of firings is more than a day apart. At most
 * 1440 times of day and a few thousand date checks; no enumeration of real minutes.
 *
 * DST: gaps are measured in the wall-clock time of the schedule's zone, which is what the fields describe. A
 * DST change can bring two firings closer in real time once per change: at a spring-forward jump the firings on
 * either side of the skipped hour (croner skips times inside the gap for multi-time schedules), at a fall-back
 * the repeated hour (croner fires its times in both passes, so `0,58 1 * * *` has 01:58 and the second 01:00
 * two minutes apart). That happens at most twice a year per zone and cannot turn into a flood, so it is
 * accepted rather than refusing ordinary schedules for it.
 */
function gapProblem(p: ParsedCron): string | null {
  const times: number[] = [];
  for (let h = 0; h < 24; h++) {
    if (!p.hour.values[h]) continue;
    for (let m = 0; m < 60; m++) if (p.minute.values[m]) times.push(h * 60 + m);
  }
  const prefix = `Scheduled runs must be at least ${MIN_GAP_MINUTES} minutes apart`;
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gap < MIN_GAP_MINUTES) {
      return `${prefix}: ${clock(times[i - 1]!)} and ${clock(times[i]!)} are ${minutes(gap)} apart`;
    }
  }
  const first = times[0]!;
  const last = times[times.length - 1]!;
  const wrap = MINUTES_PER_DAY - last + first;
  if (wrap < MIN_GAP_MINUTES && firesOnConsecutiveDays(p)) {
    return `${prefix}: ${clock(last)} and ${clock(first)} on the next day are ${minutes(wrap)} apart`;
  }
  return null;
}

/** Why a cron expression or time zone is not acceptable, or null when it is. */
export function scheduleProblem(cron: string, timezone: string): { field: "cron" | "timezone"; message: string } | null {
  if (!isValidTimeZone(timezone)) return { field: "timezone", message: `Unknown IANA time zone '${timezone}'` };
  const parsed = parseCron(cron);
  if (typeof parsed === "string") return { field: "cron", message: parsed };
  if (!firesOnSomeDay(parsed)) {
    return { field: "cron", message: "The expression never fires: none of its months has any of its days of the month" };
  }
  const gap = gapProblem(parsed);
  if (gap) return { field: "cron", message: gap };
  // Our parser is the stricter one; croner must still agree, since it computes the due times.
  try {
    const job = new Cron(cron, { timezone, paused: true, mode: "5-part" });
    if (!job.nextRun(new Date())) return { field: "cron", message: "The expression never fires" };
  } catch (err) {
    return { field: "cron", message: `Invalid cron expression: ${(err as Error).message}` };
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
