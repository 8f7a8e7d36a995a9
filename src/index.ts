import { createFetch } from "./app";
import { createContext } from "./context";
import type { Env, RunMessage } from "./env";
import { handleRunBatch } from "./runner/consumer";
import { runSweep } from "./scheduler/sweep";

export default {
  fetch: createFetch(),
  queue: handleRunBatch,
  async scheduled(controller, env, exec) {
    const ctx = createContext(env, exec, { now: new Date(controller.scheduledTime), logFields: { cron: controller.cron } });
    exec.waitUntil(runSweep(ctx).then((report) => ctx.log.info("sweep", { ...report })));
  },
} satisfies ExportedHandler<Env, RunMessage>;
