/**
 * One Prometheus registry per process (prom-client, ADR 0031): the default process metrics, and
 * what this process itself did to jobs, counted from the appends it committed (recording-store.ts)
 * and the attempts it started. The API process counts submits, cancels and manual retries; a
 * worker process counts attempts, completions, failures, dead letters and reclaims, and observes
 * queue wait, run time and end-to-end time. Nothing here reads another process's work: summing
 * the series over processes gives the deployment's totals without double counting.
 *
 * Label values are queue and job type names: the write side bounds their length (limits.ts), not
 * their number, so the labels are bounded here (`LabelBound`): past a number of distinct
 * (queue, type) pairs, new pairs are counted under `_other` (a value no name can take).
 *
 * The composition root (src/main.ts) creates one per process and owns it.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Envelope } from "../../domain/index.ts";
import type { AppendRequest } from "../../engine/write/ports.ts";

/** Distinct (queue, type) pairs given their own label values; later ones are `_other`. */
export const MAX_LABELLED_PAIRS = 500;
/** Names start with a letter or digit (NAME_PATTERN), so no queue or type is called this. */
export const OTHER_LABEL = "_other";
/** Attempt starts remembered until their outcome, to time the run (oldest forgotten first). */
const MAX_RUNNING_REMEMBERED = 100_000;

/** Seconds: from a millisecond to about an hour (jobs are not request handlers). */
const DURATION_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 60, 300, 900, 3600];

type JobLabels = "queue" | "type";

interface PairLabels {
  readonly queue: string;
  readonly type: string;
}

/** The label objects of one (queue, type) pair, made once: counting is on every append's path. */
interface Pair {
  readonly job: PairLabels;
  readonly completed: PairLabels & { readonly outcome: string };
  readonly failed: PairLabels & { readonly outcome: string };
  readonly notRetryable: PairLabels & { readonly reason: string };
  readonly exhausted: PairLabels & { readonly reason: string };
}

const pairOf = (job: PairLabels): Pair => ({
  job,
  completed: { ...job, outcome: "completed" },
  failed: { ...job, outcome: "failed" },
  notRetryable: { ...job, reason: "not_retryable" },
  exhausted: { ...job, reason: "attempts_exhausted" },
});

export class LabelBound {
  private readonly pairs = new Map<string, Pair>();
  private readonly other = pairOf({ queue: OTHER_LABEL, type: OTHER_LABEL });
  constructor(private readonly max = MAX_LABELLED_PAIRS) {}

  pair(queue: string, type: string): Pair {
    const key = `${queue}\u0000${type}`;
    const known = this.pairs.get(key);
    if (known !== undefined) return known;
    if (this.pairs.size >= this.max) return this.other;
    const made = pairOf({ queue, type });
    this.pairs.set(key, made);
    return made;
  }

  labels(queue: string, type: string): PairLabels {
    return this.pair(queue, type).job;
  }
}

/** A UUIDv7 job id's creation time in ms (ADR 0007), or undefined for any other id. */
const createdAtMs = (jobId: string): number | undefined => {
  if (jobId.length !== 36 || jobId[14] !== "7") return undefined;
  const ms = Number.parseInt(jobId.slice(0, 8) + jobId.slice(9, 13), 16);
  return Number.isFinite(ms) ? ms : undefined;
};

export class ProcessMetrics {
  readonly registry = new Registry();
  private readonly bound: LabelBound;
  private readonly started = new Map<string, number>();
  private readonly submitted: Counter<JobLabels>;
  private readonly attempts: Counter<JobLabels>;
  private readonly completed: Counter<JobLabels>;
  private readonly failed: Counter<JobLabels>;
  private readonly deadLettered: Counter<JobLabels | "reason">;
  private readonly cancelled: Counter<JobLabels>;
  private readonly retried: Counter<JobLabels>;
  private readonly reclaims: Counter<JobLabels>;
  private readonly queueWait: Histogram<JobLabels>;
  private readonly runDuration: Histogram<JobLabels | "outcome">;
  private readonly endToEnd: Histogram<JobLabels>;

  constructor(options: { readonly defaultMetrics?: boolean; readonly maxLabelledPairs?: number } = {}) {
    this.bound = new LabelBound(options.maxLabelledPairs);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: ReadonlyArray<L>) =>
      new Counter<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: ReadonlyArray<L>) =>
      new Histogram<L>({ name, help, labelNames, buckets: DURATION_BUCKETS, registers });
    const job = ["queue", "type"] as const;
    this.submitted = counter("docket_jobs_submitted_total", "Jobs this API process accepted.", job);
    this.cancelled = counter("docket_jobs_cancelled_total", "Jobs this API process cancelled.", job);
    this.retried = counter(
      "docket_jobs_retried_total",
      "Dead-lettered jobs this API process retried by hand.",
      job,
    );
    this.attempts = counter("docket_attempts_started_total", "Attempts this worker process started.", job);
    this.completed = counter("docket_jobs_completed_total", "Jobs this worker process completed.", job);
    this.failed = counter(
      "docket_attempts_failed_total",
      "Attempts this worker process recorded as failed (reclaims included).",
      job,
    );
    this.deadLettered = counter(
      "docket_jobs_dead_lettered_total",
      "Jobs this worker process dead-lettered.",
      [...job, "reason"],
    );
    this.reclaims = counter(
      "docket_reclaims_total",
      "Attempts of dead or stalled workers this worker process reclaimed (failed with lease_expired).",
      job,
    );
    this.queueWait = histogram(
      "docket_queue_wait_seconds",
      "From a job's work entry (queued) to the start of its attempt, in this worker process.",
      job,
    );
    this.runDuration = histogram(
      "docket_run_duration_seconds",
      "From an attempt's start to its recorded outcome, for attempts this worker process ran.",
      [...job, "outcome"],
    );
    this.endToEnd = histogram(
      "docket_end_to_end_seconds",
      "From a job's submit to its completion, for jobs this worker process completed.",
      job,
    );
  }

  /** Count what one committed append wrote (each event once, as the store accepted it). */
  committed(request: AppendRequest): void {
    const { jobType, queue } = request.next.context;
    const pair = this.bound.pair(queue, jobType);
    for (const envelope of request.envelopes) this.count(envelope, pair);
  }

  /** A worker started an attempt of a job queued at `queuedAtMs` (its work entry's time). */
  attemptLaunched(queue: string, jobType: string, waitMs: number): void {
    this.queueWait.observe(this.bound.labels(queue, jobType), Math.max(0, waitMs) / 1000);
  }

  /**
   * A gauge read when scraped (workers in flight, projection lag, ...). Null, or a failed read
   * (Redis away), leaves it without a sample rather than failing the whole scrape.
   */
  gauge(name: string, help: string, read: () => number | null | Promise<number | null>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.reset();
        const value = await Promise.resolve()
          .then(read)
          .catch(() => null);
        if (value !== null) this.set(value);
      },
    });
  }

  /** The registry in Prometheus text exposition format 0.0.4. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private count(envelope: Envelope, pair: Pair): void {
    const labels = pair.job;
    switch (envelope.type) {
      case "JobSubmitted":
        return this.submitted.inc(labels);
      case "JobCancelled":
        this.started.delete(envelope.jobId);
        return this.cancelled.inc(labels);
      case "JobRetried":
        return this.retried.inc(labels);
      case "AttemptStarted":
        this.attempts.inc(labels);
        if (this.started.size >= MAX_RUNNING_REMEMBERED)
          this.started.delete(this.started.keys().next().value as string);
        this.started.set(envelope.jobId, Date.parse(envelope.at));
        return;
      case "JobCompleted": {
        const atMs = Date.parse(envelope.at);
        this.completed.inc(labels);
        this.observeRun(envelope.jobId, atMs, pair.completed);
        const created = createdAtMs(envelope.jobId);
        if (created !== undefined) this.endToEnd.observe(labels, Math.max(0, atMs - created) / 1000);
        return;
      }
      case "AttemptFailed":
        this.failed.inc(labels);
        if (envelope.data.error.code === "lease_expired") this.reclaims.inc(labels);
        this.observeRun(envelope.jobId, Date.parse(envelope.at), pair.failed);
        return;
      case "JobSuspended":
        // The attempt ended suspended (ADR 0043): not a run to time.
        this.started.delete(envelope.jobId);
        return;
      case "JobDeadLettered":
        return this.deadLettered.inc(
          envelope.data.reason === "not_retryable" ? pair.notRetryable : pair.exhausted,
        );
      default:
        return;
    }
  }

  /** Only attempts whose start this process committed are timed (a reclaimed one is not). */
  private observeRun(jobId: string, atMs: number, labels: Pair["completed"]): void {
    const startedMs = this.started.get(jobId);
    if (startedMs === undefined) return;
    this.started.delete(jobId);
    this.runDuration.observe(labels, Math.max(0, atMs - startedMs) / 1000);
  }
}
