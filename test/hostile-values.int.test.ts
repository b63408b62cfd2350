/**
 * Hostile values through the HTTP API (`inject`, real Redis, real SQLite): numbers beyond what a
 * date or a timer holds, lone surrogates anywhere in a body, instants beyond what a Date holds.
 * Each is a 4xx JSON error naming the field, and nothing is appended: the shard log stays
 * readable by every reader (the projector's decoder, replay).
 */
import * as Result from "effect/Result";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replay } from "../src/domain/index.ts";
import type { JobView, LogEntry } from "../src/engine/read/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { eventLogOf } from "./support/projection.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
});
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

/** A body as raw JSON text, so escapes such as \ud800 reach the server exactly as written. */
const postText = (url: string, text: string, headers: Record<string, string> = {}) =>
  api.app.inject({
    method: "POST",
    url,
    payload: text,
    headers: { "content-type": "application/json", ...headers },
  });

const errorOf = (response: { statusCode: number; json: () => unknown }) => {
  const body = response.json() as { error: { code: string; message: string; field?: string } };
  return { status: response.statusCode, ...body.error };
};

const logLength = async (): Promise<number> => {
  let total = 0;
  for (const shard of api.engine.store.keys.allShards())
    total += await api.engine.client.xlen(api.engine.store.keys.log(shard));
  return total;
};

/** Every entry of the shard log decodes as the projector decodes it, and each job replays. */
const expectLogReadable = async () => {
  const { log, close } = await eventLogOf(redis.url, api.engine);
  try {
    const records = await log.read(0, "0-0", 100_000);
    expect(records.filter((record) => !("envelope" in record))).toEqual([]);
    const entries = records as ReadonlyArray<LogEntry>;
    const byJob = new Map<string, Array<unknown>>();
    for (const entry of entries)
      byJob.set(entry.envelope.jobId, [...(byJob.get(entry.envelope.jobId) ?? []), entry.envelope]);
    for (const [jobId, envelopes] of byJob)
      expect(Result.isSuccess(replay(envelopes)), `job ${jobId} replays`).toBe(true);
  } finally {
    close();
  }
};

describe("numbers a date or a timer cannot hold are refused at submit", () => {
  it.each([
    ["delayMs", '{"type":"echo","delayMs":400000000000000}'],
    ["delayMs", '{"type":"echo","delayMs":8640000000000000}'],
    ["delayMs", '{"type":"echo","delayMs":9007199254740991}'],
    ["delayMs", '{"type":"echo","delayMs":1e308}'],
    ["delayMs", '{"type":"echo","delayMs":-1}'],
    ["delayMs", '{"type":"echo","delayMs":1.5}'],
    ["runAt", '{"type":"echo","runAt":"9999-12-31T23:59:59.999Z"}'],
    ["runAt", '{"type":"echo","runAt":"2026-02-30T00:00:00.000Z"}'],
    ["timeoutMs", '{"type":"echo","timeoutMs":3000000000}'],
    ["timeoutMs", '{"type":"echo","timeoutMs":2147483648}'],
    ["maxAttempts", '{"type":"echo","maxAttempts":1001}'],
    ["backoff.delayMs", '{"type":"echo","backoff":{"type":"fixed","delayMs":9e15}}'],
    ["backoff.delayMs", '{"type":"echo","backoff":{"type":"exponential","delayMs":400000000000000}}'],
    ["backoff.maxDelayMs", '{"type":"echo","backoff":{"type":"exponential","delayMs":1,"maxDelayMs":1e16}}'],
    ["backoff.factor", '{"type":"echo","backoff":{"type":"exponential","delayMs":1,"factor":1e308}}'],
  ])("%s in %s → 400 invalid_job_spec, nothing appended", async (field, text) => {
    const before = await logLength();
    const error = errorOf(await postText("/v1/jobs", text));
    expect(error, text).toMatchObject({ status: 400, code: "invalid_job_spec", field });
    expect(await logLength()).toBe(before);
  });

  it("the largest accepted values are accepted, and the history they make is readable", async () => {
    const response = await postText(
      "/v1/jobs",
      JSON.stringify({
        type: "echo",
        delayMs: 315_360_000_000,
        timeoutMs: 2_147_483_647,
        maxAttempts: 1000,
        backoff: { type: "exponential", delayMs: 315_360_000_000, factor: 100, maxDelayMs: 315_360_000_000 },
      }),
    );
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json<JobView>().status).toBe("pending");
    await expectLogReadable();
  });

  it("bulk items are judged one by one: an extreme item is refused, the others are accepted", async () => {
    const response = await postText(
      "/v1/jobs/bulk",
      '{"jobs":[{"type":"echo"},{"type":"echo","delayMs":8640000000000000},{"type":"echo","timeoutMs":3000000000}]}',
    );
    expect(response.statusCode).toBe(202);
    const items = response.json<{
      jobs: Array<{ index: number; error?: { code: string; field?: string } }>;
    }>().jobs;
    expect(items[0]?.error).toBeUndefined();
    expect(items[1]?.error).toMatchObject({ code: "invalid_job_spec", field: "delayMs" });
    expect(items[2]?.error).toMatchObject({ code: "invalid_job_spec", field: "timeoutMs" });
    await expectLogReadable();
  });
});

describe("strings that are not well-formed Unicode are refused with a 4xx, wherever they are", () => {
  it.each([
    ["a payload value", "/v1/jobs", '{"type":"echo","payload":"\\ud800"}', "body.payload"],
    ["a payload key", "/v1/jobs", '{"type":"echo","payload":{"\\udc00x":1}}', "body.payload"],
    [
      "a nested payload value",
      "/v1/jobs",
      '{"type":"echo","payload":{"a":[1,"ok\\ud83d"]}}',
      "body.payload.a.1",
    ],
    ["an idempotency key", "/v1/jobs", '{"type":"echo","idempotencyKey":"k\\udfff"}', "body.idempotencyKey"],
    ["an unknown member's name", "/v1/jobs", '{"type":"echo","\\ud800":1}', "body"],
    [
      "a bulk item",
      "/v1/jobs/bulk",
      '{"jobs":[{"type":"echo","payload":["\\ud800"]}]}',
      "body.jobs.0.payload.0",
    ],
    ["a dead-letter retry reason", "/v1/dead-letters/retry", '{"reason":"\\ud800"}', "body.reason"],
  ])("%s → 400 invalid_unicode naming it", async (_what, url, text, field) => {
    const before = await logLength();
    const error = errorOf(await postText(url, text));
    expect(error, text).toMatchObject({ status: 400, code: "invalid_unicode", field });
    expect(await logLength()).toBe(before);
  });

  it("a cancel or retry reason with a lone surrogate → 400, and the job is untouched", async () => {
    const job = (await postText("/v1/jobs", '{"type":"echo","delayMs":60000}')).json<JobView>();
    for (const action of ["cancel", "retry"]) {
      const error = errorOf(await postText(`/v1/jobs/${job.id}/${action}`, '{"reason":"stop \\udbff"}'));
      expect(error).toMatchObject({ status: 400, code: "invalid_unicode", field: "body.reason" });
    }
    const after = await api.app.inject({ method: "GET", url: `/v1/jobs/${job.id}` });
    expect(after.json<JobView>()).toMatchObject({ status: "pending", version: 1 });
  });

  it("well-formed text outside the BMP (a surrogate pair, escaped or raw) is accepted", async () => {
    const escaped = await postText(
      "/v1/jobs",
      '{"type":"echo","payload":{"\\ud83d\\ude00":"\\ud83d\\ude00"}}',
    );
    expect(escaped.statusCode, escaped.body).toBe(202);
    const raw = await postText("/v1/jobs", JSON.stringify({ type: "echo", payload: "😀 ✓" }));
    expect(raw.statusCode, raw.body).toBe(202);
    await expectLogReadable();
  });

  it("the in-process API (no HTTP) refuses them too, naming the field", async () => {
    const actor = { kind: "client", id: "test" } as const;
    await expect(
      api.engine.jobs.submit({ type: "echo", payload: { k: "\ud800" } }, actor),
    ).rejects.toMatchObject({
      _tag: "InvalidJobSpec",
      field: "payload.k",
    });
    await expect(
      api.engine.jobs.submit({ type: "echo", idempotencyKey: "\udc00" }, actor),
    ).rejects.toMatchObject({
      _tag: "InvalidJobSpec",
      field: "idempotencyKey",
    });
    const { jobId } = await api.engine.jobs.submit({ type: "echo", delayMs: 60_000 }, actor);
    await expect(api.engine.jobs.cancel(jobId, actor, "why \ud800")).rejects.toMatchObject({
      _tag: "InvalidJobSpec",
    });
    await expectLogReadable();
  });
});

describe("instants beyond what a Date holds are refused", () => {
  it.each(["8640000000000001", "99999999999999999999", "-8640000000000001", "+275760-09-13T00:00:00.001Z"])(
    "GET /v1/jobs/:id/state?at=%s → 400",
    async (at) => {
      const job = (await postText("/v1/jobs", '{"type":"echo"}')).json<JobView>();
      const response = await api.app.inject({
        method: "GET",
        url: `/v1/jobs/${job.id}/state?at=${encodeURIComponent(at)}`,
      });
      expect(errorOf(response)).toMatchObject({ status: 400, code: "invalid_request", field: "query.at" });
    },
  );

  it("GET /v1/jobs?status=&at= and the export's since are bounded the same way", async () => {
    const list = await api.app.inject({ method: "GET", url: "/v1/jobs?status=queued&at=8640000000000001" });
    expect(errorOf(list)).toMatchObject({ status: 400, field: "query.at" });
    const exported = await api.app.inject({ method: "GET", url: "/v1/audit/export?since=8640000000000001" });
    expect(errorOf(exported)).toMatchObject({ status: 400, field: "query.since" });
  });

  it("the extremes a Date holds are still answered", async () => {
    const job = (await postText("/v1/jobs", '{"type":"echo"}')).json<JobView>();
    const response = await api.app.inject({
      method: "GET",
      url: `/v1/jobs/${job.id}/state?at=8640000000000000`,
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<{ asOf: string }>().asOf).toBe("+275760-09-13T00:00:00.000Z");
  });
});
