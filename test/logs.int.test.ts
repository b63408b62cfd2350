/**
 * The API's log (ADR 0030) through the logger the CLI builds (pino, captured): every 5xx is
 * logged with its error, one line per request with its request id, and the caller's
 * X-Request-Id is used and echoed only when it is short and printable.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLog } from "../src/cli/log.ts";
import { type ApiServer, openApiServer } from "../src/main.ts";
import { tempDbPath } from "./support/projection.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
let api: ApiServer;
let dbPath: string;
const written: Array<string> = [];
const lines = () => written.map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  // Killed by a test: its own server, even where REDIS_URL names one.
  redis = await startRedis({ own: true });
  dbPath = tempDbPath();
  const log = await openLog({ json: true, component: "api", destination: (text) => written.push(text) });
  api = await openApiServer({
    redisUrl: redis.url,
    prefix: uniquePrefix(),
    shards: 1,
    leaseMs: 2_000,
    dbPath,
    logger: log.pino,
  });
  // A route whose handler fails as no client input can make it: the error handler's 500.
  api.app.get("/test-only/broken", async () => {
    throw new Error("the disk caught fire");
  });
});
afterAll(async () => {
  await api.close();
  rmSync(dirname(dbPath), { recursive: true, force: true });
  await redis.stop();
});

describe("the API's log", () => {
  it("a 500 is logged at error with its error and stack, and the client sees only internal_error", async () => {
    written.length = 0;
    const response = await api.app.inject({ method: "GET", url: "/test-only/broken" });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: { code: "internal_error", message: "internal error" } });
    const failure = lines().find((line) => line.level === 50);
    expect(failure?.msg).toBe("500 answered: the disk caught fire");
    expect(failure?.err).toMatchObject({ type: "Error", message: "the disk caught fire" });
    expect(String((failure?.err as { stack: string }).stack)).toContain("logs.int.test.ts");
    expect(failure?.reqId).toBe(response.headers["x-request-id"]);
  });

  it("a 503 (Redis away) is logged as a warning with its error", async () => {
    written.length = 0;
    redis.kill();
    try {
      await waitFor(
        async () => (await api.app.inject({ method: "GET", url: "/health" })).statusCode === 503,
        "the API to see Redis gone",
      );
      written.length = 0;
      const response = await api.app.inject({
        method: "POST",
        url: "/v1/jobs",
        payload: { type: "echo", payload: {} },
      });
      expect(response.statusCode).toBe(503);
      const warning = lines().find((line) => line.level === 40);
      expect(warning?.msg).toMatch(/^503 answered: /);
      expect(warning?.err).toMatchObject({ tag: "QueueUnavailable" });
    } finally {
      await redis.restart();
    }
  });

  it("one line per request at info with method, path (no query), status, time and request id", async () => {
    written.length = 0;
    const response = await api.app.inject({ method: "GET", url: "/v1/jobs?limit=2&type=x" });
    expect(response.statusCode).toBe(200);
    const requestLines = lines().filter((line) => line.path !== undefined);
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      level: 30,
      method: "GET",
      path: "/v1/jobs",
      status: 200,
      component: "api",
    });
    expect(requestLines[0]?.reqId).toBe(response.headers["x-request-id"]);
    expect(JSON.stringify(written)).not.toContain("limit=2");
  });

  it("X-Request-Id is honoured and echoed when 1 to 64 visible ASCII characters, replaced otherwise", async () => {
    const idOf = async (given: string | undefined) => {
      written.length = 0;
      const response = await api.app.inject({
        method: "GET",
        url: "/v1/workers",
        headers: given === undefined ? {} : { "x-request-id": given },
      });
      const echoed = String(response.headers["x-request-id"]);
      expect(lines().find((line) => line.path === "/v1/workers")?.reqId).toBe(echoed);
      return echoed;
    };
    expect(await idOf("trace-abc.123:XYZ")).toBe("trace-abc.123:XYZ");
    for (const bad of ["x".repeat(65), "with space", "tab\there", "é-accent", ""]) {
      const echoed = await idOf(bad);
      expect(echoed).not.toBe(bad);
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    }
    const fresh = [await idOf(undefined), await idOf(undefined)];
    expect(fresh[0]).not.toBe(fresh[1]);
  });
});
