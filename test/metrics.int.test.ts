/**
 * Prometheus metrics after a real run (ADR 0031): an API process and a worker process (each with
 * its own registry, as in production) on a real Redis, a batch of jobs that complete, fail, retry,
 * dead-letter and get cancelled; then each process's /metrics is parsed as Prometheus text and its
 * counters and histograms compared with what happened. The API counts what it wrote (submits,
 * cancels), the worker what it ran; the series `GET /metrics` had before stay.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveMetrics } from "../src/api/metrics-server.ts";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import { type ApiServer, openApiServer, openWorker, ProcessMetrics } from "../src/main.ts";
import { tempDbPath } from "./support/projection.ts";
import { readExposition } from "./support/prometheus.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

/** Every series name `GET /metrics` served before prom-client (README, dashboards). */
const EARLIER_SERIES = [
  "docket_jobs",
  "docket_jobs_by_queue",
  "docket_jobs_by_type",
  "docket_queue_waiting",
  "docket_queue_pending",
  "docket_job_duration_avg_ms",
  "docket_job_duration_p95_ms",
  "docket_completed_last_minute",
  "docket_projector_halted",
  "docket_projector_halts_total",
  "docket_projector_invalid_entries_total",
  "docket_sse_clients",
  "docket_sse_dropped_total",
  "docket_sse_refused_total",
  "docket_projector_quarantined_skipped_total",
];

let redis: TestRedis;
let api: ApiServer;
let dbPath: string;
const prefix = uniquePrefix();
const fast = { backoff: { type: "fixed", delayMs: 10 } };

beforeAll(async () => {
  redis = await startRedis();
  dbPath = tempDbPath();
  api = await openApiServer({
    redisUrl: redis.url,
    prefix,
    shards: 1,
    leaseMs: 2_000,
    dbPath,
    projector: { blockMs: 50, retryInitialMs: 50, retryMaxMs: 500 },
  });
});
afterAll(async () => {
  await api.close();
  rmSync(dirname(dbPath), { recursive: true, force: true });
  await redis.stop();
});

const submit = async (spec: object): Promise<string> => {
  const response = await api.app.inject({ method: "POST", url: "/v1/jobs", payload: spec });
  expect(response.statusCode).toBe(202);
  return response.json<{ id: string }>().id;
};
const statusOf = async (id: string) =>
  (await api.app.inject({ method: "GET", url: `/v1/jobs/${id}` })).json<{ status: string }>().status;

describe("Prometheus metrics after a run of jobs", () => {
  it("the API's and the worker's counters and histograms match what happened, as parseable exposition text", async () => {
    const ids = [
      ...(await Promise.all([1, 2, 3].map(() => submit({ type: "echo", payload: {} })))),
      await submit({ type: "echo", queue: "reports", payload: {} }),
      ...(await Promise.all([1, 2].map(() => submit({ type: "flaky", payload: { failures: 1 }, ...fast })))),
      ...(await Promise.all([1, 2].map(() => submit({ type: "fail", payload: { retryable: false } })))),
      await submit({ type: "fail", payload: {}, maxAttempts: 2, ...fast }),
    ];
    const delayed = await submit({ type: "echo", payload: {}, delayMs: 3_600_000 });
    const cancel = await api.app.inject({ method: "POST", url: `/v1/jobs/${delayed}/cancel`, payload: {} });
    expect(cancel.statusCode).toBe(200);

    const metrics = new ProcessMetrics();
    const { worker, close } = await openWorker(
      { redisUrl: redis.url, prefix, shards: 1, leaseMs: 2_000 },
      { name: "metrics", queues: ["default", "reports"], concurrency: 4, handlers: demoHandlers, metrics },
    );
    const running = worker.run();
    const server = await serveMetrics({
      text: () => metrics.text(),
      port: 0,
      tokens: [{ name: "default", token: "scrape-token" }],
    });
    try {
      await waitFor(
        async () =>
          (await Promise.all(ids.map(statusOf))).every((s) => s === "completed" || s === "dead_letter"),
        "every job to end",
        30_000,
      );
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      const scraped = await fetch(`${server.url}/metrics`, {
        headers: { authorization: "Bearer scrape-token" },
      });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const w = readExposition(await scraped.text());
      const job = (type: string, queue = "default") => ({ queue, type });

      expect(w.value("docket_attempts_started_total", job("echo"))).toBe(3);
      expect(w.value("docket_attempts_started_total", job("echo", "reports"))).toBe(1);
      expect(w.value("docket_attempts_started_total", job("flaky"))).toBe(4);
      expect(w.value("docket_attempts_started_total", job("fail"))).toBe(4);
      expect(w.value("docket_jobs_completed_total", job("echo"))).toBe(3);
      expect(w.value("docket_jobs_completed_total", job("flaky"))).toBe(2);
      expect(w.value("docket_jobs_completed_total", job("fail"))).toBe(0);
      expect(w.value("docket_attempts_failed_total", job("flaky"))).toBe(2);
      expect(w.value("docket_attempts_failed_total", job("fail"))).toBe(4);
      expect(w.value("docket_jobs_dead_lettered_total", { ...job("fail"), reason: "not_retryable" })).toBe(2);
      expect(
        w.value("docket_jobs_dead_lettered_total", { ...job("fail"), reason: "attempts_exhausted" }),
      ).toBe(1);
      expect(w.value("docket_reclaims_total", job("fail"))).toBe(0);
      // Histograms: one observation per attempt started, per outcome, per completion.
      expect(w.type("docket_queue_wait_seconds")).toBe("HISTOGRAM");
      expect(w.count("docket_queue_wait_seconds", job("flaky"))).toBe(4);
      expect(w.count("docket_queue_wait_seconds", job("echo", "reports"))).toBe(1);
      expect(w.count("docket_run_duration_seconds", { ...job("flaky"), outcome: "completed" })).toBe(2);
      expect(w.count("docket_run_duration_seconds", { ...job("flaky"), outcome: "failed" })).toBe(2);
      expect(w.count("docket_run_duration_seconds", { ...job("fail"), outcome: "failed" })).toBe(4);
      expect(w.count("docket_end_to_end_seconds", job("echo"))).toBe(3);
      expect(w.count("docket_end_to_end_seconds", job("fail"))).toBe(0);
      expect(w.value("docket_worker_concurrency")).toBe(4);
      // The process's own figures (prom-client's default metrics).
      expect(w.names).toContain("process_cpu_user_seconds_total");
      // The worker submitted nothing: submits are counted where they are written.
      expect(w.value("docket_jobs_submitted_total", job("echo"))).toBe(0);

      await waitFor(async () => {
        const text = (await api.app.inject({ method: "GET", url: "/metrics" })).body;
        return readExposition(text).value("docket_jobs", { status: "dead_letter" }) === 3;
      }, "the projection to catch up");
      const response = await api.app.inject({ method: "GET", url: "/metrics" });
      expect(response.statusCode).toBe(200);
      const a = readExposition(response.body);
      for (const name of EARLIER_SERIES) expect(a.names, name).toContain(name);
      expect(a.value("docket_jobs_submitted_total", job("echo"))).toBe(4);
      expect(a.value("docket_jobs_submitted_total", job("echo", "reports"))).toBe(1);
      expect(a.value("docket_jobs_submitted_total", job("flaky"))).toBe(2);
      expect(a.value("docket_jobs_submitted_total", job("fail"))).toBe(3);
      expect(a.value("docket_jobs_cancelled_total", job("echo"))).toBe(1);
      expect(a.value("docket_attempts_started_total", job("echo"))).toBe(0);
      expect(a.value("docket_jobs", { status: "completed" })).toBe(6);
      expect(a.value("docket_workers")).toBe(1);
      expect(a.names).toContain("docket_projection_lag_seconds");
      // /v1/metrics stays the JSON it was.
      const json = (await api.app.inject({ method: "GET", url: "/v1/metrics" })).json<
        Record<string, unknown>
      >();
      expect(Object.keys(json).sort()).toEqual(
        expect.arrayContaining([
          "byStatus",
          "byQueue",
          "byType",
          "durations",
          "queues",
          "projector",
          "eventStreams",
        ]),
      );
    } finally {
      await server.close();
      await worker.stop(100);
      await running;
      await close();
    }
  });
});
