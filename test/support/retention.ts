/** Retention over a test engine's Redis (ADR 0034), as the archiver composes it, on the test's clock. */
import { Retention, type RetentionPolicy } from "../../src/engine/archive/index.ts";
import type { Clock } from "../../src/engine/shared/index.ts";
import { JobWriter } from "../../src/engine/write/index.ts";
import { RedisRetentionIndex } from "../../src/infra/redis/redis-archive.ts";
import type { TestEngine } from "./engine.ts";

export const retentionOf = (
  engine: TestEngine,
  options: {
    readonly clock: Clock;
    readonly policy: RetentionPolicy;
    readonly shards: number;
    readonly batch: number;
  },
): Retention =>
  new Retention({
    index: new RedisRetentionIndex(engine.client, { prefix: engine.prefix, shards: options.shards }),
    writer: new JobWriter(engine.store, options.clock),
    store: engine.store,
    clock: options.clock,
    policy: options.policy,
    batch: options.batch,
  });
