import type { AppContext } from "../context";
import { failRuns, type RunRow } from "../runs/lifecycle";

/**
 * Executes a claimed run. The run engine (MCP client, tester models, judge, trace recording) is not part of
 * this build yet: the run is ended at once as `fail` with classification `internal_error` and a message
 * that says so, so no client polls forever.
 */
export async function executeRun(ctx: AppContext, run: RunRow): Promise<void> {
  await failRuns(ctx, [run.id], { classification: "internal_error", error: "The run engine is not available in this build yet" }, [
    "running",
  ]);
}
