/**
 * A worker: one consumer in the work streams' consumer group. It wires its parts and owns their
 * lifetimes (ADR 0025): one claim loop per lane (claim-loop.ts) over the slots its lanes share
 * (slots.ts), the start of each attempt (start-attempts.ts), each running job's handler
 * (attempt.ts) and write chain (job-chain.ts), and the background loops that keep its leases
 * alive, reclaim dead workers' entries, promote due jobs and heartbeat (maintenance.ts).
 *
 * Lifetime: `run()` resolves when the worker has stopped (stop(), burst drained, max-jobs
 * reached). `stop()` stops taking work, lets in-flight jobs finish within the grace period,
 * then aborts the rest and records their attempts as failed (`worker_shutdown`, retryable).
 */
import { hostname } from "node:os";
import * as Schema from "effect/Schema";
import { Actor, contextOf } from "../../domain/index.ts";
import { type AbortReason, AttemptAbort, type AttemptOutcome, runAttempt } from "./attempt.ts";
import { type AttemptEnd, type AttemptTrace, traceAttempt } from "./attempt-trace.ts";
import { ClaimLoop, JobBudget } from "./claim-loop.ts";
import { type Clock, QueueUnavailable } from "../shared/index.ts";
import { type EventStore, JobWriter, newJobId, type StoredHead } from "../write/index.ts";
import { handlerFor, type Handlers } from "./handlers.ts";
import { type ThreadIsolation, ThreadPool } from "./isolation/thread-pool.ts";
import { childrenOf } from "./children.ts";
import { type ChainSettings, RunningJob } from "./job-chain.ts";
import { Maintenance } from "./maintenance.ts";
import { entryTimeMs, OutageWatch, type WorkerObserver } from "./observer.ts";
import {
  type CancelFeed,
  type Claimed,
  MAX_CURRENT_JOBS,
  type WorkEntry,
  type WorkerInfo,
  type WorkerRegistry,
  type WorkQueue,
} from "./ports.ts";
import { type Lane, Slots } from "./slots.ts";
import { AttemptStarter } from "./start-attempts.ts";

export interface WorkerOptions {
  readonly name: string;
  readonly queues: ReadonlyArray<string>;
  readonly concurrency: number;
  readonly handlers: Handlers;
  /**
   * Run handlers in worker threads loaded from a module (every job type, or those listed), so a
   * timeout or a cancel stops even a handler that never yields (ADR 0040). Default: in-process.
   */
  readonly isolation?: ThreadIsolation;
  /** Maintenance's store and queue (and the one lane's, without `lanes`). */
  readonly store: EventStore;
  readonly queue: WorkQueue;
  readonly registry: WorkerRegistry;
  /** Cancels as they are recorded, so a running job's handler is aborted at once (ADR 0040). */
  readonly cancels?: CancelFeed;
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
  /**
   * Claim each lane's next batch while the current one starts, so that starting a batch shares a
   * round trip with the claim after it (ADR 0033). Default: on, unless `maxJobs` is set.
   */
  readonly claimAhead?: boolean;
  readonly onError?: (error: unknown) => void;
  /** Told of each attempt started and of reclaims and outages (logs, metrics). */
  readonly observer?: WorkerObserver;
}

export interface WorkerLane {
  readonly store: EventStore;
  readonly queue: WorkQueue;
}

const iso = (ms: number) => new Date(ms).toISOString();

const isActor = Schema.is(Actor);

export class Worker {
  readonly id: string;
  readonly actor: Actor;
  readonly leaseMs: number;
  /** Jobs whose attempt started and whose outcome is not yet written, by job id. */
  readonly inFlight = new Map<string, RunningJob>();
  private readonly lanes: ReadonlyArray<Lane>;
  private readonly slots: Slots;
  private readonly maintenance: Maintenance;
  private readonly claimLoops: ReadonlyArray<ClaimLoop>;
  private readonly chainSettings: ChainSettings;
  private readonly startedAt: string;
  private readonly outage: OutageWatch;
  /** The handler threads, when handlers are isolated. */
  readonly threads: ThreadPool | undefined;
  private stopping = false;
  private crashed = false;
  private completed = 0;
  private failed = 0;
  /** Handlers running now (a started attempt whose handler has not finished). */
  private running = 0;
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
    this.threads =
      options.isolation === undefined
        ? undefined
        : new ThreadPool(options.isolation, Math.max(1, options.concurrency));
    const { clock } = options;
    const given = options.lanes !== undefined && options.lanes.length > 0 ? options.lanes : [options];
    // Concurrency counts running handlers (ADR 0011); each lane has its share of it.
    const count = Math.max(1, Math.min(given.length, options.concurrency));
    this.lanes = given
      .slice(0, count)
      .map((lane, index) => ({ index, queue: lane.queue, writer: new JobWriter(lane.store, clock) }));
    this.slots = new Slots(Slots.split(options.concurrency, count));
    this.startedAt = iso(clock.now());
    this.outage = new OutageWatch(() => clock.now(), options.observer);
    const report = (error: unknown) => this.report(error);
    const random = () => (options.random ?? Math.random)();
    const heartbeatMs = options.heartbeatMs ?? 5_000;
    this.maintenance = new Maintenance({
      actor: this.actor,
      queues: options.queues,
      leaseMs: this.leaseMs,
      heartbeatMs,
      schedulerIntervalMs: options.schedulerIntervalMs ?? 250,
      queue: options.queue,
      store: options.store,
      writer: new JobWriter(options.store, clock),
      registry: options.registry,
      clock,
      random,
      ...(options.cancels === undefined ? {} : { cancels: options.cancels }),
      entryOf: (jobId) => this.inFlight.get(jobId)?.entry,
      held: () => [...[...this.inFlight.values()].map((job) => job.entry), ...this.slots.parked],
      lost: (entries) => this.lost(entries),
      admit: (entries) => this.slots.park(entries),
      accepting: () => !this.stopping,
      info: () => this.info(),
      report,
      answered: () => this.outage.answered(),
      reclaimed: (event) => options.observer?.lifecycle?.(event),
    });
    const starter = new AttemptStarter({
      actor: this.actor,
      clock,
      report,
      launch: (entry, started, lane) => this.launch(entry, started, lane),
    });
    const budget = new JobBudget(options.maxJobs);
    this.claimLoops = this.lanes.map(
      (lane) =>
        new ClaimLoop(lane, {
          consumer: this.id,
          queues: options.queues,
          blockMs: options.blockMs ?? 1_000,
          burst: options.burst ?? false,
          slots: this.slots,
          budget,
          starter,
          stopping: () => this.stopping,
          unsettled: () => this.inFlight.size,
          promoteDue: () => this.maintenance.promoteDue(),
          report,
          claimAhead: options.maxJobs === undefined && (options.claimAhead ?? true),
        }),
    );
    this.chainSettings = {
      actor: this.actor,
      clock,
      leaseMs: this.leaseMs,
      crashed: () => this.crashed,
      random,
      report,
      history: (jobId) => options.store.readEvents(jobId),
      children: (head) => childrenOf(options.store, head),
    };
  }

  info(): WorkerInfo {
    return {
      id: this.id,
      name: this.options.name,
      host: hostname(),
      pid: process.pid,
      queues: this.options.queues,
      concurrency: this.options.concurrency,
      inFlight: this.running,
      status: this.stopping ? "stopping" : this.running > 0 ? "busy" : "idle",
      currentJobs: [...this.inFlight.keys()].slice(0, MAX_CURRENT_JOBS),
      completed: this.completed,
      failed: this.failed,
      startedAt: this.startedAt,
      lastSeenAt: iso(this.options.clock.now()),
    };
  }

  private report(error: unknown): void {
    this.outage.failed(error);
    this.options.onError?.(error);
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
      await Promise.all(this.claimLoops.map((loop) => loop.run()));
    } finally {
      await this.releaseParked();
      await this.drain();
      await this.threads?.close();
      await this.maintenance.stop();
      if (!this.crashed) await this.options.registry.remove(this.id).catch((e: unknown) => this.report(e));
    }
  }

  /**
   * Entries parked when the worker stops (claimed ahead, over-delivered) will not be started here:
   * they are made reclaimable at once, so another worker takes them over at its next reclaim
   * instead of a lease later (ADR 0033). A crashed worker releases nothing, as a killed one.
   */
  private async releaseParked(): Promise<void> {
    const parked = this.slots.parked;
    if (this.crashed || parked.length === 0) return;
    this.slots.forget(parked);
    await this.options.queue.release(this.id, parked, this.leaseMs).catch((e: unknown) => this.report(e));
  }

  /** Entries renewals found we no longer own: running handlers are aborted, waiting entries forgotten. */
  private lost(entries: ReadonlyArray<WorkEntry>): void {
    const gone = new Set(entries.map((e) => `${e.stream} ${e.entryId}`));
    for (const job of this.inFlight.values())
      if (gone.has(`${job.entry.stream} ${job.entry.entryId}`)) job.abort.abort("lease_lost");
    this.slots.forget(entries);
  }

  /** Run a started attempt's handler in the slot its lane took for it. */
  private launch(entry: Claimed, started: StoredHead, lane: Lane): void {
    const context = contextOf(started.state);
    const job = new RunningJob(
      entry.jobId,
      context.attempt,
      { stream: entry.stream, entryId: entry.entryId },
      new AttemptAbort(),
      lane.writer,
      started,
      this.chainSettings,
    );
    this.inFlight.set(job.jobId, job);
    this.running += 1;
    const queuedAt = entryTimeMs(entry.entryId);
    this.options.observer?.attemptStarted?.(
      context.queue,
      context.jobType,
      queuedAt === null ? null : this.options.clock.now() - queuedAt,
    );
    const span = traceAttempt(entry.jobId, context, this.id);
    void this.execute(
      job,
      lane,
      span,
      span.run(() =>
        this.threads?.isolates(context.jobType) === true
          ? this.threads.run(
              context.jobType,
              started.payload,
              job.handlerContext(context.jobType),
              job.abort,
              context.timeoutMs,
              job.durable,
            )
          : runAttempt(
              handlerFor(this.options.handlers, context.jobType),
              started.payload,
              job.handlerContext(context.jobType),
              job.abort,
              context.timeoutMs,
            ),
      ),
    );
  }

  /** Await the attempt, free its slot, record its outcome; the job leaves `inFlight` after. */
  private async execute(
    job: RunningJob,
    lane: Lane,
    span: AttemptTrace,
    attempt: Promise<AttemptOutcome>,
  ): Promise<void> {
    let ended: AttemptEnd = { _tag: "Crashed" };
    try {
      let outcome: AttemptOutcome;
      try {
        outcome = await attempt;
      } finally {
        this.running -= 1;
        this.slots.free(lane.index);
      }
      if (this.crashed) return;
      ended = outcome;
      if (outcome._tag === "Abandoned") return;
      if (outcome._tag === "Suspended") {
        await span.run(() => job.recordSuspension(outcome.suspension));
        return;
      }
      if (outcome._tag === "Succeeded") this.completed += 1;
      else this.failed += 1;
      // In the attempt's span, so the outcome's append is one of its children.
      await span.run(() => job.recordOutcome(outcome));
    } catch (error) {
      this.report(error);
    } finally {
      job.dropReports();
      span.end(ended);
      this.inFlight.delete(job.jobId);
      this.slots.wake();
    }
  }

  /** Stop taking work; wait up to the grace period, then hand back what is still running. */
  async stop(graceMs = this.options.shutdownGraceMs ?? 10_000): Promise<void> {
    this.stopping = true;
    this.slots.wake();
    this.drainGraceMs = graceMs;
    // The registry says "stopping" at once, not at the next heartbeat.
    this.maintenance.heartbeatNow();
    await this.run();
  }

  private async drain(): Promise<void> {
    const deadline = this.options.clock.now() + this.drainGraceMs;
    while (this.inFlight.size > 0 && this.options.clock.now() < deadline && !this.crashed)
      await new Promise((r) => setTimeout(r, 20));
    const leftovers = [...this.inFlight.values()];
    for (const job of leftovers) job.abort.abort((this.crashed ? "crash" : "shutdown") satisfies AbortReason);
    if (this.crashed) return;
    await Promise.all(leftovers.map((job) => job.recordShutdown()));
    await Promise.all(leftovers.map((job) => job.settled()));
  }

  /**
   * The in-process equivalent of SIGKILL, for fault tests: stop every loop at once and record
   * nothing more. In-flight entries stay pending in the group until another worker reclaims them.
   */
  async crash(): Promise<void> {
    this.crashed = true;
    this.stopping = true;
    this.drainGraceMs = 0;
    this.slots.wake();
    await this.run();
  }
}
