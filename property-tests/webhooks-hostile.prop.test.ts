/**
 * Hostile input at the webhook boundaries (ADR 0038), against the real API on a real Redis:
 * - inbound `POST /v1/hooks/:source`: any bytes with any signature that is not theirs is a 401
 *   that records nothing; any correctly signed bytes and headers are a 202 or a 4xx, never a 5xx,
 *   and JSON that becomes a job keeps exactly the payload sent; any source name but a configured
 *   one is refused;
 * - outbound subscriptions under the default policy: a non-public IPv4 address, however the URL
 *   spells it (dotted, one integer, hex, octal-ish, short forms, IPv4-mapped IPv6), is refused.
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../src/infra/redis/keys.ts";
import { startApi, type TestApi } from "../test/support/api.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";

const SECRET = "prop-hook-secret-0123456789";
const sign = (body: Uint8Array): string =>
  `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { hookSecrets: new Map([["github", SECRET]]) });
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

const logLength = (): Promise<number> => api.engine.client.xlen(new Keys(api.prefix, 1).log(0));

const headerText = fc.oneof(
  fc.stringMatching(/^[a-z_]{1,20}$/),
  fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  fc.constantFrom("push", "pull_request", "", " ", "a".repeat(300), "push.event:x"),
);

const post = (source: string, body: Uint8Array, headers: Record<string, string>) =>
  api.app.inject({
    method: "POST",
    url: `/v1/hooks/${source}`,
    payload: Buffer.from(body),
    headers: { "content-type": "application/json", ...headers },
  });

describe("inbound hooks under hostile input", () => {
  it("any body with a signature that is not its own is refused with 401 and records nothing", async () => {
    const before = await logLength();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.oneof(
          fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
          fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256=${hex}`),
          fc.uint8Array({ maxLength: 50 }).map((other) => sign(other)),
        ),
        headerText,
        async (body, signature, event) => {
          fc.pre(signature !== sign(body));
          const response = await post("github", body, {
            "x-hub-signature-256": signature,
            "x-github-event": event,
            "x-github-delivery": "prop",
          });
          expect(response.statusCode).toBe(401);
          expect(response.json().error.code).toBe("invalid_signature");
        },
      ),
      { numRuns: 300 },
    );
    expect(await logLength()).toBe(before);
  });

  let runs = 0;
  it("correctly signed hostile bodies and headers answer 202 or a 4xx JSON error, never a 5xx; a job keeps the payload sent", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value), "utf8")),
          fc.uint8Array({ maxLength: 500 }).map((bytes) => Buffer.from(bytes)),
          fc.constantFrom(
            Buffer.from('{"a":"\\ud800"}'),
            Buffer.from("[".repeat(200) + "]".repeat(200)),
            Buffer.from('{"n": 1e400}'),
            Buffer.from(""),
          ),
        ),
        headerText,
        fc.string({ minLength: 1, maxLength: 60 }).filter((s) => /^[\x21-\x7e]+$/.test(s)),
        async (body, event, delivery) => {
          // A fresh delivery id per run: a repeated one is (rightly) the first delivery's job.
          const response = await post("github", body, {
            "x-hub-signature-256": sign(body),
            "x-github-event": event,
            "x-github-delivery": `${delivery}-${++runs}`,
          });
          expect(response.statusCode).toBeLessThan(500);
          if (response.statusCode === 202) {
            const { jobId, created } = response.json<{ jobId: string; created: boolean }>();
            expect(created).toBe(true);
            const head = await api.jobs.get(jobId);
            expect(head.payload).toEqual(JSON.parse(body.toString("utf8")));
          } else {
            expect(response.statusCode).toBeGreaterThanOrEqual(400);
            expect(typeof response.json().error.code).toBe("string");
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("any source name but the configured one is refused with a 4xx, never served", async () => {
    const body = Buffer.from("{}");
    const before = await logLength();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 300 }), async (name) => {
        fc.pre(name !== "github");
        const response = await post(encodeURIComponent(name), body, {
          "x-hub-signature-256": sign(body),
          "x-github-event": "push",
          "x-github-delivery": "src",
        });
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    expect(await logLength()).toBe(before);
  });
});

/** A non-public IPv4 address (a loopback, private, link-local, CGNAT or "this network" one). */
const nonPublicV4 = fc.oneof(
  fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(0), fc.nat(255), fc.nat(255), fc.nat(255)),
);

const spellings = (octets: ReadonlyArray<number>): ReadonlyArray<string> => {
  const [a = 0, b = 0, c = 0, d = 0] = octets;
  const integer = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  return [
    `${a}.${b}.${c}.${d}`,
    String(integer),
    `0x${integer.toString(16)}`,
    `0x${a.toString(16)}.${b}.${c}.${d}`,
    `${a}.${(b << 16) + (c << 8) + d}`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
  ];
};

describe("outbound subscriptions under the default policy", () => {
  it("a non-public IPv4 address is refused however the URL spells it", async () => {
    await fc.assert(
      fc.asyncProperty(
        nonPublicV4,
        fc.nat(5),
        fc.constantFrom("http", "https", "HTTP"),
        async (octets, which, scheme) => {
          const host = spellings(octets)[which] as string;
          const response = await api.app.inject({
            method: "POST",
            url: "/v1/webhooks",
            headers: { "content-type": "application/json" },
            payload: { url: `${scheme}://${host}:8080/hook`, events: ["*"] },
          });
          expect(response.statusCode, host).toBe(422);
        },
      ),
      { numRuns: 300 },
    );
    expect((await api.app.inject({ method: "GET", url: "/v1/webhooks" })).json().webhooks).toEqual([]);
  });
});
