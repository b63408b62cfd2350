/**
 * `GET /v1/events` resumes (README "Live events"): a client that comes back with `Last-Event-ID`
 * gets every event after it — from the log in Redis, then live — once each and in order, also
 * when the API restarted in between and events were appended while it was away; a stream of one
 * job resumes from `<jobId>:<seq>`; ids of another form are a 400 `invalid_last_event_id`; and
 * the typed client's `wait` follows a job over the stream through an API restart. Real Redis
 * (two shards), real API processes' compositions listening on real sockets, real SQLite files.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketClient, type StreamMessage } from "../src/client/index.ts";
import type { Envelope } from "../src/domain/index.ts";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import { type ApiServer, openApiServer } from "../src/main.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { checkAnswers } from "./support/contract.ts";
import { tempDbPath } from "./support/projection.ts";
import { rawRequest } from "./support/raw-http.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const SHARDS = 2;

let redis: TestRedis;
let engine: TestEngine;
let prefix: string;
let dbPath: string;

beforeAll(async () => {
  redis = await startRedis();
  prefix = uniquePrefix();
  dbPath = tempDbPath();
  engine = await makeEngine(redis.url, { prefix, shards: SHARDS });
});
afterAll(async () => {
  await engine?.close();
  await redis?.stop();
  rmSync(dirname(dbPath), { recursive: true, force: true });
});

/** An API process's composition on the shared prefix and projection file, listening on `port`. */
const openApi = async (port = 0): Promise<{ server: ApiServer; client: DocketClient; port: number }> => {
  const server = await openApiServer({
    redisUrl: redis.url,
    prefix,
    shards: SHARDS,
    leaseMs: 2_000,
    dbPath,
    projector: { blockMs: 50, retryInitialMs: 50, retryMaxMs: 500 },
  });
  checkAnswers(server.app);
  await server.app.listen({ port, host: "127.0.0.1" });
  const bound = (server.app.server.address() as { port: number }).port;
  return { server, client: new DocketClient({ baseUrl: `http://127.0.0.1:${bound}` }), port: bound };
};

/** Read a stream until `enough` says so (or fail after the timeout). */
const collect = async (
  client: DocketClient,
  options: { readonly jobId?: string; readonly lastEventId?: string },
  enough: (messages: ReadonlyArray<StreamMessage>) => boolean,
  onOpen: () => Promise<void> = async () => {},
): Promise<ReadonlyArray<StreamMessage>> => {
  const messages: Array<StreamMessage> = [];
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error(`stream: only ${messages.length} messages`)), 20_000);
  try {
    const stream = client.stream({ ...options, signal: stop.signal });
    const first = stream.next();
    await onOpen();
    for (let next = await first; next.done !== true; next = await stream.next()) {
      messages.push(next.value);
      if (enough(messages)) break;
    }
    return messages;
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
};

const keyOf = (event: { readonly jobId: string; readonly seq: number }) => `${event.jobId}:${event.seq}`;

/** Every event of these jobs, as stored in Redis. */
const storedEvents = async (ids: ReadonlyArray<string>): Promise<ReadonlyArray<Envelope>> =>
  (await engine.store.readEventsMany(ids)).flat();

describe("resuming an event stream", () => {
  it("a log stream resumed across an API restart gets every event after its last id once, in order", async () => {
    const first = await openApi();
    const ids: Array<string> = [];
    const submit = async (client: DocketClient) =>
      ids.push((await client.submit({ type: "resume", queue: "nobody-works-here" })).id);

    // A fresh stream: what is committed from now on. Read four events, then go away.
    const before = await collect(
      first.client,
      {},
      (messages) => messages.length === 4,
      async () => {
        for (let i = 0; i < 6; i++) await submit(first.client);
      },
    );
    const lastId = before.at(-1)?.id as string;
    expect(lastId.split(",")).toHaveLength(SHARDS);
    // While the client is away: more events through this API, then the API stops, then more
    // events are appended with no API at all (another process's writes).
    await first.client.cancel(ids[0] as string, "resume test");
    await first.client.cancel(ids[5] as string, "resume test");
    await first.server.close();
    for (let i = 0; i < 3; i++)
      ids.push((await engine.jobs.submit({ type: "resume", queue: "nobody-works-here" }, apiActor)).jobId);

    // Another API process on the same projection file, resumed from the last id.
    const second = await openApi();
    try {
      const sentinel: Array<string> = [];
      const after = await collect(
        second.client,
        { lastEventId: lastId },
        // Both jobs submitted now, not the sentinel alone: the stream orders events within a
        // shard, and shards are read side by side (on a cluster, polled one by one), so the
        // sentinel may come first.
        (messages) =>
          sentinel.length === 1 &&
          [sentinel[0], ids.at(-1)].every((id) => messages.some((m) => m.event.jobId === id)),
        async () => {
          await submit(second.client);
          sentinel.push((await second.client.submit({ type: "sentinel", queue: "nobody-works-here" })).id);
        },
      );
      // Everything the live projector may still hand over has been (it has caught up).
      await waitFor(
        async () => (await second.server.readSide.projector.lag()).every((shard) => shard.caughtUp),
        "the second API's projector to catch up",
      );

      const seen = [...before, ...after].map((m) => keyOf(m.event));
      expect(new Set(seen).size, "no event twice").toBe(seen.length);
      const expected = (await storedEvents([...ids, ...sentinel])).map(keyOf);
      expect([...seen].sort()).toEqual([...expected].sort());
      // Per job in seq order; per shard, the stream's position only moves forward.
      const lastSeq = new Map<string, number>();
      let previous = lastId.split(",");
      for (const { id, event } of after) {
        expect(event.seq, keyOf(event)).toBe((lastSeq.get(event.jobId) ?? event.seq - 1) + 1);
        lastSeq.set(event.jobId, event.seq);
        const position = id.split(",");
        expect(position).toHaveLength(SHARDS);
        position.forEach((entryId, shard) => {
          const [ms, seq] = entryId.split("-").map(Number) as [number, number];
          const [pms, pseq] = (previous[shard] as string).split("-").map(Number) as [number, number];
          expect(ms > pms || (ms === pms && seq >= pseq), `${id} after ${previous.join(",")}`).toBe(true);
        });
        previous = position;
      }
    } finally {
      await second.server.close();
    }
  });

  it("a stream of one job resumes from <jobId>:<seq>: <jobId>:0 is its whole history, then live events", async () => {
    const api = await openApi();
    try {
      const job = await api.client.submit({ type: "resume", queue: "nobody-works-here" });
      const whole = await collect(
        api.client,
        { jobId: job.id, lastEventId: `${job.id}:0` },
        (messages) => messages.length === 2,
        async () => {
          await api.client.cancel(job.id, "resume test");
        },
      );
      expect(whole.map((m) => [m.id, m.event.type])).toEqual([
        [`${job.id}:1`, "JobSubmitted"],
        [`${job.id}:2`, "JobCancelled"],
      ]);
      const rest = await collect(
        api.client,
        { jobId: job.id, lastEventId: `${job.id}:1` },
        (m) => m.length === 1,
      );
      expect(rest.map((m) => m.id)).toEqual([`${job.id}:2`]);
    } finally {
      await api.server.close();
    }
  });

  it("refuses a Last-Event-ID of a form the stream never sends with a 400 invalid_last_event_id", async () => {
    const api = await openApi();
    try {
      const job = "0193a3b0-7c2e-7000-8000-000000000042";
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["/v1/events", "abc"],
        ["/v1/events", "1-0"],
        ["/v1/events", "1-0,2-0,3-0"],
        ["/v1/events", "1-0, 2-0"],
        ["/v1/events", "99999999999999999-0,0-0"],
        ["/v1/events", `${job}:3`],
        [`/v1/events?jobId=${job}`, "1-0,2-0"],
        [`/v1/events?jobId=${job}`, "another-job:1"],
        [`/v1/events?jobId=${job}`, `${job}:x`],
        [`/v1/events?jobId=${job}`, `${job}:-1`],
        [`/v1/events?jobId=${job}`, `${job}:1234567890123`],
        [`/v1/events?jobId=${job}`, `${"a".repeat(5_000)}:1`],
      ];
      for (const [url, lastEventId] of cases) {
        const response = await api.server.app.inject({
          method: "GET",
          url,
          headers: { "last-event-id": lastEventId },
        });
        expect(response.statusCode, `${url} ${lastEventId}`).toBe(400);
        expect(response.json(), lastEventId).toMatchObject({
          error: { code: "invalid_last_event_id", field: "Last-Event-ID" },
        });
      }
      const twice = await rawRequest(api.port, {
        method: "GET",
        target: "/v1/events",
        headers: { "last-event-id": "1-0,1-0\r\nLast-Event-ID: 2-0,2-0" },
      });
      expect(twice.status).toBe(400);
    } finally {
      await api.server.close();
    }
  });

  it("the client's wait follows a job over the stream through an API restart", async () => {
    const first = await openApi();
    const port = first.port;
    const job = await first.client.submit({ type: "sleep", payload: { ms: 300 }, queue: "resume-wait" });
    const versions: Array<number> = [];
    const done = first.client.wait(job.id, {
      timeoutMs: 30_000,
      onUpdate: (view) => versions.push(view.version),
    });
    await waitFor(() => versions.length > 0, "the wait to read the job");
    // The API goes away; the job runs (progress, completion) while it is away, then it comes back.
    await first.server.close();
    const { worker } = await startWorker(engine, demoHandlers, { queues: ["resume-wait"] });
    try {
      await waitFor(
        async () => (await engine.jobs.view(job.id)).status === "completed",
        "the job to complete",
      );
      const second = await openApi(port);
      try {
        const final = await done;
        expect(final.status).toBe("completed");
        expect(versions.at(-1)).toBe(final.version);
        expect(versions).toEqual([...versions].sort((a, b) => a - b));
      } finally {
        await second.server.close();
      }
    } finally {
      await worker.stop(100);
    }
  });
});
