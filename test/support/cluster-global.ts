/**
 * Vitest global setup of the `cluster` project (vitest.config.ts): one real local Redis Cluster
 * (3 masters + 3 replicas, test/support/cluster.ts) for the whole run, its URL provided to every
 * test file, which cluster-env.ts makes their REDIS_URL. Stopped when the run ends.
 */
import type { TestProject } from "vitest/node";
import { startCluster } from "./cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** `redis-cluster://host:port,…`: the cluster every test file of the project uses. */
    redisClusterUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster();
  project.provide("redisClusterUrl", `redis-cluster://${cluster.seeds}`);
  return () => cluster.stop();
}
