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
  MAX_LOG_LINES_PER_ATTEMPT,
  MAX_TIMER_MS,
  type Progress,
  REPORT_AGE_DIVISOR,
  REPORT_INTERVAL_MS,
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
import { LatestWins } from "./latest-wins.ts";
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
 * The least time between two progress (or meta) writes of an attempt started at `startedAt`:
 * REPORT_INTERVAL_MS, and never less than a thousandth of the attempt's age, so a long attempt
 * reporting all the time records about a thousand reports per tenfold of its age (about 7,000 in
 * a day) instead of five a second.
 */
export const reportIntervalMs =
  (startedAt: number) =>
  (nowMs: number): number =>
    // At most one Node timer's reach: a clock stepped far ahead must not overflow the flush timer.
    Math.min(MAX_TIMER_MS, Math.max(REPORT_INTERVAL_MS, (nowMs - startedAt) / REPORT_AGE_DIVISOR));

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
  /** Log lines the handler asked to record this attempt (those past the limit are not). */
  private lines = 0;
  /** The handler's progress and meta reports, the latest of each written at most every interval. */
  private readonly reports: LatestWins<"progress" | "meta", Progress | Json>;
  /** The attempt's end was recorded or is next (outcome, suspension, shutdown): reports are over. */
  private reportsEnded = false;
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
    const { actor } = settings;
    const now = () => settings.clock.now();
    const startedAt = now();
    this.reports = new LatestWins(reportIntervalMs(startedAt), now, (kind, value) =>
      this.record((at) =>
        kind === "progress"
          ? { type: "ReportProgress", at, actor, attempt, progress: value as Progress }
          : { type: "UpdateMeta", at, actor, attempt, meta: value as Json },
      ),
    );
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
        this.recordAfterReports((at) => ({
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
        this.recordAfterReports((at) => ({
          type: "RecordLog",
          at,
          actor: settings.actor,
          attempt,
          line: logLineOf(line),
        })),
    });
  }

  /**
   * What the handler is given: its progress, meta and log lines are written on this chain —
   * progress and meta at most every REPORT_INTERVAL_MS (the latest wins), log lines up to
   * MAX_LOG_LINES_PER_ATTEMPT — so no handler can flood its job's history.
   */
  handlerContext(jobType: string): HandlerContext {
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
        await ("progress" in report
          ? this.reports.offer("progress", report.progress)
          : this.recordLine(report.refused));
      },
      setMeta: async (meta) => {
        const recorded = metaOf(meta);
        await ("meta" in recorded
          ? this.reports.offer("meta", recorded.meta)
          : this.recordLine(recorded.refused));
      },
      log: async (line) => {
        await this.recordLine(logLineOf(line));
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
    this.endReports();
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

  /**
   * One of the handler's log lines, after its held reports. Past the limit nothing is recorded:
   * the line at the limit says so, and the attempt's end says how many were left out.
   */
  private recordLine(line: string): Promise<unknown> {
    this.lines += 1;
    if (this.lines > MAX_LOG_LINES_PER_ATTEMPT) return Promise.resolve();
    const text =
      this.lines === MAX_LOG_LINES_PER_ATTEMPT
        ? `log limit reached: an attempt records at most ${MAX_LOG_LINES_PER_ATTEMPT} lines; this one and later ones are not recorded`
        : line;
    return this.recordAfterReports((at) => ({
      type: "RecordLog",
      at,
      actor: this.settings.actor,
      attempt: this.attempt,
      line: text,
    }));
  }

  /** A record after the progress and meta reports held so far, so the history keeps their order. */
  private recordAfterReports(build: (at: string) => JobCommand): Promise<unknown> {
    void this.reports.flush();
    return this.record(build);
  }

  /**
   * The attempt is ending (its outcome, suspension or shutdown is next): write what is held and
   * how many log lines were left out, then take no more reports.
   */
  private endReports(): void {
    if (this.reportsEnded) return;
    this.reportsEnded = true;
    void this.reports.flush();
    this.reports.close();
    const left = this.lines - MAX_LOG_LINES_PER_ATTEMPT + 1;
    if (left > 0)
      void this.record((at) => ({
        type: "RecordLog",
        at,
        actor: this.settings.actor,
        attempt: this.attempt,
        line: `${left} log line(s) of this attempt were not recorded (at most ${MAX_LOG_LINES_PER_ATTEMPT} per attempt)`,
      }));
  }

  /** The attempt ended without a record of its own (its lease lost, the worker crashed): drop what is held. */
  dropReports(): void {
    this.reports.close();
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
    this.endReports();
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
    this.endReports();
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
