/**
 * The shape of a verification report (the `--json` form) and its failure codes; and the
 * projection comparison as verify reports it (DESIGN §7 inv. 8): one sentence per row that
 * differs between the live projection and a fresh rebuild from the log, the same text whether the
 * comparison ran in this process or came back from the API's `/v1/projections/check`.
 */
import type { Actor, JobStatus } from "../../../domain/index.ts";
import type { RowDifference } from "../../read/index.ts";
import type { HistoryCode } from "../audited-history.ts";

/** The checks verify runs; a report lists those it ran. */
export type VerifyCheck =
  /** DESIGN §7 inv. 1 and 2: seq contiguous from 1, hash chain, schema, every transition legal. */
  | "history"
  /** The head (version, lastHash, status, attempt) agrees with the fold of the history. */
  | "head"
  /** Inv. 7: every job event exactly once in its shard log, same bytes, and vice versa. */
  | "shard_log"
  /** Inv. 5: attempts never above maxAttempts; dead_letter iff attempts spent or not retryable. */
  | "attempts"
  /** Durable steps (ADR 0043): no step result recorded twice, no recorded step run again. */
  | "steps"
  /** Inv. 3: after draining, every job is terminal (otherwise non-terminal jobs are notices). */
  | "terminal"
  /** Inv. 9: every non-terminal job is in a work stream, pending in the group, or scheduled. */
  | "not_orphaned"
  /** Inv. 8: the projection equals the fold of the log (only when a comparison is plugged in). */
  | "projection";

export type VerifyCode =
  | HistoryCode
  | "head_missing"
  | "head_status_mismatch"
  | "head_attempt_mismatch"
  | "log_missing"
  | "log_duplicate"
  | "log_mismatch"
  | "log_extra"
  | "log_out_of_order"
  | "wrong_shard"
  | "attempts_exceeded"
  | "dead_letter_unjustified"
  | "retry_after_exhaustion"
  | "step_recorded_twice"
  | "step_rerun"
  | "not_terminal"
  | "orphaned"
  | "projection_mismatch"
  /** A quarantined shard-log entry holds other content than when it was quarantined (ADR 0019). */
  | "quarantine_mismatch"
  /** A quarantined shard-log entry is gone from the log (whole-log verify only). */
  | "quarantined_entry_missing"
  /** A stored quarantine record cannot be read as one. */
  | "quarantine_record_invalid";

export interface VerifyFailure {
  readonly check: VerifyCheck;
  /** Null only for findings about no single job (a projection difference). */
  readonly jobId: string | null;
  /** The first seq at which this check finds the job wrong (null: not about one event). */
  readonly seq: number | null;
  readonly code: VerifyCode;
  readonly message: string;
}

/** Information that is not a failure (e.g. a job still running when not verifying drained). */
export interface VerifyNotice {
  readonly jobId: string;
  readonly message: string;
}

/**
 * A shard-log entry that does not decode and that an operator quarantined (ADR 0019): the
 * projections skip it. Verify lists every one it met, with who and why; such an entry that is
 * not part of its job's own history is left out of the shard-log comparison (it is no event).
 */
export interface QuarantinedEntry {
  readonly shard: number;
  readonly entryId: string;
  /** The job the entry claims to be about (its `jobId` field), or null. */
  readonly jobId: string | null;
  /** What the reader found wrong with it. */
  readonly problem: string;
  readonly reason: string;
  readonly actor: Actor;
  readonly at: string;
}

/** A check that was asked for but could not run, and why (never skipped silently). */
export interface VerifySkipped {
  readonly check: VerifyCheck;
  readonly reason: string;
}

export interface VerifyReport {
  /** True when there is no failure: the exit code. */
  readonly ok: boolean;
  readonly scope: { readonly jobId: string | null; readonly drained: boolean };
  readonly checks: ReadonlyArray<VerifyCheck>;
  /** Checks that could not run (e.g. the projection comparison with no projection at hand). */
  readonly skipped: ReadonlyArray<VerifySkipped>;
  readonly counts: {
    readonly shards: number;
    readonly jobs: number;
    /** Entries of the job histories verified. */
    readonly events: number;
    /** Shard-log entries read (for one job: the entries of that job). */
    readonly logEntries: number;
    readonly failures: number;
    readonly jobsFailed: number;
    /** Quarantined shard-log entries met (listed in `quarantined`). */
    readonly quarantined: number;
    /** Jobs by the status their (good) history folds to. */
    readonly byStatus: Partial<Record<JobStatus, number>>;
  };
  /** Sorted by job id, then seq. */
  readonly failures: ReadonlyArray<VerifyFailure>;
  readonly notices: ReadonlyArray<VerifyNotice>;
  /** Quarantined shard-log entries, in log order: not failures, never silent. */
  readonly quarantined: ReadonlyArray<QuarantinedEntry>;
}

const oneLine = (value: unknown): string => JSON.stringify(value) ?? "null";

export const describeProjectionDifferences = (
  differences: ReadonlyArray<RowDifference>,
): ReadonlyArray<string> =>
  differences.map((d) =>
    d.live === null
      ? `${d.table} row ${oneLine(d.key)} is missing from the live projection (the log has ${oneLine(d.rebuilt)})`
      : d.rebuilt === null
        ? `${d.table} row ${oneLine(d.key)} is in the live projection but not in the log's fold (${oneLine(d.live)})`
        : `${d.table} row ${oneLine(d.key)} differs: live ${oneLine(d.live)}, log ${oneLine(d.rebuilt)}`,
  );
