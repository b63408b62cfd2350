/** The composition root's read side: one owner per file, reads follow the projector. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProjectionBusy } from "../src/engine/read/index.ts";
import { openReadSide } from "../src/main.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { tempDbPath } from "./support/projection.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
let engine: TestEngine;
beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
});
afterAll(async () => {
  await engine.close();
  await redis.stop();
});

describe("openReadSide", () => {
  it("projects submitted jobs, tells listeners after commit, and refuses a second owner of the file", async () => {
    const dbPath = tempDbPath();
    const config = { redisUrl: redis.url, prefix: engine.prefix, shards: 1, leaseMs: 2_000, dbPath };
    const readSide = openReadSide(config);
    try {
      expect(() => openReadSide(config)).toThrow(ProjectionBusy);
      const seen: Array<string> = [];
      readSide.projector.onApplied((entries) => seen.push(...entries.map((e) => e.envelope.jobId)));
      readSide.projector.start();
      const { jobId } = await engine.jobs.submit({ type: "hello" }, apiActor);
      const view = await waitFor(() => readSide.reads.job(jobId) ?? undefined, "the job to be projected");
      expect(view.status).toBe("queued");
      expect(seen).toContain(jobId);
      expect((await readSide.projector.lag())[0]).toMatchObject({ shard: 0, caughtUp: true, behindMs: 0 });
      expect(readSide.projector.status().state).toBe("tailing");
    } finally {
      await readSide.close();
    }
    // Closed: the file has no owner and opens again.
    const again = openReadSide(config);
    expect(again.reads.checkpoints()).toHaveLength(1);
    await again.close();
  });
});
