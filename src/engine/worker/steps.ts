/**
 * Durable steps, sleeps and waits as a handler sees them (ctx.step, ctx.sleep, ctx.waitFor; ADR
 * 0043), in two halves:
 *
 * - `runStep`, `sleepArgs`, `waitArgs`: the handler's side, which runs where the handler runs (in
 *   process, or in its thread): checks the arguments, runs the step's function, makes its result
 *   into what an event can hold. It talks to the worker through a DurablePort.
 * - `DurableRun`: the worker's side, one per attempt (owned by the job's RunningJob): the job's
 *   step journal (read from its history once, when first needed), the keys this attempt has used,
 *   and the writes (StepCompleted / StepFailed on the job's chain, the suspension through the
 *   attempt's abort).
 *
 * Nothing the handler passes is trusted: a name that cannot be recorded, a step function that
 * throws anything or returns what is not JSON, a sleep of NaN ms — each becomes a StepError or a
 * recorded StepFailed, never an event a reader would refuse.
 */
import {
  type AttemptError,
  copyJson,
  EMPTY_JOURNAL,
  fitText,
  type Json,
  MAX_DELAY_MS,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_STEP_INDEX,
  MAX_STEP_RESULT_BYTES,
  MAX_SUSPENSIONS_PER_JOB,
  MAX_TIMESTAMP_MS,
  NAME_PATTERN,
  sha256Hex,
  STEP_FINGERPRINT_LENGTH,
  type StepJournal,
  type StepKey,
  stepKeyText,
} from "../../domain/index.ts";
import { CommandRefused } from "../shared/index.ts";
import type { AttemptAbort } from "./attempt.ts";
import { attemptErrorOf, StepError, type StepOptions, textOf, type WaitResult } from "./handlers.ts";

export type StepOutcome = { readonly result: Json } | { readonly error: AttemptError };

/** What the handler's side asks of the worker's (in process: a DurableRun; in a thread: messages). */
export interface DurablePort {
  /** Claim the step for this attempt: its recorded result when it is done. Rejects with a StepError. */
  begin(
    key: StepKey,
    fingerprint: string,
  ): Promise<{ readonly done: true; readonly result: Json } | { readonly done: false }>;
  /** Record the step's outcome; rejects with a StepError when it was not recorded. */
  finish(key: StepKey, fingerprint: string, outcome: StepOutcome): Promise<void>;
  /** Resolves at once when the sleep is done; otherwise suspends the attempt and never resolves. */
  sleep(name: string, ms: number): Promise<void>;
  /** The wait's answer when it has one; otherwise suspends the attempt and never resolves. */
  waitFor(name: string, timeoutMs: number): Promise<WaitResult>;
}

const invalid = (code: string, message: string): StepError =>
  new StepError(code, fitText(message, MAX_ERROR_MESSAGE_LENGTH), false);

const shown = (value: unknown): string => fitText(textOf(value), 64);

const checkedName = (what: string, name: unknown): string => {
  if (typeof name !== "string" || !NAME_PATTERN.test(name))
    throw invalid(
      `invalid_${what}_name`,
      `a ${what}'s name must be 1 to 128 letters, digits and . _ : - (starting with a letter or digit), not ${shown(name)}`,
    );
  return name;
};

const checkedMs = (what: string, ms: unknown): number => {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS)
    throw invalid(
      `invalid_${what}`,
      `${what} must be a number of ms from 0 to ${MAX_DELAY_MS}, not ${shown(ms)}`,
    );
  return Math.floor(ms);
};

/** A step's key from what the handler passed, or a StepError. */
export const stepKeyOf = (name: unknown, options: unknown): StepKey => {
  const checked = checkedName("step", name);
  const index = options === undefined || options === null ? undefined : (options as StepOptions).index;
  if (index === undefined) return { name: checked };
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > MAX_STEP_INDEX)
    throw invalid(
      "invalid_step_index",
      `a step's index must be an integer from 0 to ${MAX_STEP_INDEX}, not ${shown(index)}`,
    );
  return { name: checked, index };
};

/**
 * The fingerprint recorded with a step: SHA-256 of the version the handler named, else of the
 * function's source text (so an edit to the step's code, or its compiled form, changes it).
 */
export const fingerprintOf = (fn: unknown, options: unknown): string => {
  const version = options === undefined || options === null ? undefined : (options as StepOptions).version;
  let source: string;
  try {
    source =
      version === undefined ? `source:${Function.prototype.toString.call(fn)}` : `version:${textOf(version)}`;
  } catch {
    source = "source:(unreadable)";
  }
  return sha256Hex(source.isWellFormed() ? source : source.toWellFormed()).slice(0, STEP_FINGERPRINT_LENGTH);
};

/** A step's return value as recorded: a bounded JSON copy, or why it cannot be. */
export const stepOutcomeOf = (value: unknown): StepOutcome => {
  if (value === undefined || value === null) return { result: null };
  const copied = copyJson(value, MAX_STEP_RESULT_BYTES);
  const problem =
    "problem" in copied
      ? copied.problem.path.length === 0
        ? copied.problem.message
        : `at ${copied.problem.path.join(".")}: ${copied.problem.message}`
      : undefined;
  if (problem !== undefined || !("value" in copied))
    return {
      error: {
        code: "invalid_step_result",
        message: fitText(
          `the step's result cannot be recorded: ${problem ?? "not JSON"}`,
          MAX_ERROR_MESSAGE_LENGTH,
        ),
        retryable: false,
      },
    };
  const bytes = Buffer.byteLength(JSON.stringify(copied.value), "utf8");
  return bytes > MAX_STEP_RESULT_BYTES
    ? {
        error: {
          code: "invalid_step_result",
          message: `the step's result cannot be recorded: it is ${bytes} bytes of JSON; the limit is ${MAX_STEP_RESULT_BYTES}`,
          retryable: false,
        },
      }
    : { result: copied.value };
};

/** ctx.step, on the handler's side: replay the recorded result, or run `fn` and record it. */
export const runStep = async (
  port: DurablePort,
  name: unknown,
  fn: unknown,
  options: unknown,
): Promise<Json> => {
  const key = stepKeyOf(name, options);
  if (typeof fn !== "function")
    throw invalid("invalid_step", `step ${stepKeyText(key)}: its second argument must be a function`);
  const fingerprint = fingerprintOf(fn, options);
  const begun = await port.begin(key, fingerprint);
  if (begun.done) return begun.result;
  let value: unknown;
  try {
    value = await (fn as () => unknown)();
  } catch (thrown) {
    // Recorded as evidence; the handler sees what its step threw, as if it had called it itself.
    await port.finish(key, fingerprint, { error: attemptErrorOf(thrown) }).catch(() => undefined);
    throw thrown;
  }
  const outcome = stepOutcomeOf(value);
  await port.finish(key, fingerprint, outcome);
  if ("error" in outcome) throw new StepError(outcome.error.code, outcome.error.message, false);
  return outcome.result;
};

/** ctx.sleep's arguments, checked. */
export const sleepArgs = (name: unknown, ms: unknown): { readonly name: string; readonly ms: number } => ({
  name: checkedName("sleep", name),
  ms: checkedMs("sleep", ms),
});

/** ctx.waitFor's arguments, checked (the timeout defaults to the longest wait Docket schedules). */
export const waitArgs = (
  name: unknown,
  options: unknown,
): { readonly name: string; readonly timeoutMs: number } => {
  const checked = checkedName("signal", name);
  const timeoutMs =
    options === undefined || options === null ? undefined : (options as { timeoutMs?: unknown }).timeoutMs;
  return {
    name: checked,
    timeoutMs: timeoutMs === undefined ? MAX_DELAY_MS : checkedMs("timeoutMs", timeoutMs),
  };
};

/** What a DurableRun needs from its job's chain. */
export interface DurableRunDeps {
  readonly attempt: number;
  readonly abort: AttemptAbort;
  readonly now: () => number;
  /** Suspensions the job has recorded before this attempt. */
  readonly suspensions: number;
  /** The job's journal: read from its history once, when first needed. */
  readonly journal: () => Promise<StepJournal>;
  /** Append a step's outcome on the chain: undefined once written, else the refusal. */
  readonly recordStep: (key: StepKey, fingerprint: string, outcome: StepOutcome) => Promise<unknown>;
  /** Append a log line on the chain (the code-change notice). */
  readonly log: (line: string) => Promise<unknown>;
}

const iso = (ms: number) => new Date(Math.min(ms, MAX_TIMESTAMP_MS)).toISOString();

/** Never settles: the attempt ended suspended, and the handler's code after the call never runs. */
const never = <A>(): Promise<A> => new Promise<A>(() => undefined);

/** The worker's side of one attempt's durable calls. */
export class DurableRun implements DurablePort {
  private loaded: Promise<StepJournal> | undefined;
  /** Keys this attempt has used: a second call of one is a StepError. */
  private readonly used = new Set<string>();

  constructor(private readonly deps: DurableRunDeps) {}

  private journal(): Promise<StepJournal> {
    this.loaded ??= this.deps.journal().catch((error: unknown) => {
      this.loaded = undefined;
      throw new StepError(
        "journal_unavailable",
        fitText(
          `the job's recorded steps could not be read: ${textOf(error instanceof Error ? error.message : error)}`,
          MAX_ERROR_MESSAGE_LENGTH,
        ),
        true,
      );
    });
    return this.loaded;
  }

  private claim(kind: string, text: string): void {
    const { abort } = this.deps;
    if (abort.reason !== undefined)
      throw new StepError(
        "attempt_over",
        `${kind} ${text}: the attempt is over (${abort.reason}); nothing was run`,
        true,
      );
    if (this.used.has(`${kind} ${text}`))
      throw invalid(
        `duplicate_${kind}`,
        `${kind} ${text} was already called in this attempt: give each ${kind} its own name (or index)`,
      );
    this.used.add(`${kind} ${text}`);
  }

  async begin(key: StepKey, fingerprint: string): Promise<{ done: true; result: Json } | { done: false }> {
    const text = stepKeyText(key);
    this.claim("step", text);
    let journal: StepJournal;
    try {
      journal = await this.journal();
    } catch (error) {
      // Nothing was run: the handler may call this step again.
      this.used.delete(`step ${text}`);
      throw error;
    }
    const recorded = journal.steps.get(text);
    if (recorded === undefined) return { done: false };
    if (recorded.fingerprint !== fingerprint)
      await this.deps.log(
        `step ${text}: its code changed since attempt ${recorded.attempt} recorded its result (fingerprint ${recorded.fingerprint}, now ${fingerprint}); the recorded result is used`,
      );
    return { done: true, result: recorded.result };
  }

  async finish(key: StepKey, fingerprint: string, outcome: StepOutcome): Promise<void> {
    const refused = await this.deps.recordStep(key, fingerprint, outcome);
    if (refused === undefined) return;
    const text = stepKeyText(key);
    if (refused instanceof CommandRefused && refused.code === "too_many_steps")
      throw new StepError("too_many_steps", `step ${text}: ${refused.message}`, false);
    // Not recorded: the attempt lost its lease, the job was cancelled, or Redis stayed away. The
    // step's effect may have happened; its result is not handed on, so nothing builds on an
    // unrecorded step (a later attempt runs it again).
    throw new StepError(
      "step_not_recorded",
      fitText(
        `step ${text}: its outcome could not be recorded (${textOf(refused instanceof Error ? refused.message : refused)})`,
        MAX_ERROR_MESSAGE_LENGTH,
      ),
      true,
    );
  }

  private suspend(kind: "sleep" | "signal", name: string, ms: number): Promise<never> {
    if (this.deps.suspensions >= MAX_SUSPENSIONS_PER_JOB)
      throw invalid(
        "too_many_suspensions",
        `the job has been suspended ${MAX_SUSPENSIONS_PER_JOB} times, the most one job may`,
      );
    this.deps.abort.suspend({ kind, name, until: iso(this.deps.now() + ms) });
    return never();
  }

  async sleep(name: string, ms: number): Promise<void> {
    this.claim("sleep", name);
    if ((await this.journal()).sleeps.has(name) || ms === 0) return;
    return this.suspend("sleep", name, ms);
  }

  async waitFor(name: string, timeoutMs: number): Promise<WaitResult> {
    const { abort } = this.deps;
    if (abort.reason !== undefined)
      throw new StepError("attempt_over", `wait ${name}: the attempt is over (${abort.reason})`, true);
    const answer = (await this.journal()).waits.get(name);
    if (answer !== undefined) return answer;
    return this.suspend("signal", name, timeoutMs);
  }
}

/** The journal of a job with nothing durable recorded yet: no read needed. */
export const emptyJournal = (): Promise<StepJournal> => Promise.resolve(EMPTY_JOURNAL);
