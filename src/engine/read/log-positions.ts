/**
 * Where a projector stands in each shard log (its positions, starting from the stored
 * checkpoints), the check that the log still holds, at each checkpoint, the event the projection
 * applied there (ADR 0014), and how far behind the log's end each shard is. Owned by one
 * Projector; the log and the store are its owner's.
 */
import type { Clock } from "../shared/index.ts";
import { compareEntryIds, entryIdMs, recordHash } from "./log-entries.ts";
import { ProjectionLogMismatch } from "./projection-errors.ts";
import type { Checkpoint, EventLog, LogRecord, ProjectionStore } from "./ports.ts";

export type Position = { readonly shard: number; readonly entryId: string };

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

export class LogPositions {
  private positions: Array<Position> = [];

  constructor(
    private readonly log: EventLog,
    private readonly store: ProjectionStore,
  ) {}

  /** Start from the stored checkpoints ("0-0" for a shard not started). */
  load(): void {
    const stored = new Map(this.store.checkpoints().map((c) => [c.shard, c.entryId]));
    this.positions = Array.from({ length: this.log.shards }, (_, shard) => ({
      shard,
      entryId: stored.get(shard) ?? "0-0",
    }));
  }

  /** Every shard's position, in shard order (a copy). */
  all(): Array<Position> {
    return [...this.positions];
  }

  of(shard: number): string {
    return this.positions[shard]?.entryId ?? "0-0";
  }

  /** Move to the checkpoints a committed batch stored. */
  advance(checkpoints: ReadonlyArray<Checkpoint>): void {
    for (const checkpoint of checkpoints)
      this.positions[checkpoint.shard] = { shard: checkpoint.shard, entryId: checkpoint.entryId };
  }

  /**
   * Before applying anything more: does the log still hold, at each checkpoint, the event the
   * projection last applied? If Redis lost or replaced its data, new entries would otherwise be
   * folded on top of rows from the old history.
   */
  async verify(): Promise<void> {
    // The positions are the stored checkpoints; one read per shard, all sent at once.
    const entries = await Promise.all(
      this.positions.map(({ shard, entryId }) =>
        entryId === "0-0" ? null : this.log.entryAt(shard, entryId),
      ),
    );
    this.confirm(entries);
  }

  /**
   * Throws ProjectionLogMismatch unless the entry found at each checkpoint (`atPositions`, indexed
   * by shard like the positions) is the event the projection applied there.
   */
  confirm(atPositions: ReadonlyArray<LogRecord | null>): void {
    for (const { shard, entryId, hash } of this.store.checkpoints()) {
      if (shard >= this.log.shards) continue;
      const entry = atPositions[shard] ?? null;
      if (entry === null || entry.entryId !== entryId)
        throw new ProjectionLogMismatch({ shard, entryId, reason: "is no longer in the log" });
      const found = recordHash(entry);
      if (found !== hash)
        throw new ProjectionLogMismatch({
          shard,
          entryId,
          reason: `holds another event (hash ${found.slice(0, 12)}…, projected ${hash.slice(0, 12)}…)`,
        });
    }
  }

  /** Per shard: where the projection stands against the log's end. */
  async lag(clock: Clock): Promise<ReadonlyArray<ShardLag>> {
    const lastIds = await this.log.lastIds();
    return Promise.all(
      lastIds.map(async ({ shard, entryId: last }) => {
        const checkpoint = this.of(shard);
        const caughtUp = compareEntryIds(checkpoint, last) >= 0;
        if (caughtUp) return { shard, checkpoint, last, caughtUp, behindMs: 0 };
        const [oldest] = await this.log.read(shard, checkpoint, 1);
        const waitedSince = oldest === undefined ? clock.now() : entryIdMs(oldest.entryId);
        return {
          shard,
          checkpoint,
          last,
          caughtUp,
          behindMs: Math.max(0, clock.now() - waitedSince),
        };
      }),
    );
  }
}
