/**
 * Inbound hooks (seed 004: GitHub → a queue) on a real Redis: a verified delivery is one job, a
 * redelivery the same job; a bad or missing signature is a 401 that records nothing; an unknown
 * source is a 404; the route needs no bearer token but always the signature. Signatures here are
 * computed with createHmac directly (the code under test uses its own helper).
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../src/infra/redis/keys.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

const SECRET = "gh-hook-secret-0123456789";
const sign = (body: string | Buffer): string =>
  `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, {
    token: "bearer-token-for-the-rest",
    hookSecrets: new Map([["github", SECRET]]),
  });
});
afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

const logLength = (): Promise<number> => api.engine.client.xlen(new Keys(api.prefix, 1).log(0));

const deliver = (body: string, headers: Record<string, string | undefined>, url = "/v1/hooks/github") =>
  api.app.inject({
    method: "POST",
    url,
    payload: body,
    headers: Object.fromEntries(
      Object.entries({ "content-type": "application/json", ...headers }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>,
  });

describe("POST /v1/hooks/:source", () => {
  it("turns a verified GitHub delivery into one job, and a redelivery into the same job", async () => {
    // Whitespace and an escape kept as sent: the signature covers these exact bytes.
    const body = '{ "ref": "refs/heads/main",  "note": "caf\\u00e9", "commits": [1, 2] }';
    const headers = {
      "x-hub-signature-256": sign(body),
      "x-github-event": "push",
      "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    };
    const first = await deliver(body, headers);
    expect(first.statusCode).toBe(202);
    const accepted = first.json<{ jobId: string; type: string; created: boolean }>();
    expect(accepted).toMatchObject({ type: "github.push", created: true });
    const job = await api.jobs.view(accepted.jobId);
    expect(job.type).toBe("github.push");
    expect((await api.jobs.get(accepted.jobId)).payload).toEqual({
      ref: "refs/heads/main",
      note: "café",
      commits: [1, 2],
    });
    expect(job.idempotencyKey).toBe("github:72d3162e-cc78-11e3-81ab-4c9367dc0958");
    const events = await logLength();

    const again = await deliver(body, headers);
    expect(again.statusCode).toBe(202);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual({ ...accepted, created: false });
    expect(await logLength()).toBe(events);
  });

  it("refuses a missing, wrong or re-serialised signature with 401 and records nothing", async () => {
    const body = '{"action":  "opened"}';
    const base = { "x-github-event": "issues", "x-github-delivery": "d-401" };
    const before = await logLength();
    for (const signature of [
      undefined,
      "",
      "sha256=",
      sign(JSON.stringify(JSON.parse(body))),
      sign(body).toUpperCase(),
      sign(body).replace("sha256=", "sha1="),
      `sha256=${createHmac("sha256", "other-secret").update(body).digest("hex")}`,
      `${sign(body)}00`,
    ]) {
      const response = await deliver(body, { ...base, "x-hub-signature-256": signature });
      expect(response.statusCode, String(signature)).toBe(401);
      expect(response.json().error.code).toBe("invalid_signature");
    }
    expect(await logLength()).toBe(before);
  });

  it("answers 404 for a source with no secret and 4xx for hostile source names, recording nothing", async () => {
    const body = "{}";
    const headers = { "x-hub-signature-256": sign(body), "x-github-event": "push", "x-github-delivery": "x" };
    const before = await logLength();
    for (const path of [
      "gitlab",
      "GITHUB",
      "github%00",
      "__proto__",
      "constructor",
      "github%2F..",
      "%F0%9F%98%80",
    ]) {
      const response = await deliver(body, headers, `/v1/hooks/${path}`);
      expect(response.statusCode, path).toBe(404);
      expect(response.json().error.code).toBe("hook_source_not_found");
    }
    // Dot segments leave the route: an unknown route, which without a token is a 401.
    expect((await deliver(body, headers, "/v1/hooks/%2e%2e")).statusCode).toBe(401);
    // Refused before routing (over-long, bad encoding): with tokens configured, 401 (deny by default).
    for (const path of ["a".repeat(5000), "%E0%A4%A", "%"]) {
      const status = (await deliver(body, headers, `/v1/hooks/${path}`)).statusCode;
      expect(status, path.slice(0, 20)).toBeGreaterThanOrEqual(400);
      expect(status, path.slice(0, 20)).toBeLessThan(500);
    }
    expect(await logLength()).toBe(before);
  });

  it("needs no bearer token, but the other routes still do", async () => {
    const body = '{"zen":"Keep it logically awesome."}';
    const response = await deliver(body, {
      "x-hub-signature-256": sign(body),
      "x-github-event": "ping",
      "x-github-delivery": "ping-1",
    });
    expect(response.statusCode).toBe(202);
    const jobs = await api.app.inject({ method: "GET", url: "/v1/jobs" });
    expect(jobs.statusCode).toBe(401);
  });

  it("refuses a verified delivery without its event or delivery header, or that is not JSON, with 400", async () => {
    const body = '{"a":1}';
    const signature = sign(body);
    const before = await logLength();
    const noEvent = await deliver(body, { "x-hub-signature-256": signature, "x-github-delivery": "1" });
    expect(noEvent.statusCode).toBe(400);
    const noDelivery = await deliver(body, { "x-hub-signature-256": signature, "x-github-event": "push" });
    expect(noDelivery.statusCode).toBe(400);
    const badType = await deliver(body, {
      "x-hub-signature-256": signature,
      "x-github-event": "push event!",
      "x-github-delivery": "2",
    });
    expect(badType.statusCode).toBe(400);
    const text = "not json";
    const notJson = await deliver(text, {
      "x-hub-signature-256": sign(text),
      "x-github-event": "push",
      "x-github-delivery": "3",
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe("malformed_json");
    const form = await api.app.inject({
      method: "POST",
      url: "/v1/hooks/github",
      payload: "payload=%7B%7D",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-hub-signature-256": sign("payload=%7B%7D"),
      },
    });
    expect(form.statusCode).toBe(415);
    expect(await logLength()).toBe(before);
  });

  it("refuses a body over the limit with 413", async () => {
    const body = JSON.stringify({ blob: "x".repeat(1024 * 1024 + 10) });
    const response = await deliver(body, {
      "x-hub-signature-256": sign(body),
      "x-github-event": "push",
      "x-github-delivery": "big",
    });
    expect(response.statusCode).toBe(413);
  });
});
