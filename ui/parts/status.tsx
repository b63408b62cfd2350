/** A job status as a coloured badge (colour and text: the word is always there). */
import type { JobStatus } from "../../src/client/index.ts";

export const StatusBadge = ({ status }: { status: JobStatus | null }) => (
  <span class={`badge status-${status ?? "unknown"}`}>{status ?? "unknown"}</span>
);

/**
 * Every status, in lifecycle order. A record keyed by the contract's status type, so a status
 * the API gains and this list lacks fails the typecheck.
 */
const ORDER: Readonly<Record<JobStatus, number>> = {
  pending: 0,
  // Waits for its dependencies (ADR 0042), before it is queued.
  waiting: 0.5,
  queued: 1,
  processing: 2,
  suspended: 3,
  completed: 4,
  failed: 5,
  dead_letter: 6,
  cancelled: 7,
};

export const JOB_STATUSES: ReadonlyArray<JobStatus> = (Object.keys(ORDER) as Array<JobStatus>).sort(
  (a, b) => ORDER[a] - ORDER[b],
);
