// `npm run build` (also on `npm pack`, through prepack, and in .ci/run): the package's dist/ from
// src/ with tsc (JavaScript and .d.ts, ADR 0032), plus the files that are not TypeScript and are
// read at run time relative to the module that reads them (the Redis scripts, lua/*.lua), and the
// dashboard (dist/ui, scripts/build-ui.mjs).
/* global process, URL */
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { buildUi } from "./build-ui.mjs";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
// A file deleted from src/ must not live on in dist/.
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });

for (const folder of ["infra/redis/lua"])
  cpSync(join(root, "src", folder), join(dist, folder), { recursive: true });

// The dashboard served at /ui (ADR 0041).
await buildUi();
