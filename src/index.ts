import { createFetch } from "./app";
import { createContext } from "./context";
import type { Env, RunMessage } from "./env";
import { runSweep } from "./scheduler/sweep";

export default {
  fetch: createFetch(),
  queue: (batch, env, exec) => import("./runner/consumer").then((m) => m.handleRunBatch(batch, env, exec)),
  async scheduled(controller, env, exec) {
    const ctx = createContext(env, exec, { now: new Date(controller.scheduledTime), logFields: { cron: controller.cron } });
    exec.waitUntil(runSweep(ctx).then((report) => ctx.log.info("sweep", { ...report })));
  },
} satisfies ExportedHandler<Env, RunMessage>;
