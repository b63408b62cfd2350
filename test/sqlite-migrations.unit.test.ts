/**
 * The projection file's migrations on a real SQLite file: a column added for the job view is
 * filled in for the jobs already there, so a migrated file equals a rebuild without one.
 */
import { describe, expect, it } from "vitest";
import { SqliteDatabase } from "../src/infra/sqlite/database.ts";
import { migrate, SCHEMA_VERSION } from "../src/infra/sqlite/schema.ts";
import { tempDbPath } from "./support/projection.ts";

const AT = "2026-12-01T00:00:00.000Z";

/** A job row and its JobSubmitted as a file of the schema before retain_ms holds them. */
const oldJob = (db: SqliteDatabase, id: string, spec: Record<string, unknown>): void => {
  db.run(
    "INSERT INTO jobs (id, status, type, queue, priority, attempts, max_attempts, created_at, version, last_hash, updated_at) " +
      "VALUES (?, 'completed', 'echo', 'default', 'normal', 1, 3, ?, 3, ?, ?)",
    [id, AT, "a".repeat(64), AT],
  );
  db.run(
    "INSERT INTO job_events (job_id, seq, type, at, actor, data, schema_version, machine_version, prev_hash, hash, shard, entry_id) " +
      "VALUES (?, 1, 'JobSubmitted', ?, '{}', ?, 1, 5, ?, ?, 0, '1-0')",
    [id, AT, JSON.stringify({ spec }), "0".repeat(64), "b".repeat(64)],
  );
};

describe("projection migrations", () => {
  it("retain_ms is filled in from each job's JobSubmitted: its own retainMs, or null", () => {
    const db = SqliteDatabase.open(tempDbPath());
    try {
      migrate(db, SCHEMA_VERSION - 1);
      oldJob(db, "job-own", { jobType: "echo", retainMs: 90_000 });
      oldJob(db, "job-zero", { jobType: "echo", retainMs: 0 });
      oldJob(db, "job-deployment", { jobType: "echo" });
      migrate(db);
      expect(db.all("SELECT id, retain_ms FROM jobs ORDER BY id")).toEqual([
        { id: "job-deployment", retain_ms: null },
        { id: "job-own", retain_ms: 90_000 },
        { id: "job-zero", retain_ms: 0 },
      ]);
      expect(db.get<{ user_version: number }>("PRAGMA user_version")?.user_version).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });
});
