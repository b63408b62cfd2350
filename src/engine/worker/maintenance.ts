/**
 * A worker's background loops: renew its leases (and abort handlers whose lease is gone —
 * reclaimed, or cancelled), reclaim entries of dead or stalled workers, promote due delayed and
 * retrying jobs, and heartbeat into the registry. Each loop runs without overlapping itself;
 * several workers may run them at once, since every write goes through the compare-and-append.
 */
import { type Actor, contextOf, statusOf } from "../../domain/index.ts";
import type { Clock } from "../shared/index.ts";
import type { EventStore, JobWriter } from "../write/index.ts";
import type { AttemptAbort } from "./attempt.ts";
import type { Claimed, WorkEntry, WorkerInfo, WorkerRegistry, WorkQueue } from "./ports.ts";

/** What the loops need from their worker (kept as an interface so the two files do not cycle). */
export interface MaintenanceHost {
  readonly id: string;
  readonly actor: Actor;
  readonly leaseMs: number;
  readonly writer: JobWriter;
  readonly inFlight: ReadonlyMap<string, { readonly entry: WorkEntry; readonly abort: AttemptAbort }>;
  readonly options: {
    readonly queues: ReadonlyArray<string>;
    readonly store: EventStore;
    readonly queue: WorkQueue;
    readonly registry: WorkerRegistry;
    readonly clock: Clock;
    readonly heartbeatMs?: number;
    readonly schedulerIntervalMs?: number;
  };
  readonly isStopping: boolean;
  info(): WorkerInfo;
  random(): number;
  start(claimed: ReadonlyArray<Claimed>): Promise<void>;
  report(error: unknown): void;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Maintenance {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly host: MaintenanceHost) {}

  start(): void {
    const { leaseMs, options } = this.host;
    const heartbeatMs = options.heartbeatMs ?? 5_000;
    this.every(Math.max(50, Math.floor(leaseMs / 3)), () => this.renewLeases());
    this.every(Math.max(100, Math.floor(leaseMs / 2)), () => this.reclaim());
    this.every(options.schedulerIntervalMs ?? 250, () => this.promoteDue());
    this.every(heartbeatMs, () => this.heartbeat());
    void this.track(this.heartbeat());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
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
    const guarded = work.catch((error: unknown) => this.host.report(error));
    this.running.add(guarded);
    return guarded.finally(() => this.running.delete(guarded));
  }

  /** Keep our entries' idle time low; abort the handlers of entries we no longer own. */
  async renewLeases(): Promise<void> {
    const jobs = [...this.host.inFlight.values()];
    if (jobs.length === 0) return;
    const lost = await this.host.options.queue.renew(
      this.host.id,
      jobs.map((j) => j.entry),
    );
    const gone = new Set(lost.map((e) => `${e.stream} ${e.entryId}`));
    for (const job of jobs)
      if (gone.has(`${job.entry.stream} ${job.entry.entryId}`)) job.abort.abort("lease_lost");
  }

  /**
   * Take over entries idle past the lease. A job still `processing` had its worker die or stall:
   * its attempt ends as failed with `lease_expired` (it counts against maxAttempts). A `queued`
   * job was delivered but never started: start it here. Anything else needs no entry.
   */
  async reclaim(): Promise<void> {
    if (this.host.isStopping) return;
    const { queue } = this.host.options;
    const claimed = await queue.reclaim(this.host.id, this.host.options.queues, this.host.leaseMs, 50);
    const toStart: Array<Claimed> = [];
    await Promise.all(
      claimed.map(async (c) => {
        const status = c.head === null ? null : statusOf(c.head.state);
        if (c.head !== null && status === "processing") {
          const attempt = contextOf(c.head.state).attempt;
          const at = iso(this.host.options.clock.now());
          await this.host.writer
            .write(
              {
                jobId: c.jobId,
                command: () => ({
                  type: "FailAttempt",
                  at,
                  actor: this.host.actor,
                  attempt,
                  error: {
                    code: "lease_expired",
                    message: `attempt ${attempt} held its lease past ${this.host.leaseMs} ms; reclaimed by ${this.host.id}`,
                    retryable: true,
                  },
                  random: this.host.random(),
                }),
              },
              c.head,
            )
            .catch((error: unknown) => this.host.report(error));
        } else if (status === "queued") toStart.push(c);
        else await queue.discard(c);
      }),
    );
    if (toStart.length > 0) await this.host.start(toStart);
  }

  /** Move due delayed and retrying jobs to their work streams. */
  async promoteDue(): Promise<void> {
    const { queue, store, clock } = this.host.options;
    for (;;) {
      const now = clock.now();
      const ids = await queue.dueJobs(now, 200);
      if (ids.length === 0) return;
      const heads = await store.loadHeads(ids);
      const at = iso(now);
      await this.host.writer.writeMany(
        ids.map((jobId, i) => ({
          intent: {
            jobId,
            command: () => ({
              type: "PromoteJob" as const,
              at,
              actor: { kind: "scheduler" as const, id: this.host.id },
            }),
          },
          known: heads[i] ?? null,
        })),
      );
      if (ids.length < 200) return;
    }
  }

  async heartbeat(): Promise<void> {
    const heartbeatMs = this.host.options.heartbeatMs ?? 5_000;
    await this.host.options.registry.heartbeat(this.host.info(), heartbeatMs * 3);
  }
}
