/**
 * The job queries of the read models: one job, a filtered newest-first page, a job's events.
 * Cursors are the last id of a page (base64url), so paging is a keyset seek on the id index.
 */
import type { Envelope } from "../../domain/index.ts";
import { InvalidCursor, type JobFilter, type JobPage, type JobView } from "../../engine/read/index.ts";
import type { SqliteDatabase } from "./database.ts";
import { EVENT_COLUMNS, type EventRow, envelopeOfRow, JOB_COLUMNS, type JobRow, viewOfRow } from "./rows.ts";

const MAX_LIMIT = 500;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export const encodeCursor = (id: string): string => Buffer.from(id, "utf8").toString("base64url");

export const decodeCursor = (cursor: string): string => {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!ID_PATTERN.test(id) || encodeCursor(id) !== cursor) throw new InvalidCursor({ cursor });
  return id;
};

export const jobById = (db: SqliteDatabase, id: string): JobView | null => {
  const row = db.get<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`, [id]);
  return row === null ? null : viewOfRow(row);
};

export const jobsByIds = (db: SqliteDatabase, ids: ReadonlyArray<string>): Map<string, JobView> => {
  const views = new Map<string, JobView>();
  if (ids.length === 0) return views;
  const rows = db.all<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs WHERE id IN (SELECT value FROM json_each(?))`,
    [JSON.stringify(ids)],
  );
  for (const row of rows) views.set(row.id, viewOfRow(row));
  return views;
};

export const listJobs = (db: SqliteDatabase, filter: JobFilter): JobPage => {
  const limit = Math.max(1, Math.min(MAX_LIMIT, Math.trunc(filter.limit)));
  const where: Array<string> = [];
  const values: Array<string | number> = [];
  for (const [column, value] of [
    ["status", filter.status],
    ["type", filter.type],
    ["queue", filter.queue],
  ] as const)
    if (value !== undefined) {
      where.push(`${column} = ?`);
      values.push(value);
    }
  if (filter.cursor !== undefined) {
    where.push("id < ?");
    values.push(decodeCursor(filter.cursor));
  }
  // One statement text per combination of filters (at most 16), so the statement cache stays small.
  const sql =
    `SELECT ${JOB_COLUMNS} FROM jobs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ` +
    "ORDER BY id DESC LIMIT ?";
  const rows = db.all<JobRow>(sql, [...values, limit + 1]);
  const jobs = rows.slice(0, limit).map(viewOfRow);
  const last = jobs[jobs.length - 1];
  return rows.length > limit && last !== undefined ? { jobs, nextCursor: encodeCursor(last.id) } : { jobs };
};

/**
 * The distinct queue names, by a skip scan of the `jobs_by_queue` index: one seek per queue, so
 * its cost follows the number of queues, not of jobs (a plain DISTINCT walks every row).
 */
const QUEUE_NAMES = `
  WITH RECURSIVE names(queue) AS (
    SELECT (SELECT min(queue) FROM jobs)
    UNION ALL
    SELECT (SELECT min(queue) FROM jobs WHERE queue > names.queue) FROM names WHERE names.queue IS NOT NULL
  )
  SELECT queue FROM names WHERE queue IS NOT NULL`;

export const queueNames = (db: SqliteDatabase): ReadonlyArray<string> =>
  db.all<{ queue: string }>(QUEUE_NAMES).map((row) => row.queue);

export const jobEvents = (db: SqliteDatabase, id: string): ReadonlyArray<Envelope> =>
  db
    .all<EventRow>(`SELECT ${EVENT_COLUMNS} FROM job_events WHERE job_id = ? ORDER BY seq`, [id])
    .map(envelopeOfRow);
