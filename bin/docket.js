#!/usr/bin/env node
// The `docket` command: runs the TypeScript CLI through tsx's loader (ADR 0010).
/* global process */
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
// Set the exit code rather than exiting, so open handles close and output flushes; long-running
// commands stay alive until they are stopped.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(
      `docket: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
