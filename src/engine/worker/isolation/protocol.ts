/**
 * The messages between a worker and its handler threads (thread-pool.ts ↔ thread-main.ts). Every
 * field is a value structured clone carries as it is: handler values are turned into what an event
 * can hold (a JSON result, an AttemptError, a log line, a progress report) inside the thread,
 * before they cross.
 */
import type { AttemptError, Json, Progress, StepKey } from "../../../domain/index.ts";
import type { ChildOutcome } from "../handlers.ts";

/** What a thread is started with (its workerData). */
export interface ThreadData {
  /** The handler module: a file URL. */
  readonly module: string;
  /** The export that maps job type to handler ("default": the default export). */
  readonly exportName: string;
}

/** Worker → thread: run one attempt. */
export interface RunMessage {
  readonly kind: "run";
  /** This attempt's number in the thread: a call it sends carries it back. */
  readonly runId: number;
  readonly jobId: string;
  readonly attempt: number;
  readonly jobType: string;
  readonly payload: Json;
  /** ctx.children() as read when the attempt was handed over; null when it could not be read. */
  readonly children: ReadonlyArray<ChildOutcome> | null;
}

/**
 * Worker → thread: a context call has been recorded (or refused: it was reported). A durable
 * call (ADR 0043) carries its answer, or the StepError it ended with.
 */
export interface CalledMessage {
  readonly kind: "called";
  readonly callId: number;
  readonly answer?: Json;
  readonly error?: AttemptError;
}

export type ToThread = RunMessage | CalledMessage;

/** A handler's context call, already made into what is recorded. */
export type ContextCall =
  | { readonly op: "progress"; readonly progress: Progress }
  | { readonly op: "log"; readonly line: string }
  | { readonly op: "meta"; readonly meta: Json }
  /** Durable calls (ADR 0043), answered with the worker's DurableRun's answer. */
  | { readonly op: "step_begin"; readonly key: StepKey; readonly fingerprint: string }
  | {
      readonly op: "step_finish";
      readonly key: StepKey;
      readonly fingerprint: string;
      readonly outcome: { readonly result: Json } | { readonly error: AttemptError };
    }
  | { readonly op: "sleep"; readonly name: string; readonly ms: number }
  | { readonly op: "wait"; readonly name: string; readonly timeoutMs: number };

/** The attempt's outcome as it crosses: the same shapes as AttemptOutcome's. */
export type ThreadOutcome =
  | { readonly _tag: "Succeeded"; readonly result: Json }
  | { readonly _tag: "Failed"; readonly error: AttemptError };

export type FromThread =
  /** The handler module loaded: the thread takes attempts. */
  | { readonly kind: "ready" }
  /** The handler module could not be loaded or used: the thread ends. */
  | { readonly kind: "load_failed"; readonly message: string }
  /**
   * A context call of run `runId`: one a handler makes after its attempt ended (a timer it left)
   * arrives while the thread runs another job's, and must not be recorded on that one.
   */
  | { readonly kind: "call"; readonly runId: number; readonly callId: number; readonly call: ContextCall }
  | { readonly kind: "done"; readonly outcome: ThreadOutcome };
