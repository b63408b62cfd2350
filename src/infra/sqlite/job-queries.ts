/**
 * The job queries of the read models: one job, a filtered newest-first page, a job's events.
 * Cursors are the last id of a page (base64url), so paging is a keyset seek on the id index.
 */
import { type Envelope, META_KEY_PATTERN } from "../../domain/index.ts";
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

/** A LIKE pattern that finds `text` literally: its `%`, `_` and `\` escaped with `\`. */
export const likePattern = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

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
  for (const [condition, value] of [
    ["created_at >= ?", filter.createdFrom],
    ["created_at < ?", filter.createdTo],
    ["ended_at >= ?", filter.endedFrom],
    ["ended_at < ?", filter.endedTo],
    // The same expression as the jobs_by_error_code index, so the index serves it.
    ["json_extract(error, '$.code') = ? AND error IS NOT NULL", filter.errorCode],
    ["json_extract(error, '$.message') LIKE ? ESCAPE '\\'", likePattern(filter.errorText)],
  ] as const)
    if (value !== undefined) {
      where.push(condition);
      values.push(value);
    }
  if (filter.metaKey !== undefined) {
    // The key is a plain name (META_KEY_PATTERN, checked again here): quoted, it is a JSON path
    // with nothing to escape. A path that is not one would make SQLite throw, not match.
    if (!META_KEY_PATTERN.test(filter.metaKey))
      throw new Error(`metaKey ${filter.metaKey} is not a plain name`);
    const path = `$."${filter.metaKey}"`;
    if (filter.metaValue === undefined) {
      where.push("json_type(meta, ?) IS NOT NULL");
      values.push(path);
    } else {
      // A string member equal to the value, or any member whose JSON text is the value.
      where.push("(json_type(meta, ?) = 'text' AND json_extract(meta, ?) = ? OR meta -> ? = ?)");
      values.push(path, path, filter.metaValue, path, filter.metaValue);
    }
  }
  if (filter.cursor !== undefined) {
    where.push("id < ?");
    values.push(decodeCursor(filter.cursor));
  }
  // One statement text per combination of filters, so the statement cache stays small.
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
