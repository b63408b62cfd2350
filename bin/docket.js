#!/usr/bin/env -S node --
// `node --` ends node's own options: without it Node (20 to 26) refuses `docket --env-file <missing>`
// itself (exit 9) before docket can say what is wrong (docket loads --env-file itself, main.ts).
// The `docket` command (ADR 0032). An installed package runs the compiled program,
// dist/cli/bin.js: plain Node, no loader. A checkout (src/ beside bin/, with the dev dependency
// tsx) runs the TypeScript source through tsx's loader instead, so `npm start`, `npm run docket`
// and the tests always run the code as it is now, never a stale build.
/* global URL */
import { existsSync } from "node:fs";

const source = new URL("../src/cli/bin.ts", import.meta.url);
const tsx = existsSync(source) ? await import("tsx/esm/api").catch(() => null) : null;
if (tsx === null) await import("../dist/cli/bin.js");
else {
  tsx.register();
  await import(source.href);
}
