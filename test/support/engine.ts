/** The real engine on a real Redis for integration tests, composed by src/main.ts. */
import type { Redis } from "ioredis";
import type { Actor } from "../../src/domain/index.ts";
import type { ArchivedLog } from "../../src/engine/read/index.ts";
import type { Clock } from "../../src/engine/shared/index.ts";
import type { JobService } from "../../src/engine/write/index.ts";
import { connect, connectBlocking, whenReady } from "../../src/infra/redis/connection.ts";
import { composeEngine, type RedisAdapters } from "../../src/main.ts";
import { uniquePrefix } from "./redis.ts";

export const apiActor: Actor = { kind: "client", id: "test-client" };

/** The three Redis adapters a worker (or the job service) is given, on one connection. */
export type RedisPorts = RedisAdapters;

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
  options: { shards?: number; clock?: Clock; prefix?: string; archive?: ArchivedLog } = {},
): Promise<TestEngine> => {
  const prefix = options.prefix ?? uniquePrefix();
  const shards = options.shards ?? 1;
  const clients: Array<Redis> = [];
  const track = (client: Redis) => {
    clients.push(client);
    return client;
  };
  const client = await whenReady(track(connect({ url })));
  const { store, queue, registry, cancels, jobs } = composeEngine({
    client,
    prefix,
    shards,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.archive === undefined ? {} : { archive: options.archive }),
  });
  return {
    prefix,
    client,
    store,
    queue,
    registry,
    cancels,
    jobs,
    workerPorts: async () => {
      const { store, queue, registry, cancels } = composeEngine({
        client: await whenReady(track(connect({ url }))),
        blockingClient: await whenReady(track(connectBlocking({ url }))),
        prefix,
        shards,
      });
      return { store, queue, registry, cancels };
    },
    close: async () => {
      for (const c of clients) c.disconnect();
    },
  };
};
