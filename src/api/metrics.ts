/**
 * Operational figures: the projection's metrics plus live queue depth from Redis, the
 * projector's health (halts, undecodable entries, quarantined skips), as JSON and as Prometheus
 * text exposition (format 0.0.4).
 */
import { JOB_STATES } from "../domain/index.ts";
import type { ProjectedMetrics } from "../engine/read/index.ts";
import type { ApiDeps } from "./deps.ts";
import type { EventStreamFigures } from "./routes/event-stream.ts";

export interface QueueDepth {
  readonly queue: string;
  readonly waiting: number;
  readonly pending: number;
}

/** The live projector: counters since this process started (kept across rebuilds). */
export interface ProjectorFigures {
  readonly state: string;
  readonly halted: boolean;
  /** Times it halted (each new halt once). */
  readonly halts: number;
  /** Undecodable shard-log entries met, each counted once. */
  readonly invalidEntries: number;
  /** Entries skipped because an operator quarantined them (ADR 0019). */
  readonly quarantinedSkipped: number;
  readonly appliedEvents: number;
}

/**
 * One shard (one hash tag; on a Redis Cluster, one master's share): its entries waiting and
 * pending over every known queue, and how far the projector is behind on its log (null when
 * Redis did not answer). Tells an uneven cluster or one slow master apart (ADR 0047).
 */
export interface ShardFigures {
  readonly shard: number;
  readonly waiting: number;
  readonly pending: number;
  readonly projectorBehindMs: number | null;
}

export interface MetricsReport extends ProjectedMetrics {
  readonly queues: ReadonlyArray<QueueDepth>;
  readonly shards: ReadonlyArray<ShardFigures>;
  readonly projector: ProjectorFigures;
  /** Server-Sent Event streams: open now, dropped (slow clients), refused (too many). */
  readonly eventStreams: EventStreamFigures;
  readonly generatedAt: string;
}

const THROUGHPUT_MINUTES = 60;

/** The queues whose depth is reported: "default" and every queue the projection knows. */
export const knownQueues = (deps: Pick<ApiDeps, "reads">): ReadonlyArray<string> =>
  [...new Set(["default", ...deps.reads.queueNames()])].sort();

export const collectMetrics = async (
  deps: ApiDeps,
  eventStreams: EventStreamFigures,
): Promise<MetricsReport> => {
  const nowMs = deps.clock.now();
  const projected = deps.reads.metrics({ nowMs, minutes: THROUGHPUT_MINUTES });
  // One read of every queue on every shard, summed both ways.
  const [cells, lag] = await Promise.all([deps.queues.depthCells(knownQueues(deps)), deps.projection.lag()]);
  const behind = new Map(lag.shards.map((s) => [s.shard, s.behindMs]));
  const queues = new Map<string, QueueDepth>();
  const byShard = new Map<number, ShardFigures>();
  for (const { queue, shard, waiting, pending } of cells) {
    const q = queues.get(queue) ?? { queue, waiting: 0, pending: 0 };
    queues.set(queue, { queue, waiting: q.waiting + waiting, pending: q.pending + pending });
    const s = byShard.get(shard) ?? {
      shard,
      waiting: 0,
      pending: 0,
      projectorBehindMs: behind.get(shard) ?? null,
    };
    byShard.set(shard, { ...s, waiting: s.waiting + waiting, pending: s.pending + pending });
  }
  const shards = [...byShard.values()].sort((a, b) => a.shard - b.shard);
  const status = deps.projection.status();
  const projector: ProjectorFigures = {
    state: status.state,
    halted: status.state === "halted",
    halts: status.halts,
    invalidEntries: status.invalidEntries,
    quarantinedSkipped: status.quarantinedSkipped,
    appliedEvents: status.appliedEvents,
  };
  return {
    ...projected,
    queues: [...queues.values()],
    shards,
    projector,
    eventStreams,
    generatedAt: new Date(nowMs).toISOString(),
  };
};

/** Label values are escaped per the exposition format: backslash, double quote, newline. */
const label = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export const toPrometheus = (report: MetricsReport): string => {
  const lines: Array<string> = [];
  const metric = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: Array<[string, number]>,
  ) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric(
    "docket_jobs",
    "gauge",
    "Jobs by current status (from the projection).",
    JOB_STATES.map((status) => [`{status="${status}"}`, report.byStatus[status] ?? 0]),
  );
  metric(
    "docket_jobs_by_queue",
    "gauge",
    "Jobs by queue and current status (from the projection).",
    report.byQueue.map((row) => [`{queue="${label(row.queue)}",status="${row.status}"}`, row.count]),
  );
  metric(
    "docket_jobs_by_type",
    "gauge",
    "Jobs by type and current status (from the projection).",
    report.byType.map((row) => [`{type="${label(row.type)}",status="${row.status}"}`, row.count]),
  );
  metric(
    "docket_queue_waiting",
    "gauge",
    "Work entries not yet delivered to a worker (live, from Redis).",
    report.queues.map((q) => [`{queue="${label(q.queue)}"}`, q.waiting]),
  );
  metric(
    "docket_queue_pending",
    "gauge",
    "Work entries delivered but not yet acknowledged (live, from Redis).",
    report.queues.map((q) => [`{queue="${label(q.queue)}"}`, q.pending]),
  );
  metric(
    "docket_shard_waiting",
    "gauge",
    "Work entries not yet delivered, per shard over every queue (live, from Redis).",
    report.shards.map((s) => [`{shard="${s.shard}"}`, s.waiting]),
  );
  metric(
    "docket_shard_pending",
    "gauge",
    "Work entries delivered but not yet acknowledged, per shard over every queue (live, from Redis).",
    report.shards.map((s) => [`{shard="${s.shard}"}`, s.pending]),
  );
  metric(
    "docket_shard_projector_behind_ms",
    "gauge",
    "Age of the oldest entry of the shard's log the projection has not applied (0 when caught up).",
    report.shards.flatMap((s) =>
      s.projectorBehindMs === null ? [] : [[`{shard="${s.shard}"}`, s.projectorBehindMs] as [string, number]],
    ),
  );
  metric(
    "docket_job_duration_avg_ms",
    "gauge",
    "Average duration of successful attempts, by job type.",
    report.durations.map((d) => [`{type="${label(d.type)}"}`, d.avgMs]),
  );
  metric(
    "docket_job_duration_p95_ms",
    "gauge",
    "95th percentile duration of successful attempts, by job type.",
    report.durations.map((d) => [`{type="${label(d.type)}"}`, d.p95Ms]),
  );
  const last = report.throughput.at(-1);
  metric("docket_completed_last_minute", "gauge", "Jobs completed in the latest minute.", [
    ["", last?.completed ?? 0],
  ]);
  const { projector } = report;
  metric("docket_projector_halted", "gauge", "1 while the projector is halted on a log entry.", [
    ["", projector.halted ? 1 : 0],
  ]);
  metric("docket_projector_halts_total", "counter", "Times the projector halted since start.", [
    ["", projector.halts],
  ]);
  metric(
    "docket_projector_invalid_entries_total",
    "counter",
    "Undecodable shard-log entries the projector met since start (each once).",
    [["", projector.invalidEntries]],
  );
  metric("docket_sse_clients", "gauge", "Server-Sent Event streams open now.", [
    ["", report.eventStreams.clients],
  ]);
  metric(
    "docket_sse_dropped_total",
    "counter",
    "Event streams closed because their client read too slowly (buffer over the limit).",
    [["", report.eventStreams.dropped]],
  );
  metric("docket_sse_refused_total", "counter", "Event streams refused because the most allowed were open.", [
    ["", report.eventStreams.refused],
  ]);
  metric(
    "docket_projector_quarantined_skipped_total",
    "counter",
    "Log entries the projector skipped because they are quarantined.",
    [["", projector.quarantinedSkipped]],
  );
  return `${lines.join("\n")}\n`;
};
