/**
 * Jobs as a job that depends on them sees them (ADR 0042), in either tier (ADR 0034): the one
 * way Docket reads a job that may have left Redis since it ended — its history, wherever it is
 * kept, folded into its view.
 */
import { type JobStatus, statusOf } from "../../domain/index.ts";
import { type JobView, viewOf } from "../read/index.ts";
import type { EventStore } from "./ports.ts";

/** Each job's view folded from its history, wherever kept (null: in neither tier); one read. */
export const archivedViews = async (
  store: Pick<EventStore, "readEventsMany">,
  jobIds: ReadonlyArray<string>,
): Promise<Map<string, JobView | null>> => {
  if (jobIds.length === 0) return new Map();
  const histories = await store.readEventsMany(jobIds);
  return new Map(jobIds.map((jobId, i) => [jobId, viewOf(histories[i] ?? [])]));
};

/**
 * Each job's status: from its head while it is in Redis, else from its history (null for a job
 * found in neither tier). One read of the heads, and one of the histories of those not there.
 */
export const dependencyStatuses = async (
  store: Pick<EventStore, "loadHeads" | "readEventsMany">,
  jobIds: ReadonlyArray<string>,
): Promise<Map<string, JobStatus | null>> => {
  const heads = await store.loadHeads(jobIds);
  const statuses = new Map<string, JobStatus | null>();
  const gone = jobIds.filter((jobId, i) => {
    const head = heads[i] ?? null;
    if (head !== null) statuses.set(jobId, statusOf(head.state));
    return head === null;
  });
  for (const [jobId, view] of await archivedViews(store, gone)) statuses.set(jobId, view?.status ?? null);
  return statuses;
};
