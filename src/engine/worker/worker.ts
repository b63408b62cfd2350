/**
 * Over 300 lines for now, on purpose: moved into the worker room as it was (ADR 0021); the next
 * round splits the claim loop, the slot accounting and each job's write chain out of it.
 *
 * A worker: one consumer in the work streams' consumer group. It claims entries in batches
 * (highest priority first), starts their attempts in one pipelined round trip, runs handlers up
 * to its concurrency, and records each outcome through the JobWriter. Background loops
 * (maintenance.ts) keep its leases alive, reclaim dead workers' entries, promote due jobs and
 * heartbeat into the registry.
 *
 * Lifetime: `run()` resolves when the worker has stopped (stop(), burst drained, max-jobs
 * reached). `stop()` stops taking work, lets in-flight jobs finish within the grace period,
 * then aborts the rest and records their attempts as failed (`worker_shutdown`, retryable).
 */
import { hostname } from "node:os";
import * as Schema from "effect/Schema";
import {
  Actor,
  contextOf,
  fitText,
  type JobCommand,
  type Json,
  MAX_ERROR_MESSAGE_LENGTH,
  statusOf,
} from "../../domain/index.ts";
import { type AbortReason, AttemptAbort, type AttemptOutcome, runAttempt } from "./attempt.ts";
import {
  type Clock,
  CommandRefused,
  ContentionExhausted,
  InvalidJobSpec,
  JobNotFound,
  QueueUnavailable,
} from "../shared/index.ts";
import { type EventStore, isWriteResult, JobWriter, newJobId, type StoredHead } from "../write/index.ts";
import { type HandlerContext, type Handlers, logLineOf, progressOf, textOf } from "./handlers.ts";
import { Maintenance, type MaintenanceHost } from "./maintenance.ts";
import type { Claimed, WorkEntry, WorkerInfo, WorkerRegistry, WorkQueue } from "./ports.ts";

export interface WorkerOptions {
  readonly name: string;
  readonly queues: ReadonlyArray<string>;
  readonly concurrency: number;
  readonly handlers: Handlers;
  readonly store: EventStore;
  readonly queue: WorkQueue;
  readonly registry: WorkerRegistry;
  readonly clock: Clock;
  /** An entry idle longer than this is presumed abandoned and reclaimed (default 30 s). */
  readonly leaseMs?: number;
  /** How long an idle worker blocks waiting for work per read (default 1 s). */
  readonly blockMs?: number;
  /** Drain what is runnable now, then exit. */
  readonly burst?: boolean;
  /** Exit after taking this many jobs. */
  readonly maxJobs?: number;
  /** How long stop() waits for in-flight jobs before aborting them (default 10 s). */
  readonly shutdownGraceMs?: number;
  readonly heartbeatMs?: number;
  readonly schedulerIntervalMs?: number;
  /** Source of the retry jitter draw; passed into the domain as data. */
  readonly random?: () => number;
  /**
   * Independent claim loops, each with its own store and queue (its own connections), sharing
   * the concurrency. With one loop, Node and Redis take turns on each batch; with two, one
   * loop's round trip overlaps the other's work (ADR 0013). Default: one loop on store/queue.
   */
  readonly lanes?: ReadonlyArray<WorkerLane>;
  readonly onError?: (error: unknown) => void;
}

export interface WorkerLane {
  readonly store: EventStore;
  readonly queue: WorkQueue;
}

/** One claim loop: its connection's writer and queue, its share of the concurrency. */
interface Lane {
  readonly writer: JobWriter;
  readonly queue: WorkQueue;
  readonly concurrency: number;
  /** Handlers of this lane running now: what its concurrency limits. */
  running: number;
}

export interface InFlight {
  readonly jobId: string;
  /** Writes this job's events (its lane's connection). */
  readonly writer: JobWriter;
  readonly entry: WorkEntry;
  readonly attempt: number;
  readonly abort: AttemptAbort;
  head: StoredHead;
  /** Serialises this job's writes (progress, log, outcome) on its chain. */
  chain: Promise<unknown>;
}

const iso = (ms: number) => new Date(ms).toISOString();

const isActor = Schema.is(Actor);

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

export class Worker implements MaintenanceHost {
  readonly id: string;
  readonly actor: Actor;
  readonly leaseMs: number;
  readonly writer: JobWriter;
  readonly inFlight = new Map<string, InFlight>();
  private readonly maintenance: Maintenance;
  private readonly startedAt: string;
  private stopping = false;
  private crashed = false;
  private taken = 0;
  private completed = 0;
  private failed = 0;
  /** Jobs a lane is claiming right now, counted against maxJobs until they are taken. */
  private reserved = 0;
  private readonly lanes: ReadonlyArray<Lane>;
  private slotWaiters: Array<() => void> = [];
  /** How long drain() waits for in-flight jobs; set by stop() and crash(). */
  private drainGraceMs = 10_000;
  private finished: Promise<void> | undefined;

  constructor(readonly options: WorkerOptions) {
    this.id = `${options.name}-${newJobId().slice(-12)}`;
    this.actor = { kind: "worker", id: this.id };
    // Every event this worker writes names it: a name no event can hold would have every one of
    // them refused (and its claimed jobs handed back forever), so it is refused here, at once.
    if (!isActor(this.actor) || !this.id.isWellFormed())
      throw new TypeError(`worker name ${JSON.stringify(options.name)} cannot name an event's actor`);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.writer = new JobWriter(options.store, options.clock);
    const given = options.lanes !== undefined && options.lanes.length > 0 ? options.lanes : [options];
    const count = Math.max(1, Math.min(given.length, options.concurrency));
    this.lanes = given.slice(0, count).map((lane, i) => ({
      writer: lane.store === options.store ? this.writer : new JobWriter(lane.store, options.clock),
      queue: lane.queue,
      // Concurrency counts running handlers (ADR 0011); a lane's share of it.
      concurrency: Math.floor(options.concurrency / count) + (i < options.concurrency % count ? 1 : 0),
      running: 0,
    }));
    this.startedAt = iso(options.clock.now());
    this.maintenance = new Maintenance(this);
  }

  info(): WorkerInfo {
    return {
      id: this.id,
      name: this.options.name,
      host: hostname(),
      pid: process.pid,
      queues: this.options.queues,
      concurrency: this.options.concurrency,
      inFlight: this.lanes.reduce((running, lane) => running + lane.running, 0),
      completed: this.completed,
      failed: this.failed,
      startedAt: this.startedAt,
      lastSeenAt: iso(this.options.clock.now()),
    };
  }

  /** A draw for the retry jitter; passed into the domain as data. */
  random(): number {
    return (this.options.random ?? Math.random)();
  }

  report(error: unknown): void {
    this.options.onError?.(error);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Run until stopped; resolves once every in-flight job is settled or handed back. */
  run(): Promise<void> {
    this.finished ??= this.loop();
    return this.finished;
  }

  /**
   * Create the consumer groups, waiting out a Redis outage (a worker started while Redis restarts
   * must come up when Redis does, not exit). Returns false if stopped before that.
   */
  private async groupsReady(): Promise<boolean> {
    for (;;) {
      if (this.stopping) return false;
      try {
        await this.options.queue.ensureGroups(this.options.queues);
        return true;
      } catch (error) {
        if (!(error instanceof QueueUnavailable)) throw error;
        this.report(error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async loop(): Promise<void> {
    if (!(await this.groupsReady())) return;
    this.maintenance.start();
    try {
      await Promise.all(this.lanes.map((lane) => this.runLane(lane)));
    } finally {
      await this.drain();
      await this.maintenance.stop();
      if (!this.crashed) await this.options.registry.remove(this.id).catch((e: unknown) => this.report(e));
    }
  }

  private async runLane(lane: Lane): Promise<void> {
    const { maxJobs } = this.options;
    while (!this.stopping) {
      if (maxJobs !== undefined && this.taken >= maxJobs) break;
      const room = lane.concurrency - lane.running;
      const left = maxJobs === undefined ? room : Math.min(room, maxJobs - this.taken - this.reserved);
      if (left <= 0) {
        await this.nextSlot();
        continue;
      }
      this.reserved += left;
      let idle = false;
      try {
        let claimed = await lane.queue.claim(this.id, this.options.queues, left);
        if (claimed.length === 0) {
          if (this.options.burst) {
            await this.maintenance.promoteDue();
            claimed = await lane.queue.claim(this.id, this.options.queues, left);
            // Nothing runnable and nothing running: this lane is done (a lane that claimed
            // something meanwhile runs it, and ends on its own next empty pass).
            if (claimed.length === 0 && this.inFlight.size === 0) break;
            idle = claimed.length === 0;
          } else {
            claimed = await lane.queue.waitForWork(
              this.id,
              this.options.queues,
              this.options.blockMs ?? 1_000,
              left,
            );
          }
        }
        if (claimed.length > 0) await this.start(claimed, lane);
      } catch (error) {
        this.report(error);
        // Redis is down or flapping: back off, the connection reconnects by itself.
        if (!this.stopping)
          await new Promise((r) => setTimeout(r, error instanceof QueueUnavailable ? 500 : 100));
      } finally {
        this.reserved -= left;
        // Another lane may be waiting for this reservation's share of max-jobs.
        if (maxJobs !== undefined) this.freeSlot();
      }
      // Burst mode with jobs still running: wait for one to end before looking again (waking on
      // another lane's empty pass would make idle lanes poll Redis in turn).
      if (idle) await this.nextSlot();
    }
  }

  /**
   * Resolves when a handler has finished or a job has left `inFlight`, after the handlers that
   * finish in the same turn of the event loop have too: a batch of quick jobs frees its slots
   * together, so the next claim asks for the whole batch at once, and it goes out while their
   * outcomes are still being recorded (one round trip overlaps the other).
   */
  private async nextSlot(): Promise<void> {
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Wakes every lane waiting for room (each checks its own). */
  private freeSlot(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Start attempts for claimed entries in one pipelined round trip, then run them (on the first
   * lane unless told: the maintenance loops' reclaimed entries).
   */
  async start(claimed: ReadonlyArray<Claimed>, lane: Lane = this.lanes[0] as Lane): Promise<void> {
    const runnable: Array<Claimed & { head: StoredHead }> = [];
    const stale: Array<Claimed> = [];
    for (const c of claimed)
      if (c.head !== null && statusOf(c.head.state) === "queued")
        runnable.push(c as Claimed & { head: StoredHead });
      else stale.push(c);
    await Promise.all(stale.map((c) => lane.queue.discard(c)));
    if (runnable.length === 0) return;
    const at = iso(this.options.clock.now());
    const results = await lane.writer.writeMany(
      runnable.map((c) => ({
        intent: {
          jobId: c.jobId,
          command: (head: StoredHead) => ({
            type: "StartAttempt" as const,
            at,
            actor: this.actor,
            attempt: contextOf(head.state).attempt + 1,
          }),
        },
        known: c.head,
      })),
    );
    runnable.forEach((c, i) => {
      const result = results[i];
      if (result !== undefined && isWriteResult(result) && result._tag === "Written") {
        this.taken += 1;
        this.launch(c, result.head, lane);
      } else {
        // Cancelled or otherwise moved on between delivery and start: the entry is not needed.
        void lane.queue.discard(c).catch((e: unknown) => this.report(e));
      }
    });
  }

  private launch(entry: WorkEntry & { jobId: string }, head: StoredHead, lane: Lane): void {
    const context = contextOf(head.state);
    const job: InFlight = {
      jobId: entry.jobId,
      writer: lane.writer,
      entry: { stream: entry.stream, entryId: entry.entryId },
      attempt: context.attempt,
      abort: new AttemptAbort(),
      head,
      chain: Promise.resolve(),
    };
    this.inFlight.set(job.jobId, job);
    lane.running += 1;
    const ctx: HandlerContext = {
      jobId: job.jobId,
      attempt: job.attempt,
      jobType: context.jobType,
      get signal() {
        return job.abort.signal;
      },
      progress: async (current, total, message) => {
        const report = progressOf(current, total, message);
        await this.record(job, (at) =>
          "progress" in report
            ? {
                type: "ReportProgress",
                at,
                actor: this.actor,
                attempt: job.attempt,
                progress: report.progress,
              }
            : { type: "RecordLog", at, actor: this.actor, attempt: job.attempt, line: report.refused },
        );
      },
      log: async (line) => {
        const recorded = logLineOf(line);
        await this.record(job, (at) => ({
          type: "RecordLog",
          at,
          actor: this.actor,
          attempt: job.attempt,
          line: recorded,
        }));
      },
    };
    void this.execute(
      job,
      lane,
      runAttempt(this.options.handlers[context.jobType], head.payload, ctx, job.abort, context.timeoutMs),
    );
  }

  /** Await the attempt, free its slot, record its outcome; the job leaves `inFlight` after. */
  private async execute(job: InFlight, lane: Lane, attempt: Promise<AttemptOutcome>): Promise<void> {
    try {
      let outcome: AttemptOutcome;
      try {
        outcome = await attempt;
      } finally {
        lane.running -= 1;
        this.freeSlot();
      }
      await this.finish(job, outcome);
    } catch (error) {
      this.report(error);
    } finally {
      this.inFlight.delete(job.jobId);
      this.freeSlot();
    }
  }

  /**
   * Append one command on the job's own chain of writes. A refusal is reported, not thrown: the
   * promise resolves with it (undefined once written).
   */
  private record(job: InFlight, build: (at: string) => JobCommand): Promise<unknown> {
    const next = job.chain.then(async () => {
      const at = iso(this.options.clock.now());
      // While Redis is unreachable, keep trying within the lease: the job stays in flight (its
      // lease is renewed once Redis is back), so an outage neither loses nor repeats the outcome.
      // A write that did land before the connection broke is recognised on retry (no events).
      const giveUpAt = this.options.clock.now() + this.leaseMs;
      for (;;) {
        if (this.crashed) return;
        try {
          const result = await job.writer.write({ jobId: job.jobId, command: () => build(at) }, job.head);
          if (result._tag !== "Repeat") job.head = result.head;
          return;
        } catch (error) {
          if (!(error instanceof QueueUnavailable) || this.options.clock.now() > giveUpAt) throw error;
          this.report(error);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    });
    job.chain = next.catch(() => {});
    return next.then(
      () => undefined,
      (error: unknown) => {
        this.report(error);
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
  private async finish(job: InFlight, outcome: AttemptOutcome): Promise<void> {
    if (outcome._tag === "Abandoned" || this.crashed) return;
    let refused: unknown;
    if (outcome._tag === "Succeeded") {
      this.completed += 1;
      refused = await this.record(job, (at) => ({
        type: "CompleteAttempt",
        at,
        actor: this.actor,
        attempt: job.attempt,
        result: outcome.result as Json,
      }));
    } else {
      this.failed += 1;
      refused = await this.record(job, (at) => ({
        type: "FailAttempt",
        at,
        actor: this.actor,
        attempt: job.attempt,
        error: outcome.error,
        random: this.random(),
      }));
    }
    if (refused === undefined || !isUnrecordable(refused)) return;
    const what = outcome._tag === "Succeeded" ? "result" : "error";
    await this.record(job, (at) => ({
      type: "FailAttempt",
      at,
      actor: this.actor,
      attempt: job.attempt,
      error: {
        code: `invalid_${what}`,
        message: fitText(
          `the handler's ${what} could not be recorded: ${reasonOf(refused)}`,
          MAX_ERROR_MESSAGE_LENGTH,
        ),
        retryable: outcome._tag === "Failed" && outcome.error.retryable,
      },
      random: this.random(),
    }));
  }

  /** Stop taking work; wait up to the grace period, then hand back what is still running. */
  async stop(graceMs = this.options.shutdownGraceMs ?? 10_000): Promise<void> {
    this.stopping = true;
    this.freeSlot();
    this.drainGraceMs = graceMs;
    await this.run();
  }

  private async drain(): Promise<void> {
    const deadline = this.options.clock.now() + this.drainGraceMs;
    while (this.inFlight.size > 0 && this.options.clock.now() < deadline && !this.crashed)
      await new Promise((r) => setTimeout(r, 20));
    const leftovers = [...this.inFlight.values()];
    for (const job of leftovers) job.abort.abort((this.crashed ? "crash" : "shutdown") satisfies AbortReason);
    if (this.crashed) return;
    await Promise.all(
      leftovers.map((job) =>
        this.record(job, (at) => ({
          type: "FailAttempt",
          at,
          actor: this.actor,
          attempt: job.attempt,
          error: { code: "worker_shutdown", message: `worker ${this.id} shut down`, retryable: true },
          random: 0,
        })),
      ),
    );
    await Promise.all(leftovers.map((job) => job.chain));
  }

  /**
   * The in-process equivalent of SIGKILL, for fault tests: stop every loop at once and record
   * nothing more. In-flight entries stay pending in the group until another worker reclaims them.
   */
  async crash(): Promise<void> {
    this.crashed = true;
    this.stopping = true;
    this.drainGraceMs = 0;
    this.freeSlot();
    await this.run();
  }
}
