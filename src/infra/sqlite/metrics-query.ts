/**
 * Metrics from the read models: counts by status, type and queue (SQL over `jobs`), durations
 * of successful attempts by type (average and nearest-rank p95), throughput per minute.
 */
import { JOB_STATES, type JobStatus } from "../../domain/index.ts";
import type { ProjectedMetrics } from "../../engine/read/ports.ts";
import type { SqliteDatabase } from "./database.ts";

const MINUTE_MS = 60_000;

const byStatus = (db: SqliteDatabase): Record<JobStatus, number> => {
  const counts = Object.fromEntries(JOB_STATES.map((status) => [status, 0])) as Record<JobStatus, number>;
  for (const row of db.all<{ status: JobStatus; count: number }>(
    "SELECT status, count(*) AS count FROM jobs GROUP BY status",
  ))
    counts[row.status] = row.count;
  return counts;
};

const durations = (db: SqliteDatabase): ProjectedMetrics["durations"] =>
  db
    .all<{ type: string; count: number; avg: number }>(
      "SELECT type, count(*) AS count, avg(duration_ms) AS avg FROM attempt_durations GROUP BY type ORDER BY type",
    )
    .map(({ type, count, avg }) => {
      const rank = Math.max(0, Math.ceil(0.95 * count) - 1);
      const p95 = db.get<{ duration_ms: number }>(
        "SELECT duration_ms FROM attempt_durations WHERE type = ? ORDER BY duration_ms LIMIT 1 OFFSET ?",
        [type, rank],
      );
      return { type, count, avgMs: avg, p95Ms: p95?.duration_ms ?? 0 };
    });

const throughput = (db: SqliteDatabase, nowMs: number, minutes: number): ProjectedMetrics["throughput"] => {
  const span = Math.max(1, Math.trunc(minutes));
  const last = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  const first = last - (span - 1) * MINUTE_MS;
  const rows = new Map(
    db
      .all<{
        minute: string;
        completed: number;
        failed_attempts: number;
        dead_lettered: number;
        cancelled: number;
      }>(
        "SELECT minute, completed, failed_attempts, dead_lettered, cancelled FROM throughput WHERE minute >= ? AND minute <= ?",
        [new Date(first).toISOString(), new Date(last).toISOString()],
      )
      .map((row) => [row.minute, row]),
  );
  return Array.from({ length: span }, (_, i) => {
    const minute = new Date(first + i * MINUTE_MS).toISOString();
    const row = rows.get(minute);
    return {
      minute,
      completed: row?.completed ?? 0,
      failedAttempts: row?.failed_attempts ?? 0,
      deadLettered: row?.dead_lettered ?? 0,
      cancelled: row?.cancelled ?? 0,
    };
  });
};

export const projectedMetrics = (
  db: SqliteDatabase,
  options: { readonly nowMs: number; readonly minutes: number },
): ProjectedMetrics => ({
  byStatus: byStatus(db),
  byType: db.all<{ type: string; status: JobStatus; count: number }>(
    "SELECT type, status, count(*) AS count FROM jobs GROUP BY type, status ORDER BY type, status",
  ),
  byQueue: db.all<{ queue: string; status: JobStatus; count: number }>(
    "SELECT queue, status, count(*) AS count FROM jobs GROUP BY queue, status ORDER BY queue, status",
  ),
  durations: durations(db),
  throughput: throughput(db, options.nowMs, options.minutes),
});
