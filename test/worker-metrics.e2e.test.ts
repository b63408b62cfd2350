/**
 * `docket worker --metrics-port` as a real process (ADR 0031): it serves its own registry on
 * 127.0.0.1, counting the attempts it ran, with the process metrics, behind the API token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusOf } from "../src/domain/index.ts";
import { killLeftovers, spawnDocket } from "./support/docket.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { readExposition } from "./support/prometheus.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
let engine: TestEngine;
beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
});
afterAll(async () => {
  killLeftovers();
  await engine.close();
  await redis.stop();
});

describe("a worker's own /metrics", () => {
  it("docket worker --metrics-port serves the attempts it ran and its process metrics on 127.0.0.1, token required", async () => {
    const worker = spawnDocket(["worker", "--metrics-port", "0", "--queues", "default,mail"], {
      env: { REDIS_URL: redis.url, DOCKET_PREFIX: engine.prefix, DOCKET_API_TOKEN: "metrics-token-1" },
    });
    await worker.waitForOutput(/metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/, "the metrics address");
    const url = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(worker.stderr())?.[1] ?? "";
    const submitted = await Promise.all([
      engine.jobs.submit({ type: "echo", payload: {} }, apiActor),
      engine.jobs.submit({ type: "echo", queue: "mail", payload: {} }, apiActor),
      engine.jobs.submit({ type: "fail", payload: { retryable: false } }, apiActor),
    ]);
    await waitFor(async () => {
      const states = await Promise.all(
        submitted.map(async ({ jobId }) => statusOf((await engine.jobs.get(jobId)).state)),
      );
      return states.every((s) => s === "completed" || s === "dead_letter");
    }, "the jobs to end");
    expect((await fetch(url)).status).toBe(401);
    expect(
      (
        await fetch(url.replace("/metrics", "/other"), {
          headers: { authorization: "Bearer metrics-token-1" },
        })
      ).status,
    ).toBe(404);
    const response = await fetch(url, { headers: { authorization: "Bearer metrics-token-1" } });
    expect(response.status).toBe(200);
    const scraped = readExposition(await response.text());
    expect(scraped.value("docket_attempts_started_total", { queue: "default", type: "echo" })).toBe(1);
    expect(scraped.value("docket_attempts_started_total", { queue: "mail", type: "echo" })).toBe(1);
    expect(
      scraped.value("docket_jobs_dead_lettered_total", {
        queue: "default",
        type: "fail",
        reason: "not_retryable",
      }),
    ).toBe(1);
    expect(scraped.value("docket_worker_concurrency")).toBe(10);
    expect(scraped.names).toContain("process_resident_memory_bytes");
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });
});
