/**
 * Plain-text renderings of the worker registry and the live overview (`docket workers`,
 * `docket info`). Pure: the time they are drawn at is given, never read.
 */
import type { Metrics, WorkerInfo } from "../../contract/index.ts";
import { table } from "./table.ts";

/** A duration as a person reads it: 12s, 3m05s, 2h07m, 3d04h. */
export const humanDuration = (ms: number): string => {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${two(Math.floor((s % 86_400) / 3600))}h`;
};

/** Up to three job ids, then how many more. */
const currentJobs = (ids: ReadonlyArray<string>, running: number): string => {
  if (ids.length === 0) return "-";
  const more = Math.max(ids.length, running) - Math.min(ids.length, 3);
  return `${ids.slice(0, 3).join(",")}${more > 0 ? ` +${more}` : ""}`;
};

/**
 * One row per worker. Uptime is as of its last heartbeat (both times by the worker's clock); the
 * heartbeat's age is by `nowMs`, the reader's clock.
 */
export const workersTable = (workers: ReadonlyArray<WorkerInfo>, nowMs: number): string =>
  workers.length === 0
    ? "(no live workers)"
    : table([
        ["ID", "STATUS", "QUEUES", "RUNNING", "DONE", "FAILED", "UPTIME", "HEARTBEAT", "CURRENT JOBS"],
        ...workers.map((w) => [
          w.id,
          w.status,
          w.queues.join(","),
          `${w.inFlight}/${w.concurrency}`,
          String(w.completed),
          String(w.failed),
          humanDuration(Date.parse(w.lastSeenAt) - Date.parse(w.startedAt)),
          `${humanDuration(nowMs - Date.parse(w.lastSeenAt))} ago`,
          currentJobs(w.currentJobs, w.inFlight),
        ]),
      ]);

/** `docket info`: queues (waiting, delivered and unacknowledged), then the workers. */
export const infoBlock = (
  metrics: Pick<Metrics, "queues" | "byStatus">,
  workers: ReadonlyArray<WorkerInfo>,
  nowMs: number,
): string => {
  const busy = workers.filter((w) => w.status === "busy").length;
  const waiting = metrics.queues.reduce((sum, q) => sum + q.waiting, 0);
  const pending = metrics.queues.reduce((sum, q) => sum + q.pending, 0);
  return [
    `${new Date(nowMs).toISOString()}  ${metrics.queues.length} queue(s), ${waiting} waiting, ${pending} pending; ${workers.length} worker(s), ${busy} busy`,
    "",
    metrics.queues.length === 0
      ? "(no queues)"
      : table([
          ["QUEUE", "WAITING", "PENDING"],
          ...metrics.queues.map((q) => [q.queue, String(q.waiting), String(q.pending)]),
        ]),
    "",
    workersTable(workers, nowMs),
  ].join("\n");
};
