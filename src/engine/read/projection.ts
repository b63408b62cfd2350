/**
 * The projection as a pure function: a batch of log entries plus the stored views of the jobs
 * they touch gives the rows to write (ProjectionBatch). A job's events within a batch are folded
 * into one view with `applyToView`, so a job touched ten times is written once.
 *
 * Every event must continue its job's chain as projected (seq = version + 1, prevHash = the
 * view's lastHash); anything else means the projection and the log disagree, and applying it
 * would double-count or skip, so it is refused with ProjectionDiverged.
 *
 * Quarantined entries (ADR 0019) are skipped: they move the checkpoint and write no row. So are
 * the later events of a job with a quarantined entry before them that do not continue its
 * projected chain (they cannot be applied without the skipped one). Anything else that does not
 * decode is refused with LogEntryInvalid; the projector cuts a read before such an entry.
 */
import { type Envelope, GENESIS_HASH } from "../../domain/index.ts";
import { applyToView, type JobView } from "./job-view.ts";
import { isEvent, recordHash } from "./log-entries.ts";
import type {
  AttemptDuration,
  Checkpoint,
  InvalidLogEntry,
  LogEntry,
  LogRecord,
  ProjectionBatch,
  ThroughputIncrement,
} from "./ports.ts";
import { LogEntryInvalid, ProjectionDiverged } from "./projection-errors.ts";

/** The quarantine questions a batch needs answered (QuarantineView answers them). */
export interface SkipRules {
  honours(entry: InvalidLogEntry): boolean;
  jobSkippedBefore(shard: number, jobId: string, entryId: string): boolean;
  refusal(entry: InvalidLogEntry): string;
}

/** No quarantine: every undecodable entry is refused. */
export const NO_SKIPS: SkipRules = {
  honours: () => false,
  jobSkippedBefore: () => false,
  refusal: (entry) => entry.problem,
};

/** The UTC minute an instant falls in, as an ISO timestamp. */
export const minuteOf = (at: string): string => `${at.slice(0, 16)}:00.000Z`;

type Counts = { completed: number; failedAttempts: number; deadLettered: number; cancelled: number };

/** What one event adds to its minute's throughput (null: nothing). */
const throughputOf = (envelope: Envelope): Partial<Counts> | null => {
  switch (envelope.type) {
    case "JobCompleted":
      return { completed: 1 };
    case "AttemptFailed":
      return { failedAttempts: 1 };
    case "JobDeadLettered":
      return { deadLettered: 1 };
    case "JobCancelled":
      return { cancelled: 1 };
    default:
      return null;
  }
};

/** Why an event does not continue its job's projected chain, or null when it does. */
const chainProblem = ({ envelope }: LogEntry, view: JobView | null): string | null => {
  const expectedSeq = (view?.version ?? 0) + 1;
  const expectedPrev = view?.lastHash ?? GENESIS_HASH;
  return envelope.seq !== expectedSeq
    ? `seq ${envelope.seq} where ${expectedSeq} was expected`
    : envelope.prevHash !== expectedPrev
      ? `prevHash ${envelope.prevHash.slice(0, 12)}… does not continue the projected chain`
      : null;
};

export const projectBatch = (
  records: ReadonlyArray<LogRecord>,
  stored: ReadonlyMap<string, JobView>,
  skips: SkipRules = NO_SKIPS,
): ProjectionBatch => {
  const views = new Map<string, JobView>();
  const applied: Array<LogEntry> = [];
  const skipped: Array<LogRecord> = [];
  const durations: Array<AttemptDuration> = [];
  const minutes = new Map<string, Counts>();
  const checkpoints = new Map<number, Checkpoint>();
  const skip = (record: LogRecord) => {
    skipped.push(record);
    checkpoints.set(record.shard, { shard: record.shard, entryId: record.entryId, hash: recordHash(record) });
  };
  for (const entry of records) {
    if (!isEvent(entry)) {
      if (!skips.honours(entry))
        throw new LogEntryInvalid({
          shard: entry.shard,
          entryId: entry.entryId,
          reason: skips.refusal(entry),
        });
      skip(entry);
      continue;
    }
    const { envelope } = entry;
    const before = views.get(envelope.jobId) ?? stored.get(envelope.jobId) ?? null;
    const problem = chainProblem(entry, before);
    if (problem !== null) {
      if (skips.jobSkippedBefore(entry.shard, envelope.jobId, entry.entryId)) {
        skip(entry);
        continue;
      }
      throw new ProjectionDiverged({
        shard: entry.shard,
        entryId: entry.entryId,
        jobId: envelope.jobId,
        reason: problem,
      });
    }
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
    applied.push(entry);
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
    entries: applied,
    skipped,
    durations,
    throughput,
    checkpoints: [...checkpoints.values()],
  };
};

/** Ids of the jobs a batch touches whose views must come from the store. */
export const jobIdsOf = (records: ReadonlyArray<LogRecord>): ReadonlyArray<string> => [
  ...new Set(records.filter(isEvent).map((entry) => entry.envelope.jobId)),
];

/**
 * The part of a read the projector may apply: per shard, the records before the first invalid
 * entry that is not quarantined (`blocked`, the first such in log order per shard, or null).
 */
export const untilBlocked = (
  records: ReadonlyArray<LogRecord>,
  skips: SkipRules,
): { readonly usable: ReadonlyArray<LogRecord>; readonly blocked: InvalidLogEntry | null } => {
  const blockedShards = new Set<number>();
  let blocked: InvalidLogEntry | null = null;
  const usable = records.filter((record) => {
    if (blockedShards.has(record.shard)) return false;
    if (isEvent(record) || skips.honours(record)) return true;
    blockedShards.add(record.shard);
    blocked ??= record;
    return false;
  });
  return { usable, blocked };
};
