/**
 * Projection files on disk (the ProjectionFiles port): the live file and scratch files beside it
 * (same directory, so promoting one is an atomic rename on the same filesystem).
 *
 * Scratch files are written without waiting for the disk (`synchronous=OFF`); one that is to be
 * promoted is synced first (`persist`, off the event loop).
 *
 * A file's WAL must never outlive it: SQLite would apply a stale `-wal` to whatever file next
 * bears that name. Stores are closed before a promote (closing checkpoints and deletes the WAL),
 * and promote and discard remove any leftover side files to be sure.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { ProjectionFiles } from "../../engine/read/ports.ts";
import { SqliteProjection, type SqliteProjectionOptions } from "./sqlite-projection.ts";

const SIDE_FILES = ["-wal", "-shm", "-journal", ".owner"];

const removeSideFiles = (path: string): void => {
  for (const suffix of SIDE_FILES) rmSync(`${path}${suffix}`, { force: true });
};

export class SqliteProjectionFiles implements ProjectionFiles {
  constructor(
    readonly livePath: string,
    private readonly options: SqliteProjectionOptions = {},
  ) {
    mkdirSync(dirname(livePath), { recursive: true });
  }

  openLive(): SqliteProjection {
    return SqliteProjection.open(this.livePath, this.options);
  }

  openScratch(): { readonly path: string; readonly store: SqliteProjection } {
    const path = join(
      dirname(this.livePath),
      `.${basename(this.livePath)}.${randomUUID().slice(0, 8)}.scratch`,
    );
    return { path, store: SqliteProjection.open(path, { durable: false }) };
  }

  async persist(scratchPath: string): Promise<void> {
    // On libuv's thread pool: the event loop keeps running while the disk catches up.
    const file = await open(scratchPath, "r+");
    try {
      await file.sync();
    } finally {
      await file.close();
    }
  }

  promote(scratchPath: string): void {
    removeSideFiles(this.livePath);
    renameSync(scratchPath, this.livePath);
    removeSideFiles(scratchPath);
  }

  discard(scratchPath: string): void {
    rmSync(scratchPath, { force: true });
    removeSideFiles(scratchPath);
  }
}
