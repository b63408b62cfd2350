/**
 * The port contracts, run against the Redis adapters on a real redis-server, each test on its own
 * key prefix. Idle times are Redis's: `elapse` waits for them.
 */
import { afterAll, beforeAll } from "vitest";
import {
  CLUSTER_POLL_MS,
  type RedisClient,
  connect,
  connectBlocking,
  whenReady,
} from "../src/infra/redis/connection.ts";
import { composeEngine } from "../src/main.ts";
import { eventStoreContract } from "./contract/event-store.contract.ts";
import type { PortsFixture } from "./contract/fixture.ts";
import { workQueueContract } from "./contract/work-queue.contract.ts";
import { workerRegistryContract } from "./contract/worker-registry.contract.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
let client: RedisClient;
const blockingClients: Array<RedisClient> = [];

beforeAll(async () => {
  redis = await startRedis();
  client = await whenReady(connect({ url: redis.url }));
});
afterAll(async () => {
  for (const c of [client, ...blockingClients]) c?.disconnect();
  await redis.stop();
});

const makeFixture = async (): Promise<PortsFixture> => {
  // A blocking read holds its connection: one per test, as each worker has its own.
  const blockingClient = await whenReady(connectBlocking({ url: redis.url }));
  blockingClients.push(blockingClient);
  const { store, queue, registry } = composeEngine({
    client,
    blockingClient,
    prefix: uniquePrefix(),
    shards: 1,
  });
  // A single Redis names the blocking connection in CLIENT LIST; a cluster client has none (an
  // idle worker polls there: ADR 0047).
  const blockingId = blockingClient.isCluster ? null : String(await blockingClient.call("CLIENT", "ID"));
  return {
    store,
    queue,
    registry,
    now: () => Date.now(),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    // Redis lists the blocking connection with the flag `b` while its XREAD is blocked. On a
    // cluster the idle read is a poll every CLUSTER_POLL_MS: two periods cover its first turn.
    untilBlocked: async () => {
      if (blockingId === null) return new Promise((resolve) => setTimeout(resolve, 2 * CLUSTER_POLL_MS));
      await waitFor(async () => {
        const line = String(await client.call("CLIENT", "LIST", "ID", blockingId));
        return /\bflags=\S*b/.test(line);
      }, "the blocking read to block");
    },
  };
};

eventStoreContract("Redis adapters", makeFixture);
workQueueContract("Redis adapters", makeFixture);
workerRegistryContract("Redis adapters", makeFixture);
