/**
 * Every spec the write side accepts yields envelopes every reader accepts (issue 11 §2, ADR 0018).
 *
 * Submit specs with extreme numbers and odd strings (and traceparents, valid or not) through the
 * real engine on a real Redis; an accepted job then starts and fails an attempt (its retry time
 * computed from the backoff). The shard log must then decode entry by entry as the projector
 * decodes it, each history must replay, and the projection's fold must take it. A refused spec is refused with InvalidJobSpec and
 * appends nothing. A pure companion covers what a real run cannot reach cheaply: a retry computed
 * at any attempt up to and beyond MAX_ATTEMPTS, at the very last instant a Timestamp holds.
 */
import * as Result from "effect/Result";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AttemptError,
  contextOf,
  decide,
  emptyHead,
  envelopeProblem,
  fold,
  type JobCommand,
  MAX_ATTEMPTS,
  MAX_DELAY_MS,
  replay,
  restoreState,
  retryDelayMs,
  seal,
} from "../src/domain/index.ts";
import { InvalidJobSpec, systemClock } from "../src/engine/shared/index.ts";
import { JobWriter, normaliseSubmit } from "../src/engine/write/index.ts";
import { type LogEntry, projectBatch } from "../src/engine/read/index.ts";
import { apiActor, makeEngine, type TestEngine } from "../test/support/engine.ts";
import { eventLogOf } from "../test/support/projection.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { extremeInstant, extremeNumber, oddString } from "./support/hostile-values.ts";

let redis: TestRedis;
let engine: TestEngine;
let log: Awaited<ReturnType<typeof eventLogOf>>;

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  log = await eventLogOf(redis.url, engine);
}, 60_000);
afterAll(async () => {
  log.close();
  await engine.close();
  await redis.stop();
});

const sometimes = <A, B>(usual: fc.Arbitrary<A>, hostile: fc.Arbitrary<B>) =>
  fc.oneof({ weight: 6, arbitrary: usual }, { weight: 1, arbitrary: hostile });

const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    extremeNumber,
    sometimes(fc.string({ maxLength: 8 }), oddString),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(sometimes(fc.string({ maxLength: 4 }), oddString), tie("value"), { maxKeys: 3 }),
  ),
})).value;

const timestampish = fc.oneof(
  fc
    .date({ min: new Date("1970-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  extremeInstant,
);

const backoff = fc.oneof(
  fc.record(
    {
      type: fc.constant("fixed"),
      delayMs: sometimes(fc.nat(5_000), extremeNumber),
      jitter: sometimes(fc.double({ min: 0, max: 1, noNaN: true }), extremeNumber),
    },
    { requiredKeys: ["type", "delayMs"] },
  ),
  fc.record(
    {
      type: fc.constant("exponential"),
      delayMs: sometimes(fc.nat(5_000), extremeNumber),
      factor: sometimes(fc.double({ min: 1, max: 100, noNaN: true }), extremeNumber),
      maxDelayMs: sometimes(fc.nat(600_000), extremeNumber),
      jitter: sometimes(fc.double({ min: 0, max: 1, noNaN: true }), extremeNumber),
    },
    { requiredKeys: ["type", "delayMs"] },
  ),
);

const when = fc.oneof(
  fc.constant({}),
  fc.nat(1_000).map((delayMs) => ({ delayMs })),
  extremeNumber.map((delayMs) => ({ delayMs })),
  timestampish.map((runAt) => ({ runAt })),
  fc.constant({ delayMs: 1, runAt: "2026-01-01T00:00:00.000Z" }),
);

const submitInput = fc
  .tuple(
    fc.record(
      {
        type: sometimes(
          fc.constantFrom("email", "render.video:v2"),
          fc.oneof(oddString, fc.constant("x".repeat(129))),
        ),
        payload: jsonish,
        queue: sometimes(fc.constant("default"), oddString),
        priority: sometimes(fc.constantFrom("critical", "high", "normal", "low"), fc.constant("urgent")),
        maxAttempts: sometimes(fc.integer({ min: 2, max: 5 }), extremeNumber),
        backoff,
        timeoutMs: sometimes(fc.integer({ min: 1, max: 60_000 }), extremeNumber),
        idempotencyKey: sometimes(fc.uuid(), oddString),
        concurrencyKey: sometimes(fc.constantFrom("customer-1", "客户 ✓"), oddString),
        concurrencyLimit: sometimes(fc.integer({ min: 1, max: 10 }), extremeNumber),
      },
      { requiredKeys: ["type"] },
    ),
    when,
  )
  .map(([fields, timing]): Record<string, unknown> => ({ ...fields, ...timing }));

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });

/** What a caller may give as its traceparent: W3C ones, near misses, anything (the engine drops what is not one). */
const traceparent = fc.option(
  sometimes(
    fc.tuple(hex(32), hex(16), hex(2)).map(([traceId, spanId, flags]) => `00-${traceId}-${spanId}-${flags}`),
    fc.oneof(
      oddString,
      hex(16).map((spanId) => `00-${"0".repeat(32)}-${spanId}-01`),
    ),
  ),
  { nil: undefined },
);

const retryableError: AttemptError = { code: "handler_error", message: "Error: boom", retryable: true };

/**
 * The shard log entries after `afterId`, as the projector reads them (decoding each); an entry
 * the reader refuses fails the property at once.
 */
const readLogAfter = async (afterId: string): Promise<ReadonlyArray<LogEntry>> => {
  const records = await log.log.read(0, afterId, 100_000);
  const refused = records.filter((record) => !("envelope" in record));
  expect(refused, "entries the projector's decoder refuses").toEqual([]);
  return records as ReadonlyArray<LogEntry>;
};

describe("the write side never accepts what a reader refuses", () => {
  it("every spec the write side accepts yields envelopes the projector's decoder, replay and the projection fold accept", async () => {
    const writer = new JobWriter(engine.store, systemClock);
    let lastId = "0-0";
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        submitInput,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        traceparent,
        async (input, draw, trace) => {
          const before = await engine.client.xlen(engine.store.keys.log(0));
          let jobId: string;
          let created: boolean;
          try {
            ({ jobId, created } = await engine.jobs.submit(
              input,
              apiActor,
              trace === undefined ? {} : { traceparent: trace },
            ));
          } catch (error) {
            expect(error, String(error)).toBeInstanceOf(InvalidJobSpec);
            expect(await engine.client.xlen(engine.store.keys.log(0))).toBe(before);
            return;
          }
          // An idempotency key an earlier run already used (fast-check repeats small keys such
          // as "😀") names that run's job: nothing is appended, so there is nothing new to read.
          if (!created) {
            expect(await engine.client.xlen(engine.store.keys.log(0))).toBe(before);
            return;
          }
          accepted++;
          const at = () => new Date().toISOString();
          const head = await engine.jobs.get(jobId);
          if (head.state.value === "queued") {
            await writer.write({
              jobId,
              command: () => ({ type: "StartAttempt", at: at(), actor: apiActor, attempt: 1 }),
            });
            await writer.write({
              jobId,
              command: (): JobCommand => ({
                type: "FailAttempt",
                at: at(),
                actor: apiActor,
                attempt: 1,
                error: retryableError,
                random: draw,
              }),
            });
          }
          // Every entry decodes as the projector decodes it (a bad one throws LogEntryInvalid).
          const entries = await readLogAfter(lastId);
          lastId = entries.at(-1)?.entryId ?? lastId;
          const mine = entries.filter((e) => e.envelope.jobId === jobId);
          expect(mine.length).toBeGreaterThan(0);
          const replayed = replay(mine.map((e) => e.envelope));
          expect(
            Result.isSuccess(replayed),
            Result.isFailure(replayed) ? replayed.failure.failure.reason : "",
          ).toBe(true);
          expect(() => projectBatch(mine, new Map())).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(20);
  });

  it("a retry computed at any attempt, from any accepted backoff, even at the last instant a Timestamp holds, is an envelope the readers accept", () => {
    fc.assert(
      fc.property(
        submitInput,
        fc.integer({ min: 1, max: MAX_ATTEMPTS * 3 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.constantFrom("2026-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "9999-12-31T00:00:00.000Z"),
        (input, attempt, draw, at) => {
          const normalised = normaliseSubmit(
            { ...input, delayMs: undefined, runAt: undefined },
            Date.parse("2026-01-01"),
          );
          if (Result.isFailure(normalised)) return;
          const { spec } = normalised.success;
          const delay = retryDelayMs(spec.backoff, attempt, draw);
          expect(Number.isInteger(delay) && delay >= 0 && delay <= MAX_DELAY_MS, String(delay)).toBe(true);
          const submitted = fold([{ type: "JobSubmitted", at, actor: apiActor, data: { spec } }]);
          const running = restoreState("processing", {
            ...contextOf(submitted),
            attempt,
            maxAttempts: attempt + 1,
          });
          const decision = decide(
            { type: "FailAttempt", at, actor: apiActor, attempt, error: retryableError, random: draw },
            running,
          );
          if (Result.isFailure(decision)) throw new Error(decision.failure.message);
          const { envelopes } = seal({ ...emptyHead("job-1"), version: 3 }, decision.success);
          for (const envelope of envelopes) expect(envelopeProblem(envelope)).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });
});
