/**
 * Setup file of the `cluster` project (vitest.config.ts): the suite written against one Redis
 * runs against the project's Redis Cluster, through the REDIS_URL every test support reads
 * (startRedis returns it; a test that must own its server, to kill or count it, still starts one).
 */
import { inject } from "vitest";
import "./cluster-global.ts";

process.env.REDIS_URL = inject("redisClusterUrl");
