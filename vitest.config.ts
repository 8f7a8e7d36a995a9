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
      reporters: ["default", "./test/summary-reporter.ts"],
    },
  };
});
