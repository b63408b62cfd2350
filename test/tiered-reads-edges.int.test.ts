/**
 * The edges of reads and purges across tiers (ADR 0034), on a real Redis and a real archive: a
 * process with no archive answers archive_needed, never "no such job"; the in-process API given
 * the archive reads as the API does; a purge that loses a race to another takes the next jobs; a
 * job written while Redis's clock ran behind its stream ids is still found in the archive.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Retention, type RetentionIndex } from "../src/engine/archive/index.ts";
import { systemClock } from "../src/engine/shared/index.ts";
import type { Handlers } from "../src/engine/worker/index.ts";
import { JobWriter } from "../src/engine/write/index.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { RedisRetentionIndex } from "../src/infra/redis/redis-archive.ts";
import { connect } from "../src/library/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { tempDirs } from "./support/temp-dirs.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
const tempDir = tempDirs("docket-tiered-edges-");
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const handlers: Handlers = { echo: async (payload) => payload };

/** The archive an API's archiver seals into at once (retention a day: only purges evict). */
const archiveSettings = () => ({
  archiveDir: join(tempDir(), "archive"),
  dataDir: tempDir(),
  segmentEntries: 5,
  maxAgeMs: 10,
  leaseMs: 60_000,
  pollMs: 20,
  retention: { completedMs: 86_400_000, deadLetterMs: 86_400_000, cancelledMs: 86_400_000 },
});

/** A job submitted with `idempotencyKey`, run, purged over HTTP, and gone from Redis. */
const leftRedis = async (api: TestApi, idempotencyKey: string): Promise<string> => {
  const { jobId } = await api.engine.jobs.submit(
    { type: "echo", idempotencyKey },
    { kind: "client", id: "test" },
  );
  await (
    await startWorker(api.engine, handlers, { burst: true })
  ).done;
  const purged = await api.app.inject({
    method: "POST",
    url: "/v1/jobs/purge",
    headers: { authorization: "Bearer t0ken", "content-type": "application/json" },
    payload: { status: "completed", olderThan: "0s" },
  });
  expect(purged.json()).toEqual({ purged: 1 });
  await waitFor(async () => (await api.engine.store.loadHead(jobId)) === null, "the job to leave Redis");
  return jobId;
};

describe("a process without the archive, on a deployment whose jobs have left Redis", () => {
  it("answers archive_needed for a job that may have left, never that it does not exist (a repeat submit included)", async () => {
    const api = await startApi(redis.url, { token: "t0ken", archiver: archiveSettings() });
    try {
      const id = await leftRedis(api, "order-7");

      // The in-process API (src/library), given no archive directory.
      const docket = await connect({ redisUrl: redis.url, prefix: api.prefix });
      try {
        await expect(docket.get(id)).rejects.toMatchObject({ _tag: "ArchiveNeeded" });
        await expect(docket.events(id)).rejects.toMatchObject({ _tag: "ArchiveNeeded" });
        // The repeat is accepted (its key outlives the job) and is not answered "no such job".
        await expect(docket.submit("echo", undefined, { idempotencyKey: "order-7" })).rejects.toMatchObject({
          _tag: "ArchiveNeeded",
        });
        // An id naming the future, or not an id Docket makes, was never a job: still not found.
        const later = `${(Date.now() + 120_000)
          .toString(16)
          .padStart(12, "0")
          .replace(/^(.{8})/, "$1-")}-7000-8000-000000000000`;
        await expect(docket.get(later)).rejects.toMatchObject({ _tag: "JobNotFound" });
        await expect(docket.get("not-a-job")).rejects.toMatchObject({ _tag: "JobNotFound" });
      } finally {
        await docket.close();
      }
      // The API, which reads the archive, still answers it whole.
      const view = await api.app.inject({
        method: "GET",
        url: `/v1/jobs/${id}`,
        headers: { authorization: "Bearer t0ken" },
      });
      expect([view.statusCode, view.headers["docket-tier"]]).toEqual([200, "archive"]);
    } finally {
      await api.stop();
    }
  });
});

describe("the in-process API given the archive", () => {
  it("reads a job that has left Redis as the API does, and answers a repeat of its submit with it", async () => {
    const settings = archiveSettings();
    const api = await startApi(redis.url, { token: "t0ken", archiver: settings });
    try {
      const id = await leftRedis(api, "order-8");
      const docket = await connect({
        redisUrl: redis.url,
        prefix: api.prefix,
        archive: { archiveDir: settings.archiveDir, dataDir: settings.dataDir },
      });
      try {
        const view = await api.app.inject({
          method: "GET",
          url: `/v1/jobs/${id}`,
          headers: { authorization: "Bearer t0ken" },
        });
        expect(await docket.get(id)).toEqual(view.json());
        expect((await docket.events(id)).at(-1)?.type).toBe("JobEvicted");
        expect((await docket.submit("echo", undefined, { idempotencyKey: "order-8" })).id).toBe(id);
        // A job that depends on it is accepted, as over HTTP (the dependency ended completed).
        const dependent = await docket.submit("echo", undefined, { dependsOn: [id] });
        expect(dependent.status).toBe("queued");
      } finally {
        await docket.close();
      }
    } finally {
      await api.stop();
    }
  });
});

describe("concurrent purges", () => {
  const DAY = 86_400_000;
  const purger = (engine: TestEngine, index: RetentionIndex) =>
    new Retention({
      index,
      writer: new JobWriter(engine.store, systemClock),
      store: engine.store,
      clock: systemClock,
      policy: { completedMs: DAY, deadLetterMs: DAY, cancelledMs: DAY },
    });

  it("a purge that loses its first jobs to another purge takes the next ones, up to its limit, instead of answering 0", async () => {
    const engine = await makeEngine(redis.url);
    try {
      const ids: Array<string> = [];
      for (let i = 0; i < 6; i++) ids.push((await engine.jobs.submit({ type: "echo" }, apiActor)).jobId);
      await (
        await startWorker(engine, handlers, { burst: true })
      ).done;
      const index = new RedisRetentionIndex(engine.client, { prefix: engine.prefix, shards: 1 });
      // The slow purge reads the same oldest jobs as the quick one, and acts only once that is done.
      let release = (): void => undefined;
      const quickDone = new Promise<void>((resolve) => (release = resolve));
      const gated: RetentionIndex = {
        shards: 1,
        due: async (...args) => {
          const due = await index.due(...args);
          await quickDone;
          return due;
        },
        forget: (shard, jobIds) => index.forget(shard, jobIds),
        evictArchived: (shard, limit, keysMs) => index.evictArchived(shard, limit, keysMs),
      };
      const request = { status: "completed", olderThanMs: 0, actor: apiActor, limit: 3 } as const;
      const slow = purger(engine, gated).purge(request);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await purger(engine, index).purge(request)).toBe(3);
      release();
      expect(await slow).toBe(3);
      const evicted = await Promise.all(
        ids.map(async (id) => (await engine.jobs.view(id)).evictedAt !== null),
      );
      expect(evicted).toEqual(ids.map(() => true));
    } finally {
      await engine.close();
    }
  });
});

describe("a shard log whose ids run ahead of the clock", () => {
  it("a job that has left Redis is still read whole from the archive when Redis's clock stepped back before it was submitted", async () => {
    const api = await startApi(redis.url, { token: "t0ken", archiver: archiveSettings() });
    const auth = { authorization: "Bearer t0ken", "content-type": "application/json" };
    const submit = async (spec: object): Promise<string> =>
      (await api.app.inject({ method: "POST", url: "/v1/jobs", headers: auth, payload: spec })).json().id;
    try {
      await submit({ type: "echo", queue: "idle" });
      // Redis's clock was 5 minutes ahead, then set right: a stream's ids never go back, so
      // every entry from now on carries an id 5 minutes ahead of when it was written.
      await api.engine.client.call("XSETID", new Keys(api.prefix, 1).log(0), `${Date.now() + 300_000}-0`);
      for (let i = 0; i < 12; i++) await submit({ type: "echo", queue: "idle" });
      const id = await submit({ type: "echo" });
      await (
        await startWorker(api.engine, handlers, { burst: true })
      ).done;
      const inRedis = await api.app.inject({ method: "GET", url: `/v1/jobs/${id}/events`, headers: auth });
      const purged = await api.app.inject({
        method: "POST",
        url: "/v1/jobs/purge",
        headers: auth,
        payload: { status: "completed", olderThan: "0s" },
      });
      expect(purged.json()).toEqual({ purged: 1 });
      // Enough after it to fill its segment (a partial one is sealed once its ids' time is past).
      for (let i = 0; i < 10; i++) await submit({ type: "echo", queue: "idle" });
      await waitFor(async () => (await api.engine.store.loadHead(id)) === null, "the job to leave Redis");

      const events = await api.app.inject({ method: "GET", url: `/v1/jobs/${id}/events`, headers: auth });
      expect([events.statusCode, events.headers["docket-tier"]]).toEqual([200, "archive"]);
      expect(events.json().events.slice(0, -1)).toEqual(inRedis.json().events);
      expect(events.json().events.at(-1).type).toBe("JobEvicted");
    } finally {
      await api.stop();
    }
  });
});
