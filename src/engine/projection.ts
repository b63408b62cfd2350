/**
 * The projection as a pure function: a batch of log entries plus the stored views of the jobs
 * they touch gives the rows to write (ProjectionBatch). A job's events within a batch are folded
 * into one view with `applyToView`, so a job touched ten times is written once.
 *
 * Every event must continue its job's chain as projected (seq = version + 1, prevHash = the
 * view's lastHash); anything else means the projection and the log disagree, and applying it
 * would double-count or skip, so it is refused with ProjectionDiverged.
 */
import { type Envelope, GENESIS_HASH } from "../domain/index.ts";
import { applyToView, type JobView } from "./job-view.ts";
import { ProjectionDiverged } from "./projection-errors.ts";
import type { AttemptDuration, ProjectionBatch, ThroughputIncrement } from "./projection-store.ts";
import type { Checkpoint, LogEntry } from "./read-models.ts";

/** The UTC minute an instant falls in, as an ISO timestamp. */
export const minuteOf = (at: string): string => `${at.slice(0, 16)}:00.000Z`;

type Counts = { completed: number; failedAttempts: number; deadLettered: number; cancelled: number };

/** What one event adds to its minute's throughput (null: nothing). */
const throughputOf = (envelope: Envelope): Partial<Counts> | null => {
  switch (envelope.type) {
    case "JobCompleted":
      return { completed: 1 };
    case "AttemptFailed":
      return envelope.data.retryAt === undefined
        ? { failedAttempts: 1, deadLettered: 1 }
        : { failedAttempts: 1 };
    case "JobCancelled":
      return { cancelled: 1 };
    default:
      return null;
  }
};

const checkChain = (entry: LogEntry, view: JobView | null): void => {
  const { envelope } = entry;
  const expectedSeq = (view?.version ?? 0) + 1;
  const expectedPrev = view?.lastHash ?? GENESIS_HASH;
  const problem =
    envelope.seq !== expectedSeq
      ? `seq ${envelope.seq} where ${expectedSeq} was expected`
      : envelope.prevHash !== expectedPrev
        ? `prevHash ${envelope.prevHash.slice(0, 12)}… does not continue the projected chain`
        : null;
  if (problem !== null)
    throw new ProjectionDiverged({
      shard: entry.shard,
      entryId: entry.entryId,
      jobId: envelope.jobId,
      reason: problem,
    });
};

export const projectBatch = (
  entries: ReadonlyArray<LogEntry>,
  stored: ReadonlyMap<string, JobView>,
): ProjectionBatch => {
  const views = new Map<string, JobView>();
  const durations: Array<AttemptDuration> = [];
  const minutes = new Map<string, Counts>();
  const checkpoints = new Map<number, Checkpoint>();
  for (const entry of entries) {
    const { envelope } = entry;
    const before = views.get(envelope.jobId) ?? stored.get(envelope.jobId) ?? null;
    checkChain(entry, before);
    let after: JobView;
    try {
      after = applyToView(before, envelope);
    } catch (error) {
      throw new ProjectionDiverged({
        shard: entry.shard,
        entryId: entry.entryId,
        jobId: envelope.jobId,
        reason: (error as Error).message,
      });
    }
    views.set(envelope.jobId, after);
    if (envelope.type === "JobCompleted" && before !== null && before.startedAt !== null)
      durations.push({
        jobId: envelope.jobId,
        attempt: envelope.data.attempt,
        type: after.type,
        durationMs: Date.parse(envelope.at) - Date.parse(before.startedAt),
        completedAt: envelope.at,
      });
    const counted = throughputOf(envelope);
    if (counted !== null) {
      const minute = minuteOf(envelope.at);
      const row = minutes.get(minute) ?? { completed: 0, failedAttempts: 0, deadLettered: 0, cancelled: 0 };
      for (const key of Object.keys(counted) as Array<keyof Counts>) row[key] += counted[key] ?? 0;
      minutes.set(minute, row);
    }
    checkpoints.set(entry.shard, { shard: entry.shard, entryId: entry.entryId, hash: envelope.hash });
  }
  const throughput: Array<ThroughputIncrement> = [...minutes].map(([minute, counts]) => ({
    minute,
    ...counts,
  }));
  return {
    views: [...views.values()],
    entries,
    durations,
    throughput,
    checkpoints: [...checkpoints.values()],
  };
};

/** Ids of the jobs a batch touches whose views must come from the store. */
export const jobIdsOf = (entries: ReadonlyArray<LogEntry>): ReadonlyArray<string> => [
  ...new Set(entries.map((entry) => entry.envelope.jobId)),
];
