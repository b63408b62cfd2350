/**
 * Handlers run in worker threads (ADR 0040): a pool of threads, each loaded once with the handler
 * module, reused across attempts, at most one attempt per thread and at most `size` threads (the
 * worker's concurrency). A thread is the unit a worker can stop whatever the handler does: on a
 * timeout or an abort (cancel, lease lost, shutdown) the thread is terminated — a busy loop
 * included — and the attempt ends as runAttempt would end it; a warm thread replaces it. A thread
 * that dies by itself (process.exit, an uncaught exception) fails its attempt (`handler_crashed`,
 * retryable); a module the thread cannot load fails it without retry (`handler_load_failed`).
 *
 * Owned by the Worker, which closes it (terminating every thread) when it has stopped.
 */
import { pathToFileURL } from "node:url";
import type { Worker as Thread } from "node:worker_threads";
import { type AttemptError, fitText, type Json, MAX_ERROR_MESSAGE_LENGTH } from "../../../domain/index.ts";
import { siblingModule, startModuleThread } from "../../shared/index.ts";
import { abandonedOrTimedOut, type AbortReason, type AttemptAbort, type AttemptOutcome } from "../attempt.ts";
import { attemptErrorOf, type HandlerContext, StepError, textOf } from "../handlers.ts";
import type { DurablePort } from "../steps.ts";
import type { ContextCall, FromThread, ThreadData, ThreadOutcome, ToThread } from "./protocol.ts";

/** Which handlers run in threads, and where the threads load them from. */
export interface ThreadIsolation {
  readonly kind: "thread";
  /** The handler module (a path or a file URL) the threads load. */
  readonly module: string;
  /** Its export mapping job type to handler (default "default", the default export). */
  readonly exportName?: string;
  /** Only these job types run in threads (default: every job type). */
  readonly jobTypes?: ReadonlyArray<string>;
}

/** The thread's entry: TypeScript in a checkout (tsx registered first), JavaScript when built. */
const ENTRY = siblingModule(import.meta.url, "thread-main");

/** How long a thread may take to load its handler module before its attempt fails. */
const LOAD_TIMEOUT_MS = 30_000;

const failed = (code: string, message: string, retryable: boolean): AttemptOutcome => ({
  _tag: "Failed",
  error: { code, message: fitText(message, MAX_ERROR_MESSAGE_LENGTH), retryable },
});

/** One thread and the attempt it runs now, if any. */
class HandlerThread {
  readonly thread: Thread;
  /** Resolves with undefined once its module has loaded, or with why it could not. */
  readonly ready: Promise<string | undefined>;
  /** Told of the current attempt's messages and of the thread's end. */
  onMessage: ((message: FromThread) => void) | undefined;
  onEnd: ((why: string) => void) | undefined;
  ended = false;

  constructor(data: ThreadData, ended: (thread: HandlerThread) => void) {
    this.thread = startModuleThread(ENTRY, "the handler thread", data);
    // A thread must not keep a stopping worker's process alive.
    this.thread.unref();
    let loaded: (why: string | undefined) => void = () => undefined;
    this.ready = new Promise((resolve) => (loaded = resolve));
    this.thread.on("message", (message: FromThread) => {
      if (message.kind === "ready") loaded(undefined);
      else if (message.kind === "load_failed") loaded(message.message);
      else if (this.onMessage !== undefined) this.onMessage(message);
      // A call made after its attempt ended is not recorded (as in-process, where the job's
      // machine refuses it); answered, so the handler awaiting it is not left hanging.
      else if (message.kind === "call") this.send({ kind: "called", callId: message.callId });
    });
    let error: unknown;
    this.thread.on("error", (thrown) => (error = thrown));
    this.thread.on("exit", (code) => {
      this.ended = true;
      const why =
        error === undefined
          ? `its thread exited with code ${code}`
          : `its thread died of an uncaught ${textOf(error instanceof Error ? `${error.name}: ${error.message}` : error)}`;
      loaded(why);
      this.onEnd?.(why);
      ended(this);
    });
  }

  send(message: ToThread): void {
    this.thread.postMessage(message);
  }
}

export class ThreadPool {
  private readonly idle: Array<HandlerThread> = [];
  private readonly all = new Set<HandlerThread>();
  private closed = false;
  /** Attempts started, numbering each run so a late context call is told from a current one. */
  private runs = 0;
  private readonly data: ThreadData;
  private readonly jobTypes: ReadonlySet<string> | undefined;

  constructor(
    isolation: ThreadIsolation,
    /** Most threads at once: the worker's concurrency. */
    private readonly size: number,
  ) {
    const module = isolation.module.startsWith("file:")
      ? isolation.module
      : pathToFileURL(isolation.module).href;
    this.data = { module, exportName: isolation.exportName ?? "default" };
    this.jobTypes = isolation.jobTypes === undefined ? undefined : new Set(isolation.jobTypes);
  }

  /** Whether jobs of this type run in a thread. */
  isolates(jobType: string): boolean {
    return this.jobTypes === undefined || this.jobTypes.has(jobType);
  }

  /** Threads alive now (for tests and the worker's info). */
  get threads(): number {
    return this.all.size;
  }

  private spawn(): HandlerThread {
    const thread = new HandlerThread(this.data, (ended) => {
      this.all.delete(ended);
      const at = this.idle.indexOf(ended);
      if (at >= 0) this.idle.splice(at, 1);
    });
    this.all.add(thread);
    return thread;
  }

  /**
   * An idle thread, or a new one. The worker's slots keep attempts at most its concurrency, so
   * the pool never has to wait; should it be asked for more, it starts one more thread.
   */
  private acquire(): HandlerThread {
    for (;;) {
      const thread = this.idle.pop();
      if (thread === undefined) return this.spawn();
      if (!thread.ended) return thread;
    }
  }

  /** Terminate a thread now (its attempt is over, or it is dead already): it counts no more. */
  private retire(thread: HandlerThread): void {
    thread.onEnd = undefined;
    this.all.delete(thread);
    void thread.thread.terminate();
  }

  /** Put a thread back, or replace a terminated one with a warm thread while under size. */
  private release(thread: HandlerThread, reusable: boolean): void {
    thread.onMessage = undefined;
    thread.onEnd = undefined;
    if (this.closed) return void thread.thread.terminate();
    if (reusable && !thread.ended) this.idle.push(thread);
    else if (this.all.size < this.size) this.idle.push(this.spawn());
  }

  /**
   * Run one attempt in a thread: like runAttempt, it never throws, and the timeout and the abort
   * end it (here by terminating the thread, so they reach a handler that never yields).
   */
  async run(
    jobType: string,
    payload: Json,
    ctx: HandlerContext,
    abort: AttemptAbort,
    timeoutMs: number | null,
    durable: DurablePort,
  ): Promise<AttemptOutcome> {
    if (abort.reason !== undefined) return abandonedOrTimedOut(abort.reason, timeoutMs, abort.suspension);
    // The job's dependencies as they are now, for ctx.children() in the thread (ADR 0042); no
    // read for a job without any. Null when they could not be read: the thread's call says so.
    const children = await ctx.children().catch(() => null);
    if (abort.reason !== undefined) return abandonedOrTimedOut(abort.reason, timeoutMs, abort.suspension);
    const thread = this.acquire();
    const runId = ++this.runs;
    // Over once settled: a thread that becomes ready after its attempt ended gets no job.
    let done = false;
    let settle: (outcome: AttemptOutcome, reusable: boolean) => void = () => undefined;
    const outcome = new Promise<AttemptOutcome>((resolve) => {
      settle = (ended, reusable) => {
        if (done) return;
        done = true;
        if (!reusable) this.retire(thread);
        this.release(thread, reusable);
        resolve(ended);
      };
    });
    // The job's timeout counts the handler's time, as in-process: it starts once the thread has
    // its module (a fresh thread's start-up is the worker's cost, not the job's). Loading itself
    // is bounded apart, so a module that never finishes loading fails the attempt, never wedges it.
    let timer: NodeJS.Timeout | undefined = setTimeout(
      () =>
        settle(
          failed(
            "handler_load_failed",
            `handler module ${this.data.module}: not loaded within ${LOAD_TIMEOUT_MS} ms`,
            true,
          ),
          false,
        ),
      LOAD_TIMEOUT_MS,
    );
    abort.onAbort((reason) => settle(abandonedOrTimedOut(reason, timeoutMs, abort.suspension), false));
    thread.onEnd = (why) => settle(failed("handler_crashed", `the handler's ${why}`, true), false);
    void thread.ready.then((why) => {
      clearTimeout(timer);
      timer = undefined;
      if (why !== undefined) {
        settle(failed("handler_load_failed", `handler module ${this.data.module}: ${why}`, false), false);
        return;
      }
      if (done || thread.ended || abort.reason !== undefined) return;
      thread.onMessage = (message) => {
        if (message.kind === "done") settle(fromThread(message.outcome), true);
        else if (message.kind === "call" && message.runId !== runId)
          thread.send({ kind: "called", callId: message.callId });
        else if (message.kind === "call")
          void record(ctx, durable, message.call).then((answered) => {
            if (!thread.ended) thread.send({ kind: "called", callId: message.callId, ...answered });
          });
      };
      if (timeoutMs !== null)
        timer = setTimeout(() => abort.abort("timeout" satisfies AbortReason), timeoutMs);
      thread.send({ kind: "run", runId, jobId: ctx.jobId, attempt: ctx.attempt, jobType, payload, children });
    });
    try {
      return await outcome;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** Terminate every thread (the worker has stopped). */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.all([...this.all].map((thread) => thread.thread.terminate()));
  }
}

const fromThread = (outcome: ThreadOutcome): AttemptOutcome => outcome;

/**
 * A context call from the thread, written on the job's chain (a refusal is reported there); a
 * durable call is answered with what the job's DurableRun answers, or the error it threw. A sleep
 * or wait that suspends the attempt never answers: the thread is terminated with its attempt.
 */
const record = async (
  ctx: HandlerContext,
  durable: DurablePort,
  call: ContextCall,
): Promise<{ readonly answer?: Json; readonly error?: AttemptError }> => {
  try {
    switch (call.op) {
      case "progress":
        await ctx.progress(call.progress.current, call.progress.total, call.progress.message);
        return {};
      case "log":
        await ctx.log(call.line);
        return {};
      case "meta":
        await ctx.setMeta(call.meta as Readonly<Record<string, unknown>>);
        return {};
      case "step_begin":
        return { answer: (await durable.begin(call.key, call.fingerprint)) as unknown as Json };
      case "step_finish":
        await durable.finish(call.key, call.fingerprint, call.outcome);
        return {};
      case "sleep":
        await durable.sleep(call.name, call.ms);
        return {};
      case "wait":
        return { answer: (await durable.waitFor(call.name, call.timeoutMs)) as unknown as Json };
    }
  } catch (error) {
    // The chain reports its own refusals; a durable call's StepError goes back to the handler.
    if (call.op === "progress" || call.op === "log" || call.op === "meta") return {};
    return {
      error:
        error instanceof StepError
          ? { code: error.code, message: error.message, retryable: error.retryable }
          : attemptErrorOf(error),
    };
  }
};
