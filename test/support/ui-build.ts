/**
 * The dashboard as the tests serve it: built from ui/ by the integration tests' global setup
 * (the same esbuild step as `npm run build`, scripts/build-ui.mjs) into test-output/ui, which
 * `startApi` serves. Not dist/ui: `npm pack` (package.e2e.test.ts) rebuilds dist/ while other
 * test files run.
 */
import { join } from "node:path";
import { buildUi } from "../../scripts/build-ui.mjs";

export const TEST_UI_DIR = join(import.meta.dirname, "..", "..", "test-output", "ui");

/** Vitest global setup: build once before the integration tests. */
export default async function setup(): Promise<void> {
  await buildUi(TEST_UI_DIR);
}
