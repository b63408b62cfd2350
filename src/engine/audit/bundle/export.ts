/**
 * Export an audit bundle from the store (`docket audit export`), streaming: it yields one line
 * at a time (each ending in "\n"), so a large export never holds the log in memory. It holds one
 * small record per exported job (the header needs every job's count and last hash up front).
 *
 * Consistency: the header is taken from the heads first; each job's events are then read and
 * cut at the header's count. Job histories are append-only, so the bundle is a consistent
 * snapshot of every job even while the system runs (later events are simply not in it).
 *
 * Filters: `jobId` exports one job; `since` exports the jobs with an event at or after that
 * time (judged by their last event), each with its whole history, so every chain in a bundle
 * starts at genesis and verifies on its own.
 */
import {
  canonicalJson,
  describeMachine,
  EVENT_SCHEMA_VERSION,
  MACHINE_VERSION,
} from "../../../domain/index.ts";
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, type BundleHeader, type BundleJob } from "./format.ts";
import type { AuditSource, RawJobEntry } from "../ports.ts";

export interface ExportOptions {
  /** Export only this job. */
  readonly jobId?: string;
  /** Export only jobs with activity at or after this time (epoch ms). */
  readonly sinceMs?: number;
  /** The export's time, recorded in the header (passed in: no clock here). */
  readonly generatedAtMs: number;
}

const parsedEnv = (entry: RawJobEntry | null): { seq?: unknown; hash?: unknown; at?: unknown } | null => {
  try {
    return entry?.env === null || entry === null ? null : (JSON.parse(entry.env) as { seq?: unknown });
  } catch {
    return null;
  }
};

/** Where a job's history ends: its head, or (with no head) its history's last entry. */
const jobEnd = async (source: AuditSource, jobId: string): Promise<BundleJob | null> => {
  const head = await source.readHead(jobId);
  if (head !== null && head.version !== null && head.lastHash !== null)
    return { jobId, events: Number(head.version), lastHash: head.lastHash };
  const last = parsedEnv(await source.lastJobEntry(jobId));
  return typeof last?.seq === "number" && typeof last.hash === "string"
    ? { jobId, events: last.seq, lastHash: last.hash }
    : null;
};

const touchedSince = async (source: AuditSource, jobId: string, sinceMs: number): Promise<boolean> => {
  const last = parsedEnv(await source.lastJobEntry(jobId));
  return typeof last?.at === "string" && Date.parse(last.at) >= sinceMs;
};

/**
 * Every job of a shard: those with keys in Redis, and those with entries in its log across tiers.
 * A job that has left Redis (ADR 0034) has no key to find it by, only its archived entries; a
 * whole export without them verified OK while silently missing every evicted job.
 */
const jobsOfShard = async (source: AuditSource, shard: number): Promise<ReadonlyArray<string>> => {
  const ids = new Set(await source.jobIds(shard));
  for (let after = "0-0"; ;) {
    const page = await source.readShardLog(shard, after, 1_000);
    const last = page[page.length - 1];
    if (last === undefined) break;
    for (const entry of page) if (entry.jobId !== null) ids.add(entry.jobId);
    after = last.entryId;
  }
  return [...ids];
};

/** The header's job list, in job id order. */
const selectJobs = async (source: AuditSource, options: ExportOptions): Promise<Array<BundleJob>> => {
  const ids =
    options.jobId !== undefined
      ? [options.jobId]
      : (await Promise.all(Array.from({ length: source.shards }, (_, s) => jobsOfShard(source, s))))
          .flat()
          .sort();
  const jobs: Array<BundleJob> = [];
  for (const jobId of ids) {
    if (options.sinceMs !== undefined && !(await touchedSince(source, jobId, options.sinceMs))) continue;
    const end = await jobEnd(source, jobId);
    if (end !== null) jobs.push(end);
  }
  return jobs;
};

/** A stored envelope as one canonical line; text that is not JSON is kept, as a JSON string. */
const lineOf = (env: string | null): string => {
  try {
    return canonicalJson(JSON.parse(env ?? "null"));
  } catch {
    return JSON.stringify(env);
  }
};

export async function* exportBundle(source: AuditSource, options: ExportOptions): AsyncGenerator<string> {
  const jobs = await selectJobs(source, options);
  const header: BundleHeader = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    generatedAt: new Date(options.generatedAtMs).toISOString(),
    machine: describeMachine() as unknown as BundleHeader["machine"],
    machineVersion: MACHINE_VERSION,
    eventSchemaVersion: EVENT_SCHEMA_VERSION,
    filters: {
      jobId: options.jobId ?? null,
      since: options.sinceMs === undefined ? null : new Date(options.sinceMs).toISOString(),
    },
    counts: { jobs: jobs.length, events: jobs.reduce((n, j) => n + j.events, 0) },
    jobs,
  };
  yield `${canonicalJson(header)}\n`;
  for (const job of jobs) {
    const entries = await source.readJobHistory(job.jobId);
    for (const entry of entries.slice(0, job.events)) yield `${lineOf(entry.env)}\n`;
  }
}

/**
 * How many jobs a bundle header line (the export's first line) lists; 0 when it lists none or is
 * not a header. Callers exporting one job read it to tell "no such job" from an empty bundle.
 */
export const headerJobCount = (headerLine: string | undefined): number => {
  try {
    const jobs = (JSON.parse(headerLine ?? "null") as { counts?: { jobs?: unknown } } | null)?.counts?.jobs;
    return typeof jobs === "number" ? jobs : 0;
  } catch {
    return 0;
  }
};
