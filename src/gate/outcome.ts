import { formatPercent } from "./format";
import type { GateReport, GateRun } from "./run-gate";

/** What one run counts as for the gate. */
export type RunVerdict = "pass" | "fail" | "pending";

/**
 * `pass` for a run that ended `pass`, or `partial` with --allow-partial; `fail` for every other ending,
 * infrastructure failures included (the gate got an answer: the run failed, and its classification says
 * why); `pending` for a run the gate stopped following (timeout) or never read.
 */
export function runVerdict(r: GateRun, allowPartial: boolean): RunVerdict {
  if (!r.done || !r.run) return "pending";
  return r.run.status === "pass" || (allowPartial && r.run.status === "partial") ? "pass" : "fail";
}

/** One tester target's runs: how many passed, at what cost and how fast. */
export interface TargetResult {
  target: string;
  runs: number;
  passed: number;
  pending: number;
  passRate: number;
  /** Mean over the runs that recorded a cost; null when none did. */
  meanCostUsd: number | null;
  /** Mean over the finished runs; null when none finished. */
  meanDurationMs: number | null;
  /** Whether the pass rate reaches --min-pass-rate. */
  met: boolean;
}

export interface GateOutcome {
  /** 0 every target passed; 1 a target did not; 2 no answer. */
  exitCode: 0 | 1 | 2;
  targets: TargetResult[];
  /** One line: why the gate passed or not. */
  reason: string;
}

/** The targets in the order their first run was dispatched. */
export function targetResults(report: GateReport): TargetResult[] {
  const byTarget = new Map<string, GateRun[]>();
  for (const r of report.runs) byTarget.set(r.target, [...(byTarget.get(r.target) ?? []), r]);
  return [...byTarget].map(([target, runs]) => {
    const verdicts = runs.map((r) => runVerdict(r, report.options.allowPartial));
    const passed = verdicts.filter((v) => v === "pass").length;
    const costs = runs.flatMap((r) => (r.done && typeof r.run?.cost.usd === "number" ? [r.run.cost.usd] : []));
    const durations = runs.flatMap((r) => (r.done && typeof r.run?.durationMs === "number" ? [r.run.durationMs] : []));
    const passRate = passed / runs.length;
    return {
      target,
      runs: runs.length,
      passed,
      pending: verdicts.filter((v) => v === "pending").length,
      passRate,
      meanCostUsd: mean(costs),
      meanDurationMs: mean(durations),
      met: passRate >= report.options.minPassRate - 1e-9,
    };
  });
}

/** The gate's exit code and its reason. */
export function gateOutcome(report: GateReport): GateOutcome {
  const targets = targetResults(report);
  if (report.failure) return { exitCode: 2, targets, reason: report.failure.message };
  if (report.runs.length === 0) return { exitCode: 2, targets, reason: "The dispatch made no runs." };
  const missed = targets.filter((t) => !t.met);
  const needs = formatPercent(report.options.minPassRate);
  if (missed.length === 0) {
    return { exitCode: 0, targets, reason: `Gate passed: every target reached the pass rate (${needs}).` };
  }
  const lines = missed.map((t) => `${t.target} passed ${t.passed} of ${t.runs} (${formatPercent(t.passRate)})`);
  return { exitCode: 1, targets, reason: `Gate failed: ${lines.join("; ")}; needs ${needs}${report.options.allowPartial ? "" : ", partial counting as a failure"}.` };
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}
