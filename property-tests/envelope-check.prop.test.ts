/**
 * The compiled envelope check (schema-check.ts) is the schema: on any JSON value it accepts
 * exactly what Effect's decoder of EnvelopeSchema accepts, and what it accepts can be hashed and
 * survives a trip through JSON text unchanged. Generated envelopes of every event type, at and
 * beyond every limit, then mutated member by member (ADR 0018).
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  decodeEnvelope,
  EnvelopeSchema,
  envelopeProblem,
  Hash,
  isTimestamp,
  EVENT_SCHEMA_VERSION,
  MACHINE_VERSION,
  MAX_ATTEMPTS,
  MAX_DELAY_MS,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_JSON_DEPTH,
  MAX_META_BYTES,
  MAX_META_DEPTH,
  MAX_LOG_LINE_LENGTH,
  MAX_PROGRESS_MESSAGE_LENGTH,
  MAX_REASON_LENGTH,
  MAX_TIMEOUT_MS,
} from "../src/domain/index.ts";
import { extremeNumber, loneSurrogate, oddString } from "./support/hostile-values.ts";

const effectAccepts = (value: unknown): boolean =>
  Result.isSuccess(Schema.decodeUnknownResult(EnvelopeSchema)(value, { onExcessProperty: "error" }));

/** Mostly `valid`, sometimes `edge`: every field valid often enough for whole envelopes to be. */
const mostly = <A, B>(valid: fc.Arbitrary<A>, edge: fc.Arbitrary<B>) =>
  fc.oneof({ weight: 15, arbitrary: valid }, { weight: 1, arbitrary: edge });

/** Strings up to `max` long, and just beyond: the edges are where two implementations part. */
const edgeString = (max: number, min = 0) =>
  mostly(
    fc.oneof(
      fc.string({ minLength: min, maxLength: 12 }),
      fc.constantFrom(max - 1, max).map((length) => "a".repeat(length)),
      fc.constant(`${"a".repeat(max - 2)}😀`),
    ),
    fc.oneof(
      oddString,
      fc.constant("a".repeat(max + 1)),
      fc.constant(`${"a".repeat(max - 1)}😀`),
      fc.constant("".padEnd(min > 0 ? 0 : 1, "a")),
    ),
  );

const timestamp = mostly(
  fc.oneof(
    fc
      .date({
        min: new Date("0000-01-01T00:00:00.000Z"),
        max: new Date("9999-12-31T23:59:59.999Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
    fc.constantFrom(
      "0000-01-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
      "2024-02-29T00:00:00.000Z",
      "2000-02-29T00:00:00.000Z",
    ),
  ),
  fc.constantFrom(
    "2023-02-29T00:00:00.000Z",
    "2026-02-30T00:00:00.000Z",
    "2026-04-31T00:00:00.000Z",
    "2026-01-01T24:00:00.000Z",
    "2026-01-01T23:60:00.000Z",
    "2026-01-01T23:59:60.000Z",
    "2026-13-01T00:00:00.000Z",
    "2026-00-10T00:00:00.000Z",
    "2026-01-00T00:00:00.000Z",
    "1900-02-29T00:00:00.000Z",
    "+014702-01-01T00:00:00.000Z",
    "2026-01-01T00:00:00Z",
    "2026-01-01 00:00:00.000Z",
    "２026-01-01T00:00:00.000Z",
  ),
);

const count = mostly(
  fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  extremeNumber,
);
const name = mostly(
  fc.constantFrom("email", "default", "a", "render.video:v2", "x".repeat(128)),
  fc.oneof(fc.constantFrom("x".repeat(129), "-bad", "a b", ""), oddString),
);

const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    mostly(fc.integer(), extremeNumber),
    mostly(fc.string({ maxLength: 6 }), oddString),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(mostly(fc.string({ maxLength: 4 }), oddString), tie("value"), { maxKeys: 3 }),
  ),
})).value;

/** JSON nested exactly `levels` deep (arrays). */
const nested = (levels: number): unknown => {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};
const payload = mostly(jsonish, fc.constantFrom(nested(MAX_JSON_DEPTH), nested(MAX_JSON_DEPTH + 1)));
/** Meta: an object at the edges of its bounds (depth, size), or not an object at all. */
const meta = mostly(
  fc.dictionary(fc.string({ maxLength: 4 }), jsonish, { maxKeys: 3 }),
  fc.constantFrom(
    [],
    "label",
    { deep: nested(MAX_META_DEPTH - 1) },
    { deep: nested(MAX_META_DEPTH) },
    { big: "x".repeat(MAX_META_BYTES - 10) },
    { big: "x".repeat(MAX_META_BYTES) },
  ),
);

const delay = mostly(fc.oneof(fc.nat(60_000), fc.constant(MAX_DELAY_MS)), extremeNumber);
const backoff = fc.oneof(
  fc.record(
    {
      type: fc.constant("fixed"),
      delayMs: delay,
      jitter: mostly(fc.double({ min: 0, max: 1, noNaN: true }), extremeNumber),
    },
    { requiredKeys: ["type", "delayMs"] },
  ),
  fc.record(
    {
      type: fc.constant("exponential"),
      delayMs: delay,
      factor: mostly(fc.double({ min: 1, max: 100, noNaN: true }), extremeNumber),
      maxDelayMs: delay,
      jitter: mostly(fc.double({ min: 0, max: 1, noNaN: true }), extremeNumber),
    },
    { requiredKeys: ["type", "delayMs"] },
  ),
);

const spec = fc.record(
  {
    jobType: name,
    payload,
    queue: name,
    priority: mostly(fc.constantFrom("critical", "high", "normal", "low"), fc.constant("urgent")),
    maxAttempts: mostly(fc.constantFrom(1, 3, MAX_ATTEMPTS), extremeNumber),
    backoff,
    timeoutMs: mostly(fc.constantFrom(1, 30_000, MAX_TIMEOUT_MS), extremeNumber),
    idempotencyKey: edgeString(256, 1),
    meta,
  },
  { requiredKeys: ["jobType", "payload", "queue", "priority", "maxAttempts", "backoff"] },
);

const attemptError = fc.record({
  code: name,
  message: edgeString(MAX_ERROR_MESSAGE_LENGTH),
  retryable: mostly(fc.boolean(), fc.constant("yes")),
});

const progressNumber = mostly(fc.oneof(fc.nat(100), fc.constant(1e308)), extremeNumber);

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });

/** W3C traceparents (version 00), and near misses: all-zero ids, upper case, other versions, lengths. */
const traceparent = mostly(
  fc.tuple(hex(32), hex(16), hex(2)).map(([traceId, spanId, flags]) => `00-${traceId}-${spanId}-${flags}`),
  fc.oneof(
    oddString,
    fc.tuple(hex(32), hex(16)).map(([traceId, spanId]) => `00-${traceId.toUpperCase()}-${spanId}-01`),
    fc.tuple(hex(16)).map(([spanId]) => `00-${"0".repeat(32)}-${spanId}-01`),
    fc.tuple(hex(32)).map(([traceId]) => `00-${traceId}-${"0".repeat(16)}-01`),
    fc
      .tuple(fc.constantFrom("01", "ff", "0", "000"), hex(32), hex(16), fc.constantFrom("01", "1", "-01"))
      .map(([version, traceId, spanId, flags]) => `${version}-${traceId}-${spanId}-${flags}`),
  ),
);

const dataOf: Record<string, fc.Arbitrary<unknown>> = {
  JobSubmitted: fc.record({ spec, runAt: timestamp, traceparent }, { requiredKeys: ["spec"] }),
  JobQueued: fc.record({
    reason: mostly(fc.constantFrom("delay_elapsed", "retry_due"), fc.constant("other")),
  }),
  AttemptStarted: fc.record({ attempt: count }),
  ProgressReported: fc.record({
    attempt: count,
    progress: fc.record(
      { current: progressNumber, total: progressNumber, message: edgeString(MAX_PROGRESS_MESSAGE_LENGTH) },
      { requiredKeys: ["current", "total"] },
    ),
  }),
  LogRecorded: fc.record({ attempt: count, line: edgeString(MAX_LOG_LINE_LENGTH) }),
  MetaUpdated: fc.record({ attempt: count, meta }),
  JobCompleted: fc.record({ attempt: count, result: payload }),
  AttemptFailed: fc.record(
    { attempt: count, error: attemptError, retryAt: timestamp },
    { requiredKeys: ["attempt", "error"] },
  ),
  JobDeadLettered: fc.record({
    reason: mostly(fc.constantFrom("not_retryable", "attempts_exhausted"), fc.constant("bored")),
    attempt: count,
    maxAttempts: count,
    errorCode: name,
  }),
  JobCancelled: fc.record({ reason: edgeString(MAX_REASON_LENGTH, 1) }, { requiredKeys: [] }),
  JobRetried: fc.record({ reason: edgeString(MAX_REASON_LENGTH, 1), maxAttempts: count }),
};

const hash = mostly(
  fc.stringMatching(/^[0-9a-f]{64}$/),
  fc.constantFrom("A".repeat(64), "0".repeat(63), "0".repeat(65), "g".repeat(64)),
);

const envelope = fc.constantFrom(...Object.keys(dataOf)).chain((type) =>
  fc.record({
    jobId: mostly(
      fc.constantFrom("0193a3b0-7c2e-7000-8000-000000000042", "j", "x".repeat(128)),
      fc.oneof(fc.constantFrom("x".repeat(129), "a.b", ""), oddString),
    ),
    seq: count,
    type: mostly(fc.constant(type), fc.constant("Nope")),
    at: timestamp,
    actor: fc.record({
      kind: mostly(
        fc.constantFrom("client", "worker", "scheduler", "operator", "system"),
        fc.constant("robot"),
      ),
      id: mostly(fc.constantFrom("api", "w-1"), edgeString(256, 1)),
    }),
    data: dataOf[type] as fc.Arbitrary<unknown>,
    schemaVersion: mostly(fc.constant(EVENT_SCHEMA_VERSION), fc.constant(EVENT_SCHEMA_VERSION + 1)),
    machineVersion: mostly(fc.constant(MACHINE_VERSION), fc.constant(MACHINE_VERSION + 1)),
    prevHash: hash,
    hash,
  }),
);

type Mutation =
  | { readonly kind: "set"; readonly pick: number; readonly value: unknown }
  | { readonly kind: "delete"; readonly pick: number }
  | { readonly kind: "add"; readonly pick: number; readonly key: string; readonly value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), pick: fc.nat(), value: jsonish }),
  fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("add" as const),
    pick: fc.nat(),
    key: fc.oneof(fc.string({ maxLength: 6 }), oddString),
    value: jsonish,
  }),
);

/** Every object or array inside `value` (itself included), to pick a mutation's target from. */
const containers = (
  value: unknown,
  into: Array<Record<string, unknown>> = [],
): Array<Record<string, unknown>> => {
  if (typeof value === "object" && value !== null) {
    into.push(value as Record<string, unknown>);
    for (const member of Object.values(value)) containers(member, into);
  }
  return into;
};

const mutate = (value: unknown, mutations: ReadonlyArray<Mutation>): unknown => {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  for (const m of mutations) {
    const targets = containers(copy);
    const target = targets[m.pick % targets.length];
    if (target === undefined) continue;
    const keys = Object.keys(target);
    const key = keys[m.pick % Math.max(1, keys.length)];
    if (m.kind === "add") target[m.key] = m.value;
    else if (key === undefined) continue;
    else if (m.kind === "delete") delete target[key];
    else target[key] = m.value;
  }
  return copy;
};

/** The value as a reader gets it: parsed from JSON text. */
const asRead = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe("the compiled envelope check", () => {
  it("accepts exactly what Effect's decoder of EnvelopeSchema accepts, on generated and mutated envelopes", () => {
    let accepted = 0;
    fc.assert(
      fc.property(envelope, fc.array(mutation, { maxLength: 2 }), (generated, mutations) => {
        const value = asRead(mutations.length === 0 ? generated : mutate(generated, mutations));
        const compiled = envelopeProblem(value) === undefined;
        expect(compiled, JSON.stringify(envelopeProblem(value))).toBe(effectAccepts(value));
        if (compiled) accepted++;
      }),
      { numRuns: 3000 },
    );
    // The generators must reach both answers, or the property says nothing.
    expect(accepted).toBeGreaterThan(300);
  });

  it("agrees with Effect on arbitrary JSON too (nothing that is not an envelope gets in)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(envelopeProblem(value) === undefined).toBe(effectAccepts(value));
      }),
      { numRuns: 500 },
    );
  });

  it("what it accepts can be hashed and survives a trip through JSON text unchanged; decodeEnvelope agrees", () => {
    fc.assert(
      fc.property(envelope, (generated) => {
        const value = asRead(generated);
        if (envelopeProblem(value) !== undefined) return;
        expect(() => canonicalJson(value)).not.toThrow();
        expect(asRead(value)).toEqual(value);
        expect(Result.isSuccess(decodeEnvelope(value))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("in an accepted envelope, a lone surrogate put into any string or member name is refused", () => {
    /** Every place a string sits: [container, key, whether the key itself is the string]. */
    const strings = (value: unknown, into: Array<[Record<string, unknown>, string, boolean]> = []) => {
      if (typeof value === "object" && value !== null)
        for (const [key, member] of Object.entries(value)) {
          if (!Array.isArray(value)) into.push([value as Record<string, unknown>, key, true]);
          if (typeof member === "string") into.push([value as Record<string, unknown>, key, false]);
          strings(member, into);
        }
      return into;
    };
    fc.assert(
      fc.property(envelope, fc.nat(), loneSurrogate, (generated, pick, lone) => {
        const value = asRead(generated) as Record<string, unknown>;
        if (envelopeProblem(value) !== undefined) return;
        const places = strings(value);
        const place = places[pick % places.length];
        if (place === undefined) return;
        const [container, key, isKey] = place;
        if (isKey) {
          container[`${key}${lone}`] = container[key];
          delete container[key];
        } else container[key] = `${String(container[key])}${lone}`;
        expect(envelopeProblem(value), JSON.stringify(value).slice(0, 300)).toBeDefined();
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses in-memory values that JSON text could not carry, and never throws", () => {
    const base = {
      jobId: "j",
      seq: 1,
      type: "JobCompleted",
      at: "2026-01-01T00:00:00.000Z",
      actor: { kind: "worker", id: "w" },
      data: { attempt: 1, result: null as unknown },
      schemaVersion: EVENT_SCHEMA_VERSION,
      machineVersion: MACHINE_VERSION,
      prevHash: "0".repeat(64),
      hash: "0".repeat(64),
    };
    expect(envelopeProblem(base)).toBeUndefined();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const hostile = [
      10n,
      cycle,
      new Date(0),
      new Map(),
      () => 1,
      Symbol("s"),
      Number.NaN,
      Number.POSITIVE_INFINITY,
      // A sparse array: a hole is not JSON.
      Object.assign(new Array(3), { 0: 1, 2: 3 }),
      { a: undefined },
      new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error("trap");
          },
        },
      ),
      nested(100_000),
    ];
    for (const result of hostile) {
      const problem = envelopeProblem({ ...base, data: { attempt: 1, result } });
      expect(problem, String(typeof result)).toBeDefined();
    }
    expect(
      envelopeProblem({
        ...base,
        data: Object.assign(Object.create({ inherited: 1 }), { attempt: 1, result: null }),
      }),
    ).toBeDefined();
  });

  it("its hand-written atoms equal their definitions: isTimestamp is toISOString's round trip, Hash is /^[0-9a-f]{64}$/", () => {
    const reference = (text: string) => {
      const ms = Date.parse(text);
      return (
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(text) &&
        !Number.isNaN(ms) &&
        new Date(ms).toISOString() === text
      );
    };
    const digitsIn = fc.tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
      fc.integer({ min: 0, max: 61 }),
      fc.integer({ min: 0, max: 999 }),
    );
    const pad = (n: number, width: number) => String(n).padStart(width, "0");
    const candidate = fc.oneof(
      timestamp,
      digitsIn.map(
        ([y, mo, d, h, mi, s, ms]) =>
          `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`,
      ),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(candidate, (text) => {
        expect(isTimestamp(text), text).toBe(reference(text));
      }),
      { numRuns: 5000 },
    );
    const isHash = Schema.is(Hash);
    fc.assert(
      fc.property(
        fc.oneof(hash, fc.string({ unit: "binary-ascii", minLength: 63, maxLength: 65 })),
        (text) => {
          expect(isHash(text), text).toBe(/^[0-9a-f]{64}$/.test(text));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
