/**
 * Traces without an SDK (ADR 0031): `@opentelemetry/api` is a no-op, nothing is registered in
 * this test process, and Docket still carries the caller's trace — the API records a valid
 * `traceparent` header in the job's JobSubmitted event as it came (so a worker process that does
 * run an SDK joins the caller's trace), drops a hostile one, and the library's submit does the
 * same. What is recorded is read by every reader: the job runs, replays, verifies, projects
 * (the projection check equals a rebuild) and exports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import type { Envelope } from "../src/domain/index.ts";
import type { JobView } from "../src/engine/read/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { apiActor } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const HEADER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

let redis: TestRedis;
let api: TestApi;
let worker: Worker;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  worker = (await startWorker(api.engine, demoHandlers, { concurrency: 2 })).worker;
});
afterAll(async () => {
  await worker?.stop(100);
  await api?.stop();
  await redis?.stop();
});

const submitted = async (id: string) =>
  (await api.jobs.events(id)).find((e) => e.type === "JobSubmitted") as Extract<
    Envelope,
    { type: "JobSubmitted" }
  >;

describe("traces without an SDK", () => {
  it("records a valid traceparent header as given, drops a hostile one, and every reader takes the job", async () => {
    const traced = await api.app.inject({
      method: "POST",
      url: "/v1/jobs",
      payload: { type: "echo", payload: { hello: 1 } },
      headers: { traceparent: HEADER },
    });
    expect(traced.statusCode).toBe(202);
    const hostile = await api.app.inject({
      method: "POST",
      url: "/v1/jobs",
      payload: { type: "echo" },
      headers: { traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` },
    });
    expect(hostile.statusCode).toBe(202);
    const [tracedId, hostileId] = [traced.json<JobView>().id, hostile.json<JobView>().id];
    expect((await submitted(tracedId)).data.traceparent).toBe(HEADER);
    expect((await submitted(hostileId)).data).not.toHaveProperty("traceparent");

    for (const id of [tracedId, hostileId])
      await waitFor(
        () => api.readSide.reads.job(id)?.status === "completed",
        `job ${id} projected as completed`,
      );
    const replay = await api.app.inject({ method: "GET", url: `/v1/jobs/${tracedId}/replay` });
    expect(replay.json()).toMatchObject({ ok: true });
    const verify = await api.app.inject({ method: "POST", url: "/v1/audit/verify", payload: {} });
    expect(verify.json()).toMatchObject({ ok: true, failures: [] });
    const check = await api.app.inject({ method: "POST", url: "/v1/projections/check", payload: {} });
    expect(check.json()).toMatchObject({ equal: true, differences: [] });
    const projected = api.readSide.reads.jobEvents(tracedId).find((e) => e.type === "JobSubmitted");
    expect(projected?.data).toMatchObject({ traceparent: HEADER });
    const bundle = await api.app.inject({ method: "GET", url: `/v1/audit/export?jobId=${tracedId}` });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body).toContain(HEADER);
  });

  it("the library's submit takes a traceparent too, and drops one that is not valid", async () => {
    const good = await api.engine.jobs.submit({ type: "echo", queue: "idle" }, apiActor, {
      traceparent: HEADER,
    });
    const bad = await api.engine.jobs.submit({ type: "echo", queue: "idle" }, apiActor, {
      traceparent: HEADER.toUpperCase(),
    });
    expect((await submitted(good.jobId)).data.traceparent).toBe(HEADER);
    expect((await submitted(bad.jobId)).data).not.toHaveProperty("traceparent");
    // A repeat of the same submission from another trace is the same submission.
    const key = `trace-repeat-${Date.now()}`;
    const first = await api.engine.jobs.submit(
      { type: "echo", queue: "idle", idempotencyKey: key },
      apiActor,
      {
        traceparent: HEADER,
      },
    );
    const again = await api.engine.jobs.submit(
      { type: "echo", queue: "idle", idempotencyKey: key },
      apiActor,
      {
        traceparent: "00-11111111111111111111111111111111-2222222222222222-00",
      },
    );
    expect(again).toMatchObject({ jobId: first.jobId, created: false });
  });
});
