/**
 * What a projector says about itself: its state, its last failure, the halt it is in, and its
 * counts. One Projector owns one of these; the counters may outlive it (a read side keeps one
 * set across the projectors its rebuilds swap in).
 */
import type { Clock } from "../shared/index.ts";
import type { LogEntryInvalid, ProjectionDiverged, ProjectionLogMismatch } from "./projection-errors.ts";

export type ProjectorState = "stopped" | "catching_up" | "tailing" | "retrying" | "halted";

export type HaltingError = LogEntryInvalid | ProjectionDiverged | ProjectionLogMismatch;

/** Counts over a process's life, kept across the projectors a read side swaps in (rebuilds). */
export interface ProjectorCounters {
  /** Times a projector halted (a new halt, not each re-check of the same one). */
  halts: number;
  /** Undecodable log entries met, each counted once ("shard/entryId"). */
  readonly invalidEntries: Set<string>;
  /** Entries skipped because of a quarantine (ADR 0019). */
  quarantinedSkipped: number;
}

export const newCounters = (): ProjectorCounters => ({
  halts: 0,
  invalidEntries: new Set(),
  quarantinedSkipped: 0,
});

export interface ProjectorStatus {
  readonly state: ProjectorState;
  /** The last failure (kept after recovery, with when it happened), null if none yet. */
  readonly lastError: { readonly message: string; readonly tag: string | null; readonly at: string } | null;
  /** While halted: what halted it (shard, entry id, why) and since when; null otherwise. */
  readonly halt: { readonly error: HaltingError; readonly since: string } | null;
  readonly appliedEvents: number;
  readonly appliedBatches: number;
  readonly halts: number;
  readonly invalidEntries: number;
  readonly quarantinedSkipped: number;
}

const tagOf = (error: unknown): string | null =>
  typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : null;

/** A change of the projector's state, with its status after it (for the process's log). */
export interface ProjectorStateChange {
  readonly from: ProjectorState;
  readonly to: ProjectorState;
  readonly status: ProjectorStatus;
}

/** The projector's state and counts; the projector's loop moves it, `status()` reports it. */
export class ProjectorHealth {
  private current: ProjectorState = "stopped";
  appliedEvents = 0;
  appliedBatches = 0;
  private lastError: ProjectorStatus["lastError"] = null;
  private halt: ProjectorStatus["halt"] = null;

  constructor(
    private readonly clock: Clock,
    readonly counters: ProjectorCounters,
    private readonly onError: ((error: unknown) => void) | undefined,
    private readonly onStateChange?: (change: ProjectorStateChange) => void,
  ) {}

  get state(): ProjectorState {
    return this.current;
  }

  /** Each change is told once (a projector that keeps retrying is not told again). */
  set state(next: ProjectorState) {
    const from = this.current;
    this.current = next;
    if (from !== next) this.onStateChange?.({ from, to: next, status: this.status() });
  }

  status(): ProjectorStatus {
    return {
      state: this.state,
      lastError: this.lastError,
      halt: this.state === "halted" ? this.halt : null,
      appliedEvents: this.appliedEvents,
      appliedBatches: this.appliedBatches,
      halts: this.counters.halts,
      invalidEntries: this.counters.invalidEntries.size,
      quarantinedSkipped: this.counters.quarantinedSkipped,
    };
  }

  /** Enter (or stay in) the halted state; true when it was already halted on the same entry. */
  halted(error: HaltingError): boolean {
    const same =
      this.state === "halted" &&
      this.halt !== null &&
      this.halt.error._tag === error._tag &&
      this.halt.error.shard === error.shard &&
      this.halt.error.entryId === error.entryId;
    if (!same) {
      this.counters.halts += 1;
      this.halt = { error, since: new Date(this.clock.now()).toISOString() };
    }
    this.state = "halted";
    return same;
  }

  /** Past the entry it halted on (it was quarantined): carry on in `state`. */
  resume(state: ProjectorState): void {
    this.halt = null;
    this.state = state;
  }

  recordError(error: unknown): void {
    this.lastError = {
      message: error instanceof Error ? error.message : String(error),
      tag: tagOf(error),
      at: new Date(this.clock.now()).toISOString(),
    };
    this.onError?.(error);
  }
}
