/**
 * An EventStore that tells the process's metrics what each append committed: the store's own
 * answer (`Appended`) is the only proof a change happened, so conflicts, fenced writes and
 * idempotent repeats count for nothing. Wraps any adapter of the port; the composition root
 * (src/main.ts) puts it around the stores of the processes it opens.
 */
import type { AppendOutcome, AppendRequest, EventStore } from "../../engine/write/ports.ts";
import type { ProcessMetrics } from "./process-metrics.ts";

export const recordingStore = (store: EventStore, metrics: ProcessMetrics): EventStore => {
  const record = (request: AppendRequest | undefined, outcome: AppendOutcome | undefined): void => {
    if (request !== undefined && outcome?._tag === "Appended") metrics.committed(request);
  };
  return {
    loadHead: (jobId) => store.loadHead(jobId),
    loadHeads: (jobIds) => store.loadHeads(jobIds),
    readEvents: (jobId) => store.readEvents(jobId),
    readEventsMany: (jobIds) => store.readEventsMany(jobIds),
    append: async (request) => {
      const outcome = await store.append(request);
      record(request, outcome);
      return outcome;
    },
    appendMany: async (requests) => {
      const outcomes = await store.appendMany(requests);
      outcomes.forEach((outcome, i) => record(requests[i], outcome));
      return outcomes;
    },
  };
};
