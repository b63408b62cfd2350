/**
 * The read side's composition: the shard logs it tails, the projection file, the quarantine records
 * (ADR 0009, 0019). Part of the composition root (main.ts).
 */
import { ReadSide, type ReadSideOptions } from "../engine/read/index.ts";
import { type Clock, systemClock } from "../engine/shared/index.ts";
import { type RedisClient, connect, connectBlocking, whenReady } from "../infra/redis/connection.ts";
import { RedisEventLog } from "../infra/redis/redis-event-log.ts";
import { archivedLogOf } from "./archived-log.ts";
import { RedisQuarantineList } from "../infra/redis/redis-quarantine.ts";
import { SqliteProjectionFiles } from "../infra/sqlite/projection-files.ts";
import type { DocketConfig, RedisWiring } from "./engine.ts";

/** What the read side needs besides its connections (both required: the tail blocks). */
export interface ReadSideWiring extends RedisWiring {
  readonly blockingClient: RedisClient;
  /** The live projection file; this process owns it exclusively while open (ADR 0009). */
  readonly dbPath: string;
  readonly clock?: Clock;
  readonly projector?: ReadSideOptions["projector"];
}

/**
 * The read side on open connections: the shard logs it tails, the projection files, the
 * quarantine records. Not started. Fails with ProjectionBusy if another process owns the file.
 */
export const composeReadSide = (wiring: ReadSideWiring): ReadSide => {
  const { client, blockingClient, prefix, shards } = wiring;
  return new ReadSide({
    log: new RedisEventLog({
      client,
      blockingClient,
      prefix,
      shards,
      ...(wiring.archive === undefined ? {} : { archive: wiring.archive }),
    }),
    files: new SqliteProjectionFiles(wiring.dbPath),
    clock: wiring.clock ?? systemClock,
    quarantine: new RedisQuarantineList(client, { prefix, shards }),
    ...(wiring.projector === undefined ? {} : { projector: wiring.projector }),
  });
};

export interface ReadSideConfig extends DocketConfig {
  /** The live projection file; this process owns it exclusively while open (ADR 0009). */
  readonly dbPath: string;
  readonly projector?: ReadSideOptions["projector"];
}

export interface OpenReadSide {
  /** Queries (jobs, events, metrics, checkpoints) on the live file, across rebuilds. */
  readonly reads: ReadSide["reads"];
  /** start / stop / onApplied / lag / status. Not started: call `projector.start()`. */
  readonly projector: ReadSide["projector"];
  rebuild: ReadSide["rebuild"];
  check: ReadSide["check"];
  /** Skip one undecodable log entry, recorded (ADR 0019). */
  quarantine: ReadSide["quarantine"];
  /**
   * Resolves once the Redis connections are up (fails with QueueUnavailable after `timeoutMs`).
   * One-shot commands (rebuild, check) await it; the projector needs not, it retries.
   */
  ready(timeoutMs?: number): Promise<void>;
  /** Stops the projector, closes the file and the Redis connections. */
  close(): Promise<void>;
}

/**
 * The read side for the process that owns `dbPath`: the projection file, its projector and the
 * log it tails (two connections: one of them for the blocking tail). Fails with ProjectionBusy if
 * another process owns the file. Redis need not be up: the projector retries until it is.
 */
export const openReadSide = (config: ReadSideConfig): OpenReadSide => {
  const client = connect({ url: config.redisUrl });
  const blockingClient = connectBlocking({ url: config.redisUrl });
  let readSide: ReadSide;
  try {
    readSide = composeReadSide({
      client,
      blockingClient,
      prefix: config.prefix,
      shards: config.shards,
      dbPath: config.dbPath,
      ...(config.clock === undefined ? {} : { clock: config.clock }),
      ...(config.projector === undefined ? {} : { projector: config.projector }),
      ...(config.archive === undefined ? {} : { archive: archivedLogOf(config.archive, config.prefix) }),
    });
  } catch (error) {
    client.disconnect();
    blockingClient.disconnect();
    throw error;
  }
  return {
    reads: readSide.reads,
    projector: readSide.projector,
    rebuild: () => readSide.rebuild(),
    check: (options) => readSide.check(options),
    quarantine: (request) => readSide.quarantine(request),
    ready: async (timeoutMs) => {
      await Promise.all([whenReady(client, timeoutMs), whenReady(blockingClient, timeoutMs)]);
    },
    close: async () => {
      await readSide.close();
      client.disconnect();
      blockingClient.disconnect();
    },
  };
};
