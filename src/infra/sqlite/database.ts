/**
 * One SQLite connection through node-sqlite3-wasm, opened the way projections need it
 * (ADR 0009): the connection takes the file exclusively (`locking_mode=EXCLUSIVE`, which is
 * also what lets this library use WAL), `synchronous=NORMAL` (a power cut may lose the last
 * commits, never consistency: their checkpoint goes with them and they are re-read from the log).
 *
 * The library is synchronous and not garbage-collected: prepared statements are cached here and
 * finalized by `close()`, which the owner of the connection must call.
 */
import sqlite from "node-sqlite3-wasm";
import { ProjectionBusy } from "../../engine/read/index.ts";
import { breakStaleLock, forgetOwner, recordOwner } from "./file-owner.ts";

const { Database } = sqlite;
type Database = InstanceType<typeof sqlite.Database>;
type Statement = ReturnType<Database["prepare"]>;
export type BindValues = Parameters<Statement["run"]>[0];
export type Row = Record<string, number | bigint | string | Uint8Array | null>;

const PRAGMAS = [
  "locking_mode = EXCLUSIVE",
  "journal_mode = WAL",
  "synchronous = NORMAL",
  // 32 MB of page cache: the jobs table's hot pages stay in memory while the projector works.
  "cache_size = -32000",
  "temp_store = MEMORY",
];

export interface OpenOptions {
  /**
   * False for a scratch file (a rebuild or check): SQLite never waits for the disk
   * (`synchronous=OFF`), which also spares the event loop the fsyncs of its last checkpoint on
   * close. A scratch file that will be promoted is made durable first (ProjectionFiles.persist).
   */
  readonly durable?: boolean;
}

const isLocked = (error: unknown): boolean =>
  error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message);

export class SqliteDatabase {
  private readonly statements = new Map<string, Statement>();

  private constructor(
    readonly path: string,
    private readonly db: Database,
  ) {}

  /**
   * Opens (creating if needed) and takes the file's exclusive lock; ProjectionBusy if a live
   * process holds it. A lock left by a dead process on this host is broken (file-owner.ts).
   */
  static open(path: string, options: OpenOptions = {}): SqliteDatabase {
    try {
      return SqliteDatabase.tryOpen(path, options);
    } catch (error) {
      if (error instanceof ProjectionBusy && breakStaleLock(path))
        return SqliteDatabase.tryOpen(path, options);
      throw error;
    }
  }

  private static tryOpen(path: string, options: OpenOptions): SqliteDatabase {
    const db = new Database(path);
    try {
      // The exclusive lock is taken by the first access; take it now so a busy file fails here.
      db.exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT");
      recordOwner(path);
      for (const pragma of PRAGMAS) db.exec(`PRAGMA ${pragma}`);
      if (options.durable === false) db.exec("PRAGMA synchronous = OFF");
    } catch (error) {
      db.close();
      throw isLocked(error) ? new ProjectionBusy({ path }) : error;
    }
    return new SqliteDatabase(path, db);
  }

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  run(sql: string, values?: BindValues): void {
    this.statement(sql).run(values);
  }

  all<R = Row>(sql: string, values?: BindValues): Array<R> {
    return this.statement(sql).all(values) as Array<R>;
  }

  get<R = Row>(sql: string, values?: BindValues): R | null {
    return this.statement(sql).get(values) as R | null;
  }

  /** Stream a one-off query's rows; its statement is finalized when the iteration ends. */
  *iterate<R = Row>(sql: string, values?: BindValues): Generator<R> {
    const statement = this.db.prepare(sql);
    try {
      for (const row of statement.iterate(values)) yield row as R;
    } finally {
      statement.finalize();
    }
  }

  /** Run `work` in one write transaction: committed if it returns, rolled back if it throws. */
  transaction<A>(work: () => A): A {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Finalize every prepared statement, then close (checkpointing and removing the WAL). */
  close(): void {
    if (!this.db.isOpen) return;
    for (const statement of this.statements.values()) if (!statement.isFinalized) statement.finalize();
    this.statements.clear();
    this.db.close();
    forgetOwner(this.path);
  }
}
