/**
 * Hostile requests against every route of the real API (real Redis, real SQLite): random JSON,
 * wrong types, huge strings, deep nesting, bad ids and cursors, garbage bodies and content types,
 * lone surrogates (in values, member names and headers) and numbers at and beyond what a date or
 * a timer holds (in every numeric field and in time-travel instants).
 * Invariant: never a 5xx, never a crash, and every 4xx is a JSON error with a code and a message.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../test/support/api.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { extremeInstant, extremeNumber, loneSurrogate, oddString } from "./support/hostile-values.ts";

let redis: TestRedis;
let api: TestApi;
/** Real jobs, so that generated requests reach past "no such job" (time travel, cancel, retry). */
const seeded: Array<string> = [];

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  for (let i = 0; i < 3; i++) {
    const response = await api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type: "seed" } });
    seeded.push(response.json<{ id: string }>().id);
  }
}, 60_000);
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.constantFrom(
    "",
    " ",
    "..",
    "../../etc/passwd",
    "%00",
    "null",
    "-1",
    "1e309",
    "__proto__",
    "constructor",
    "💥",
    "\u0000",
    "a".repeat(5000),
  ),
  fc.uuid().map((u) => u.replace(/^(.{14})./, "$17")),
  fc.integer().map(String),
  oddString,
  loneSurrogate,
  extremeInstant,
);

/** JSON whose strings and member names may hold lone surrogates, and whose numbers are extreme. */
const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    extremeNumber,
    fc.oneof(fc.string({ maxLength: 6 }), oddString),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), oddString), tie("value"), { maxKeys: 3 }),
  ),
})).value;

const hostileBackoff = fc.record(
  {
    type: fc.constantFrom("fixed", "exponential", "linear"),
    delayMs: extremeNumber,
    factor: extremeNumber,
    maxDelayMs: extremeNumber,
    jitter: extremeNumber,
  },
  { requiredKeys: [] },
);

/**
 * A job spec that is valid but for one hostile member (so validation of the others does not stop
 * it first), sometimes with a member whose name holds a lone surrogate.
 */
const nearlyValidSpec = fc
  .tuple(
    fc.oneof(
      hostileJson.map((payload) => ({ payload })),
      extremeNumber.map((maxAttempts) => ({ maxAttempts })),
      extremeNumber.map((timeoutMs) => ({ timeoutMs })),
      extremeNumber.map((delayMs) => ({ delayMs })),
      fc.oneof(extremeInstant, oddString).map((runAt) => ({ runAt })),
      oddString.map((idempotencyKey) => ({ idempotencyKey })),
      fc.oneof(hostileBackoff, fc.constant({ type: "fixed", delayMs: 9e15 })).map((backoff) => ({ backoff })),
      extremeNumber.map((delayMs) => ({ backoff: { type: "fixed", delayMs } })),
      fc.tuple(extremeNumber, extremeNumber, extremeNumber).map(([delayMs, factor, maxDelayMs]) => ({
        backoff: { type: "exponential", delayMs, factor, maxDelayMs },
      })),
    ),
    fc.option(fc.dictionary(oddString, hostileJson, { maxKeys: 1 }), { freq: 4 }),
  )
  .map(([member, extra]) => ({ type: "echo", ...member, ...(extra ?? {}) }));

const jsonish = fc.oneof(
  { depthSize: "small" },
  fc.jsonValue(),
  fc.record({ type: nasty, payload: fc.jsonValue() }, { requiredKeys: [] }),
  fc.record(
    {
      type: fc.oneof(fc.constant("echo"), nasty),
      queue: fc.oneof(nasty, fc.jsonValue()),
      priority: fc.oneof(fc.constantFrom("critical", "high", "normal", "low", "urgent"), fc.jsonValue()),
      maxAttempts: fc.oneof(fc.integer(), fc.double(), fc.string()),
      backoff: fc.jsonValue(),
      delayMs: fc.oneof(fc.integer(), fc.double()),
      runAt: nasty,
      idempotencyKey: nasty,
      timeoutMs: fc.oneof(fc.integer(), fc.jsonValue()),
      jobs: fc.array(fc.jsonValue(), { maxLength: 5 }),
      reason: fc.oneof(nasty, fc.jsonValue()),
      attempts: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
  fc
    .integer({ min: 1, max: 200 })
    .map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`)
    .map((text) => JSON.parse(text) as unknown),
  nearlyValidSpec,
  fc.record({ jobs: fc.array(nearlyValidSpec, { minLength: 1, maxLength: 3 }) }),
  fc.record({ reason: oddString, attempts: extremeNumber }, { requiredKeys: [] }),
  hostileJson,
);

/** Routes with a `{id}` slot; /v1/events is left out because a valid query opens an endless stream. */
const routes: ReadonlyArray<readonly ["GET" | "POST", string]> = [
  ["POST", "/v1/jobs"],
  ["POST", "/v1/jobs/bulk"],
  ["GET", "/v1/jobs"],
  ["GET", "/v1/jobs/{id}"],
  ["GET", "/v1/jobs/{id}/events"],
  ["GET", "/v1/jobs/{id}/replay"],
  ["GET", "/v1/jobs/{id}/explain"],
  ["GET", "/v1/jobs/{id}/state"],
  ["POST", "/v1/jobs/{id}/cancel"],
  ["POST", "/v1/jobs/{id}/retry"],
  ["GET", "/v1/dead-letters"],
  ["POST", "/v1/dead-letters/retry"],
  ["GET", "/v1/metrics"],
  ["GET", "/v1/workers"],
  ["POST", "/v1/projections/quarantine"],
  ["GET", "/health"],
  ["GET", "/metrics"],
  ["GET", "/openapi.json"],
];

/**
 * Whole-log routes: a valid call verifies (with a projection rebuild) or exports the entire log,
 * which grows as the fuzzer submits jobs, so they get their own, smaller budget.
 */
const wholeLogRoutes: ReadonlyArray<readonly ["GET" | "POST", string]> = [
  ["POST", "/v1/audit/verify"],
  ["GET", "/v1/audit/export"],
];

/** `ids` are real job ids, built once the jobs exist (inside the test). */
const requestTo = (targets: ReadonlyArray<readonly ["GET" | "POST", string]>, ids: ReadonlyArray<string>) =>
  fc.record({
    route: fc.constantFrom(...targets),
    method: fc.option(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"), { freq: 4 }),
    // Not "." or "..": URL normalisation turns /v1/jobs/../events into /v1/events, the SSE
    // route, whose answer is an endless stream by design.
    id: fc.oneof(
      nasty.filter((id) => !/^\.{1,2}$/.test(id)),
      fc.constantFrom(...ids),
    ),
    query: fc.dictionary(
      fc.oneof(
        fc.constantFrom("status", "type", "queue", "limit", "cursor", "jobId", "at", "since"),
        fc.string({ maxLength: 10 }),
      ),
      fc.oneof(nasty, extremeInstant, fc.constantFrom("queued", "completed")),
      { maxKeys: 4 },
    ),
    headers: fc.record({ "idempotency-key": nasty, "docket-actor": nasty }, { requiredKeys: [] }),
    body: fc.oneof(
      jsonish.map((value) => ({ contentType: "application/json", payload: JSON.stringify(value) })),
      fc.string({ maxLength: 200 }).map((payload) => ({ contentType: "application/json", payload })),
      fc
        .uint8Array({ maxLength: 200 })
        .map((bytes) => ({ contentType: "application/octet-stream", payload: Buffer.from(bytes) })),
      fc.constant({ contentType: "text/plain", payload: "hello" }),
      fc.constant(undefined),
    ),
  });

type Request = ReturnType<typeof requestTo> extends fc.Arbitrary<infer R> ? R : never;

/**
 * Percent-encode text for a URL the way a hostile client could: a lone surrogate becomes the
 * three bytes it would take in UTF-8 if it were allowed (%ED%A0%80 for \ud800), which no
 * encoder makes and every server must survive.
 */
const percentEncode = (text: string): string => {
  let out = "";
  for (const char of text) {
    const code = char.charCodeAt(0);
    out +=
      char.length === 1 && code >= 0xd800 && code <= 0xdfff
        ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
            .map((byte) => `%${byte.toString(16).toUpperCase()}`)
            .join("")
        : encodeURIComponent(char);
  }
  return out;
};

/** The invariant: a hostile request never gets a 5xx, and every 4xx is a JSON error with a code. */
const answersWithoutServerError = async ({ route, method, id, query, headers, body }: Request) => {
  const path = route[1].replace("{id}", percentEncode(id));
  const qs = Object.entries(query)
    .map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`)
    .join("&");
  const sent = `headers ${JSON.stringify(headers)}, body ${String(body?.payload ?? "(none)").slice(0, 300)}`;
  const request = `${method ?? route[0]} ${path}?${qs} (${sent})`;
  // A request that never answers is a failure too (with the request named), not a suite timeout.
  let timer: NodeJS.Timeout | undefined;
  const response = await Promise.race([
    api.app.inject({
      method: method ?? route[0],
      url: qs === "" ? path : `${path}?${qs}`,
      // JSON.stringify writes a lone surrogate as an escape (\ud800), as a hostile client would.
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": body.contentType }) },
      ...(body === undefined ? {} : { payload: body.payload }),
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within 20 s: ${request}`)), 20_000);
    }),
  ]).finally(() => clearTimeout(timer));
  expect(response.statusCode, `${request} -> ${response.body.slice(0, 300)}`).toBeLessThan(500);
  if (response.statusCode >= 400) {
    const parsed = response.json<{ error?: { code?: unknown; message?: unknown } }>();
    expect(typeof parsed.error?.code).toBe("string");
    expect(typeof parsed.error?.message).toBe("string");
  }
};

/**
 * Requests that are valid but for one hostile value (the classes of issue 11 §3: lone surrogates
 * anywhere in a body or a header, numbers beyond what a date or a timer holds, instants beyond
 * what a Date holds), so that they reach past validation into the engine, on real job ids.
 */
const nearlyValidRequest = (ids: ReadonlyArray<string>): fc.Arbitrary<Request> => {
  const id = fc.constantFrom(...ids);
  const json = (value: unknown) => ({ contentType: "application/json", payload: JSON.stringify(value) });
  const request = (
    route: readonly ["GET" | "POST", string],
    parts: { id?: string; query?: Record<string, string>; headers?: Record<string, string>; body?: unknown },
  ): Request => ({
    route,
    method: null,
    id: parts.id ?? "unused",
    query: parts.query ?? {},
    headers: parts.headers ?? {},
    body: parts.body === undefined ? undefined : json(parts.body),
  });
  return fc.oneof(
    nearlyValidSpec.map((spec) => request(["POST", "/v1/jobs"], { body: spec })),
    fc
      .array(nearlyValidSpec, { minLength: 1, maxLength: 3 })
      .map((jobs) => request(["POST", "/v1/jobs/bulk"], { body: { jobs: [{ type: "echo" }, ...jobs] } })),
    oddString.map((key) =>
      request(["POST", "/v1/jobs"], { headers: { "idempotency-key": key }, body: { type: "echo" } }),
    ),
    fc
      .tuple(id, fc.constantFrom("cancel", "retry"), oddString)
      .map(([jobId, action, reason]) =>
        request(["POST", `/v1/jobs/{id}/${action}`], { id: jobId, body: { reason } }),
      ),
    oddString.map((reason) => request(["POST", "/v1/dead-letters/retry"], { body: { reason } })),
    fc
      .tuple(id, extremeInstant)
      .map(([jobId, at]) => request(["GET", "/v1/jobs/{id}/state"], { id: jobId, query: { at } })),
    extremeInstant.map((at) => request(["GET", "/v1/jobs"], { query: { status: "queued", at } })),
    extremeInstant.map((since) => request(["GET", "/v1/audit/export"], { query: { since } })),
  );
};

const runs = Number(process.env.FC_NUM_RUNS ?? 1000);

describe("API fuzz", () => {
  it("hostile requests never get a 5xx and every error is JSON with a code and a message", async () => {
    await fc.assert(fc.asyncProperty(requestTo(routes, seeded), answersWithoutServerError), {
      numRuns: Math.min(runs, 2000),
    });
  });

  it("requests valid but for one lone surrogate or extreme number never get a 5xx", async () => {
    await fc.assert(fc.asyncProperty(nearlyValidRequest(seeded), answersWithoutServerError), {
      numRuns: Math.min(runs, 500),
    });
  });

  it("hostile requests to the whole-log audit routes never get a 5xx either", async () => {
    await fc.assert(fc.asyncProperty(requestTo(wholeLogRoutes, seeded), answersWithoutServerError), {
      numRuns: Math.min(runs, 60),
    });
  });
});
