// `npm run build:docs-assets`: copies the API reference page's files (Swagger UI from node_modules, our
// start-up script and stylesheet) into .docs-assets/, which wrangler.toml's [assets] serves. Runs before
// `npm run dev` and `npm run deploy` (npm pre-scripts) and from vitest.config.ts before the tests.
import path from "node:path";
import { buildDocsAssets, DOCS_ASSETS_DIR } from "./lib/docs-assets";
import { ROOT } from "./lib/project";

try {
  const m = buildDocsAssets();
  const where = path.relative(ROOT, DOCS_ASSETS_DIR);
  console.log(`docs assets: swagger-ui-dist ${m.swaggerUi}, version ${m.version}${m.changed ? " (updated)" : ""} in ${where}/`);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
