import { formatCost, formatDuration, formatPercent } from "./format";
import { type GateOutcome, runVerdict } from "./outcome";
import type { GateReport, GateRun } from "./run-gate";

const INDENT = "       ";
const CRITERION_INDENT = `${INDENT}                `;

/**
 * The gate's readable summary: each run (target, verdict, classification, cost, duration, URL, and each
 * criterion with pass/fail and its reasoning), then each target's pass rate, mean cost and duration, then
 * the gate's result. Empty when the gate got no answer before it dispatched anything.
 */
export function formatSummary(report: GateReport, outcome: GateOutcome): string {
  if (!report.workflow) return "";
  const { options } = report;
  const lines: string[] = [];
  const targets = outcome.targets.length;
  lines.push(`Armature gate: workflow "${oneLine(report.workflow.name)}" (${report.workflow.id})`);
  lines.push(`API: ${report.apiBase}`);
  const key = options.idempotency
    ? `idempotency key from ${options.idempotency.from}${report.replayed ? `, replayed ${report.replayed} of ${options.repeat} earlier dispatch${options.repeat === 1 ? "" : "es"}` : ""}`
    : "no idempotency key";
  lines.push(
    `Runs: ${report.runs.length} (${targets} target${targets === 1 ? "" : "s"}${options.repeat > 1 ? ` × ${options.repeat}` : ""}), ${key}, ${formatDuration(report.elapsedMs)}`,
  );

  for (const r of report.runs) lines.push("", ...runLines(report, r));

  if (outcome.targets.length > 0) {
    lines.push(
      "",
      `Targets (each needs ${formatPercent(options.minPassRate)} of its runs to pass; partial counts as a ${options.allowPartial ? "pass" : "failure"}):`,
    );
    const rows = outcome.targets.map((t) => [
      t.target,
      `${t.passed} of ${t.runs} passed (${formatPercent(t.passRate)})${t.pending ? `, ${t.pending} unfinished` : ""}`,
      `mean cost ${formatCost(t.meanCostUsd)}`,
      `mean duration ${t.meanDurationMs === null ? "n/a" : formatDuration(t.meanDurationMs)}`,
      t.met ? "PASS" : "FAIL",
    ]);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows) lines.push(`  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}`);
  }
  lines.push("", outcome.exitCode === 2 ? `Gate: no answer. ${outcome.reason}` : outcome.reason);
  return `${lines.join("\n")}\n`;
}

function runLines(report: GateReport, r: GateRun): string[] {
  const verdict = runVerdict(r, report.options.allowPartial);
  const run = r.run;
  const id = r.attempts.at(-1)!;
  const head = [
    `[${verdict.toUpperCase()}] ${r.target}`,
    ...(report.options.repeat > 1 ? [`run ${r.repeat} of ${report.options.repeat}`] : []),
    run?.status ?? r.dispatched.status,
    ...(run?.classification ? [run.classification] : []),
    ...(r.attempts.length > 1 ? [`attempt ${run?.attempt ?? r.attempts.length}`] : []),
    `cost ${formatCost(run?.cost.usd)}`,
    ...(typeof run?.durationMs === "number" ? [formatDuration(run.durationMs)] : []),
  ].join(" · ");
  const lines = [head, `${INDENT}${report.runUrl(id)}`];
  if (r.attempts.length > 1) lines.push(`${INDENT}retry of ${r.attempts.slice(0, -1).join(", ")}`);
  if (!r.done) {
    lines.push(`${INDENT}not finished when the gate stopped`);
    return lines;
  }
  if (run?.error) lines.push(...block(`error: ${run.error}`, INDENT));
  const evaluation = r.evaluation;
  if (!evaluation) {
    if (!run?.error) lines.push(`${INDENT}no evaluation`);
    return lines;
  }
  if (evaluation.summary) lines.push(...block(evaluation.summary, INDENT));
  for (const c of evaluation.criteria) {
    const passed = c.passed ?? c.verdict === "pass";
    const baseline = c.baseline && c.baseline !== "unchanged" ? ` (${c.baseline})` : "";
    lines.push(`${INDENT}${passed ? "pass" : "FAIL"}  ${c.isRequired ? "required" : "optional"}  ${oneLine(c.criterionText)}${baseline}`);
    lines.push(...block(c.reasoning?.trim() || "(no reasoning given)", CRITERION_INDENT));
  }
  return lines;
}

/** Text as indented lines, control characters shown as `\uXXXX` so they cannot move the terminal. */
function block(text: string, indent: string): string[] {
  return text.split(/\r\n|\r|\n/).map((line) => `${indent}${visible(line)}`);
}

function oneLine(text: string): string {
  return visible(text.replace(/\s*[\r\n]+\s*/g, " "));
}

function visible(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
