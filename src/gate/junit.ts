import { formatPercent } from "./format";
import type { GateOutcome } from "./outcome";
import type { GateReport, GateRun } from "./run-gate";

/**
 * The gate's JUnit XML report: one `<testsuite>` per run (named with its model and id), one `<testcase>` per
 * criterion, a failed criterion as a `<failure>` carrying its reasoning and excerpts (optional criteria
 * too, with `type="optional criterion"`, also under --allow-partial: the exit code is the gate's verdict).
 * A run that ended without an evaluation (an infrastructure failure) has one testcase with an `<error>`
 * naming its classification and error; a run not finished when the gate stopped has one with an `<error
 * type="not_finished">`. When the gate got no answer, a testsuite `armature gate` holds the reason as an
 * `<error>`, so the report is never empty.
 */
export function formatJunit(report: GateReport, outcome: GateOutcome): string {
  const workflowName = report.workflow?.name ?? report.options.workflowId;
  const suites = report.runs.map((r) => runSuite(report, r, workflowName));
  if (report.failure) {
    suites.push(
      suite(
        { name: "armature gate", time: report.elapsedMs / 1000 },
        [],
        [testcase("armature.gate", `gate ${report.options.workflowId}`, element("error", { message: firstLine(report.failure.message), type: report.failure.kind }, report.failure.message))],
        `${outcome.reason}\n`,
      ),
    );
  }
  const totals = suites.reduce((t, s) => ({ tests: t.tests + s.tests, failures: t.failures + s.failures, errors: t.errors + s.errors }), {
    tests: 0,
    failures: 0,
    errors: 0,
  });
  const root = `<testsuites${attrs({
    name: `armature gate: ${workflowName}`,
    tests: totals.tests,
    failures: totals.failures,
    errors: totals.errors,
    time: seconds(report.elapsedMs / 1000),
  })}>`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', root, ...suites.map((s) => s.xml), "</testsuites>", ""].join("\n");
}

interface Suite {
  xml: string;
  tests: number;
  failures: number;
  errors: number;
}

function runSuite(report: GateReport, r: GateRun, workflowName: string): Suite {
  const run = r.run;
  const id = r.attempts.at(-1)!;
  const classname = `armature.${workflowName}.${r.target}`;
  const properties: Record<string, string> = {
    workflowId: report.workflow?.id ?? report.options.workflowId,
    runId: id,
    url: report.runUrl(id),
    modelId: r.dispatched.modelId,
    status: run?.status ?? r.dispatched.status,
    classification: run?.classification ?? "",
    costUsd: run?.cost.usd === null || run?.cost.usd === undefined ? "" : String(run.cost.usd),
    attempt: String(run?.attempt ?? 1),
    repeat: `${r.repeat} of ${report.options.repeat}`,
    minPassRate: formatPercent(report.options.minPassRate),
  };
  if (r.attempts.length > 1) properties.retryOf = r.attempts.slice(0, -1).join(",");

  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  if (!r.done) {
    errors++;
    const message = `Not finished when the gate stopped: ${run?.status ?? r.dispatched.status}`;
    cases.push(testcase(classname, "run", element("error", { message, type: "not_finished" }, `${message}\n${report.failure?.message ?? ""}`)));
  } else if (!r.evaluation) {
    errors++;
    const message = `${run?.classification ?? "no classification"}: ${run?.error ?? "the run ended without an evaluation"}`;
    cases.push(testcase(classname, "run", element("error", { message: firstLine(message), type: run?.classification ?? "error" }, message)));
  } else if (r.evaluation.criteria.length === 0) {
    const passed = run?.status === "pass";
    if (!passed) failures++;
    cases.push(testcase(classname, "verdict", passed ? "" : element("failure", { message: `verdict ${run?.status}`, type: "verdict" }, r.evaluation.summary ?? "")));
  } else {
    for (const c of r.evaluation.criteria) {
      const passed = c.passed ?? c.verdict === "pass";
      if (passed) {
        cases.push(testcase(classname, c.criterionText, ""));
        continue;
      }
      failures++;
      const reasoning = c.reasoning?.trim() || "(no reasoning given)";
      const body = [reasoning, ...(c.baseline ? [`Baseline: ${c.baseline}`] : []), ...(c.excerpts.length ? ["", "Excerpts:", ...c.excerpts.map((e) => `- ${e}`)] : [])].join("\n");
      cases.push(
        testcase(classname, c.criterionText, element("failure", { message: firstLine(reasoning), type: c.isRequired ? "required criterion" : "optional criterion" }, body)),
      );
    }
  }
  const out = [report.runUrl(id), ...(r.evaluation?.summary ? [r.evaluation.summary] : []), ...(run?.error ? [`error: ${run.error}`] : [])].join("\n");
  return suite(
    {
      name: `${workflowName} / ${r.target} / run ${id}`,
      time: (run?.durationMs ?? 0) / 1000,
      timestamp: (run?.startedAt ?? run?.createdAt ?? r.dispatched.createdAt ?? "").slice(0, 19),
    },
    Object.entries(properties),
    cases,
    `${out}\n`,
    { failures, errors },
  );
}

function suite(
  head: { name: string; time: number; timestamp?: string },
  properties: Array<[string, string]>,
  cases: string[],
  systemOut: string,
  counts: { failures: number; errors: number } = { failures: 0, errors: cases.length },
): Suite {
  const lines = [
    `  <testsuite${attrs({ name: head.name, tests: cases.length, failures: counts.failures, errors: counts.errors, skipped: 0, time: seconds(head.time), ...(head.timestamp ? { timestamp: head.timestamp } : {}) })}>`,
  ];
  if (properties.length > 0) {
    lines.push("    <properties>", ...properties.map(([name, value]) => `      <property${attrs({ name, value })}/>`), "    </properties>");
  }
  lines.push(...cases, `    <system-out>${text(systemOut)}</system-out>`, "  </testsuite>");
  return { xml: lines.join("\n"), tests: cases.length, failures: counts.failures, errors: counts.errors };
}

function testcase(classname: string, name: string, inner: string): string {
  const open = `    <testcase${attrs({ name: oneLine(name), classname })}`;
  return inner ? `${open}>\n      ${inner}\n    </testcase>` : `${open}/>`;
}

function element(tag: string, attributes: Record<string, string>, body: string): string {
  return `<${tag}${attrs(attributes)}>${text(body)}</${tag}>`;
}

const seconds = (s: number) => s.toFixed(3);

function firstLine(s: string): string {
  const line = s.trim().split(/\r\n|\r|\n/)[0] ?? "";
  return line.length > 500 ? `${line.slice(0, 499)}…` : line;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/**
 * Text XML 1.0 can hold: characters it cannot (C0 controls other than tab, newline and carriage return,
 * lone surrogates, U+FFFE and U+FFFF) become U+FFFD, since not even a character reference may name them.
 */
export function xmlSafe(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/**
 * Character data: `&`, `<` and `>` escaped (`>` so that `]]>` cannot appear), and carriage returns as
 * references, since a parser turns a literal CR LF into LF.
 */
function text(s: string): string {
  return xmlSafe(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;");
}

/** Attributes, values escaped; tab, newline and carriage return as references so parsers keep them. */
function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(
      ([k, v]) =>
        ` ${k}="${text(String(v)).replace(/"/g, "&quot;").replace(/'/g, "&apos;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;")}"`,
    )
    .join("");
}
