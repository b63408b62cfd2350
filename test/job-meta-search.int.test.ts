/**
 * A job's `meta` and the job list's searches (issue 14), on a real Redis and a real SQLite
 * projection through a listening API and the typed client: meta set at submit and replaced by the
 * handler, shown by get and list; each search filter, paged with a cursor; hostile search values
 * answered as data or as a 400 with a stable code; and a rebuilt projection equal to the live one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketApiError, DocketClient } from "../src/client/index.ts";
import type { JobView } from "../src/contract/index.ts";
import { MAX_META_BYTES, MAX_META_DEPTH } from "../src/domain/index.ts";
import type { Handlers, Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

/** A unique job type per test run, so searches see only this file's jobs. */
const T = `meta-${process.pid}`;

const handlers: Handlers = {
  // Replaces the submitted meta with what the work found out.
  [`${T}-label`]: async (payload, ctx) => {
    await ctx.setMeta({ stage: "done", rows: (payload as { rows: number }).rows, by: ctx.jobType });
    return null;
  },
  // Asks for meta that cannot be one: not recorded, a log line says why, the job still completes.
  [`${T}-bad-meta`]: async (_payload, ctx) => {
    await ctx.setMeta({ big: "x".repeat(MAX_META_BYTES) });
    return null;
  },
  // Fails for good with a code and a message full of LIKE's wildcards and SQL quotes.
  [`${T}-fail`]: (payload) => {
    const { code, message } = payload as { code: string; message: string };
    throw Object.assign(new Error(message), { code, retryable: false });
  },
};

let redis: TestRedis;
let api: TestApi;
let client: DocketClient;
let worker: Worker;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  client = new DocketClient({ baseUrl: await api.app.listen({ port: 0, host: "127.0.0.1" }) });
  worker = (await startWorker(api.engine, handlers, { concurrency: 4 })).worker;
});
afterAll(async () => {
  await worker.stop(100);
  await api.stop();
  await redis.stop();
});

const ids = (jobs: ReadonlyArray<JobView>): Array<string> => jobs.map((j) => j.id).sort();

/** Wait until the projection lists `id` as `status`. */
const projected = (id: string, status: JobView["status"]) =>
  waitFor(
    async () => (await client.list({ limit: 500 })).jobs.find((j) => j.id === id && j.status === status),
    `job ${id} projected as ${status}`,
  );

const refusal = async (filter: Parameters<DocketClient["list"]>[0]): Promise<DocketApiError> => {
  const error = await client.list(filter).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DocketApiError);
  return error as DocketApiError;
};

describe("meta on a job", () => {
  it("is set at submit, replaced by the handler, and shown by get and list", async () => {
    const job = await client.submit({
      type: `${T}-label`,
      payload: { rows: 42 },
      meta: { tenant: "acme", stage: "queued" },
    });
    expect(job.meta).toEqual({ tenant: "acme", stage: "queued" });
    const done = await client.wait(job.id);
    expect(done.status).toBe("completed");
    const replaced = { stage: "done", rows: 42, by: `${T}-label` };
    expect(done.meta).toEqual(replaced);
    expect((await client.get(job.id)).meta).toEqual(replaced);
    expect((await projected(job.id, "completed")).meta).toEqual(replaced);
    const events = await client.events(job.id);
    expect(events.find((e) => e.type === "MetaUpdated")?.data).toEqual({ attempt: 1, meta: replaced });
  });

  it("a job without meta shows null; one the handler cannot set is logged and the job completes", async () => {
    const plain = await client.submit({ type: `${T}-label`, payload: { rows: 1 } });
    expect(plain.meta).toBeNull();
    const bad = await client.submit({ type: `${T}-bad-meta`, meta: { kept: true } });
    expect((await client.wait(bad.id)).status).toBe("completed");
    const events = await client.events(bad.id);
    expect(events.some((e) => e.type === "MetaUpdated")).toBe(false);
    const log = events.find((e) => e.type === "LogRecorded");
    expect(JSON.stringify(log?.data)).toContain("meta refused");
    expect((await client.get(bad.id)).meta).toEqual({ kept: true });
  });

  it("a submit whose meta is not a bounded JSON object is refused with invalid_job_spec", async () => {
    let deep: unknown = 0;
    for (let i = 0; i < MAX_META_DEPTH + 1; i++) deep = { d: deep };
    for (const meta of ["label", [1, 2], null, { big: "é".repeat(MAX_META_BYTES / 2) }, deep]) {
      const response = await api.app.inject({
        method: "POST",
        url: "/v1/jobs",
        payload: { type: `${T}-label`, meta } as object,
      });
      expect(response.statusCode, JSON.stringify(meta).slice(0, 40)).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: "invalid_job_spec" } });
    }
  });
});

describe("searching the job list", () => {
  it("by meta key, and by key and value (strings, and numbers or booleans by their JSON text)", async () => {
    const type = `${T}-idle-a`;
    const a = await client.submit({ type, queue: "idle", meta: { tenant: "acme", tier: 2, vip: true } });
    const b = await client.submit({ type, queue: "idle", meta: { tenant: "globex", tier: "2" } });
    const c = await client.submit({ type, queue: "idle", meta: { other: null } });
    await client.submit({ type, queue: "idle" });
    await waitFor(async () => (await client.list({ type })).jobs.length === 4, "the four jobs projected");
    expect(ids((await client.list({ type, metaKey: "tenant" })).jobs)).toEqual(ids([a, b]));
    expect(ids((await client.list({ type, metaKey: "tenant", metaValue: "acme" })).jobs)).toEqual([a.id]);
    expect(ids((await client.list({ type, metaKey: "tier", metaValue: "2" })).jobs)).toEqual(ids([a, b]));
    expect(ids((await client.list({ type, metaKey: "vip", metaValue: "true" })).jobs)).toEqual([a.id]);
    // A member that is JSON null is present; its value's JSON text is `null`.
    expect(ids((await client.list({ type, metaKey: "other" })).jobs)).toEqual([c.id]);
    expect(ids((await client.list({ type, metaKey: "other", metaValue: "null" })).jobs)).toEqual([c.id]);
    expect((await client.list({ type, metaKey: "tenant", metaValue: "ACME" })).jobs).toEqual([]);
  });

  it("by creation time, ISO or epoch ms, paged with a cursor", async () => {
    const type = `${T}-idle-b`;
    const early = [
      await client.submit({ type, queue: "idle" }),
      await client.submit({ type, queue: "idle" }),
    ];
    // The first instant after both: later submits are created at or after it.
    const boundaryMs = Math.max(...early.map((j) => Date.parse(j.createdAt))) + 1;
    await waitFor(() => Date.now() > boundaryMs, "the clock to pass the boundary");
    const late = [
      await client.submit({ type, queue: "idle" }),
      await client.submit({ type, queue: "idle" }),
      await client.submit({ type, queue: "idle" }),
    ];
    await waitFor(async () => (await client.list({ type })).jobs.length === 5, "the five jobs projected");
    const boundary = new Date(boundaryMs).toISOString();
    expect(ids((await client.list({ type, createdFrom: boundary })).jobs)).toEqual(ids(late));
    expect(ids((await client.list({ type, createdTo: boundaryMs })).jobs)).toEqual(ids(early));
    expect(ids((await client.list({ type, createdTo: new Date(boundaryMs) })).jobs)).toEqual(ids(early));
    // Pages of one, following the cursor, give the same jobs, newest first, once each.
    const seen: Array<string> = [];
    let cursor: string | undefined;
    do {
      const page = await client.list({
        type,
        createdFrom: String(boundaryMs),
        limit: 1,
        ...(cursor === undefined ? {} : { cursor }),
      });
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(late.map((j) => j.id).reverse());
    // Instants beyond the years a timestamp holds still select (everything, or nothing).
    expect((await client.list({ type, createdTo: "8640000000000000" })).jobs).toHaveLength(5);
    expect((await client.list({ type, createdFrom: "8640000000000000" })).jobs).toHaveLength(0);
  });

  it("by error code, by error text taken literally (%, _, quotes, backslashes), and by end time", async () => {
    const type = `${T}-fail`;
    const messages = ["100% done_not", "100x done-not", 'it\'s a "quote"', "back\\slash", "plain failure"];
    const failed: Array<JobView> = [];
    for (const [i, message] of messages.entries())
      failed.push(
        await client.submit({ type, payload: { code: i % 2 === 0 ? "even_code" : "odd_code", message } }),
      );
    const ended = await Promise.all(failed.map((j) => client.wait(j.id)));
    expect(ended.map((j) => j.status)).toEqual(messages.map(() => "dead_letter"));
    await waitFor(
      async () => (await client.list({ type, status: "dead_letter" })).jobs.length === messages.length,
      "the failures projected",
    );
    const [pct, x, quote, slash] = ended as [JobView, JobView, JobView, JobView, JobView];
    expect(ids((await client.list({ type, errorCode: "even_code" })).jobs)).toEqual(
      ids(ended.filter((_, i) => i % 2 === 0)),
    );
    expect(ids((await client.list({ type, errorText: "0% done_" })).jobs)).toEqual([pct.id]);
    expect(ids((await client.list({ type, errorText: "done" })).jobs)).toEqual(ids([pct, x]));
    expect(ids((await client.list({ type, errorText: "%" })).jobs)).toEqual([pct.id]);
    expect(ids((await client.list({ type, errorText: "_" })).jobs)).toEqual([pct.id]);
    expect(ids((await client.list({ type, errorText: "it's a \"q" })).jobs)).toEqual([quote.id]);
    expect(ids((await client.list({ type, errorText: "k\\s" })).jobs)).toEqual([slash.id]);
    expect(ids((await client.list({ type, errorText: "PLAIN" })).jobs)).toHaveLength(1);
    expect((await client.list({ type, errorText: "'; DROP TABLE jobs; --" })).jobs).toEqual([]);
    // End time: [from, to) around the latest end.
    const last = ended.reduce((a, b) => ((a.endedAt ?? "") >= (b.endedAt ?? "") ? a : b));
    const lastEnd = last.endedAt ?? "";
    const atLast = (await client.list({ type, endedFrom: lastEnd })).jobs;
    expect(atLast.map((j) => j.id)).toContain(last.id);
    expect(atLast.every((j) => (j.endedAt ?? "") >= lastEnd)).toBe(true);
    const beforeLast = (await client.list({ type, endedTo: lastEnd })).jobs;
    expect(beforeLast.map((j) => j.id)).not.toContain(last.id);
    expect(beforeLast.length + atLast.length).toBe(messages.length);
    // A job that has not ended matches no end range.
    const idle = await client.submit({ type: `${T}-idle-c`, queue: "idle" });
    await projected(idle.id, "queued");
    expect((await client.list({ type: `${T}-idle-c`, endedFrom: "0" })).jobs).toEqual([]);
  });

  it("refuses bad search values with a 400 and a stable code, never a 5xx", async () => {
    for (const filter of [
      { createdFrom: "yesterday" },
      { createdTo: "2026-13-45" },
      { endedFrom: "1e3" },
      { endedTo: "" },
      { errorCode: "no spaces" },
      { errorText: "" },
      { errorText: "x".repeat(257) },
      { metaKey: "a.b" },
      { metaKey: '"]; --' },
      { metaKey: "$" },
      { metaKey: "k".repeat(65) },
      { metaValue: "orphan" },
      { metaKey: "k", metaValue: "v".repeat(257) },
      { createdFrom: "1".repeat(70) },
    ]) {
      const error = await refusal(filter);
      expect(error.status, JSON.stringify(filter)).toBe(400);
      expect(error.code, JSON.stringify(filter)).toBe("invalid_request");
    }
    const response = await api.app.inject({
      method: "GET",
      url: `/v1/jobs?status=queued&at=0&metaKey=tenant`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: "invalid_request", field: "query.metaKey" } });
  });

  it("a rebuilt projection equals the live one after meta updates", async () => {
    const response = await api.app.inject({ method: "POST", url: "/v1/projections/check", payload: {} });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ differences: [] });
  });
});
