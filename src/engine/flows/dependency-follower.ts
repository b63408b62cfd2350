/**
 * The dependency follower (ADR 0042): records on each waiting job the end of each of its
 * dependencies, which releases the job (or fails it by policy) once that settles it.
 *
 * Level-triggered: each pass reads the jobs that wait (the store's waiting index, which the
 * append script keeps in the job's own shard), reads their dependencies' heads, and records every
 * end a waiting job has not recorded yet — RecordDependencyEnd through the one write path, an
 * expected-version append the machine guards. So nothing depends on having seen a child end
 * as it happened: an end missed while this process was down, while Redis restarted, or between a
 * submit's check of its dependencies and its append is found by the next pass; and recording
 * one twice is impossible (the machine refuses a second record of the same end, `decide` answers
 * a repeat with no events), so a job is released exactly once however many followers run.
 *
 * Lifetime: `start()` runs one loop until `stop()`; every `docket api`, `start` and `worker`
 * process runs one (they need no coordination: the appends are idempotent, ADR 0042).
 */
import {
  type Actor,
  contextOf,
  type DependencyEndStatus,
  endOf,
  isDependencyEnd,
  type JobStatus,
  statusOf,
} from "../../domain/index.ts";
import type { Clock } from "../shared/index.ts";
import {
  type DependencyLinks,
  dependencyStatuses,
  type EventStore,
  JobWriter,
  type StoredHead,
} from "../write/index.ts";

export interface DependencyFollowerOptions {
  readonly store: EventStore;
  readonly links: DependencyLinks;
  readonly clock: Clock;
  /** The id of the process it runs in: the actor of what it records. */
  readonly id: string;
  /** Wait between passes (default 200 ms). */
  readonly intervalMs?: number;
  /** Waiting jobs read per page of a shard's index (default 500). */
  readonly batch?: number;
  readonly onError?: (error: unknown) => void;
}

export interface DependencyFollowerStatus {
  readonly passes: number;
  /** Dependency ends recorded by this process. */
  readonly recorded: number;
}

/** A job that follows its dependencies now: waiting, or dead-lettered by one and still in Redis. */
export const followsDependencies = (head: StoredHead): boolean => {
  const status = statusOf(head.state);
  const context = contextOf(head.state);
  return status === "waiting" || (status === "dead_letter" && context.failedBy !== null && !context.evicted);
};

export class DependencyFollower {
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly writer: JobWriter;
  private readonly actor: Actor;
  private passes = 0;
  private recorded = 0;

  constructor(private readonly options: DependencyFollowerOptions) {
    this.writer = new JobWriter(options.store, options.clock);
    this.actor = { kind: "system", id: options.id };
  }

  start(): void {
    if (this.running !== null) return;
    this.stopping = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = null;
  }

  status(): DependencyFollowerStatus {
    return { passes: this.passes, recorded: this.recorded };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.pass();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (!this.stopping)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.intervalMs ?? 200);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
  }

  /**
   * One pass over every shard's whole waiting index, a page at a time; answers how many ends it
   * recorded. A job that leaves the index meanwhile shifts the pages: one skipped is seen by the
   * next pass.
   */
  async pass(): Promise<number> {
    const batch = this.options.batch ?? 500;
    let recorded = 0;
    for (let shard = 0; shard < this.options.links.shards; shard++)
      for (let offset = 0; !this.stopping || this.running === null;) {
        const ids = await this.options.links.waitingIn(shard, offset, batch);
        if (ids.length > 0) recorded += await this.settle(ids);
        if (ids.length < batch) break;
        offset += ids.length;
      }
    this.passes++;
    this.recorded += recorded;
    return recorded;
  }

  /** Record, on each of these jobs, the ends of its dependencies it has not recorded yet. */
  private async settle(jobIds: ReadonlyArray<string>): Promise<number> {
    const heads = (await this.options.store.loadHeads(jobIds)).filter(
      (head): head is StoredHead => head !== null && followsDependencies(head),
    );
    const ends = await this.endsOf([
      ...new Set(heads.flatMap((head) => contextOf(head.state).dependencies.map((d) => d.jobId))),
    ]);
    const counts = await Promise.all(
      heads.map(async (head) => {
        const { dependencies, dependencyEnds } = contextOf(head.state);
        const due = dependencies.flatMap((d) => {
          const end = ends.get(d.jobId);
          return end !== undefined && endOf(dependencyEnds, d.jobId) !== end
            ? [{ jobId: d.jobId, status: end }]
            : [];
        });
        let written = 0;
        // One job's ends in turn: each append expects the version the one before left.
        for (const end of due) {
          try {
            const at = new Date(this.options.clock.now()).toISOString();
            const result = await this.writer.write({
              jobId: head.jobId,
              command: () => ({
                type: "RecordDependencyEnd",
                at,
                actor: this.actor,
                dependency: end.jobId,
                status: end.status,
              }),
            });
            if (result._tag === "Written") written++;
          } catch (error) {
            // Refused (the job moved on meanwhile) or contended: the next pass looks again.
            this.options.onError?.(error);
          }
        }
        return written;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * How each of these jobs ended, for those that did: from its head, or — for one that has left
   * Redis since (evicted after it ended) — from its history, wherever it is kept. An archive that
   * cannot be read leaves those ends for a later pass.
   */
  private async endsOf(jobIds: ReadonlyArray<string>): Promise<Map<string, DependencyEndStatus>> {
    const statuses = await dependencyStatuses(this.options.store, jobIds).catch((error: unknown) => {
      this.options.onError?.(error);
      return new Map<string, JobStatus | null>();
    });
    const ends = new Map<string, DependencyEndStatus>();
    for (const [jobId, status] of statuses)
      if (status !== null && isDependencyEnd(status)) ends.set(jobId, status as DependencyEndStatus);
    return ends;
  }
}
