/** Wires the real engine to a real Redis for integration tests. */
import type { Redis } from "ioredis";
import type { Actor } from "../../src/domain/index.ts";
import { JobService } from "../../src/engine/job-service.ts";
import { type Clock, systemClock } from "../../src/engine/ports.ts";
import { connect, connectBlocking, whenReady } from "../../src/infra/redis/connection.ts";
import { RedisEventStore } from "../../src/infra/redis/redis-event-store.ts";
import { RedisWorkerRegistry } from "../../src/infra/redis/redis-worker-registry.ts";
import { RedisWorkQueue } from "../../src/infra/redis/redis-work-queue.ts";
import { uniquePrefix } from "./redis.ts";

export const apiActor: Actor = { kind: "client", id: "test-client" };

/** The three Redis adapters a worker (or the job service) is given, on one connection. */
export interface RedisPorts {
  readonly store: RedisEventStore;
  readonly queue: RedisWorkQueue;
  readonly registry: RedisWorkerRegistry;
}

export interface TestEngine extends RedisPorts {
  readonly prefix: string;
  readonly client: Redis;
  readonly jobs: JobService;
  /** Adapters on their own connections (one of them blocking), as a separate worker process has. */
  workerPorts(): Promise<RedisPorts>;
  close(): Promise<void>;
}

export const makeEngine = async (
  url: string,
  options: { shards?: number; clock?: Clock; prefix?: string } = {},
): Promise<TestEngine> => {
  const prefix = options.prefix ?? uniquePrefix();
  const shards = options.shards ?? 1;
  const clients: Array<Redis> = [];
  const track = (client: Redis) => {
    clients.push(client);
    return client;
  };
  const client = await whenReady(track(connect({ url })));
  const store = new RedisEventStore({ client, prefix, shards });
  const queue = new RedisWorkQueue({ client, prefix, shards });
  const registry = new RedisWorkerRegistry({ client, prefix });
  const jobs = new JobService({ store, queue, clock: options.clock ?? systemClock, shards });
  return {
    prefix,
    client,
    store,
    queue,
    registry,
    jobs,
    workerPorts: async () => {
      const own = await whenReady(track(connect({ url })));
      const blockingClient = await whenReady(track(connectBlocking({ url })));
      return {
        store: new RedisEventStore({ client: own, prefix, shards }),
        queue: new RedisWorkQueue({ client: own, blockingClient, prefix, shards }),
        registry: new RedisWorkerRegistry({ client: own, prefix }),
      };
    },
    close: async () => {
      for (const c of clients) c.disconnect();
    },
  };
};
