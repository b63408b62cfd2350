/** The real engine on a real Redis for integration tests, composed by src/main.ts. */
import type { Actor, DeliveryPolicy } from "../../src/domain/index.ts";
import type { ArchivedLog } from "../../src/engine/read/index.ts";
import type { Clock } from "../../src/engine/shared/index.ts";
import type { JobService } from "../../src/engine/write/index.ts";
import type { ScheduleService } from "../../src/engine/schedule/index.ts";
import { type RedisClient, connect, connectBlocking, whenReady } from "../../src/infra/redis/connection.ts";
import type { Durability } from "../../src/infra/redis/durability.ts";
import { composeEngine, type RedisAdapters } from "../../src/main.ts";
import { uniquePrefix } from "./redis.ts";

export const apiActor: Actor = { kind: "client", id: "test-client" };

/** The three Redis adapters a worker (or the job service) is given, on one connection. */
export type RedisPorts = RedisAdapters;

export interface TestEngine extends RedisPorts {
  readonly prefix: string;
  readonly client: RedisClient;
  readonly jobs: JobService;
  /** Schedules on the same connection (ADR 0037). */
  readonly schedules: ScheduleService;
  /**
   * Adapters on their own connections (one of them blocking), as a separate worker process has;
   * its claims serve `delivery` (rate limits, fairness; ADR 0039) when given.
   */
  workerPorts(delivery?: DeliveryPolicy): Promise<RedisPorts>;
  close(): Promise<void>;
}

export const makeEngine = async (
  url: string,
  options: {
    shards?: number;
    clock?: Clock;
    prefix?: string;
    archive?: ArchivedLog;
    durability?: Durability;
  } = {},
): Promise<TestEngine> => {
  const prefix = options.prefix ?? uniquePrefix();
  const shards = options.shards ?? 1;
  const clients: Array<RedisClient> = [];
  const track = (client: RedisClient) => {
    clients.push(client);
    return client;
  };
  const client = await whenReady(track(connect({ url })));
  const { store, queue, registry, cancels, jobs, schedules } = composeEngine({
    client,
    prefix,
    shards,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.archive === undefined ? {} : { archive: options.archive }),
    ...(options.durability === undefined ? {} : { durability: options.durability }),
  });
  return {
    prefix,
    client,
    store,
    queue,
    registry,
    cancels,
    jobs,
    schedules,
    workerPorts: async (delivery) => {
      const { store, queue, registry, cancels } = composeEngine({
        client: await whenReady(track(connect({ url }))),
        blockingClient: await whenReady(track(connectBlocking({ url }))),
        prefix,
        shards,
        ...(delivery === undefined ? {} : { delivery }),
        ...(options.durability === undefined ? {} : { durability: options.durability }),
      });
      return { store, queue, registry, cancels };
    },
    close: async () => {
      for (const c of clients) c.disconnect();
    },
  };
};
