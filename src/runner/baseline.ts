import { and, desc, eq, isNotNull, ne } from "drizzle-orm";
import type { AppContext } from "../context";
import { runEvaluations, runs } from "../db/schema";
import { parseStored, StoredCriterionResult } from "../runs/records";
import type { RunRow } from "../runs/lifecycle";

export interface Baseline {
  runId: string;
  criteria: Array<{ criterionText: string; passed: boolean }>;
}

/**
 * The run this one is compared with: the dispatch's `baselineRunId`, else the workflow's most recently
 * finished run that has an evaluation. Null when there is none (the first run of a workflow).
 */
export async function findBaseline(ctx: Pick<AppContext, "db">, run: RunRow): Promise<Baseline | null> {
  const where = run.baselineRunId
    ? and(eq(runs.id, run.baselineRunId), eq(runs.orgId, run.orgId))
    : and(eq(runs.orgId, run.orgId), eq(runs.workflowId, run.workflowId), ne(runs.id, run.id), isNotNull(runs.finishedAt));
  const row = await ctx.db
    .select({ runId: runs.id, criteria: runEvaluations.criteria })
    .from(runs)
    .innerJoin(runEvaluations, eq(runEvaluations.runId, runs.id))
    .where(where)
    .orderBy(desc(runs.finishedAt))
    .limit(1)
    .get();
  if (!row) return null;
  return {
    runId: row.runId,
    criteria: parseStored(StoredCriterionResult, row.criteria).map((c) => ({ criterionText: c.criterionText, passed: c.verdict === "pass" })),
  };
}
