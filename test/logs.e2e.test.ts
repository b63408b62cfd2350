/**
 * `docket start` as a real process, its output collected whole (ADR 0030): with stdout not a
 * terminal and no LOG_FORMAT, every line is JSON on stdout; request lines carry the caller's
 * request id; and neither the API token nor the Redis password appears anywhere in what it wrote,
 * at LOG_LEVEL=debug, through submits, scrapes, refused requests and a stop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketClient } from "../src/client/docket-client.ts";
import { killLeftovers, spawnDocket } from "./support/docket.ts";
import { freePort, startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";

const PASSWORD = "redis-pass-Zq81vT";
const TOKEN = "api-token-Xy93kLmn";

let redis: TestRedis;
let dir: string;
beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
  dir = mkdtempSync(join(tmpdir(), "docket-logs-"));
});
afterAll(async () => {
  killLeftovers();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the service's logs", () => {
  it("JSON lines on stdout when it is not a terminal, request ids, and no token or Redis password anywhere", async () => {
    expect(redis.url).toContain(PASSWORD);
    const port = await freePort();
    const docket = spawnDocket(["start", "--concurrency", "2"], {
      env: {
        LOG_FORMAT: "",
        LOG_LEVEL: "debug",
        REDIS_URL: redis.url,
        PORT: String(port),
        DOCKET_DB: join(dir, "docket.sqlite"),
        DOCKET_PREFIX: uniquePrefix(),
        DOCKET_API_TOKEN: TOKEN,
      },
    });
    await docket.waitForOutput("listening on", "docket to listen");
    const base = `http://127.0.0.1:${port}`;
    const client = new DocketClient({ baseUrl: base, token: TOKEN });
    const echo = await client.submit({ type: "echo", payload: { note: "hello" } });
    const fail = await client.submit({ type: "fail", payload: { retryable: false } });
    expect((await client.wait(echo.id, { timeoutMs: 20_000 })).status).toBe("completed");
    expect((await client.wait(fail.id, { timeoutMs: 20_000 })).status).toBe("dead_letter");
    // A token in the query string: refused (the route takes no parameters), and never logged.
    const traced = await fetch(`${base}/metrics?token=${TOKEN}`, {
      headers: { authorization: `Bearer ${TOKEN}`, "x-request-id": "e2e-request-1" },
    });
    expect(traced.status).toBe(400);
    expect(traced.headers.get("x-request-id")).toBe("e2e-request-1");
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^docket_jobs_submitted_total\{queue="default",type="echo"\} 1$/m);
    expect((await fetch(`${base}/v1/jobs`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(
      401,
    );
    expect(
      (await fetch(`${base}/v1/jobs`, { headers: { authorization: `Basic ${btoa(`u:${TOKEN}`)}` } })).status,
    ).toBe(401);
    docket.child.kill("SIGTERM");
    expect(await docket.exited).toBe(0);

    const all = docket.stdout() + docket.stderr();
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(btoa(`u:${TOKEN}`));
    expect(docket.stderr()).toBe("");
    const lines = docket
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => line.reqId === "e2e-request-1" && line.path === "/metrics")).toBe(true);
    expect(lines.some((line) => line.status === 401)).toBe(true);
    expect(lines.some((line) => line.event === "projector_state" && line.to === "tailing")).toBe(true);
    expect(lines.at(-1)).toMatchObject({ msg: "stopped", level: 30, name: "docket" });
  });
});
