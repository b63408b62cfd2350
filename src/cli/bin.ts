#!/usr/bin/env node
/**
 * The `docket` program: the process's manners, then the command (main.ts). Run by bin/docket.js,
 * compiled (dist/cli/bin.js) in an installed package, from this source under tsx in a checkout.
 */
import { main } from "./main.ts";

// Every file docket creates (the private Redis's data and password, SQLite projections, audit
// bundles) holds job payloads or secrets: owner only (ADR 0020). Inherited by redis-server.
process.umask(0o077);

// A reader that stops early (`docket jobs list --json | head -1`) closes stdout: end quietly
// with 141 (128 + SIGPIPE), as Unix tools killed by SIGPIPE do, not with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(141);
    throw error;
  });

// Set the exit code rather than exiting, so open handles close and output flushes; long-running
// commands stay alive until they are stopped.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `docket: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
