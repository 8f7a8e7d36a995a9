import { createApp } from "./app";
import { createDb } from "./db/client";
import type { Env, RunMessage } from "./env";
import { handleRunBatch } from "./runner/consumer";
import { runSweep } from "./scheduler/sweep";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleRunBatch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      runSweep({ db: createDb(env.DB), queue: env.RUNS_QUEUE, now: new Date(controller.scheduledTime) }).then((report) =>
        console.log(JSON.stringify({ level: "info", msg: "sweep", cron: controller.cron, ...report })),
      ),
    );
  },
} satisfies ExportedHandler<Env, RunMessage>;
