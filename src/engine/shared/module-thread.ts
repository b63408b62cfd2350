/**
 * Starting a worker thread on one of Docket's own modules (ADR 0040, 0044). In a checkout the
 * module is TypeScript and the thread needs tsx's loader, which a thread does not inherit from
 * the process that registered it; in the built package it is plain JavaScript. One way to start
 * such a thread, for the handler threads and the archiver's.
 */
import { Worker } from "node:worker_threads";

/** The module `name` beside `base` (an import.meta.url): `.ts` in a checkout, `.js` when built. */
export const siblingModule = (base: string, name: string): URL =>
  new URL(`./${name}${base.endsWith(".ts") ? ".ts" : ".js"}`, base);

/** What a thread posts when its entry module cannot be loaded. */
export interface ThreadLoadFailed {
  readonly kind: "load_failed";
  readonly message: string;
}

/**
 * Evaluated as the thread's first script (CommonJS): registers tsx for a TypeScript entry, then
 * imports the entry; if that fails, says so as a `load_failed` message.
 */
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
const { createRequire } = require("node:module");
const entry = workerData.entry;
// tsx's CommonJS api registers a path relative to itself that does not exist: use its ES module.
const tsx = () =>
  import(require("node:url").pathToFileURL(createRequire(entry).resolve("tsx/esm/api").replace(/\\.cjs$/, ".mjs")).href);
(entry.endsWith(".ts") ? tsx().then((api) => api.register()) : Promise.resolve())
  .then(() => import(entry))
  .catch((error) => {
    require("node:worker_threads").parentPort.postMessage({
      kind: "load_failed",
      message: workerData.what + " could not start: " + (error && error.message ? error.message : String(error)),
    });
  });
`;

/**
 * A thread running `entry` with `data` as its workerData (plus `entry` and `what`, the thread's
 * name in a load failure). Its stdout and stderr go to the process's. Not unref'd: the caller
 * decides whether it may keep the process alive.
 */
export const startModuleThread = (entry: URL, what: string, data: object): Worker =>
  new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { ...data, entry: entry.href, what },
    stdout: false,
    stderr: false,
  });
