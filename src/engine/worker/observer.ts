/**
 * What a worker tells its process about itself, for logs and metrics (ADR 0030, 0031): each
 * attempt it starts, with how long the job waited in its queue, and its lifecycle — reclaims,
 * Redis outages as they begin and end. All optional; an observer must not throw.
 */
import { QueueUnavailable } from "../shared/index.ts";

export type WorkerLifecycleEvent =
  /** A reclaim pass took over entries idle past the lease. */
  | {
      readonly kind: "reclaimed";
      /** Attempts of dead or stalled workers, recorded as failed (`lease_expired`). */
      readonly failedAttempts: number;
      /** Entries of queued jobs, to be started here. */
      readonly requeued: number;
      /** Entries whose job needs none any more (ended, cancelled, waiting for a retry). */
      readonly dropped: number;
    }
  | { readonly kind: "outage_began"; readonly message: string }
  | { readonly kind: "outage_ended"; readonly outageMs: number };

export interface WorkerObserver {
  /** An attempt started; `waitMs` from its work entry's creation, null when unknown. */
  attemptStarted?(queue: string, jobType: string, waitMs: number | null): void;
  lifecycle?(event: WorkerLifecycleEvent): void;
}

/**
 * The creation time of a work entry, read from its stream entry id (`<ms>-<seq>`, the time the
 * job was queued); null for an id of another form.
 */
export const entryTimeMs = (entryId: string): number | null => {
  const ms = Number(entryId.slice(0, entryId.indexOf("-")));
  return entryId.includes("-") && Number.isSafeInteger(ms) && ms > 0 ? ms : null;
};

/**
 * Tells an outage's beginning (the first QueueUnavailable reported) and end (the first task that
 * reached Redis again) once each, however many loops report the same outage.
 */
export class OutageWatch {
  private since: number | null = null;
  constructor(
    private readonly now: () => number,
    private readonly observer: WorkerObserver | undefined,
  ) {}

  failed(error: unknown): void {
    if (this.since !== null || !(error instanceof QueueUnavailable)) return;
    this.since = this.now();
    this.observer?.lifecycle?.({ kind: "outage_began", message: error.message });
  }

  answered(): void {
    if (this.since === null) return;
    const outageMs = this.now() - this.since;
    this.since = null;
    this.observer?.lifecycle?.({ kind: "outage_ended", outageMs });
  }
}
