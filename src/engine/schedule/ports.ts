/**
 * What the schedule room needs from storage (ADR 0037): a schedule's head (version, last hash
 * and its folded state, kept beside the history so a read need not fold it) and its history,
 * appended only with an expected-version and chain check, as job events are.
 */
import type { ScheduleEnvelope, ScheduleHead, ScheduleState } from "../../domain/index.ts";

export interface StoredSchedule {
  readonly head: ScheduleHead;
  readonly state: ScheduleState;
}

export type ScheduleAppendOutcome =
  | { readonly ok: true }
  /** Another writer appended first (or the schedule exists when creating): reload and decide again. */
  | { readonly ok: false; readonly currentVersion: number };

export interface ScheduleStore {
  load(name: string): Promise<StoredSchedule | null>;
  /** How many schedules are not removed. */
  count(): Promise<number>;
  /** Every schedule not removed, by name. */
  list(): Promise<ReadonlyArray<StoredSchedule>>;
  /** The schedule's envelopes as stored (undecoded), oldest first. */
  history(name: string): Promise<ReadonlyArray<unknown>>;
  /**
   * Append `envelopes` if the head is still at `expected` (version and last hash; version 0:
   * the schedule does not exist, or was removed and its old history is set aside) and store
   * `state`, all at once.
   */
  append(
    expected: ScheduleHead,
    envelopes: ReadonlyArray<ScheduleEnvelope>,
    state: ScheduleState,
  ): Promise<ScheduleAppendOutcome>;
}
