/**
 * The projector: folds the shard logs into the read models, batch by batch, each batch and its
 * checkpoints in one transaction (so a crash never double-applies or skips an event).
 *
 * It starts from the stored checkpoints, catches up with ranged reads, then tails all shards
 * with one blocking read. Redis or disk trouble is retried with backoff and reported by
 * `status()`. An entry that cannot be projected halts it, because skipping it silently would
 * make the projection differ from the log: an undecodable entry until an operator quarantines
 * it (ADR 0019; the halted projector applies everything before it, then looks for a quarantine
 * record every `retryMaxMs` or when told to `recheck()`), anything else (a broken chain, a lost
 * log) for good, until a rebuild.
 *
 * Lifetime: the owner calls `start()` and `stop()`; the store and the log are the owner's too.
 * Applying a batch is synchronous (SQLite), so no transaction is ever open across an await: stop
 * takes effect at the next I/O boundary and never cuts a batch in half. A read is applied in
 * transactions of at most APPLY_CHUNK records with a yield to the event loop between them, so
 * the process keeps answering while a rebuild, a check or a long catch-up runs.
 *
 * This file owns the loop and applying batches; where it stands in each shard log and the
 * checkpoint confirmation are log-positions.ts, its state and counts projector-status.ts.
 */
import { type Clock, yieldToEventLoop } from "../shared/index.ts";
import { awaitsItsDeadLetter, compareEntryIds, isDeadLetterOf, isEvent } from "./log-entries.ts";
import { LogPositions, type Position, type ShardLag } from "./log-positions.ts";
import { jobIdsOf, projectBatch, untilBlocked } from "./projection.ts";
import { isPermanentProjectionError, LogEntryInvalid } from "./projection-errors.ts";
import {
  newCounters,
  type ProjectorCounters,
  ProjectorHealth,
  type ProjectorStateChange,
  type ProjectorStatus,
} from "./projector-status.ts";
import type { EventLog, LogEntry, LogRecord, ProjectionStore, QuarantineList } from "./ports.ts";
import { QuarantineView } from "./quarantine.ts";

export type AppliedListener = (entries: ReadonlyArray<LogEntry>) => void;

export interface ProjectorOptions {
  readonly log: EventLog;
  readonly store: ProjectionStore;
  readonly clock: Clock;
  /** The operators' quarantine records (ADR 0019); without them nothing is skipped. */
  readonly quarantine?: QuarantineList;
  /** Shared counters (the read side keeps one set across rebuilds); default: the projector's own. */
  readonly counters?: ProjectorCounters;
  /** Entries read per shard per batch. */
  readonly batchSize?: number;
  /** How long one idle blocking read waits; also the longest `stop()` waits for it. */
  readonly blockMs?: number;
  readonly retryInitialMs?: number;
  /** The longest wait between retries, and between a halted projector's looks for a quarantine. */
  readonly retryMaxMs?: number;
  /** Told about every failure (logging); the projector handles them itself. */
  readonly onError?: (error: unknown) => void;
  /** Told of each change of state (start, catching up, tailing, retrying, halted, stopped). */
  readonly onStateChange?: (change: ProjectorStateChange) => void;
}

/**
 * Records applied per transaction. A read brings up to `batchSize` per shard; applying them in
 * pieces this size, yielding between, keeps each synchronous stretch of SQLite work short
 * (10–30 ms on the 2-core dev machine) so the process keeps answering while it catches up.
 * Catch-up runs as fast as with 1,000 per transaction (measured, ADR 0019); 100 was slower.
 */
const APPLY_CHUNK = 200;

export class Projector {
  private readonly log: EventLog;
  private readonly store: ProjectionStore;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly listeners = new Set<AppliedListener>();
  private readonly quarantine: QuarantineView;
  private readonly positions: LogPositions;
  private readonly health: ProjectorHealth;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: ProjectorOptions) {
    this.log = options.log;
    this.store = options.store;
    this.batchSize = options.batchSize ?? 1_000;
    this.blockMs = options.blockMs ?? 250;
    this.quarantine = new QuarantineView(options.quarantine);
    this.positions = new LogPositions(options.log, options.store);
    this.health = new ProjectorHealth(
      options.clock,
      options.counters ?? newCounters(),
      options.onError,
      options.onStateChange,
    );
  }

  /** Start the background loop (no-op if it runs). */
  start(): void {
    if (this.running !== null) return;
    this.stopping = false;
    this.positions.load();
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Stop after the current step; resolves when the loop has ended (within about `blockMs`). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    if (this.health.state !== "halted") this.health.state = "stopped";
  }

  /** A halted projector looks for a quarantine of its entry now instead of at its next turn. */
  recheck(): void {
    if (this.health.state === "halted") this.wake?.();
  }

  /** Called after each commit with the entries it applied; returns an unsubscribe function. */
  onApplied(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): ProjectorStatus {
    return this.health.status();
  }

  /** Per shard: where the projection stands against the log's end. */
  async lag(): Promise<ReadonlyArray<ShardLag>> {
    if (this.running === null) this.positions.load();
    return this.positions.lag(this.options.clock);
  }

  /**
   * Apply entries until every shard reaches `targets` (default: the log's end now), without the
   * background loop (rebuild, check), yielding to the event loop after each batch. Returns the
   * number of events applied. An undecodable entry that is not quarantined fails it with
   * LogEntryInvalid, after applying what comes before it.
   */
  async catchUp(targets?: ReadonlyArray<Position>): Promise<number> {
    if (this.running !== null) throw new Error("catchUp needs the projector's loop stopped");
    this.positions.load();
    await this.quarantine.refresh();
    await this.positions.verify();
    const until = targets ?? (await this.log.lastIds());
    const before = this.health.appliedEvents;
    for (const { shard, entryId: target } of until)
      for (;;) {
        const from = this.positions.of(shard);
        if (compareEntryIds(from, target) >= 0) break;
        const records = (await this.log.read(shard, from, this.batchSize)).filter(
          (record) => compareEntryIds(record.entryId, target) <= 0,
        );
        if (records.length === 0) break;
        await this.applyRead(records);
      }
    return this.health.appliedEvents - before;
  }

  private async loop(): Promise<void> {
    const health = this.health;
    let failures = 0;
    let caughtUp = false;
    let verifiedAt: number | null = null;
    while (!this.stopping) {
      try {
        // A halted projector stays "halted" while it looks again; it is cleared once past.
        if (health.state !== "halted") health.state = caughtUp ? "tailing" : "catching_up";
        // On start, and whenever the connection to the log was re-established since.
        const connections = this.log.connections();
        if (verifiedAt !== connections) {
          await this.quarantine.refresh();
          await this.positions.verify();
          verifiedAt = connections;
        }
        if (caughtUp) {
          const { entries, at } = await this.log.tail(this.positions.all(), this.batchSize, this.blockMs);
          if (this.stopping) break;
          if (entries.length > 0) {
            // Read after the entries on the same connection: see applyRead.
            this.positions.confirm(at);
            await this.apply(entries);
          }
        } else {
          const reads = await Promise.all(
            this.positions.all().map(({ shard, entryId }) => this.log.read(shard, entryId, this.batchSize)),
          );
          if (this.stopping) break;
          await this.applyRead(reads.flat());
          caughtUp = reads.every((entries) => entries.length < this.batchSize);
        }
        failures = 0;
        // The entry it halted on is quarantined now: carry on.
        if (health.state === "halted") health.resume(caughtUp ? "tailing" : "catching_up");
      } catch (error) {
        if (isPermanentProjectionError(error)) {
          // Told once per halt, not at every look for a quarantine.
          if (!health.halted(error)) health.recordError(error);
          // Another look for a quarantine later; the other halts need a rebuild.
          if (!(error instanceof LogEntryInvalid)) return;
          caughtUp = false;
          await this.sleep(this.options.retryMaxMs ?? 5_000);
          continue;
        }
        health.recordError(error);
        health.state = "retrying";
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
  private async applyRead(records: ReadonlyArray<LogRecord>): Promise<void> {
    if (records.length === 0) return;
    await this.positions.verify();
    await this.apply(records);
  }

  /**
   * Fold and commit one read, then move the positions and tell the listeners. An undecodable
   * entry that is not quarantined stops it: what comes before it (per shard) is applied, then
   * LogEntryInvalid is thrown. The quarantine records are read again first, in case one was
   * added since (by this process or another).
   */
  private async apply(read: ReadonlyArray<LogRecord>): Promise<void> {
    if (read.length === 0) return;
    const records = await this.withWholeAppends(read);
    let unknown = false;
    for (const record of records)
      if (!isEvent(record)) {
        this.health.counters.invalidEntries.add(`${record.shard}/${record.entryId}`);
        unknown ||= !this.quarantine.honours(record);
      }
    if (unknown) await this.quarantine.refresh();
    const { usable, blocked } = untilBlocked(records, this.quarantine);
    for (let from = 0; from < usable.length;) {
      if (from > 0) await yieldToEventLoop();
      let to = Math.min(from + APPLY_CHUNK, usable.length);
      // Never between a failure and the dead letter appended with it (awaitsItsDeadLetter).
      const last = usable[to - 1];
      if (awaitsItsDeadLetter(last) && isDeadLetterOf(last, usable[to])) to += 1;
      this.commit(usable.slice(from, to));
      from = to;
    }
    if (blocked !== null)
      throw new LogEntryInvalid({
        shard: blocked.shard,
        entryId: blocked.entryId,
        reason: this.quarantine.refusal(blocked),
      });
  }

  /**
   * A read ends where its count ran out, which may be between a failure that allows no retry and
   * the JobDeadLettered appended with it (ADR 0022). Such a shard's next entry is read (it is
   * there: both were appended in one script call) and applied with it, so no committed batch
   * shows the job `failed` with nothing scheduled. Costs a round trip only at such a boundary.
   */
  private async withWholeAppends(records: ReadonlyArray<LogRecord>): Promise<ReadonlyArray<LogRecord>> {
    const lastOfShard = new Map<number, LogRecord>();
    for (const record of records) lastOfShard.set(record.shard, record);
    const completions: Array<LogRecord> = [];
    for (const last of lastOfShard.values()) {
      if (!awaitsItsDeadLetter(last)) continue;
      const [next] = await this.log.read(last.shard, last.entryId, 1);
      if (isDeadLetterOf(last, next)) completions.push(next as LogRecord);
    }
    return completions.length === 0 ? records : [...records, ...completions];
  }

  /** One transaction: fold the records, write rows and checkpoints, tell the listeners. */
  private commit(records: ReadonlyArray<LogRecord>): void {
    const batch = projectBatch(records, this.store.viewsOf(jobIdsOf(records)), this.quarantine);
    this.store.applyBatch(batch);
    this.positions.advance(batch.checkpoints);
    this.health.appliedEvents += batch.entries.length;
    this.health.appliedBatches += 1;
    this.health.counters.quarantinedSkipped += batch.skipped.length;
    if (batch.entries.length > 0)
      for (const listener of this.listeners)
        try {
          listener(batch.entries);
        } catch (error) {
          this.options.onError?.(error);
        }
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
