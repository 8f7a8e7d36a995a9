// The statistics behind the verdicts of `npm run bench` (docs/benchmarks.md, Method, "Intervals and verdicts"):
// the interval of a median over turns and what it says of a target's goal. No imports, so the tests can load it.

/**
 * One judged part of a target: the endpoint's req/s as a share of its bare reference's or of hello-world's (at
 * least `atLeast`), its CPU per request over the bare reference's (at most `atMost` ms), or its own CPU per
 * request (at most `atMost` ms).
 */
export type Goal =
  | { kind: "× bare" | "× hello"; atLeast: number }
  | { kind: "CPU − bare ms" | "CPU ms"; atMost: number };

/** A range that holds the true median with at least `confidence` (distribution-free: see {@link medianInterval}). */
export interface Interval {
  low: number;
  high: number;
  confidence: number;
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  let term = 0.5 ** n;
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

/** The k of {@link medianInterval} for n values: 0 when n values give no interval at that confidence. */
export function intervalRank(n: number, confidence = 0.9): number {
  const tail = (1 - confidence) / 2;
  let k = 0;
  while (k < n && binomialHalfCdf(n, k) <= tail) k++;
  return k;
}

/**
 * The interval of the median of `values` at `confidence` without assuming their distribution: the k-th smallest
 * and the k-th largest value, k as large as it can be while the chance that the true median lies beyond either is
 * at most (1 − confidence) / 2 each (the count of values below the median is Binomial(n, 1/2)). Null with too few
 * values for any such interval (fewer than 5 at 90 %). `confidence` in the result is the interval's own, at least
 * the one asked for: with 15 turns the 4th to the 12th value, 96 %; with 30, the 11th to the 20th, 90 %.
 */
export function medianInterval(values: number[], confidence = 0.9): Interval | null {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const k = intervalRank(xs.length, confidence);
  if (k === 0) return null;
  return { low: xs[k - 1]!, high: xs[xs.length - k]!, confidence: 1 - 2 * binomialHalfCdf(xs.length, k - 1) };
}

/**
 * What a run can say of a goal: its interval on the right side of the bound, on the wrong side, or holding it; or
 * nothing, when the run has too few turns for an interval (`--quick`).
 */
export type Verdict = "met" | "not met" | "at the line" | "too few turns";

export interface Judged {
  goal: Goal;
  /** The measured median the goal is about. */
  value: number;
  interval: Interval | null;
  verdict: Verdict;
}

/**
 * A goal judged by its median and that median's interval: met when the whole interval is on the right side of the
 * bound, not met when it is all on the wrong side, at the line when it holds the bound. Without an interval (fewer
 * than 5 turns) it is not judged: the median of two turns says nothing either way.
 */
export function judge(goal: Goal, value: number, interval: Interval | null): Judged {
  if (!interval) return { goal, value, interval, verdict: "too few turns" };
  const good = (x: number) => ("atLeast" in goal ? x >= goal.atLeast : x <= goal.atMost);
  const [best, worst] = "atLeast" in goal ? [interval.high, interval.low] : [interval.low, interval.high];
  const verdict: Verdict = good(worst) ? "met" : good(best) ? "at the line" : "not met";
  return { goal, value, interval, verdict };
}

/** From the best to the worst: a scenario is as good as its worst goal; a goal not judged ranks below met and above the rest. */
const VERDICT_ORDER: Verdict[] = ["met", "too few turns", "at the line", "not met"];

/** A scenario's verdict: its worst goal's. */
export const overallVerdict = (judged: Judged[]): Verdict =>
  judged.reduce<Verdict>((v, j) => (VERDICT_ORDER.indexOf(j.verdict) > VERDICT_ORDER.indexOf(v) ? j.verdict : v), "met");
