/**
 * A worker's slot accounting, shared by its claim loops (lanes): each lane's share of the
 * concurrency and the slots it holds, and the entries delivered to the worker that wait for a
 * slot (a blocking read that delivered more than was asked, queued entries maintenance
 * reclaimed). A slot is held from before an attempt's start is written until its handler has
 * finished, so no more handlers run than the concurrency, whatever the queue delivers (ADR 0025).
 *
 * Owned by the Worker; lanes and maintenance reach it through the Worker's wiring only.
 */
import type { JobWriter } from "../write/index.ts";
import type { Claimed, WorkEntry, WorkQueue } from "./ports.ts";

/** A lane's number: its place in the worker's list of lanes, fixed when the worker is built. */
export type LaneIndex = number;

/** One claim loop's connection: the queue it claims from and the writer its jobs write with. */
export interface Lane {
  readonly index: LaneIndex;
  readonly queue: WorkQueue;
  readonly writer: JobWriter;
}

const keyOf = (entry: WorkEntry): string => `${entry.stream} ${entry.entryId}`;

export class Slots {
  private readonly held: Array<number>;
  /** Delivered to this worker, not started: oldest first. Their leases are renewed while here. */
  private readonly waiting = new Map<string, Claimed>();
  private wakers: Array<() => void> = [];

  /** `shares[i]` is lane i's part of the concurrency. */
  constructor(private readonly shares: ReadonlyArray<number>) {
    this.held = shares.map(() => 0);
  }

  /** `concurrency` split as evenly as possible over `lanes` (the first lanes take the remainder). */
  static split(concurrency: number, lanes: number): Array<number> {
    return Array.from(
      { length: lanes },
      (_, i) => Math.floor(concurrency / lanes) + (i < concurrency % lanes ? 1 : 0),
    );
  }

  /** Slots lane `lane` may still take. */
  room(lane: LaneIndex): number {
    return (this.shares[lane] ?? 0) - (this.held[lane] ?? 0);
  }

  /** Slots held across all lanes: attempts being started and handlers running. */
  get inUse(): number {
    return this.held.reduce((sum, n) => sum + n, 0);
  }

  /** Take up to `wanted` of the lane's free slots; returns how many were taken. */
  take(lane: LaneIndex, wanted: number): number {
    const granted = Math.max(0, Math.min(wanted, this.room(lane)));
    this.held[lane] = (this.held[lane] ?? 0) + granted;
    return granted;
  }

  /**
   * Give back slots the lane took and did not use (starts refused). Wakes nobody: a lane's slots
   * are its own, and waking idle lanes on an empty pass would have them poll the queue in turn.
   */
  giveBack(lane: LaneIndex, count: number): void {
    this.held[lane] = (this.held[lane] ?? 0) - count;
  }

  /** A handler has finished: its slot is free; lanes waiting for room look again. */
  free(lane: LaneIndex): void {
    this.held[lane] = (this.held[lane] ?? 0) - 1;
    this.wake();
  }

  /** Entries that must wait for a slot; any lane with room takes them before claiming more. */
  park(entries: ReadonlyArray<Claimed>): void {
    if (entries.length === 0) return;
    for (const entry of entries) this.waiting.set(keyOf(entry), entry);
    this.wake();
  }

  /** Up to `count` waiting entries, oldest first, no longer waiting. */
  unpark(count: number): Array<Claimed> {
    const taken: Array<Claimed> = [];
    for (const [key, entry] of this.waiting) {
      if (taken.length >= count) break;
      this.waiting.delete(key);
      taken.push(entry);
    }
    return taken;
  }

  /** The waiting entries (their leases are renewed with the running jobs'). */
  get parked(): ReadonlyArray<WorkEntry> {
    return [...this.waiting.values()];
  }

  /** Waiting entries this worker no longer owns (reclaimed by another, gone with their job). */
  forget(lost: ReadonlyArray<WorkEntry>): void {
    for (const entry of lost) this.waiting.delete(keyOf(entry));
  }

  /**
   * Resolves on the next wake, after the handlers that finish in the same turn of the event loop
   * have too: a batch of quick jobs frees its slots together, so the next claim asks for the whole
   * batch at once, and it goes out while their outcomes are still being recorded.
   */
  async next(): Promise<void> {
    await new Promise<void>((resolve) => this.wakers.push(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Wakes every lane waiting for room (each checks its own). */
  wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}
