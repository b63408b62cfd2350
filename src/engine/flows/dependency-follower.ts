/**
 * The dependency follower (ADR 0042): records on each waiting job the end of each of its
 * dependencies, which releases the job (or fails it by policy) once that settles it.
 *
 * Level-triggered: each pass reads the jobs that wait (the store's waiting index, which the
 * append script keeps in the job's own shard), reads their dependencies' statuses, and records
 * every end a waiting job has not recorded yet — RecordDependencyEnd through the one write path, an
 * expected-version append the machine guards. So nothing depends on having seen a child end
 * as it happened: an end missed while this process was down, while Redis restarted, or between a
 * submit's check of its dependencies and its append is found by the next pass; and recording
 * one twice is impossible (the machine refuses a second record of the same end, `decide` answers
 * a repeat with no events), so a job is released exactly once however many followers run.
 *
 * A cache makes a pass cheap, not correct: what it remembers of a waiting job (its dependencies,
 * which never change, and the ends it had recorded) only decides which heads to read again; every
 * record is decided against a freshly read head.
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
  type JobContext,
  statusOf,
} from "../../domain/index.ts";
import { type Clock, CommandRefused, ContentionExhausted } from "../shared/index.ts";
import type { JobView } from "../read/index.ts";
import {
  archivedViews,
  type DependencyLinks,
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
  /**
   * Told of each failed pass or record (Redis away, a head or link that cannot be read), for the
   * process's log. Not of a record the machine refuses or that loses to other writers: the job
   * moved on meanwhile, and the next pass decides again on what it reads then.
   */
  readonly onError?: (error: unknown) => void;
}

const MAX_ARCHIVED_ENDS = 10_000;

/** A dependency's end this job has not recorded (as it stands now, or not at all). */
const isNewEnd = (now: DependencyEndStatus | undefined, recorded: DependencyEndStatus | undefined): boolean =>
  now !== undefined && now !== recorded;

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
  /** The jobs in the waiting index seen so far: their dependencies and the ends they recorded. */
  private readonly known = new Map<
    string,
    { readonly dependencies: ReadonlyArray<string>; readonly ends: JobContext["dependencyEnds"] }
  >();
  /** How dependencies that have left Redis ended (from the archive; final). */
  private readonly archivedEnds = new Map<string, DependencyEndStatus>();

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
   * next pass. What the pass did not see is forgotten (it left the index).
   */
  async pass(): Promise<number> {
    const batch = this.options.batch ?? 500;
    let recorded = 0;
    const seen = new Set<string>();
    for (let shard = 0; shard < this.options.links.shards; shard++)
      for (let offset = 0; !this.stopping || this.running === null;) {
        const ids = await this.options.links.waitingIn(shard, offset, batch);
        for (const id of ids) seen.add(id);
        if (ids.length > 0) recorded += await this.settle(ids);
        if (ids.length < batch) break;
        offset += ids.length;
      }
    for (const id of this.known.keys()) if (!seen.has(id)) this.known.delete(id);
    this.passes++;
    this.recorded += recorded;
    return recorded;
  }

  /**
   * Record, on each of these jobs, the ends of its dependencies it has not recorded yet.
   *
   * A waiting job's dependencies never change, so its head is read once and remembered with the
   * ends it had recorded; a pass then reads only the dependencies' statuses (one field each, one
   * round trip) and re-reads the heads of just the jobs a new end concerns. A job with 10,000
   * waiting on one dependency costs a pass one status read, not 10,000 heads.
   */
  private async settle(jobIds: ReadonlyArray<string>): Promise<number> {
    const unknown = jobIds.filter((id) => !this.known.has(id));
    if (unknown.length > 0) this.remember(await this.options.store.loadHeads(unknown));
    const waiting = jobIds.flatMap((id) => {
      const known = this.known.get(id);
      return known === undefined ? [] : [{ jobId: id, ...known }];
    });
    const ends = await this.endsOf([...new Set(waiting.flatMap((w) => w.dependencies))]);
    const concerned = waiting
      .filter((w) => w.dependencies.some((d) => isNewEnd(ends.get(d), endOf(w.ends, d))))
      .map((w) => w.jobId);
    if (concerned.length === 0) return 0;
    const heads = (await this.options.store.loadHeads(concerned)).filter(
      (head): head is StoredHead => head !== null && followsDependencies(head),
    );
    this.remember(heads);
    const counts = await Promise.all(heads.map((head) => this.recordEnds(head, ends)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Note what these heads say: each following job's dependencies and the ends it recorded. */
  private remember(heads: ReadonlyArray<StoredHead | null>): void {
    for (const head of heads) {
      if (head === null) continue;
      if (!followsDependencies(head)) {
        this.known.delete(head.jobId);
        continue;
      }
      const { dependencies, dependencyEnds } = contextOf(head.state);
      this.known.set(head.jobId, { dependencies: dependencies.map((d) => d.jobId), ends: dependencyEnds });
    }
  }

  /** Record on one job, in turn, each end it has not recorded; answers how many were written. */
  private async recordEnds(
    head: StoredHead,
    ends: ReadonlyMap<string, DependencyEndStatus>,
  ): Promise<number> {
    const { dependencies, dependencyEnds } = contextOf(head.state);
    const due = dependencies.flatMap((d): Array<{ jobId: string; status: DependencyEndStatus }> => {
      const end = ends.get(d.jobId);
      return end !== undefined && isNewEnd(end, endOf(dependencyEnds, d.jobId))
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
        this.remember([result._tag === "Repeat" ? null : result.head]);
      } catch (error) {
        // Refused (the job moved on meanwhile) or contended: the next pass looks again. Anything
        // else is a failure to report.
        this.known.delete(head.jobId);
        if (!(error instanceof CommandRefused || error instanceof ContentionExhausted))
          this.options.onError?.(error);
      }
    }
    return written;
  }

  /**
   * How each of these jobs ended, for those that did: from the status its head holds, or — for
   * one that has left Redis since (evicted after it ended) — from its history, wherever it is
   * kept (remembered: such an end never changes). An archive that cannot be read leaves those
   * ends for a later pass.
   */
  private async endsOf(jobIds: ReadonlyArray<string>): Promise<Map<string, DependencyEndStatus>> {
    const ends = new Map<string, DependencyEndStatus>();
    const statuses = await this.options.links.statuses(jobIds);
    const gone: Array<string> = [];
    jobIds.forEach((jobId, i) => {
      const status = statuses[i] ?? null;
      const archived = this.archivedEnds.get(jobId);
      if (status !== null) {
        if (isDependencyEnd(status)) ends.set(jobId, status as DependencyEndStatus);
      } else if (archived !== undefined) ends.set(jobId, archived);
      else gone.push(jobId);
    });
    if (gone.length > 0) {
      // Not in Redis (the status read said so): straight to their histories.
      const archived = await archivedViews(this.options.store, gone).catch((error: unknown) => {
        this.options.onError?.(error);
        return new Map<string, JobView | null>();
      });
      for (const [jobId, view] of archived)
        if (view !== null && isDependencyEnd(view.status)) {
          ends.set(jobId, view.status as DependencyEndStatus);
          this.archivedEnds.set(jobId, view.status as DependencyEndStatus);
        }
      // Bounded: past this many, the oldest are read from the archive again when needed.
      for (const jobId of this.archivedEnds.keys()) {
        if (this.archivedEnds.size <= MAX_ARCHIVED_ENDS) break;
        this.archivedEnds.delete(jobId);
      }
    }
    return ends;
  }
}
