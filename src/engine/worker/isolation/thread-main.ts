/**
 * A handler thread (ADR 0040): loads the handler module once, then runs one attempt at a time as
 * the worker asks, with the same runAttempt as in-process handlers, so a result that is not JSON,
 * a throw of anything or a missing handler ends the same way, with the same codes. Its context
 * calls are made into what is recorded here (so anything a handler passes can cross) and sent to
 * the worker, which writes them on the job's chain. Timeouts and cancellation are the worker's:
 * it terminates the thread, so the handler's own `signal` here never fires.
 *
 * Started by thread-pool.ts through a bootstrap that registers tsx first when this file is
 * TypeScript (a checkout); never imported by anything else.
 */
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { textOf } from "../handlers.ts";
import { AttemptAbort, runAttempt } from "../attempt.ts";
import {
  logLineOf,
  metaOf,
  progressOf,
  StepError,
  type Handler,
  type HandlerContext,
  type WaitResult,
} from "../handlers.ts";
import { type DurablePort, runStep, sleepArgs, waitArgs } from "../steps.ts";
import type { CalledMessage, ContextCall, FromThread, RunMessage, ThreadData, ToThread } from "./protocol.ts";

const port = parentPort;
if (port === null) throw new Error("thread-main runs in a worker thread only");
const data = workerData as ThreadData;
const post = (message: FromThread) => port.postMessage(message);

/** ES syntax compiled to CommonJS exports `{ __esModule: true, default }`: the default is inside. */
const unwrapDefault = (exported: unknown): unknown =>
  typeof exported === "object" &&
  exported !== null &&
  (exported as { __esModule?: unknown }).__esModule === true &&
  "default" in exported
    ? (exported as { default: unknown }).default
    : exported;

/** The module as the CLI loads it: through tsx where it is installed (TypeScript, either syntax). */
const loadHandlers = async (): Promise<Readonly<Record<string, unknown>>> => {
  const url = data.module.startsWith("file:") ? data.module : pathToFileURL(data.module).href;
  const tsx = await import("tsx/esm/api").catch(() => null);
  const module = (await (tsx === null ? import(url) : tsx.tsImport(url, import.meta.url))) as Record<
    string,
    unknown
  >;
  const exported = data.exportName === "default" ? unwrapDefault(module.default) : module[data.exportName];
  if (typeof exported !== "object" || exported === null)
    throw new Error(`its export "${data.exportName}" is not an object mapping job type to handler`);
  return exported as Record<string, unknown>;
};

const pending = new Map<number, (answered: CalledMessage) => void>();
let nextCallId = 0;

/** Send a context call to the worker; resolves once it has been written (or refused and reported). */
const call = (runId: number, made: ContextCall): Promise<void> =>
  new Promise((resolve) => {
    const callId = ++nextCallId;
    pending.set(callId, () => resolve());
    post({ kind: "call", runId, callId, call: made });
  });

/** A durable call: resolves with the worker's answer, or rejects with the StepError it sent. */
const ask = (runId: number, made: ContextCall): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const callId = ++nextCallId;
    pending.set(callId, (answered) =>
      answered.error === undefined
        ? resolve(answered.answer)
        : reject(new StepError(answered.error.code, answered.error.message, answered.error.retryable)),
    );
    post({ kind: "call", runId, callId, call: made });
  });

/** The worker's DurableRun, through messages (ADR 0043). */
const durableFor = (runId: number): DurablePort => ({
  begin: (key, fingerprint) =>
    ask(runId, { op: "step_begin", key, fingerprint }) as ReturnType<DurablePort["begin"]>,
  finish: async (key, fingerprint, outcome) => {
    await ask(runId, { op: "step_finish", key, fingerprint, outcome });
  },
  sleep: async (name, ms) => {
    await ask(runId, { op: "sleep", name, ms });
  },
  waitFor: (name, timeoutMs) => ask(runId, { op: "wait", name, timeoutMs }) as Promise<WaitResult>,
});

const contextFor = (run: RunMessage): HandlerContext => ({
  jobId: run.jobId,
  attempt: run.attempt,
  jobType: run.jobType,
  signal: new AbortController().signal,
  progress: (current, total, message) => {
    const report = progressOf(current, total, message);
    return call(
      run.runId,
      "progress" in report
        ? { op: "progress", progress: report.progress }
        : { op: "log", line: report.refused },
    );
  },
  setMeta: (meta) => {
    const recorded = metaOf(meta);
    return call(
      run.runId,
      "meta" in recorded ? { op: "meta", meta: recorded.meta } : { op: "log", line: recorded.refused },
    );
  },
  log: (line) => call(run.runId, { op: "log", line: logLineOf(line) }),
  step: (name, fn, options) => runStep(durableFor(run.runId), name, fn, options) as Promise<never>,
  sleep: async (name, ms) => {
    const args = sleepArgs(name, ms);
    await durableFor(run.runId).sleep(args.name, args.ms);
  },
  waitFor: async (name, options) => {
    const args = waitArgs(name, options);
    return durableFor(run.runId).waitFor(args.name, args.timeoutMs);
  },
  children: () =>
    run.children === null
      ? Promise.reject(new Error("the job's dependencies could not be read when the attempt started"))
      : Promise.resolve(run.children),
});

const start = async (): Promise<void> => {
  let handlers: Readonly<Record<string, unknown>>;
  try {
    handlers = await loadHandlers();
  } catch (error) {
    post({ kind: "load_failed", message: textOf(error instanceof Error ? error.message : error) });
    return;
  }
  port.on("message", (message: ToThread) => {
    if (message.kind === "called") {
      pending.get(message.callId)?.(message);
      pending.delete(message.callId);
      return;
    }
    const found = Object.hasOwn(handlers, message.jobType) ? handlers[message.jobType] : undefined;
    const handler = typeof found === "function" ? (found as Handler) : undefined;
    void runAttempt(handler, message.payload, contextFor(message), new AttemptAbort(), null).then((outcome) =>
      // runAttempt never abandons or suspends without an abort, and this one is never aborted (a
      // sleep or wait suspends the worker's attempt, which then terminates this thread).
      post({
        kind: "done",
        outcome: outcome._tag === "Abandoned" || outcome._tag === "Suspended" ? abandonedInThread : outcome,
      }),
    );
  });
  post({ kind: "ready" });
};

const abandonedInThread = {
  _tag: "Failed",
  error: { code: "handler_crashed", message: "the attempt was abandoned in its thread", retryable: true },
} as const;

void start();
