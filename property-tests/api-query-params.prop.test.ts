/**
 * Deny by default for query strings, on every operation of the contract (src/contract): a
 * parameter the operation does not declare is refused with a 400 `invalid_request` naming it,
 * before the handler runs, whether the operation declares none (query-check.ts) or some (its
 * query schema). Real API on a real Redis and a real SQLite file.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Operation, OPERATIONS } from "../src/contract/index.ts";
import { startApi, type TestApi } from "../test/support/api.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { loneSurrogate, oddString } from "./support/hostile-values.ts";

let redis: TestRedis;
let api: TestApi;
let jobId: string;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  const submitted = await api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type: "seed" } });
  jobId = submitted.json<{ id: string }>().id;
}, 60_000);
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

/** The names an operation's query schema declares (a Struct's fields). */
const declared = (operation: Operation): ReadonlySet<string> =>
  new Set(
    operation.query === undefined
      ? []
      : Object.keys((operation.query.schema as unknown as { fields: Record<string, unknown> }).fields),
  );

/** The path with well-formed parameters, so that nothing but the query can be refused. */
const urlOf = (operation: Operation): string =>
  operation.path
    .replace(/^\/v1\/webhooks\/:id\b/, `/v1/webhooks/wh_${"0".repeat(24)}`)
    .replace(/^\/v1\/webhook-deliveries\/:id\b/, `/v1/webhook-deliveries/dlv_${"0".repeat(32)}`)
    .replace(/:id\b/, jobId)
    .replace(/:(name|source)\b/, "nightly");

/** A name percent-encoded as a client would; a lone surrogate as the bytes a lax client sends. */
const encoded = (name: string): string =>
  name.isWellFormed()
    ? encodeURIComponent(name)
    : [...name].map((c) => (c.isWellFormed() ? encodeURIComponent(c) : "%ED%A0%80")).join("");

const parameterName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  oddString.filter((s) => s.length > 0),
  loneSurrogate,
  fc.constantFrom("__proto__", "constructor", "toString", "a[b]", "a.b", "force", "limit", "x".repeat(3000)),
);

describe("query parameters: deny by default", () => {
  it("every operation refuses a query parameter it does not declare with a 400 invalid_request naming it, before its handler runs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...OPERATIONS),
        parameterName,
        fc.string(),
        async (operation, name, value) => {
          fc.pre(!declared(operation).has(name));
          const response = await api.app.inject({
            method: operation.method,
            url: `${urlOf(operation)}?${encoded(name)}=${encodeURIComponent(value.isWellFormed() ? value : "v")}`,
            ...(operation.method === "GET" ? {} : { payload: {} }),
          });
          expect(response.statusCode).toBe(400);
          const { error } = response.json<{ error: { code: string; field: string } }>();
          expect(error.code).toBe("invalid_request");
          expect(error.field.startsWith("query.")).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a HEAD of a GET route is refused a parameter as its GET is, and an empty query string is no parameter", async () => {
    const head = await api.app.inject({ method: "HEAD", url: `/v1/jobs/${jobId}?x=1` });
    expect(head.statusCode).toBe(400);
    for (const url of [`/v1/jobs/${jobId}?`, `/v1/jobs/${jobId}?&`, `/v1/jobs/${jobId}`])
      expect((await api.app.inject({ method: "GET", url })).statusCode, url).toBe(200);
  });

  it("a submit with an unknown parameter writes nothing, and the same submit without it is accepted", async () => {
    const refused = await api.app.inject({
      method: "POST",
      url: "/v1/jobs?delay=60000",
      payload: { type: "only-once" },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: { code: "invalid_request", field: "query.delay" } });
    const accepted = await api.app.inject({
      method: "POST",
      url: "/v1/jobs",
      payload: { type: "only-once" },
    });
    expect(accepted.statusCode).toBe(202);
    const id = accepted.json<{ id: string }>().id;
    const listed = async () =>
      (await api.app.inject({ method: "GET", url: "/v1/jobs?type=only-once" })).json<{
        jobs: Array<{ id: string }>;
      }>().jobs;
    await expect.poll(async () => (await listed()).map((j) => j.id)).toContain(id);
    expect((await listed()).map((j) => j.id)).toEqual([id]);
  });
});
