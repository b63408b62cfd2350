/**
 * Where jobs stand, as a job that depends on them sees it (ADR 0042): each one's status from its
 * head while it is in Redis, or — for one that has left (evicted after it ended, ADR 0034) — from
 * its history in the archive; null for a job found in neither tier. One read of the heads, and
 * one read of the histories of those not found there.
 */
import { type JobStatus, statusOf } from "../../domain/index.ts";
import { viewOf } from "../read/index.ts";
import type { EventStore } from "./ports.ts";

export const dependencyStatuses = async (
  store: EventStore,
  jobIds: ReadonlyArray<string>,
): Promise<Map<string, JobStatus | null>> => {
  const heads = await store.loadHeads(jobIds);
  const statuses = new Map<string, JobStatus | null>();
  const gone: Array<string> = [];
  jobIds.forEach((jobId, i) => {
    const head = heads[i];
    if (head === null || head === undefined) gone.push(jobId);
    else statuses.set(jobId, statusOf(head.state));
  });
  if (gone.length > 0) {
    const histories = await store.readEventsMany(gone);
    gone.forEach((jobId, i) => statuses.set(jobId, viewOf(histories[i] ?? [])?.status ?? null));
  }
  return statuses;
};
