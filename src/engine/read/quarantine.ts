/**
 * Quarantine of undecodable shard-log entries (ADR 0019): the operator's action that records the
 * decision, and the view of the records a projector consults.
 *
 * A quarantine names one entry (shard, entry id) and the digest of its content. It is honoured —
 * the entry skipped — only while the entry still has that content, so a record can never be used
 * to hide something written there later. Only an entry that fails decoding can be quarantined:
 * skipping a valid event would hide a real job event from every projection.
 *
 * Once an entry of a job is skipped, that job's later events cannot continue its projected
 * chain; they are skipped too (only those that do not continue it), so the job stays as it was
 * projected before the quarantined entry. The rule depends only on the log and the records,
 * so the live projection and a rebuild skip the same entries (DESIGN §7 invariant 8).
 */
import type { Actor } from "../../domain/index.ts";
import type { Clock } from "../shared/index.ts";
import { compareEntryIds, isEvent } from "./log-entries.ts";
import type { EventLog, InvalidLogEntry, QuarantineList, QuarantineRecord } from "./ports.ts";
import { AlreadyQuarantined, LogEntryNotFound, LogEntryValid } from "./projection-errors.ts";

const keyOf = (shard: number, entryId: string): string => `${shard}/${entryId}`;

/** The quarantine records as last read, indexed for the projector's questions. */
export class QuarantineView {
  private byEntry = new Map<string, QuarantineRecord>();
  /** Per shard and job, the earliest quarantined entry id. */
  private firstByJob = new Map<string, string>();
  private loaded = false;

  constructor(private readonly list: QuarantineList | undefined) {}

  /** Read the records again (once on start, and whenever an unknown invalid entry is met). */
  async refresh(): Promise<void> {
    const records = this.list === undefined ? [] : await this.list.all();
    this.byEntry = new Map(records.map((record) => [keyOf(record.shard, record.entryId), record]));
    this.firstByJob = new Map();
    for (const record of records) {
      if (record.jobId === null) continue;
      const key = keyOf(record.shard, record.jobId);
      const first = this.firstByJob.get(key);
      if (first === undefined || compareEntryIds(record.entryId, first) < 0)
        this.firstByJob.set(key, record.entryId);
    }
    this.loaded = true;
  }

  async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.refresh();
  }

  /** The record for this entry, whatever its digest. */
  recordOf(shard: number, entryId: string): QuarantineRecord | undefined {
    return this.byEntry.get(keyOf(shard, entryId));
  }

  /** Is this invalid entry quarantined with exactly its present content? */
  honours(entry: InvalidLogEntry): boolean {
    return this.recordOf(entry.shard, entry.entryId)?.digest === entry.digest;
  }

  /** Has this job a quarantined entry on this shard before `entryId`? */
  jobSkippedBefore(shard: number, jobId: string, entryId: string): boolean {
    const first = this.firstByJob.get(keyOf(shard, jobId));
    return first !== undefined && compareEntryIds(first, entryId) < 0;
  }

  /** Why an invalid entry is not skipped: its own problem, and a stale record if there is one. */
  refusal(entry: InvalidLogEntry): string {
    const record = this.recordOf(entry.shard, entry.entryId);
    return record === undefined
      ? entry.problem
      : `${entry.problem} (it was quarantined by ${record.actor.id} at ${record.at}, but holds other content now)`;
  }
}

export interface QuarantineRequest {
  readonly shard: number;
  readonly entryId: string;
  readonly reason: string;
  readonly actor: Actor;
}

/**
 * Record the operator's decision to skip one entry. Refused for an entry the log does not hold
 * (LogEntryNotFound), one that decodes (LogEntryValid) and one already quarantined
 * (AlreadyQuarantined; atomic across processes, the list's `add` decides).
 */
export const quarantineEntry = async (
  deps: { readonly log: EventLog; readonly list: QuarantineList; readonly clock: Clock },
  request: QuarantineRequest,
): Promise<QuarantineRecord> => {
  const { shard, entryId } = request;
  if (shard >= deps.log.shards) throw new LogEntryNotFound({ shard, entryId, shards: deps.log.shards });
  const entry = await deps.log.entryAt(shard, entryId);
  if (entry === null) throw new LogEntryNotFound({ shard, entryId });
  if (isEvent(entry))
    throw new LogEntryValid({ shard, entryId, jobId: entry.envelope.jobId, seq: entry.envelope.seq });
  const record: QuarantineRecord = {
    shard,
    entryId,
    jobId: entry.jobId,
    digest: entry.digest,
    problem: entry.problem,
    reason: request.reason,
    actor: request.actor,
    at: new Date(deps.clock.now()).toISOString(),
  };
  if (await deps.list.add(record)) return record;
  const existing = (await deps.list.all()).find((r) => r.shard === shard && r.entryId === entryId);
  throw new AlreadyQuarantined({
    shard,
    entryId,
    actor: existing?.actor.id ?? "unknown",
    at: existing?.at ?? "unknown",
  });
};
