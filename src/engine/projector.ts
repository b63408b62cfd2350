/**
 * The projector: folds the shard logs into the read models, batch by batch, each batch and its
 * checkpoints in one transaction (so a crash never double-applies or skips an event).
 *
 * It starts from the stored checkpoints, catches up with ranged reads, then tails all shards
 * with one blocking read. Redis or disk trouble is retried with backoff and reported by
 * `status()`; an entry that cannot be projected (undecodable, or not continuing its job's chain)
 * halts it, because skipping would make the projection differ from the log.
 *
 * Lifetime: the owner calls `start()` and `stop()`; the store and the log are the owner's too.
 * Applying a batch is synchronous (SQLite), so no transaction is ever open across an await: stop
 * takes effect at the next I/O boundary and never cuts a batch in half.
 */
import type { Clock } from "./ports.ts";
import { jobIdsOf, projectBatch } from "./projection.ts";
import { isPermanentProjectionError, ProjectionLogMismatch } from "./projection-errors.ts";
import type { ProjectionStore } from "./projection-store.ts";
import type { EventLog, LogEntry } from "./read-models.ts";

export type ProjectorState = "stopped" | "catching_up" | "tailing" | "retrying" | "halted";

export interface ProjectorStatus {
  readonly state: ProjectorState;
  /** The last failure (kept after recovery, with when it happened), null if none yet. */
  readonly lastError: { readonly message: string; readonly tag: string | null; readonly at: string } | null;
  readonly appliedEvents: number;
  readonly appliedBatches: number;
}

export interface ShardLag {
  readonly shard: number;
  /** The projection's checkpoint on this shard ("0-0" before the first event). */
  readonly checkpoint: string;
  /** The shard log's last entry id. */
  readonly last: string;
  readonly caughtUp: boolean;
  /** How long the oldest entry not yet projected has waited (0 when caught up). */
  readonly behindMs: number;
}

export type AppliedListener = (entries: ReadonlyArray<LogEntry>) => void;

export interface ProjectorOptions {
  readonly log: EventLog;
  readonly store: ProjectionStore;
  readonly clock: Clock;
  /** Entries read per shard per batch. */
  readonly batchSize?: number;
  /** How long one idle blocking read waits; also the longest `stop()` waits for it. */
  readonly blockMs?: number;
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Told about every failure (logging); the projector handles them itself. */
  readonly onError?: (error: unknown) => void;
}

type Position = { readonly shard: number; readonly entryId: string };

const idParts = (id: string): [number, number] => {
  const [ms, seq] = id.split("-");
  return [Number(ms), Number(seq ?? 0)];
};

/** Order of two stream entry ids ("ms-seq"). */
export const compareEntryIds = (a: string, b: string): number => {
  const [am, as] = idParts(a);
  const [bm, bs] = idParts(b);
  return am !== bm ? am - bm : as - bs;
};

const tagOf = (error: unknown): string | null =>
  typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : null;

export class Projector {
  private readonly log: EventLog;
  private readonly store: ProjectionStore;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly listeners = new Set<AppliedListener>();
  private positions: Array<Position> = [];
  private state: ProjectorState = "stopped";
  private lastError: ProjectorStatus["lastError"] = null;
  private appliedEvents = 0;
  private appliedBatches = 0;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: ProjectorOptions) {
    this.log = options.log;
    this.store = options.store;
    this.batchSize = options.batchSize ?? 1_000;
    this.blockMs = options.blockMs ?? 250;
  }

  /** Start the background loop (no-op if it runs). */
  start(): void {
    if (this.running !== null) return;
    this.stopping = false;
    this.loadPositions();
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Stop after the current step; resolves when the loop has ended (within about `blockMs`). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    if (this.state !== "halted") this.state = "stopped";
  }

  /** Called after each commit with the entries it applied; returns an unsubscribe function. */
  onApplied(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): ProjectorStatus {
    return {
      state: this.state,
      lastError: this.lastError,
      appliedEvents: this.appliedEvents,
      appliedBatches: this.appliedBatches,
    };
  }

  /** Per shard: where the projection stands against the log's end. */
  async lag(): Promise<ReadonlyArray<ShardLag>> {
    if (this.running === null) this.loadPositions();
    const lastIds = await this.log.lastIds();
    return Promise.all(
      lastIds.map(async ({ shard, entryId: last }) => {
        const checkpoint = this.positionOf(shard);
        const caughtUp = compareEntryIds(checkpoint, last) >= 0;
        if (caughtUp) return { shard, checkpoint, last, caughtUp, behindMs: 0 };
        const [oldest] = await this.log.read(shard, checkpoint, 1);
        const waitedSince = oldest === undefined ? this.options.clock.now() : idParts(oldest.entryId)[0];
        return {
          shard,
          checkpoint,
          last,
          caughtUp,
          behindMs: Math.max(0, this.options.clock.now() - waitedSince),
        };
      }),
    );
  }

  /**
   * Apply entries until every shard reaches `targets` (default: the log's end now), without the
   * background loop (rebuild, check). Returns the number of events applied.
   */
  async catchUp(targets?: ReadonlyArray<Position>): Promise<number> {
    if (this.running !== null) throw new Error("catchUp needs the projector's loop stopped");
    this.loadPositions();
    await this.verifyCheckpoints();
    const until = targets ?? (await this.log.lastIds());
    let applied = 0;
    for (const { shard, entryId: target } of until)
      for (;;) {
        const from = this.positionOf(shard);
        if (compareEntryIds(from, target) >= 0) break;
        const entries = (await this.log.read(shard, from, this.batchSize)).filter(
          (entry) => compareEntryIds(entry.entryId, target) <= 0,
        );
        if (entries.length === 0) break;
        await this.applyRead(entries);
        applied += entries.length;
      }
    return applied;
  }

  private loadPositions(): void {
    const stored = new Map(this.store.checkpoints().map((c) => [c.shard, c.entryId]));
    this.positions = Array.from({ length: this.log.shards }, (_, shard) => ({
      shard,
      entryId: stored.get(shard) ?? "0-0",
    }));
  }

  /**
   * Before applying anything more: does the log still hold, at each checkpoint, the event the
   * projection last applied? If Redis lost or replaced its data, new entries would otherwise be
   * folded on top of rows from the old history.
   */
  private async verifyCheckpoints(): Promise<void> {
    // The positions are the stored checkpoints; one read per shard, all sent at once.
    const entries = await Promise.all(
      this.positions.map(({ shard, entryId }) =>
        entryId === "0-0" ? null : this.log.entryAt(shard, entryId),
      ),
    );
    this.confirmCheckpoints(entries);
  }

  /**
   * Throws ProjectionLogMismatch unless the entry found at each checkpoint (`atPositions`, indexed
   * by shard like `positions`) is the event the projection applied there.
   */
  private confirmCheckpoints(atPositions: ReadonlyArray<LogEntry | null>): void {
    for (const { shard, entryId, hash } of this.store.checkpoints()) {
      if (shard >= this.log.shards) continue;
      const entry = atPositions[shard] ?? null;
      if (entry === null || entry.entryId !== entryId)
        throw new ProjectionLogMismatch({ shard, entryId, reason: "is no longer in the log" });
      if (entry.envelope.hash !== hash)
        throw new ProjectionLogMismatch({
          shard,
          entryId,
          reason: `holds another event (hash ${entry.envelope.hash.slice(0, 12)}…, projected ${hash.slice(0, 12)}…)`,
        });
    }
  }

  private positionOf(shard: number): string {
    return this.positions[shard]?.entryId ?? "0-0";
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let caughtUp = false;
    let verifiedAt: number | null = null;
    while (!this.stopping) {
      try {
        this.state = caughtUp ? "tailing" : "catching_up";
        // On start, and whenever the connection to the log was re-established since.
        const connections = this.log.connections();
        if (verifiedAt !== connections) {
          await this.verifyCheckpoints();
          verifiedAt = connections;
        }
        if (caughtUp) {
          const { entries, at } = await this.log.tail([...this.positions], this.batchSize, this.blockMs);
          if (this.stopping) break;
          if (entries.length > 0) {
            // Read after the entries on the same connection: see applyRead.
            this.confirmCheckpoints(at);
            this.apply(entries);
          }
        } else {
          const reads = await Promise.all(
            this.positions.map(({ shard, entryId }) => this.log.read(shard, entryId, this.batchSize)),
          );
          if (this.stopping) break;
          await this.applyRead(reads.flat());
          caughtUp = reads.every((entries) => entries.length < this.batchSize);
        }
        failures = 0;
      } catch (error) {
        this.recordError(error);
        if (isPermanentProjectionError(error)) {
          this.state = "halted";
          return;
        }
        this.state = "retrying";
        caughtUp = false;
        // Redis may have restarted without its data: check the checkpoints again before reading on.
        verifiedAt = null;
        failures += 1;
        const initial = this.options.retryInitialMs ?? 100;
        await this.sleep(
          Math.min(this.options.retryMaxMs ?? 5_000, initial * 2 ** Math.min(failures - 1, 10)),
        );
      }
    }
  }

  /**
   * Apply entries just read after the checkpoints, once the checkpoints are confirmed still in
   * the log. A log lost while the connection stayed up (a `FLUSHALL`, a deleted key) gives
   * entries after the old checkpoint ids too; confirming afterwards, not before, leaves no window:
   * if the checkpoint entry is there now, it was there when the read ran, so what was read
   * continues it. One `XRANGE` per shard per batch that brings entries (ADR 0014); the tail does
   * the same in its own round trip (EventLog.tail's `at`).
   */
  private async applyRead(entries: ReadonlyArray<LogEntry>): Promise<void> {
    if (entries.length === 0) return;
    await this.verifyCheckpoints();
    this.apply(entries);
  }

  /** Fold and commit one batch, then move the positions and tell the listeners. */
  private apply(entries: ReadonlyArray<LogEntry>): void {
    if (entries.length === 0) return;
    const batch = projectBatch(entries, this.store.viewsOf(jobIdsOf(entries)));
    this.store.applyBatch(batch);
    for (const checkpoint of batch.checkpoints)
      this.positions[checkpoint.shard] = { shard: checkpoint.shard, entryId: checkpoint.entryId };
    this.appliedEvents += entries.length;
    this.appliedBatches += 1;
    for (const listener of this.listeners)
      try {
        listener(entries);
      } catch (error) {
        this.options.onError?.(error);
      }
  }

  private recordError(error: unknown): void {
    this.lastError = {
      message: error instanceof Error ? error.message : String(error),
      tag: tagOf(error),
      at: new Date(this.options.clock.now()).toISOString(),
    };
    this.options.onError?.(error);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = null;
    });
  }
}
