/**
 * The read side as one process hosts it (ADR 0009): the live projection file (one connection,
 * which both the projector writes through and the API reads from), its projector, and the two
 * maintenance operations that need the live file's owner:
 *
 * - rebuild: replay the whole log into a scratch file while the live projection keeps serving,
 *   then stop the projector, swap the file in (atomic rename) and carry on from the rebuilt
 *   file's checkpoints;
 * - check: replay into a scratch file, bring both to the same log position, and compare them row
 *   for row, table by table; returns the differences;
 * - quarantine (ADR 0019): record an operator's decision to skip one undecodable log entry, and
 *   wake the halted projector so it carries on past it.
 *
 * Rebuild and check exclude each other: a second one while one runs fails with ProjectionBusy
 * (`running` names the one in progress), never with a half-swapped file. Quarantine needs no
 * turn: it writes only the record, which every projector (live, rebuild, check) reads.
 *
 * `reads` and `projector` always address the current file, across swaps. The host owns the
 * store; `close()` stops the projector and closes it (the log's connections are the caller's).
 */
import type { Clock } from "../shared/index.ts";
import { compareEntryIds } from "./log-entries.ts";
import type {
  Checkpoint,
  EventLog,
  ProjectionFiles,
  ProjectionStore,
  QuarantineList,
  QuarantineRecord,
  ReadModels,
  RowDifference,
} from "./ports.ts";
import { ProjectionBusy } from "./projection-errors.ts";
import { type AppliedListener, Projector, type ProjectorOptions } from "./projector.ts";
import { newCounters } from "./projector-status.ts";
import { quarantineEntry, type QuarantineRequest } from "./quarantine.ts";

export interface ReadSideOptions {
  readonly log: EventLog;
  readonly files: ProjectionFiles;
  readonly clock: Clock;
  /** The quarantine records (ADR 0019), shared by every projector of every process. */
  readonly quarantine: QuarantineList;
  readonly projector?: Pick<
    ProjectorOptions,
    "batchSize" | "blockMs" | "retryInitialMs" | "retryMaxMs" | "onError" | "onStateChange"
  >;
}

export interface ProjectorControl {
  start(): void;
  stop(): Promise<void>;
  onApplied(listener: AppliedListener): () => void;
  lag: Projector["lag"];
  status: Projector["status"];
}

export interface RebuildReport {
  readonly events: number;
  readonly ms: number;
  readonly checkpoints: ReadonlyArray<Checkpoint>;
}

export interface CheckReport {
  /** True when the rebuilt projection equals the live one row for row. */
  readonly equal: boolean;
  readonly differences: ReadonlyArray<RowDifference>;
  /** The log position both were compared at. */
  readonly checkpoints: ReadonlyArray<Checkpoint>;
  readonly ms: number;
}

export class ReadSide {
  private store: ProjectionStore;
  private projectorOf: Projector;
  private readonly listeners = new Set<AppliedListener>();
  /** The live projectors' counters, kept across the rebuilds that swap them. */
  private readonly counters = newCounters();
  private started = false;
  private busy: string | null = null;

  /** Queries against the current live file. */
  readonly reads: ReadModels;
  readonly projector: ProjectorControl;

  constructor(private readonly options: ReadSideOptions) {
    this.store = options.files.openLive();
    this.projectorOf = this.newProjector(this.store, true);
    const current = () => this.store;
    this.reads = {
      checkpoints: () => current().checkpoints(),
      job: (id) => current().job(id),
      listJobs: (filter) => current().listJobs(filter),
      jobEvents: (id) => current().jobEvents(id),
      metrics: (o) => current().metrics(o),
      queueNames: () => current().queueNames(),
    };
    this.projector = {
      start: () => {
        this.started = true;
        this.projectorOf.start();
      },
      stop: async () => {
        this.started = false;
        await this.projectorOf.stop();
      },
      onApplied: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      lag: () => this.projectorOf.lag(),
      status: () => this.projectorOf.status(),
    };
  }

  /** A projector on `store`: the live one (told to listeners, shared counters) or a scratch one. */
  private newProjector(store: ProjectionStore, live: boolean): Projector {
    // Only the live projector's state changes are the process's news (not a rebuild's scratch one).
    const { onStateChange, ...settings } = this.options.projector ?? {};
    const projector = new Projector({
      ...settings,
      ...(live && onStateChange !== undefined ? { onStateChange } : {}),
      log: this.options.log,
      store,
      clock: this.options.clock,
      quarantine: this.options.quarantine,
      ...(live ? { counters: this.counters } : {}),
    });
    if (live)
      projector.onApplied((entries) => {
        for (const listener of this.listeners) listener(entries);
      });
    return projector;
  }

  private async exclusive<A>(what: string, work: () => Promise<A>): Promise<A> {
    if (this.busy !== null)
      throw new ProjectionBusy({ path: this.options.files.livePath, running: this.busy });
    this.busy = what;
    try {
      return await work();
    } finally {
      this.busy = null;
    }
  }

  /** Replay the log into a new file and swap it in; the live projection serves until the swap. */
  rebuild(): Promise<RebuildReport> {
    return this.exclusive("rebuild", async () => {
      const began = this.options.clock.now();
      const scratch = this.options.files.openScratch();
      let events: number;
      try {
        events = await this.newProjector(scratch.store, false).catchUp();
      } catch (error) {
        scratch.store.close();
        this.options.files.discard(scratch.path);
        throw error;
      }
      const checkpoints = scratch.store.checkpoints();
      try {
        scratch.store.close();
        await this.options.files.persist(scratch.path);
      } catch (error) {
        this.options.files.discard(scratch.path);
        throw error;
      }
      await this.projectorOf.stop();
      this.store.close();
      try {
        this.options.files.promote(scratch.path);
      } finally {
        this.store = this.options.files.openLive();
        this.projectorOf = this.newProjector(this.store, true);
        if (this.started) this.projectorOf.start();
      }
      return { events, ms: this.options.clock.now() - began, checkpoints };
    });
  }

  /** Replay into a scratch file and compare it with the live one at the same log position. */
  check(options: { readonly limit?: number } = {}): Promise<CheckReport> {
    return this.exclusive("check", async () => {
      const began = this.options.clock.now();
      const scratch = this.options.files.openScratch();
      try {
        const rebuilder = this.newProjector(scratch.store, false);
        await rebuilder.catchUp();
        await this.projectorOf.stop();
        try {
          const target = this.alignedTargets(scratch.store);
          await this.projectorOf.catchUp(target);
          await rebuilder.catchUp(target);
          const checkpoints = this.store.checkpoints();
          scratch.store.close();
          const differences = await this.store.differencesFrom(scratch.path, options.limit);
          return {
            equal: differences.length === 0,
            differences,
            checkpoints,
            ms: this.options.clock.now() - began,
          };
        } finally {
          if (this.started) this.projectorOf.start();
        }
      } finally {
        scratch.store.close();
        this.options.files.discard(scratch.path);
      }
    });
  }

  /**
   * Skip one undecodable log entry from now on (ADR 0019): refused for an entry that is missing,
   * valid or already quarantined. The live projector, if halted on it, carries on at once.
   */
  async quarantine(request: QuarantineRequest): Promise<QuarantineRecord> {
    const record = await quarantineEntry(
      { log: this.options.log, list: this.options.quarantine, clock: this.options.clock },
      request,
    );
    this.projectorOf.recheck();
    return record;
  }

  /** Per shard, the later of the two projections' positions: both can reach it by reading on. */
  private alignedTargets(other: ProjectionStore): ReadonlyArray<{ shard: number; entryId: string }> {
    const live = new Map(this.store.checkpoints().map((c) => [c.shard, c.entryId]));
    const rebuilt = new Map(other.checkpoints().map((c) => [c.shard, c.entryId]));
    return Array.from({ length: this.options.log.shards }, (_, shard) => {
      const a = live.get(shard) ?? "0-0";
      const b = rebuilt.get(shard) ?? "0-0";
      return { shard, entryId: compareEntryIds(a, b) >= 0 ? a : b };
    });
  }

  async close(): Promise<void> {
    this.started = false;
    await this.projectorOf.stop();
    this.store.close();
  }
}
