/** A job status as a coloured badge (colour and text: the word is always there). */
import type { JobStatus } from "../../src/client/index.ts";

export const StatusBadge = ({ status }: { status: JobStatus | null }) => (
  <span class={`badge status-${status ?? "unknown"}`}>{status ?? "unknown"}</span>
);

export const JOB_STATUSES: ReadonlyArray<JobStatus> = [
  "pending",
  "queued",
  "processing",
  "completed",
  "failed",
  "dead_letter",
  "cancelled",
];
