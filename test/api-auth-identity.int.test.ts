/**
 * Identity comes from authentication, not from a header (ADR 0017): the event's actor is
 * `{ kind: "client", id: <the token's name> }` for submit, bulk submit, cancel, retry and
 * dead-letter retry (`anonymous` when the API has no tokens), and a `Docket-Actor` header lands
 * only in `actor.unauthenticatedClaim`. Before the fix the header was recorded as the actor id,
 * with or without a token, and every retry was recorded as an `operator`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import type { Actor, Envelope, EventType } from "../src/domain/index.ts";
import { verifyBundle } from "../src/engine/audit/index.ts";
import type { JobView } from "../src/engine/read/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const TOKENS = [
  { name: "ci", token: "ci-token-0123456789" },
  { name: "alice", token: "alice-token-0123456789" },
] as const;
const SINGLE = "single-token-0123456789";

let redis: TestRedis;
let api: TestApi;
let open: TestApi;
const workers: Array<Worker> = [];

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { token: SINGLE, tokens: TOKENS });
  open = await startApi(redis.url);
  workers.push((await startWorker(api.engine, demoHandlers, { concurrency: 2 })).worker);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(100)));
  await api.stop();
  await open.stop();
  await redis.stop();
});

const as = (token: string, claim?: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...(claim === undefined ? {} : { "docket-actor": claim }),
});

const post = (target: TestApi, url: string, payload: object, headers: Record<string, string>) =>
  target.app.inject({ method: "POST", url, payload, headers });

const submit = async (target: TestApi, headers: Record<string, string>, spec: object = {}) => {
  const response = await post(target, "/v1/jobs", { type: "echo", queue: "parked", ...spec }, headers);
  expect(response.statusCode).toBe(202);
  return response.json<JobView>();
};

const eventsOf = async (target: TestApi, id: string): Promise<ReadonlyArray<Envelope>> =>
  target.engine.jobs.events(id);

const actorOf = async (target: TestApi, id: string, type: EventType, nth = 0): Promise<Actor | undefined> =>
  (await eventsOf(target, id)).filter((e) => e.type === type)[nth]?.actor;

const untilStatus = (id: string, status: string) =>
  waitFor(async () => (await api.engine.jobs.view(id)).status === status, `job ${id} ${status}`);

describe("the recorded actor is the authenticated principal", () => {
  it("submit: the token's name, and no claim member without the header", async () => {
    const job = await submit(api, as(TOKENS[0].token));
    expect(await actorOf(api, job.id, "JobSubmitted")).toStrictEqual({ kind: "client", id: "ci" });
    const bySingle = await submit(api, as(SINGLE));
    expect(await actorOf(api, bySingle.id, "JobSubmitted")).toStrictEqual({ kind: "client", id: "default" });
  });

  it("submit with Docket-Actor: the header is only an unauthenticated claim", async () => {
    const job = await submit(api, as(TOKENS[0].token, "admin@corp"));
    expect(await actorOf(api, job.id, "JobSubmitted")).toStrictEqual({
      kind: "client",
      id: "ci",
      unauthenticatedClaim: "admin@corp",
    });
  });

  it("bulk submit: every job records the principal and the claim", async () => {
    const response = await post(
      api,
      "/v1/jobs/bulk",
      {
        jobs: [
          { type: "echo", queue: "parked" },
          { type: "echo", queue: "parked" },
        ],
      },
      as(TOKENS[1].token, "bulk-loader"),
    );
    expect(response.statusCode).toBe(202);
    const ids = response.json<{ jobs: Array<{ id: string }> }>().jobs.map((j) => j.id);
    expect(ids).toHaveLength(2);
    for (const id of ids)
      expect(await actorOf(api, id, "JobSubmitted")).toStrictEqual({
        kind: "client",
        id: "alice",
        unauthenticatedClaim: "bulk-loader",
      });
  });

  it("cancel: the canceller's token name", async () => {
    const job = await submit(api, as(TOKENS[0].token));
    const cancelled = await post(
      api,
      `/v1/jobs/${job.id}/cancel`,
      { reason: "no longer needed" },
      as(SINGLE, "ops-bob"),
    );
    expect(cancelled.statusCode).toBe(200);
    expect(await actorOf(api, job.id, "JobCancelled")).toStrictEqual({
      kind: "client",
      id: "default",
      unauthenticatedClaim: "ops-bob",
    });
  });

  it("retry and dead-letter retry: a client like any other call, never an operator for calling retry", async () => {
    const job = await submit(api, as(TOKENS[0].token), {
      type: "fail",
      queue: "default",
      payload: { retryable: false },
    });
    await untilStatus(job.id, "dead_letter");
    const retried = await post(
      api,
      `/v1/jobs/${job.id}/retry`,
      { reason: "fixed it" },
      as(TOKENS[1].token, "ops-alice"),
    );
    expect(retried.statusCode).toBe(200);
    expect(await actorOf(api, job.id, "JobRetried")).toStrictEqual({
      kind: "client",
      id: "alice",
      unauthenticatedClaim: "ops-alice",
    });
    await untilStatus(job.id, "dead_letter");
    await waitFor(
      async () => (await api.engine.jobs.deadLetterViews(1000)).some((j) => j.id === job.id),
      "the job back in the dead-letter index",
    );
    const all = await post(api, "/v1/dead-letters/retry", {}, as(TOKENS[0].token));
    expect(all.statusCode).toBe(200);
    expect(all.json<{ retried: number }>().retried).toBeGreaterThan(0);
    expect(await actorOf(api, job.id, "JobRetried", 1)).toStrictEqual({ kind: "client", id: "ci" });
  });

  it("without tokens every caller is anonymous, and a claim is still only a claim", async () => {
    const job = await submit(open, {});
    expect(await actorOf(open, job.id, "JobSubmitted")).toStrictEqual({ kind: "client", id: "anonymous" });
    const claimed = await submit(open, { "docket-actor": "admin" });
    expect(await actorOf(open, claimed.id, "JobSubmitted")).toStrictEqual({
      kind: "client",
      id: "anonymous",
      unauthenticatedClaim: "admin",
    });
    // A token sent to an API without tokens changes nothing: there is nothing to prove it against.
    const withToken = await submit(open, as("anything"));
    expect(await actorOf(open, withToken.id, "JobSubmitted")).toStrictEqual({
      kind: "client",
      id: "anonymous",
    });
  });
});

describe("a malformed Docket-Actor claim", () => {
  const BAD = ["has space", "x".repeat(129), "é", "a,b", "<script>", "line\tbreak"];

  it("is a 400 naming the header, and nothing is appended", async () => {
    const job = await submit(api, as(TOKENS[0].token));
    const before = (await eventsOf(api, job.id)).length;
    for (const claim of BAD) {
      const key = `bad-claim-${BAD.indexOf(claim)}-${Date.now()}`;
      const refused = await post(
        api,
        "/v1/jobs",
        { type: "echo", queue: "parked" },
        {
          ...as(TOKENS[0].token, claim),
          "idempotency-key": key,
        },
      );
      expect(refused.statusCode, claim).toBe(400);
      expect(refused.json()).toMatchObject({
        error: { code: "invalid_request", field: "headers.docket-actor" },
      });
      // Nothing was created under that key: the same submit without the header creates the job.
      const clean = await post(
        api,
        "/v1/jobs",
        { type: "echo", queue: "parked" },
        {
          ...as(TOKENS[0].token),
          "idempotency-key": key,
        },
      );
      expect(clean.statusCode).toBe(202);
      expect(clean.headers["idempotent-replayed"]).toBeUndefined();
      const cancel = await post(api, `/v1/jobs/${job.id}/cancel`, {}, as(TOKENS[0].token, claim));
      expect(cancel.statusCode, claim).toBe(400);
    }
    expect((await eventsOf(api, job.id)).length).toBe(before);
  });
});

describe("the claim through the read side and the audit tools", () => {
  it("is projected, explained as claimed and unauthenticated, exported and verified", async () => {
    const job = await submit(api, as(TOKENS[0].token, "admin@corp"));
    const cancelled = await post(api, `/v1/jobs/${job.id}/cancel`, {}, as(TOKENS[1].token));
    expect(cancelled.statusCode).toBe(200);
    const expected = { kind: "client", id: "ci", unauthenticatedClaim: "admin@corp" };
    await waitFor(() => api.readSide.reads.jobEvents(job.id).length === 2, "the job projected");
    expect(api.readSide.reads.jobEvents(job.id)[0]?.actor).toStrictEqual(expected);
    const explained = await api.app.inject({
      method: "GET",
      url: `/v1/jobs/${job.id}/explain`,
      headers: as(SINGLE),
    });
    expect(explained.statusCode).toBe(200);
    const text = JSON.stringify(explained.json());
    expect(text).toContain("Submitted by client ci (claimed, unauthenticated: admin@corp) as a echo job");
    expect(text).toContain("Cancelled by client alice ");
    const bundle = await api.app.inject({
      method: "GET",
      url: `/v1/audit/export?jobId=${job.id}`,
      headers: as(SINGLE),
    });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body).toContain('"actor":{"id":"ci","kind":"client","unauthenticatedClaim":"admin@corp"}');
    const report = await verifyBundle(bundle.body);
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ jobs: 1, events: 2 });
    const verified = await post(api, "/v1/audit/verify", { jobId: job.id }, as(SINGLE));
    expect(verified.json()).toMatchObject({ ok: true });
    const replay = await api.app.inject({
      method: "GET",
      url: `/v1/jobs/${job.id}/replay`,
      headers: as(SINGLE),
    });
    expect(replay.json()).toMatchObject({ ok: true });
  });
});
