/**
 * Hostile handlers on a real Worker and a real Redis: whatever a handler throws, returns, logs or
 * reports, its attempt ends with a recorded, sanitised outcome (never a job left `processing`
 * until its lease expires), and every event it leaves is one every reader accepts.
 */
import * as Result from "effect/Result";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Envelope, replay, statusOf } from "../src/domain/index.ts";
import type { Handler, Worker } from "../src/engine/worker/index.ts";
import type { AppendRequest } from "../src/engine/write/index.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { eventLogOf } from "./support/projection.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker, workerOn } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;
let worker: Worker;
/** The handler each test installs, by job type. */
const behaviours = new Map<string, Handler>();

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  const handlers = new Proxy({} as Record<string, Handler>, {
    get: (_target, type) => (typeof type === "string" ? behaviours.get(type) : undefined),
  });
  // A long lease: an outcome that is not recorded shows as a timeout of the wait, not as a
  // lease_expired that would hide the lost error.
  ({ worker } = await startWorker(engine, handlers, { leaseMs: 60_000, concurrency: 4 }));
});
afterAll(async () => {
  await worker.stop(100);
  await engine.close();
  await redis.stop();
});

let counter = 0;

/** Run one job with `handler` (one attempt) and return its history once the attempt has ended. */
const runWith = async (
  handler: Handler,
  spec: Record<string, unknown> = {},
): Promise<ReadonlyArray<Envelope>> => {
  const type = `hostile-${++counter}`;
  behaviours.set(type, handler);
  const { jobId } = await engine.jobs.submit({ type, maxAttempts: 1, ...spec }, apiActor);
  await waitFor(
    async () => ["completed", "dead_letter"].includes(statusOf((await engine.jobs.get(jobId)).state)),
    `job ${jobId} (${type}) to end`,
    10_000,
  );
  const events = await engine.store.readEvents(jobId);
  expect(Result.isSuccess(replay(events)), "the history replays").toBe(true);
  return events;
};

/** The single attempt's failure: with maxAttempts 1, an AttemptFailed then its JobDeadLettered. */
const failureOf = (events: ReadonlyArray<Envelope>) => {
  const [last, dead] = events.slice(-2);
  if (last?.type !== "AttemptFailed") throw new Error(`expected AttemptFailed, got ${last?.type}`);
  expect(dead).toMatchObject({
    type: "JobDeadLettered",
    at: last.at,
    data: { errorCode: last.data.error.code },
  });
  expect(last.actor.kind).toBe("worker");
  expect(last.data.error.message.isWellFormed()).toBe(true);
  return last.data.error;
};

const linesOf = (events: ReadonlyArray<Envelope>) =>
  events.flatMap((e) => (e.type === "LogRecorded" ? [e.data.line] : []));

const MB = 1024 * 1024;

describe("a handler that throws anything leaves a recorded, sanitised handler_error", () => {
  const throwing =
    (value: () => unknown): Handler =>
    () => {
      throw value();
    };
  it.each<[string, () => unknown, RegExp]>([
    ["Object.create(null)", () => Object.create(null), /object/],
    ["a Symbol", () => Symbol("boom"), /Symbol\(boom\)/],
    ["undefined", () => undefined, /undefined/],
    [
      "a Proxy whose every trap throws",
      () =>
        new Proxy(
          {},
          {
            get() {
              throw new Error("get trap");
            },
            getPrototypeOf() {
              throw new Error("getPrototypeOf trap");
            },
            has() {
              throw new Error("has trap");
            },
          },
        ),
      /./,
    ],
    ["a string with a lone surrogate", () => "bad \ud800 thing", /bad \ufffd thing/],
    [
      "an Error whose message getter throws",
      () =>
        Object.defineProperty(new Error("x"), "message", {
          get() {
            throw new Error("no message for you");
          },
        }),
      /Error/,
    ],
    [
      "an Error whose code and retryable getters throw",
      () =>
        Object.defineProperties(new Error("loud"), {
          code: {
            get() {
              throw new Error("code");
            },
          },
          retryable: {
            get() {
              throw new Error("retryable");
            },
          },
        }),
      /loud/,
    ],
  ])("%s", async (_what, value, message) => {
    const error = failureOf(await runWith(throwing(value)));
    expect(error.code).toBe("handler_error");
    expect(error.message).toMatch(message);
  });

  it("an Error with a 10 MB message: the message is cut to the limit and says so", async () => {
    const error = failureOf(await runWith(throwing(() => new Error("m".repeat(10 * MB)))));
    expect(error.code).toBe("handler_error");
    expect(error.message.length).toBeLessThanOrEqual(8192);
    expect(error.message).toMatch(/truncated/);
  });

  it("a rejection with Object.create(null), and a thenable whose `then` getter throws", async () => {
    expect(failureOf(await runWith(() => Promise.reject(Object.create(null)))).code).toBe("handler_error");
    const thenable = Object.defineProperty({}, "then", {
      get() {
        throw new Error("then getter");
      },
    });
    expect(failureOf(await runWith(() => thenable)).code).toBe("handler_error");
  });
});

describe("a handler that returns what cannot be recorded fails with invalid_result", () => {
  const cycle = (): unknown => {
    const value: Record<string, unknown> = { a: 1 };
    value.self = value;
    return value;
  };
  let deep: unknown = 0;
  for (let i = 0; i < 10_000; i++) deep = [deep];
  it.each<[string, unknown]>([
    ["a string with a lone surrogate", "\ud800"],
    ["a key with a lone surrogate", { "\udc00": 1 }],
    ["a BigInt", 10n],
    ["a cycle", cycle()],
    ["a value of 1 MB", "x".repeat(MB)],
    ["a value nested 10,000 deep", deep],
    ["a function", () => 1],
    ["NaN inside", { n: Number.NaN }],
    [
      "a Proxy whose ownKeys trap throws",
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error("ownKeys trap");
          },
        },
      ),
    ],
  ])("%s", async (_what, value) => {
    const error = failureOf(await runWith(() => value));
    expect(error).toMatchObject({ code: "invalid_result", retryable: false });
  });

  it("the same values resolved from a promise", async () => {
    expect(failureOf(await runWith(async () => "\ud800")).code).toBe("invalid_result");
    expect(failureOf(await runWith(async () => 1n)).code).toBe("invalid_result");
  });
});

describe("log lines and progress are sanitised, never appended raw, and never fail the attempt", () => {
  it("a 9,000-character log line is cut to 8,192 and says so; the job completes", async () => {
    const events = await runWith(async (_p, ctx) => {
      await ctx.log("x".repeat(9000));
      return "done";
    });
    expect(events.at(-1)?.type).toBe("JobCompleted");
    const [line] = linesOf(events);
    expect(line?.length).toBeLessThanOrEqual(8192);
    expect(line).toMatch(/^x+.*truncated.*9000/);
  });

  it("a log line with a lone surrogate is recorded with U+FFFD in its place", async () => {
    const events = await runWith(async (_p, ctx) => {
      await ctx.log("a\ud800b");
      await ctx.log(undefined as unknown as string);
      await ctx.log(Object.create(null) as string);
    });
    expect(events.at(-1)?.type).toBe("JobCompleted");
    expect(linesOf(events)[0]).toBe("a\ufffdb");
    expect(linesOf(events)).toHaveLength(3);
  });

  it("progress with numbers that are not finite and ≥ 0 is refused with a recorded line; the job completes", async () => {
    const events = await runWith(async (_p, ctx) => {
      await ctx.progress(-1, Number.NaN);
      await ctx.progress(1, Number.POSITIVE_INFINITY, "x");
      await ctx.progress("3" as unknown as number, 4);
      await ctx.progress(1, 2, "fine");
    });
    expect(events.at(-1)?.type).toBe("JobCompleted");
    const progress = events.flatMap((e) => (e.type === "ProgressReported" ? [e.data.progress] : []));
    expect(progress).toEqual([{ current: 1, total: 2, message: "fine" }]);
    expect(linesOf(events).filter((l) => /progress .*refused/.test(l))).toHaveLength(3);
  });

  it("a progress message of 5,000 characters or with a lone surrogate is cut or repaired", async () => {
    const events = await runWith(async (_p, ctx) => {
      await ctx.progress(1, 2, "m".repeat(5000));
      await ctx.progress(2, 2, "\udfff");
    });
    const messages = events.flatMap((e) => (e.type === "ProgressReported" ? [e.data.progress.message] : []));
    expect(messages[0]?.length).toBeLessThanOrEqual(1024);
    expect(messages[0]).toMatch(/truncated/);
    expect(messages[1]).toBe("\ufffd");
  });
});

describe("timeouts", () => {
  it("a timeout beyond what a timer holds is refused at submit (it used to fire after a few ms)", async () => {
    await expect(
      engine.jobs.submit({ type: "slow", timeoutMs: 3_000_000_000 }, apiActor),
    ).rejects.toMatchObject({
      _tag: "InvalidJobSpec",
      field: "timeoutMs",
    });
  });

  it("the largest accepted timeout does not fire early", async () => {
    const events = await runWith(
      async () => {
        await new Promise((r) => setTimeout(r, 50));
        return "finished";
      },
      { timeoutMs: 2_147_483_647 },
    );
    expect(events.at(-1)?.type).toBe("JobCompleted");
  });
});

describe("an outcome the store refuses all the same", () => {
  it("is recorded as a failure that says why, at once, instead of waiting for the lease", async () => {
    // A store that refuses every completion, as it would an event no reader accepts.
    const real = await engine.workerPorts();
    const refusing = new Proxy(real.store, {
      get(target, property, receiver) {
        if (property === "append")
          return async (request: AppendRequest) => {
            if (request.envelopes.some((e) => e.type === "JobCompleted"))
              throw new Error("no reader would accept it");
            return target.append(request);
          };
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const own = workerOn(
      { ...real, store: refusing },
      { fine: () => ({ ok: true }) },
      { leaseMs: 60_000, queues: ["refusing"] },
    );
    const done = own.run();
    try {
      const { jobId } = await engine.jobs.submit(
        { type: "fine", queue: "refusing", maxAttempts: 1 },
        apiActor,
      );
      await waitFor(
        async () => statusOf((await engine.jobs.get(jobId)).state) === "dead_letter",
        "the fallback outcome",
      );
      const error = failureOf(await engine.store.readEvents(jobId));
      expect(error).toMatchObject({ code: "invalid_result", retryable: false });
      expect(error.message).toMatch(/could not be recorded: no reader would accept it/);
    } finally {
      await own.stop(100);
      await done;
    }
  });
});

describe("a worker's own name", () => {
  it("a name no event's actor can hold is refused when the worker is made, not at every event", () => {
    for (const name of ["w\ud800", "x".repeat(300)])
      expect(() => workerOn(engine, {}, { name }), name.slice(0, 10)).toThrow(/cannot name/);
  });
});

describe("the shard log after all of the above", () => {
  it("decodes entry by entry as the projector decodes it", async () => {
    const { log, close } = await eventLogOf(redis.url, engine);
    try {
      const entries = await log.read(0, "0-0", 100_000);
      expect(entries.length).toBeGreaterThan(0);
    } finally {
      close();
    }
  });
});
