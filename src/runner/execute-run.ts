import type { Database } from "../db/client";
import type { Env } from "../env";
import { failRuns, type RunRow } from "../workflows/dispatch";

export interface RunContext {
  env: Env;
  db: Database;
  ctx: ExecutionContext;
}

/**
 * Executes a claimed run. The run engine (MCP client, tester models, judge, trace recording) is not part of
 * this build yet: the run is ended at once as `fail` with classification `internal_error` and a message
 * that says so, so no client polls forever.
 */
export async function executeRun(rc: RunContext, run: RunRow): Promise<void> {
  await failRuns({ db: rc.db, now: new Date() }, [run], "internal_error", "The run engine is not available in this build yet", [
    "running",
  ]);
}
