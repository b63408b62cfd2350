/**
 * The replay report of one job (`docket audit replay`, `GET /v1/jobs/:id/replay`): every event
 * with the machine state after it, checked against the machine and the hash chain, anchored at
 * the job's head, naming the first bad event if any. The report object is the JSON form;
 * the CLI renders it for people (src/cli/render/replay.ts).
 */
import type { Actor, ChainAnchor, EventType, JobState } from "../../domain/index.ts";
import {
  anchorOf,
  type AuditedHistory,
  auditEntries,
  type Finding,
  type StateSummary,
  summarize,
} from "./audited-history.ts";
import type { AuditSource } from "./ports.ts";

export interface ReplayedEvent {
  readonly seq: number;
  readonly at: string;
  readonly actor: Actor;
  readonly type: EventType;
  readonly data: unknown;
  readonly hash: string;
  /** The machine state after this event. */
  readonly state: StateSummary;
}

export interface ReplayReport {
  readonly jobId: string;
  /** True when every event is good and the history ends where the head says. */
  readonly ok: boolean;
  /** What the job's head says the history ends with (null: no head found). */
  readonly anchor: ChainAnchor | null;
  /** The good events, in order; the bad one (if any) and those after it are not listed. */
  readonly events: ReadonlyArray<ReplayedEvent>;
  /** Events stored for the job, good or bad. */
  readonly storedEvents: number;
  /** The state after the last good event (null when not even the first one is good). */
  readonly final: StateSummary | null;
  readonly failure: Finding | null;
}

/** Build the report from an audited history (pure). */
export const replayReportOf = (
  history: AuditedHistory,
  anchor: ChainAnchor | null,
  storedEvents: number,
): ReplayReport => {
  const events = history.envelopes.map((envelope, i) => ({
    seq: envelope.seq,
    at: envelope.at,
    actor: envelope.actor,
    type: envelope.type,
    data: envelope.data,
    hash: envelope.hash,
    // states[i] exists for every good envelope (audited-history folds them together).
    state: summarize(history.states[i] as JobState),
  }));
  const lastState = history.states[history.states.length - 1];
  return {
    jobId: history.jobId,
    ok: history.failure === null,
    anchor,
    events,
    storedEvents,
    final: lastState === undefined ? null : summarize(lastState),
    failure: history.failure,
  };
};

/** Replay one stored job. Null when the store knows nothing of it (no head, no events). */
export const replayJob = async (source: AuditSource, jobId: string): Promise<ReplayReport | null> => {
  const [entries, head] = await Promise.all([source.readJobHistory(jobId), source.readHead(jobId)]);
  if (entries.length === 0 && head === null) return null;
  const anchor = anchorOf(head);
  return replayReportOf(auditEntries(jobId, entries, anchor ?? undefined), anchor, entries.length);
};
