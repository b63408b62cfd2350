// The dashboard's build (ADR 0041): esbuild bundles ui/main.tsx (Preact, uPlot and the typed
// client from src/client) into dist/ui/app.js, and copies the page and its styles beside it.
// Run by scripts/build.mjs (so by `npm run build` and `npm pack`) and by the integration tests'
// global setup (test/support/build-ui.ts), so tests run from source see the current UI.
/* global URL, process */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;

/** Builds the dashboard into `out` (default dist/ui); resolves when the files are written. */
export const buildUi = async (out = join(root, "dist", "ui")) => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(root, "ui", "main.tsx")],
    outfile: join(out, "app.js"),
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022"],
    platform: "browser",
    jsx: "automatic",
    jsxImportSource: "preact",
    tsconfig: join(root, "ui", "tsconfig.json"),
    legalComments: "none",
    // The client's face also exports verifyWebhook (node:crypto), never called by a page.
    alias: { "node:crypto": join(root, "ui", "no-node-crypto.ts") },
    logLevel: "warning",
  });
  for (const file of ["index.html", "app.css"]) copyFileSync(join(root, "ui", file), join(out, file));
  copyFileSync(join(root, "node_modules", "uplot", "dist", "uPlot.min.css"), join(out, "uPlot.min.css"));
};

if (import.meta.url === `file://${process.argv[1]}`) await buildUi();
