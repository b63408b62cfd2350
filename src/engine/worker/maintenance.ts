/**
 * A worker's background loops: renew the leases of the entries it holds (and tell it which it
 * lost — reclaimed, or gone with a cancelled job), reclaim entries of dead or stalled workers,
 * promote due delayed and retrying jobs, and heartbeat into the registry. Each loop runs without
 * overlapping itself; several workers may run them at once, since every write goes through the
 * compare-and-append.
 *
 * It knows the worker only through MaintenanceDeps (ADR 0025): a reclaimed queued entry is handed
 * to `admit`, which makes it wait for a slot like any delivered entry; it never starts one itself.
 * Owned by the Worker: started once its consumer groups exist, stopped after its lanes have.
 */
import { type Actor, contextOf, statusOf } from "../../domain/index.ts";
import type { Clock } from "../shared/index.ts";
import type { EventStore, JobWriter } from "../write/index.ts";
import type { CancelFeed, Claimed, WorkEntry, WorkerInfo, WorkerRegistry, WorkQueue } from "./ports.ts";
import type { WorkerLifecycleEvent } from "./observer.ts";

export interface MaintenanceDeps {
  /** The worker's consumer name, and the actor of what maintenance writes. */
  readonly actor: Actor;
  readonly queues: ReadonlyArray<string>;
  /** An entry idle this long is presumed abandoned. */
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly schedulerIntervalMs: number;
  readonly queue: WorkQueue;
  /** Heads of due jobs (the store the writer appends to). */
  readonly store: EventStore;
  readonly writer: JobWriter;
  readonly registry: WorkerRegistry;
  readonly clock: Clock;
  readonly random: () => number;
  /** The entries the worker holds now: its running jobs' and those waiting for a slot. */
  readonly held: () => ReadonlyArray<WorkEntry>;
  /** Cancels as they are recorded (ADR 0040); without it, renewals alone find cancelled jobs. */
  readonly cancels?: CancelFeed;
  /** The entry of a job this worker runs now, if it does (a cancel was announced for it). */
  readonly entryOf: (jobId: string) => WorkEntry | undefined;
  /** Entries of `held` the worker no longer owns. */
  readonly lost: (entries: ReadonlyArray<WorkEntry>) => void;
  /** Reclaimed entries of queued jobs, to start when a slot is free. */
  readonly admit: (entries: ReadonlyArray<Claimed>) => void;
  /** False once the worker stops taking work (nothing more is reclaimed). */
  readonly accepting: () => boolean;
  readonly info: () => WorkerInfo;
  readonly report: (error: unknown) => void;
  /** A background task reached Redis (the end of an outage, if one was reported). */
  readonly answered: () => void;
  /** What a reclaim pass took over (for the worker's log). */
  readonly reclaimed: (event: Extract<WorkerLifecycleEvent, { kind: "reclaimed" }>) => void;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Most entries one reclaim pass takes over. */
const RECLAIM_BATCH = 50;
/** Most due jobs one promotion round trip moves. */
const PROMOTE_BATCH = 200;

export class Maintenance {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private started = false;
  private stopped = false;
  private listening: Promise<{ stop(): Promise<void> } | undefined> | undefined;

  constructor(private readonly deps: MaintenanceDeps) {}

  start(): void {
    this.started = true;
    const { leaseMs, heartbeatMs, schedulerIntervalMs } = this.deps;
    this.every(Math.max(50, Math.floor(leaseMs / 3)), () => this.renewLeases());
    this.every(Math.max(100, Math.floor(leaseMs / 2)), () => this.reclaim());
    this.every(schedulerIntervalMs, () => this.promoteDue());
    this.every(heartbeatMs, () => this.heartbeat());
    void this.track(this.heartbeat());
    const { cancels } = this.deps;
    if (cancels !== undefined)
      this.listening = cancels
        .listen((jobId) => this.cancelAnnounced(jobId))
        .catch((error: unknown) => {
          this.deps.report(error);
          return undefined;
        });
  }

  /**
   * A cancel was recorded for a job: if this worker runs it, renew that one lease now. The cancel
   * deleted the entry with its append, so the renewal reports it lost and the handler is aborted,
   * through the same path as at a periodic renewal; an announcement is never trusted by itself.
   */
  private cancelAnnounced(jobId: string): void {
    const entry = this.deps.entryOf(jobId);
    if (entry === undefined || this.stopped) return;
    void this.track(
      (async () => {
        const lost = await this.deps.queue.renew(this.deps.actor.id, [entry]);
        if (lost.length > 0) this.deps.lost(lost);
      })(),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await (await this.listening)?.stop();
    await Promise.allSettled([...this.running]);
  }

  /** Run `task` every `ms`, never overlapping itself; errors are reported, not thrown. */
  private every(ms: number, task: () => Promise<unknown>): void {
    const tick = () => {
      if (this.stopped) return;
      const timer = setTimeout(async () => {
        this.timers.delete(timer);
        await this.track(task());
        tick();
      }, ms);
      this.timers.add(timer);
    };
    tick();
  }

  private track(work: Promise<unknown>): Promise<unknown> {
    const guarded = work.then(
      () => this.deps.answered(),
      (error: unknown) => this.deps.report(error),
    );
    this.running.add(guarded);
    return guarded.finally(() => this.running.delete(guarded));
  }

  /** Keep the held entries' idle time low; report those this worker no longer owns. */
  async renewLeases(): Promise<void> {
    const entries = this.deps.held();
    if (entries.length === 0) return;
    const lost = await this.deps.queue.renew(this.deps.actor.id, entries);
    if (lost.length > 0) this.deps.lost(lost);
  }

  /**
   * Take over entries idle past the lease. A job still `processing` had its worker die or stall:
   * its attempt ends as failed with `lease_expired` (it counts against maxAttempts). A `queued`
   * job was delivered but never started: it waits for a slot here. Anything else needs no entry.
   */
  async reclaim(): Promise<void> {
    if (!this.deps.accepting()) return;
    const { queue, queues, leaseMs, actor } = this.deps;
    const claimed = await queue.reclaim(actor.id, queues, leaseMs, RECLAIM_BATCH);
    const queued: Array<Claimed> = [];
    let failedAttempts = 0;
    await Promise.all(
      claimed.map(async (c) => {
        const status = c.head === null ? null : statusOf(c.head.state);
        if (c.head !== null && status === "processing") {
          failedAttempts += 1;
          await this.failAbandoned(c.jobId, c.head);
        } else if (status === "queued") queued.push(c);
        else await queue.discard(actor.id, c);
      }),
    );
    if (queued.length > 0) this.deps.admit(queued);
    if (claimed.length > 0)
      this.deps.reclaimed({
        kind: "reclaimed",
        failedAttempts,
        requeued: queued.length,
        dropped: claimed.length - failedAttempts - queued.length,
      });
  }

  private async failAbandoned(jobId: string, head: NonNullable<Claimed["head"]>): Promise<void> {
    const { actor, leaseMs, clock } = this.deps;
    const attempt = contextOf(head.state).attempt;
    const at = iso(clock.now());
    await this.deps.writer
      .write(
        {
          jobId,
          command: () => ({
            type: "FailAttempt",
            at,
            actor,
            attempt,
            error: {
              code: "lease_expired",
              message: `attempt ${attempt} held its lease past ${leaseMs} ms; reclaimed by ${actor.id}`,
              retryable: true,
            },
            random: this.deps.random(),
          }),
        },
        head,
      )
      .catch((error: unknown) => this.deps.report(error));
  }

  /** Move due delayed and retrying jobs to their work streams. */
  async promoteDue(): Promise<void> {
    const { queue, store, clock, actor } = this.deps;
    for (;;) {
      const now = clock.now();
      const ids = await queue.dueJobs(now, PROMOTE_BATCH);
      if (ids.length === 0) return;
      const heads = await store.loadHeads(ids);
      const at = iso(now);
      await this.deps.writer.writeMany(
        ids.map((jobId, i) => ({
          intent: {
            jobId,
            command: () => ({
              type: "PromoteJob" as const,
              at,
              actor: { kind: "scheduler" as const, id: actor.id },
            }),
          },
          known: heads[i] ?? null,
        })),
      );
      if (ids.length < PROMOTE_BATCH) return;
    }
  }

  /** A heartbeat out of turn (the worker's status changed); nothing before start or after stop. */
  heartbeatNow(): void {
    if (this.started && !this.stopped) void this.track(this.heartbeat());
  }

  async heartbeat(): Promise<void> {
    await this.deps.registry.heartbeat(this.deps.info(), this.deps.heartbeatMs * 3);
  }
}
