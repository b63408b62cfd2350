/**
 * One running job's write chain: the serialised writes of its attempt — progress and log lines
 * from its handler's context, the outcome, or the failure recorded when the worker shuts down —
 * each appended after the one before, on its lane's writer, from the head the previous write left.
 *
 * Created by the worker when an attempt starts; lives until its outcome is written.
 */
import {
  type Actor,
  contextOf,
  type Envelope,
  eventOf,
  fitText,
  type JobCommand,
  journalOf,
  type Json,
  MAX_ERROR_MESSAGE_LENGTH,
} from "../../domain/index.ts";
import {
  type Clock,
  CommandRefused,
  ContentionExhausted,
  InvalidJobSpec,
  JobNotFound,
  QueueUnavailable,
} from "../shared/index.ts";
import type { JobWriter, StoredHead } from "../write/index.ts";
import type { AttemptAbort, AttemptOutcome, Suspension } from "./attempt.ts";
import { type ChildOutcome, type HandlerContext, logLineOf, metaOf, progressOf, textOf } from "./handlers.ts";
import type { WorkEntry } from "./ports.ts";
import { DurableRun, emptyJournal, runStep, sleepArgs, waitArgs } from "./steps.ts";

/** What every chain of one worker shares. */
export interface ChainSettings {
  readonly actor: Actor;
  readonly clock: Clock;
  /** How long a write keeps retrying through a Redis outage: the job's lease. */
  readonly leaseMs: number;
  /** True once the worker crashed (the in-process SIGKILL): nothing more is written. */
  readonly crashed: () => boolean;
  readonly random: () => number;
  readonly report: (error: unknown) => void;
  /** A job's history, for its durable steps' journal (read only for a job that recorded any). */
  readonly history: (jobId: string) => Promise<ReadonlyArray<Envelope>>;
  /** A job's dependencies as its handler sees them (ctx.children(), ADR 0042). */
  readonly children: (head: StoredHead) => Promise<ReadonlyArray<ChildOutcome>>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * An outcome the store refused for what it holds, not because the job moved on (cancelled,
 * reclaimed: CommandRefused, JobNotFound), Redis is away or writers kept racing.
 */
const isUnrecordable = (error: unknown): boolean =>
  !(
    error instanceof QueueUnavailable ||
    error instanceof CommandRefused ||
    error instanceof JobNotFound ||
    error instanceof ContentionExhausted
  );

const reasonOf = (error: unknown): string =>
  error instanceof InvalidJobSpec
    ? `${error.field}: ${error.message}`
    : textOf(error instanceof Error ? error.message : error);

export class RunningJob {
  private head: StoredHead;
  private chain: Promise<unknown> = Promise.resolve();
  /** The attempt's durable steps, sleeps and waits (ADR 0043). */
  readonly durable: DurableRun;

  constructor(
    readonly jobId: string,
    readonly attempt: number,
    /** Its work entry: the lease the worker renews while the attempt runs. */
    readonly entry: WorkEntry,
    readonly abort: AttemptAbort,
    /** Its lane's writer (that lane's connection). */
    private readonly writer: JobWriter,
    started: StoredHead,
    private readonly settings: ChainSettings,
  ) {
    this.head = started;
    const context = contextOf(started.state);
    // Only a job that has recorded something durable has a journal to read.
    const recorded = context.steps > 0 || context.suspensions > 0 || context.signals.length > 0;
    this.durable = new DurableRun({
      attempt,
      abort,
      now: () => settings.clock.now(),
      suspensions: context.suspensions,
      journal: recorded ? async () => journalOf((await settings.history(jobId)).map(eventOf)) : emptyJournal,
      recordStep: (key, fingerprint, outcome) =>
        this.record((at) => ({
          type: "RecordStep",
          at,
          actor: settings.actor,
          attempt,
          name: key.name,
          ...(key.index === undefined ? {} : { index: key.index }),
          fingerprint,
          outcome,
        })),
      log: (line) =>
        this.record((at) => ({
          type: "RecordLog",
          at,
          actor: settings.actor,
          attempt,
          line: logLineOf(line),
        })),
    });
  }

  /** What the handler is given: its progress and log lines are written on this chain. */
  handlerContext(jobType: string): HandlerContext {
    const { actor } = this.settings;
    const started = this.head;
    const { jobId, attempt, abort } = this;
    return {
      jobId,
      attempt,
      jobType,
      get signal() {
        return abort.signal;
      },
      progress: async (current, total, message) => {
        const report = progressOf(current, total, message);
        await this.record((at) =>
          "progress" in report
            ? { type: "ReportProgress", at, actor, attempt, progress: report.progress }
            : { type: "RecordLog", at, actor, attempt, line: report.refused },
        );
      },
      setMeta: async (meta) => {
        const recorded = metaOf(meta);
        await this.record((at) =>
          "meta" in recorded
            ? { type: "UpdateMeta", at, actor, attempt, meta: recorded.meta }
            : { type: "RecordLog", at, actor, attempt, line: recorded.refused },
        );
      },
      log: async (line) => {
        const recorded = logLineOf(line);
        await this.record((at) => ({ type: "RecordLog", at, actor, attempt, line: recorded }));
      },
      step: (name, fn, options) => runStep(this.durable, name, fn, options) as Promise<never>,
      sleep: async (name, ms) => {
        const args = sleepArgs(name, ms);
        await this.durable.sleep(args.name, args.ms);
      },
      waitFor: async (name, options) => {
        const args = waitArgs(name, options);
        return this.durable.waitFor(args.name, args.timeoutMs);
      },
      children: () => this.settings.children(started),
    };
  }

  /**
   * The handler slept or waited (ADR 0043): end the attempt suspended. Written after every write
   * the handler queued before it (its steps' records among them).
   */
  async recordSuspension(suspension: Suspension): Promise<void> {
    const { actor } = this.settings;
    await this.record((at) => ({
      type: "SuspendAttempt",
      at,
      actor,
      attempt: this.attempt,
      kind: suspension.kind,
      name: suspension.name,
      until: suspension.until,
    }));
  }

  /** Resolves once every write queued so far has settled. */
  settled(): Promise<unknown> {
    return this.chain;
  }

  /**
   * Append one command after the writes before it. A refusal is reported, not thrown: the
   * promise resolves with it (undefined once written).
   */
  record(build: (at: string) => JobCommand): Promise<unknown> {
    const { clock, leaseMs, crashed, report } = this.settings;
    const next = this.chain.then(async () => {
      const at = iso(clock.now());
      // While Redis is unreachable, keep trying within the lease: the job stays in flight (its
      // lease is renewed once Redis is back), so an outage neither loses nor repeats the outcome.
      // A write that did land before the connection broke is recognised on retry (no events).
      const giveUpAt = clock.now() + leaseMs;
      for (;;) {
        if (crashed()) return;
        try {
          const result = await this.writer.write({ jobId: this.jobId, command: () => build(at) }, this.head);
          if (result._tag !== "Repeat") this.head = result.head;
          return;
        } catch (error) {
          if (!(error instanceof QueueUnavailable) || clock.now() > giveUpAt) throw error;
          report(error);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    });
    this.chain = next.catch(() => {});
    return next.then(
      () => undefined,
      (error: unknown) => {
        report(error);
        return error;
      },
    );
  }

  /**
   * Record the attempt's outcome. Should the store refuse to append it as it is (an event a
   * reader would refuse: InvalidJobSpec, or any error that is not about the job having moved on
   * or Redis being away), the attempt still ends: a failure naming why is recorded instead, so
   * the job never waits for its lease to expire with its real outcome lost.
   */
  async recordOutcome(outcome: Exclude<AttemptOutcome, { _tag: "Abandoned" | "Suspended" }>): Promise<void> {
    const { actor, random } = this.settings;
    const attempt = this.attempt;
    const refused =
      outcome._tag === "Succeeded"
        ? await this.record((at) => ({
            type: "CompleteAttempt",
            at,
            actor,
            attempt,
            result: outcome.result as Json,
          }))
        : await this.record((at) => ({
            type: "FailAttempt",
            at,
            actor,
            attempt,
            error: outcome.error,
            random: random(),
          }));
    if (refused === undefined || !isUnrecordable(refused)) return;
    const what = outcome._tag === "Succeeded" ? "result" : "error";
    await this.record((at) => ({
      type: "FailAttempt",
      at,
      actor,
      attempt,
      error: {
        code: `invalid_${what}`,
        message: fitText(
          `the handler's ${what} could not be recorded: ${reasonOf(refused)}`,
          MAX_ERROR_MESSAGE_LENGTH,
        ),
        retryable: outcome._tag === "Failed" && outcome.error.retryable,
      },
      random: random(),
    }));
  }

  /** The worker shut down before the handler finished: a retryable failure (no jitter draw). */
  recordShutdown(): Promise<unknown> {
    const { actor } = this.settings;
    return this.record((at) => ({
      type: "FailAttempt",
      at,
      actor,
      attempt: this.attempt,
      error: { code: "worker_shutdown", message: `worker ${actor.id} shut down`, retryable: true },
      random: 0,
    }));
  }
}
