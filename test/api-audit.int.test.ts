/**
 * The audit routes through `inject` on a real Redis and SQLite: replay (honest and tampered),
 * time travel for one job and for a status, verify, export; bad times are 400 naming the field,
 * unknown jobs 404, and the bearer token guards them like every /v1 route.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import { DocketApiError, DocketClient, type JobsAt } from "../src/client/index.ts";
import {
  type ReplayReport,
  splitLines,
  type StateAt,
  type VerifyReport,
  verifyBundle,
} from "../src/engine/audit/index.ts";
import type { JobView } from "../src/engine/read/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { editEnvelope } from "./support/audit.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let api: TestApi;
let worker: Worker;
let beforeAllJobs = 0;
const ids = { echo: "", dead: "" };

const get = (url: string, headers: Record<string, string> = {}) =>
  api.app.inject({ method: "GET", url, headers });
const post = (url: string, payload: object = {}) => api.app.inject({ method: "POST", url, payload });

const expectError = (response: { statusCode: number; json: () => unknown }, status: number, code: string) => {
  expect(response.statusCode).toBe(status);
  expect((response.json() as { error: { code: string } }).error.code).toBe(code);
};

const replayOf = async (id: string): Promise<ReplayReport> => {
  const response = await get(`/v1/jobs/${id}/replay`);
  expect(response.statusCode).toBe(200);
  return response.json<ReplayReport>();
};

const submitAndWait = async (spec: object, status: string): Promise<string> => {
  const response = await post("/v1/jobs", spec);
  expect(response.statusCode).toBe(202);
  const { id } = response.json<JobView>();
  await waitFor(async () => (await replayOf(id)).final?.status === status, `${id} to be ${status}`);
  return id;
};

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  beforeAllJobs = Date.now() - 1;
  ({ worker } = await startWorker(api.engine, demoHandlers, { concurrency: 2 }));
  ids.echo = await submitAndWait({ type: "echo", payload: { hello: "audit" } }, "completed");
  ids.dead = await submitAndWait(
    { type: "fail", payload: { message: "disk full", retryable: false } },
    "dead_letter",
  );
});

afterAll(async () => {
  await worker?.stop(100);
  await api?.stop();
  await redis?.stop();
});

describe("GET /v1/jobs/:id/replay", () => {
  it("replays a completed job: every event with the state after it, anchored at the head", async () => {
    const report = await replayOf(ids.echo);
    expect(report.ok).toBe(true);
    expect(report.failure).toBeNull();
    expect(report.events.map((e) => e.seq)).toEqual(report.events.map((_, i) => i + 1));
    expect(report.storedEvents).toBe(report.events.length);
    expect(report.anchor?.version).toBe(report.events.length);
    expect(report.anchor?.lastHash).toBe(report.events.at(-1)?.hash);
    expect(report.events[0]).toMatchObject({ type: "JobSubmitted", actor: { kind: "client" } });
    expect(report.events.map((e) => e.state.status)).toContain("processing");
    expect(report.events.at(-1)).toMatchObject({
      type: "JobCompleted",
      state: { status: "completed", attempt: 1, result: { hello: "audit" } },
    });
    expect(report.final).toEqual(report.events.at(-1)?.state);
  });

  it("is 404 job_not_found for an unknown job and 400 for a malformed id", async () => {
    expectError(await get("/v1/jobs/no-such-job/replay"), 404, "job_not_found");
    expectError(await get(`/v1/jobs/${encodeURIComponent("bad id!")}/replay`), 400, "invalid_request");
  });
});

describe("GET /v1/jobs/:id/explain", () => {
  it("explains in plain words why a job ended where it did, and is 404 for an unknown job", async () => {
    const response = await get(`/v1/jobs/${ids.dead}/explain`);
    expect(response.statusCode).toBe(200);
    const explanation = response.json<{ status: string; summary: string; attemptsUsed: number }>();
    expect(explanation.status).toBe("dead_letter");
    expect(explanation.summary).toContain("disk full");
    expect(explanation.attemptsUsed).toBe(1);
    expectError(await get("/v1/jobs/no-such-job/explain"), 404, "job_not_found");
  });
});

describe("GET /v1/jobs/:id/state?at=", () => {
  it("answers existed:false before the job's first event", async () => {
    const response = await get(`/v1/jobs/${ids.echo}/state?at=${beforeAllJobs - 60_000}`);
    expect(response.statusCode).toBe(200);
    expect(response.json<StateAt>()).toMatchObject({ existed: false, seq: 0, state: null, view: null });
  });

  it("answers the state after the last event at or before the time, mid-history and after the end", async () => {
    const replay = await replayOf(ids.echo);
    const second = replay.events[1];
    if (second === undefined) throw new Error("expected at least two events");
    // ISO time, inclusive: the event at exactly that time has happened (or a later one at the same ms).
    const mid = (await get(`/v1/jobs/${ids.echo}/state?at=${second.at}`)).json<StateAt>();
    expect(mid.existed).toBe(true);
    expect(mid.seq).toBeGreaterThanOrEqual(2);
    const atMid = replay.events[mid.seq - 1];
    expect(mid.state).toEqual(atMid?.state);
    expect(Date.parse(atMid?.at ?? "")).toBeLessThanOrEqual(Date.parse(second.at));
    expect(mid.view).toMatchObject({ id: ids.echo, version: mid.seq, status: atMid?.state.status });
    // Epoch ms, after the end: the final state, the same view GET /v1/jobs/:id shows.
    const end = (await get(`/v1/jobs/${ids.echo}/state?at=${Date.now()}`)).json<StateAt>();
    expect(end).toMatchObject({ existed: true, seq: replay.events.length, failure: null });
    expect(end.state).toEqual(replay.final);
    expect(end.view).toEqual((await get(`/v1/jobs/${ids.echo}`)).json());
  });

  it("refuses a missing or bad time with 400 naming query.at, and an unknown job with 404", async () => {
    // 2023-02-29 and T24:00 are refused, not read as 2023-03-01 and the next midnight.
    const notInCalendar = ["2023-02-29T00:00:00Z", "2026-04-31", "2026-01-01T24:00:00Z"];
    for (const at of [
      "yesterday",
      "2026-13-45T00:00:00Z",
      "1.5",
      "-3",
      "",
      "a".repeat(100),
      ...notInCalendar,
    ]) {
      const response = await get(`/v1/jobs/${ids.echo}/state?at=${encodeURIComponent(at)}`);
      expectError(response, 400, "invalid_request");
      expect(response.json<{ error: { field: string } }>().error.field).toBe("query.at");
    }
    expectError(await get(`/v1/jobs/${ids.echo}/state`), 400, "invalid_request");
    expectError(await get(`/v1/jobs/no-such-job/state?at=${Date.now()}`), 404, "job_not_found");
  });
});

describe("GET /v1/jobs?status=&at=", () => {
  it("lists the jobs that were in a status at that time, as they were then", async () => {
    const now = (await get(`/v1/jobs?status=completed&at=${Date.now()}`)).json<JobsAt>();
    expect(now.jobs.map((j) => j.id)).toContain(ids.echo);
    expect(now.total).toBe(now.jobs.length);
    expect(now.scanned.entries).toBeGreaterThan(0);
    expect(now.unreadable).toEqual([]);
    const dead = (await get(`/v1/jobs?status=dead_letter&at=${new Date().toISOString()}`)).json<JobsAt>();
    expect(dead.jobs.map((j) => j.id)).toEqual([ids.dead]);
    expect(dead.jobs[0]?.error).toMatchObject({
      message: expect.stringContaining("disk full"),
      retryable: false,
    });
    // Before the jobs existed: nothing in any status.
    const before = (await get(`/v1/jobs?status=completed&at=${beforeAllJobs - 60_000}`)).json<JobsAt>();
    expect(before).toMatchObject({ jobs: [], total: 0 });
    // Mid-history: the status the job had after its first event.
    const first = (await replayOf(ids.echo)).events[0];
    const then = (await get(`/v1/jobs?status=${first?.state.status}&at=${first?.at}`)).json<JobsAt>();
    expect(then.jobs.find((j) => j.id === ids.echo)).toMatchObject({
      status: first?.state.status,
      version: 1,
    });
    // limit caps the views, total counts them all.
    const limited = (await get(`/v1/jobs?status=completed&at=${Date.now()}&limit=1`)).json<JobsAt>();
    expect(limited.jobs.length).toBeLessThanOrEqual(1);
  });

  it("requires status with at, refuses projection filters with at, and names a bad at", async () => {
    const noStatus = await get(`/v1/jobs?at=${Date.now()}`);
    expectError(noStatus, 400, "invalid_request");
    expect(noStatus.json<{ error: { field: string } }>().error.field).toBe("query.status");
    expectError(
      await get(`/v1/jobs?status=completed&at=${Date.now()}&queue=default`),
      400,
      "invalid_request",
    );
    const bad = await get("/v1/jobs?status=completed&at=not-a-time");
    expect(bad.json<{ error: { field: string } }>().error.field).toBe("query.at");
    // Without at, the projection list is unchanged.
    expect(
      (await get("/v1/jobs?status=completed")).json<{ jobs: Array<unknown> }>().jobs.length,
    ).toBeGreaterThan(0);
  });
});

describe("POST /v1/audit/verify and GET /v1/audit/export", () => {
  it("verifies the drained log and the projection", async () => {
    await waitFor(() => (api.readSide.reads.job(ids.dead)?.status ?? "") === "dead_letter", "projection");
    const response = await post("/v1/audit/verify", { drained: true });
    expect(response.statusCode).toBe(200);
    const report = response.json<VerifyReport>();
    expect(report.failures).toEqual([]);
    expect(report).toMatchObject({ ok: true, skipped: [], scope: { jobId: null, drained: true } });
    expect(report.checks).toContain("projection");
    const one = (await post("/v1/audit/verify", { jobId: ids.echo })).json<VerifyReport>();
    expect(one).toMatchObject({ ok: true, counts: { jobs: 1 } });
    expect(one.skipped).toEqual([{ check: "projection", reason: expect.stringContaining("as a whole") }]);
    expectError(await post("/v1/audit/verify", { drained: "yes" }), 400, "invalid_request");
  });

  it("streams an NDJSON bundle that verifies offline; an unknown job is 404", async () => {
    const response = await get(`/v1/audit/export?jobId=${ids.dead}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/x-ndjson/);
    const report = await verifyBundle(response.body);
    expect(report).toMatchObject({ ok: true, counts: { jobs: 1 } });
    const all = await get(`/v1/audit/export?since=${beforeAllJobs}`);
    expect((await verifyBundle(all.body)).counts.jobs).toBe(2);
    expectError(await get("/v1/audit/export?jobId=no-such-job"), 404, "job_not_found");
    expectError(await get("/v1/audit/export?since=soon"), 400, "invalid_request");
  });
});

describe("the typed client and the OpenAPI document", () => {
  it("client.replay / stateAt / jobsAt / verify / exportBundle call the audit routes", async () => {
    const baseUrl = await api.app.listen({ port: 0, host: "127.0.0.1" });
    const client = new DocketClient({ baseUrl });
    expect((await client.replay(ids.echo)).ok).toBe(true);
    expect((await client.stateAt(ids.echo, new Date())).state?.status).toBe("completed");
    expect((await client.stateAt(ids.echo, beforeAllJobs - 60_000)).existed).toBe(false);
    expect((await client.jobsAt("dead_letter", Date.now(), { limit: 5 })).jobs.map((j) => j.id)).toEqual([
      ids.dead,
    ]);
    expect((await client.verify({ jobId: ids.dead, drained: true })).ok).toBe(true);
    const bundle = await verifyBundle(splitLines(client.exportBundle({ jobId: ids.echo })));
    expect(bundle).toMatchObject({ ok: true, counts: { jobs: 1 } });
    await expect(client.replay("no-such-job")).rejects.toThrow(DocketApiError);
    await expect(collect(client.exportBundle({ jobId: "no-such-job" }))).rejects.toMatchObject({
      code: "job_not_found",
    });
  });

  it("documents the audit routes", async () => {
    const doc = (await get("/openapi.json")).json<{ paths: Record<string, Record<string, unknown>> }>();
    expect(doc.paths["/v1/jobs/{id}/replay"]?.get).toBeDefined();
    expect(doc.paths["/v1/jobs/{id}/state"]?.get).toBeDefined();
    expect(doc.paths["/v1/audit/verify"]?.post).toBeDefined();
    expect(doc.paths["/v1/audit/export"]?.get).toBeDefined();
    expect(JSON.stringify(doc.paths["/v1/jobs"]?.get)).toContain('"at"');
  });
});

const collect = async (chunks: AsyncIterable<Uint8Array>): Promise<number> => {
  let bytes = 0;
  for await (const chunk of chunks) bytes += chunk.length;
  return bytes;
};

describe("a job history tampered in Redis", () => {
  it("replays with ok:false naming the first bad seq and its code; verify fails on it", async () => {
    const id = await submitAndWait({ type: "echo", payload: { amount: 10 } }, "completed");
    await editEnvelope(api.engine.client, api.engine.store.keys, id, 0, (env) => {
      const edited = env as unknown as { data: { spec: { payload: unknown } } };
      edited.data.spec.payload = { amount: 1_000_000 };
      return edited;
    });
    const report = await replayOf(id);
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({ seq: 1, code: "hash_mismatch" });
    expect(report.events).toEqual([]);
    const verify = (await post("/v1/audit/verify", { jobId: id })).json<VerifyReport>();
    expect(verify.ok).toBe(false);
    expect(verify.failures[0]).toMatchObject({ jobId: id, seq: 1, code: "hash_mismatch" });
    const state = (await get(`/v1/jobs/${id}/state?at=${Date.now()}`)).json<StateAt>();
    expect(state.failure).toMatchObject({ seq: 1 });
  });
});

describe("with a bearer token", () => {
  it("guards the audit routes like every /v1 route", async () => {
    const guarded = await startApi(redis.url, { token: "audit-token" });
    try {
      for (const url of [
        "/v1/jobs/x/replay",
        `/v1/jobs/x/state?at=${Date.now()}`,
        `/v1/jobs?status=completed&at=${Date.now()}`,
        "/v1/audit/export",
      ]) {
        expectError(await guarded.app.inject({ method: "GET", url }), 401, "unauthorized");
        const authorized = await guarded.app.inject({
          method: "GET",
          url,
          headers: { authorization: "Bearer audit-token" },
        });
        expect(authorized.statusCode, url).not.toBe(401);
      }
      expectError(
        await guarded.app.inject({ method: "POST", url: "/v1/audit/verify", payload: {} }),
        401,
        "unauthorized",
      );
    } finally {
      await guarded.stop();
    }
  });
});
