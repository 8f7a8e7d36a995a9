import { createApp } from "./app";
import type { Env, RunMessage } from "./env";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(_batch, _env, _ctx) {},
  async scheduled(_controller, _env, _ctx) {},
} satisfies ExportedHandler<Env, RunMessage>;
