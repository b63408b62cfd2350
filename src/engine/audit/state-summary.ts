/**
 * The parts of a job's machine state an auditor reads: its status and the context fields that
 * decide what may happen next (attempts, due time, last error, progress, result). The same shape
 * appears after each event of a replay and in time travel.
 */
import {
  type AttemptError,
  type ChainAnchor,
  contextOf,
  type JobState,
  type JobStatus,
  type Json,
  type Progress,
  statusOf,
} from "../../domain/index.ts";
import type { RawHead } from "./ports.ts";

export interface StateSummary {
  readonly status: JobStatus;
  /** Attempts started so far (the current lease epoch). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** When a pending job, or a failed job's retry, becomes due. */
  readonly dueAt: string | null;
  readonly lastError: AttemptError | null;
  readonly progress: Progress | null;
  readonly result: Json | null;
}

export const summarize = (state: JobState): StateSummary => {
  const context = contextOf(state);
  return {
    status: statusOf(state),
    attempt: context.attempt,
    maxAttempts: context.maxAttempts,
    dueAt: context.dueAt,
    lastError: context.lastError,
    progress: context.progress,
    result: context.result,
  };
};

/** The chain anchor a stored head claims (its version and last hash), or null with no head. */
export const anchorOf = (head: RawHead | null): ChainAnchor | null =>
  head === null || head.version === null
    ? null
    : { version: Number(head.version), lastHash: head.lastHash ?? "" };
