/** The real engine on a real Redis for integration tests, composed by src/main.ts. */
import type { Redis } from "ioredis";
import type { Actor } from "../../src/domain/index.ts";
import type { Clock } from "../../src/engine/shared/index.ts";
import type { JobService } from "../../src/engine/write/index.ts";
import { connect, connectBlocking, whenReady } from "../../src/infra/redis/connection.ts";
import type { RedisJobStore } from "../../src/infra/redis/redis-job-store.ts";
import { composeEngine } from "../../src/main.ts";
import { uniquePrefix } from "./redis.ts";

export const apiActor: Actor = { kind: "client", id: "test-client" };

export interface TestEngine {
  readonly prefix: string;
  readonly client: Redis;
  readonly store: RedisJobStore;
  readonly jobs: JobService;
  /** A store with its own connections, as a separate worker process would have. */
  workerStore(): Promise<RedisJobStore>;
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
  const { store, jobs } = composeEngine({
    client,
    prefix,
    shards,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  return {
    prefix,
    client,
    store,
    jobs,
    workerStore: async () =>
      composeEngine({
        client: await whenReady(track(connect({ url }))),
        blockingClient: await whenReady(track(connectBlocking({ url }))),
        prefix,
        shards,
      }).store,
    close: async () => {
      for (const c of clients) c.disconnect();
    },
  };
};
