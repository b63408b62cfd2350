/**
 * A projector killed between writing a batch's rows and committing them resumes from its last
 * committed checkpoint: nothing applied twice, nothing skipped, metrics not double counted.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../src/engine/shared/index.ts";
import { Projector } from "../src/engine/read/index.ts";
import { SqliteProjection } from "../src/infra/sqlite/sqlite-projection.ts";
import { makeEngine, type TestEngine } from "./support/engine.ts";
import { eventLogOf, expectProjectionEqualsFold, runMixedJobs, tempDbPath } from "./support/projection.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

let redis: TestRedis;
let engine: TestEngine;
beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url, { shards: 2 });
});
afterAll(async () => {
  await engine.close();
  await redis.stop();
});

const runCrashingProjector = (dbPath: string, crashAtBatch: number) =>
  new Promise<NodeJS.Signals | null>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/projector-crash.ts"], {
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        DOCKET_PREFIX: engine.prefix,
        DOCKET_SHARDS: "2",
        DOCKET_DB: dbPath,
        CRASH_AT_BATCH: String(crashAtBatch),
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      clearTimeout(timer);
      resolve(signal);
    });
  });

describe("projector crash", () => {
  it("a projector killed between writing rows and committing resumes without double counting", async () => {
    const ids = await runMixedJobs(engine, 30);
    const dbPath = tempDbPath();
    expect(await runCrashingProjector(dbPath, 4)).toBe("SIGKILL");
    // The dead process left the library's lock directory behind; opening breaks the stale lock.
    expect(existsSync(`${dbPath}.lock`)).toBe(true);
    const store = SqliteProjection.open(dbPath);
    try {
      // Three batches committed (ten entries per shard each, a batch stretched by one where its cut
      // would part a failure that allows no retry from its JobDeadLettered); the fourth was rolled
      // back with the crash: the rows equal exactly the log up to the stored checkpoints.
      const committed = ids.reduce((sum, id) => sum + store.jobEvents(id).length, 0);
      let upToCheckpoints = 0;
      for (const { shard, entryId } of store.checkpoints())
        upToCheckpoints += (await engine.client.xrange(engine.store.keys.log(shard), "-", entryId)).length;
      expect(store.checkpoints()).toHaveLength(2);
      expect(committed).toBe(upToCheckpoints);
      expect(committed).toBeGreaterThanOrEqual(3 * 10 * 2);
      expect(committed).toBeLessThanOrEqual(3 * 11 * 2);
      const { log, close } = await eventLogOf(redis.url, engine);
      try {
        await new Projector({ log, store, clock: systemClock, batchSize: 10 }).catchUp();
      } finally {
        close();
      }
      await expectProjectionEqualsFold(engine, store, ids);
      const events = (await Promise.all(ids.map((id) => engine.store.readEvents(id)))).flat();
      const metrics = store.metrics({ nowMs: Date.now(), minutes: 10 });
      const sum = (key: "completed" | "failedAttempts" | "deadLettered" | "cancelled") =>
        metrics.throughput.reduce((total, minute) => total + minute[key], 0);
      expect(sum("completed")).toBe(events.filter((e) => e.type === "JobCompleted").length);
      expect(sum("failedAttempts")).toBe(events.filter((e) => e.type === "AttemptFailed").length);
      expect(sum("cancelled")).toBe(events.filter((e) => e.type === "JobCancelled").length);
      expect(metrics.durations.reduce((total, d) => total + d.count, 0)).toBe(
        events.filter((e) => e.type === "JobCompleted").length,
      );
    } finally {
      store.close();
    }
  });
});
