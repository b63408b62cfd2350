/**
 * Thread isolation through the in-process API and the CLI (ADR 0040): the library worker's
 * `isolation` option runs the listed job types in threads and the others in-process; `docket
 * worker --isolation thread` without `--handlers` runs the demo handlers in threads.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Docket } from "../src/index.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";

let redis: TestRedis;
let docket: Docket<{ spin: { ms: number }; echo: unknown; local: null }>;

beforeAll(async () => {
  redis = await startRedis();
  docket = await connect({ redisUrl: redis.url, prefix: uniquePrefix() });
});
afterAll(async () => {
  await docket.close();
  await redis.stop();
});

describe("isolation from the library and the CLI", () => {
  it("a library worker runs the listed job types in threads (a spin times out) and the others in-process", async () => {
    const inProcess = { value: 0 };
    const worker = await docket.worker({
      handlers: { local: () => (inProcess.value += 1) },
      concurrency: 2,
      isolation: {
        kind: "thread",
        module: new URL("./fixtures/thread-handlers.ts", import.meta.url),
        jobTypes: ["spin", "echo"],
      },
    });
    const running = worker.run();
    try {
      const spun = await docket.submit("spin", { ms: 5_000 }, { timeoutMs: 300, maxAttempts: 1 });
      const echoed = await docket.submit("echo", "from a thread");
      const local = await docket.submit("local", null);
      expect((await docket.wait(spun.id, { timeoutMs: 15_000 })).status).toBe("dead_letter");
      expect((await docket.get(spun.id)).error?.code).toBe("timeout");
      expect((await docket.wait(echoed.id, { timeoutMs: 15_000 })).result).toMatchObject({
        payload: "from a thread",
      });
      expect((await docket.wait(local.id, { timeoutMs: 15_000 })).result).toBe(1);
      // The in-process handler ran here: its closure saw this process's state.
      expect(inProcess.value).toBe(1);
    } finally {
      await worker.stop(100);
      await running;
    }
  });

  it("docket worker --isolation thread runs the demo handlers in threads", async () => {
    const prefix = uniquePrefix();
    const cli = await connect({ redisUrl: redis.url, prefix });
    try {
      const job = await cli.submit("echo" as never, { said: "hi" } as never);
      const ran = spawnSync(
        process.execPath,
        ["bin/docket.js", "worker", "--isolation", "thread", "--burst", "--concurrency", "1"],
        {
          cwd: new URL("..", import.meta.url).pathname,
          env: { ...process.env, LOG_FORMAT: "text", REDIS_URL: redis.url, DOCKET_PREFIX: prefix },
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(ran.status, ran.stderr).toBe(0);
      expect(ran.stderr).toContain("in threads");
      expect((await cli.get(job.id)).result).toEqual({ said: "hi" });
    } finally {
      await cli.close();
    }
  });
});
