import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildDocsAssets } from "./scripts/lib/docs-assets.js";

export default defineConfig(async () => {
  // wrangler.toml's [assets] directory (the API reference page's files) must exist before the pool starts.
  buildDocsAssets();
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            API_KEY_PEPPERS: "1:test-pepper-one-0123456789abcdef",
            SECRETS_ENCRYPTION_KEY: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/apply-migrations.ts"],
      // Engine scenarios run several real runs in one test; on 2 busy cores they can pass 5 s (the default).
      testTimeout: 20_000,
      reporters: ["default", "./test/summary-reporter.ts"],
    },
  };
});
