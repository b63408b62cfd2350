/**
 * Verify the stored log, whole or for one job (`docket audit verify [--job id]`): every job's
 * history (seq, chain, schema, machine), its head, its shard-log entries both ways, and the
 * invariants 3, 5 and 9 of DESIGN §7; plus a pluggable projection comparison (inv. 8).
 *
 * Cost: each shard log is read once, in pages, keeping a 64-character digest per entry (so
 * O(log entries) memory); each job's own history (its index of log entry ids and the entries it
 * names, ADR 0027) and head are then read once. Verifying one job scans its shard's log from the
 * job's first entry (the first its history names; from the start when it names no entry id):
 * entries can only be appended to a stream, so a forged entry of the job added later is still
 * found; one placed earlier would take rewriting the whole log, which the whole-log verify
 * finds, and a history whose first elements were dropped fails its seq check. Run it on a quiet system
 * for exact results: an append landing between the reads of a stream, its head and the log
 * shows up as a head or shard-log mismatch on that job.
 *
 * Quarantined entries (ADR 0019) are listed in the report with who quarantined them and why.
 * One whose content changed since, or that is gone, is a failure; an honoured one that is not
 * part of its job's own history is left out of the shard-log comparison (it is no event, and the
 * projections skip it). A job's own history is judged as always: quarantine skips a log entry
 * for the read side, it never makes a broken history valid.
 */
import type { JobStatus } from "../../../domain/index.ts";
import { entryDigest, type QuarantineRecord } from "../../read/index.ts";
import type { AuditSource, QuarantineSnapshot, RawJobEntry } from "../ports.ts";
import { shardLogEntries } from "../shard-log.ts";
import { compareEntryIds, type JobEvidence, type LogRef, needsLocation, verifyJob } from "./job.ts";
import type {
  QuarantinedEntry,
  VerifyCheck,
  VerifyFailure,
  VerifyNotice,
  VerifyReport,
  VerifySkipped,
} from "./report.ts";

export interface VerifyOptions {
  /** Verify only this job (its shard log is scanned from the job's first entry). */
  readonly jobId?: string;
  /** The system has drained: every job must be terminal (inv. 3). Default false. */
  readonly drained?: boolean;
  /**
   * Compares the read side with the log; returns the differences (empty = equal). Or, when the
   * caller cannot run the comparison, why: the report then lists the check as skipped. With
   * `jobId` the comparison is skipped (and listed so): it is about the whole log.
   */
  readonly projection?: (() => Promise<ReadonlyArray<string>>) | { readonly skipped: string };
  /** Jobs verified concurrently (round trips in flight). Default 16. */
  readonly concurrency?: number;
}

const PROJECTION_NEEDS_WHOLE_LOG =
  "the projection is compared with the log as a whole: verify without a job to include it";

const CHECKS: ReadonlyArray<VerifyCheck> = [
  "history",
  "head",
  "shard_log",
  "attempts",
  "steps",
  "terminal",
  "not_orphaned",
];

/** The stream entry id just before `id` ("0-0" when there is none or `id` is not an entry id). */
export const entryIdBefore = (id: string | null | undefined): string => {
  const match = /^(\d+)-(\d+)$/.exec(id ?? "");
  if (match === null) return "0-0";
  const ms = BigInt(match[1] as string);
  const seq = BigInt(match[2] as string);
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  return ms > 0n ? `${ms - 1n}-18446744073709551615` : "0-0";
};

/** The quarantine records by shard and entry id, and what the scan found of them. */
class QuarantineFindings {
  private readonly byEntry: Map<string, QuarantineRecord>;
  private readonly seen = new Set<string>();
  readonly listed: Array<QuarantinedEntry> = [];
  readonly failures: Array<VerifyFailure> = [];

  constructor(snapshot: QuarantineSnapshot) {
    this.byEntry = new Map(snapshot.records.map((r) => [`${r.shard}/${r.entryId}`, r]));
    for (const bad of snapshot.malformed)
      this.failures.push({
        check: "shard_log",
        jobId: null,
        seq: null,
        code: "quarantine_record_invalid",
        message: `the quarantine record of shard ${bad.shard} entry ${bad.entryId} cannot be read: ${bad.problem}`,
      });
  }

  /** Is this log entry quarantined, with its content unchanged? A changed one is a failure. */
  honoured(entry: {
    readonly shard: number;
    readonly entryId: string;
    readonly jobId: string | null;
    readonly seq: string | null;
    readonly env: string | null;
  }): boolean {
    const key = `${entry.shard}/${entry.entryId}`;
    const record = this.byEntry.get(key);
    if (record === undefined) return false;
    this.seen.add(key);
    if (record.digest === entryDigest(entry)) {
      const { shard, entryId, jobId, problem, reason, actor, at } = record;
      this.listed.push({ shard, entryId, jobId, problem, reason, actor, at });
      return true;
    }
    this.failures.push({
      check: "shard_log",
      jobId: entry.jobId,
      seq: null,
      code: "quarantine_mismatch",
      message: `shard ${entry.shard} entry ${entry.entryId} was quarantined by ${record.actor.id} at ${record.at} (${record.reason}), but holds other content now`,
    });
    return false;
  }

  /** After a whole shard was read: its records whose entry the log no longer holds. */
  missingIn(shard: number): void {
    for (const [key, record] of this.byEntry)
      if (record.shard === shard && !this.seen.has(key))
        this.failures.push({
          check: "shard_log",
          jobId: record.jobId,
          seq: null,
          code: "quarantined_entry_missing",
          message: `shard ${shard} entry ${record.entryId}, quarantined by ${record.actor.id} at ${record.at}, is no longer in the log`,
        });
  }
}

/** Index a shard log by job id: the entries of each job, in log order, as digests. */
const indexShardLog = async (
  source: AuditSource,
  shard: number,
  onlyJob: string | undefined,
  after: string,
  quarantine: QuarantineFindings,
): Promise<{ byJob: Map<string, Array<LogRef>>; entries: number }> => {
  const byJob = new Map<string, Array<LogRef>>();
  let entries = 0;
  for await (const entry of shardLogEntries(source, shard, 1_000, after)) {
    const jobId = entry.jobId ?? "";
    if (onlyJob !== undefined && jobId !== onlyJob) continue;
    entries++;
    const refs = byJob.get(jobId) ?? [];
    const quarantined = quarantine.honoured(entry);
    refs.push({ entryId: entry.entryId, seq: entry.seq, ...(quarantined ? { quarantined } : {}) });
    byJob.set(jobId, refs);
  }
  if (onlyJob === undefined) quarantine.missingIn(shard);
  return { byJob, entries };
};

/**
 * A job's shard-log entries to compare with its own history: a quarantined entry only when the
 * job's history names it (the writer appended the bad event as the job's); otherwise it is no
 * event of the job, and the report lists it as quarantined instead.
 */
const comparedLog = (refs: ReadonlyArray<LogRef>, own: ReadonlyArray<RawJobEntry>): ReadonlyArray<LogRef> =>
  refs.filter((ref) => ref.quarantined !== true || own.some((entry) => entry.entryId === ref.entryId));

/** Where verifying one job starts reading its shard log: just before the first entry its history names. */
const scanStartOf = (own: ReadonlyArray<RawJobEntry>): string => {
  let first: string | null = null;
  for (const { entryId } of own) {
    const order = first === null ? compareEntryIds(entryId, entryId) : compareEntryIds(entryId, first);
    if (order === null) return "0-0"; // not an entry id: read the whole log
    if (first === null || order < 0) first = entryId;
  }
  return entryIdBefore(first);
};

const gatherEvidence = async (
  source: AuditSource,
  jobId: string,
  shard: number,
  log: ReadonlyArray<LogRef>,
): Promise<Omit<JobEvidence, "location">> => {
  const [entries, head] = await Promise.all([source.readJobHistory(jobId), source.readHead(jobId)]);
  return {
    jobId,
    foundInShard: shard,
    expectedShard: source.shardOf(jobId),
    entries,
    log: comparedLog(log, entries),
    head,
  };
};

const tagOf = (error: unknown): string | null =>
  typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : null;

/**
 * Run the projection comparison. A projection that cannot follow the log (it meets an entry it
 * must not skip) is a difference in itself; one busy with a rebuild or check is skipped, named.
 * Anything else (Redis down) fails the verification as before.
 */
const compareProjection = async (
  compare: () => Promise<ReadonlyArray<string>>,
): Promise<{ readonly differences: ReadonlyArray<string> } | { readonly skipped: string }> => {
  try {
    return { differences: await compare() };
  } catch (error) {
    const tag = tagOf(error);
    if (tag === "ProjectionBusy") return { skipped: (error as Error).message };
    if (tag === "LogEntryInvalid" || tag === "ProjectionDiverged" || tag === "ProjectionLogMismatch")
      return { differences: [`the projection cannot be rebuilt from the log: ${(error as Error).message}`] };
    throw error;
  }
};

export const verifyStore = async (
  source: AuditSource,
  options: VerifyOptions = {},
): Promise<VerifyReport> => {
  const drained = options.drained ?? false;
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const failures: Array<VerifyFailure> = [];
  const notices: Array<VerifyNotice> = [];
  const byStatus: Partial<Record<JobStatus, number>> = {};
  const quarantine = new QuarantineFindings(await source.quarantine());
  let jobs = 0;
  let events = 0;
  let logEntries = 0;
  const shards =
    options.jobId === undefined
      ? Array.from({ length: source.shards }, (_, i) => i)
      : [source.shardOf(options.jobId)];
  for (const shard of shards) {
    // One job: its log entries start at its first one (see the header). Its history is read
    // again with its evidence, after the scan: an append landing in between then adds to both.
    const after =
      options.jobId === undefined ? "0-0" : scanStartOf(await source.readJobHistory(options.jobId));
    const { byJob, entries } = await indexShardLog(source, shard, options.jobId, after, quarantine);
    logEntries += entries;
    const ids =
      options.jobId === undefined
        ? [...new Set([...(await source.jobIds(shard)), ...byJob.keys()])].sort()
        : [options.jobId];
    for (let i = 0; i < ids.length; i += concurrency) {
      const batch = ids.slice(i, i + concurrency);
      const verdicts = await Promise.all(
        batch.map(async (jobId) => {
          const evidence = await gatherEvidence(source, jobId, shard, byJob.get(jobId) ?? []);
          const first = verifyJob({ ...evidence, location: null }, { drained });
          if (!needsLocation(first.status) || first.history.failure !== null)
            return { evidence, verdict: first };
          const location = await source.locate(jobId);
          return { evidence, verdict: verifyJob({ ...evidence, location }, { drained }) };
        }),
      );
      for (const { evidence, verdict } of verdicts) {
        if (evidence.entries.length === 0 && evidence.head === null && evidence.log.length === 0) continue;
        jobs++;
        events += evidence.entries.length;
        if (verdict.status !== null) byStatus[verdict.status] = (byStatus[verdict.status] ?? 0) + 1;
        failures.push(...verdict.failures);
        notices.push(...verdict.notices);
      }
    }
  }
  failures.push(...quarantine.failures);
  const checks = [...CHECKS];
  const skipped: Array<VerifySkipped> = [];
  if (typeof options.projection === "object")
    skipped.push({ check: "projection", reason: options.projection.skipped });
  else if (options.projection !== undefined && options.jobId !== undefined)
    skipped.push({ check: "projection", reason: PROJECTION_NEEDS_WHOLE_LOG });
  else if (options.projection !== undefined) {
    const compared = await compareProjection(options.projection);
    if ("skipped" in compared) skipped.push({ check: "projection", reason: compared.skipped });
    else {
      checks.push("projection");
      for (const difference of compared.differences)
        failures.push({
          check: "projection",
          jobId: null,
          seq: null,
          code: "projection_mismatch",
          message: difference,
        });
    }
  }
  failures.sort((a, b) => (a.jobId ?? "").localeCompare(b.jobId ?? "") || (a.seq ?? 0) - (b.seq ?? 0));
  return {
    ok: failures.length === 0,
    scope: { jobId: options.jobId ?? null, drained },
    checks,
    skipped,
    counts: {
      shards: shards.length,
      jobs,
      events,
      logEntries,
      failures: failures.length,
      jobsFailed: new Set(failures.map((f) => f.jobId)).size,
      quarantined: quarantine.listed.length,
      byStatus,
    },
    failures,
    notices,
    quarantined: quarantine.listed,
  };
};
