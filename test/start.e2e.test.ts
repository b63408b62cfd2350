/**
 * `docket start` as a real process: it listens where it says, runs submitted jobs with the demo
 * handlers, answers metrics, serves the CLI's client commands, and stops cleanly on SIGTERM.
 * With no Redis at a local REDIS_URL it starts (and later stops) a private redis-server.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketClient } from "../src/client/docket-client.ts";
import { probeRedis } from "../src/main.ts";
import { freePort, startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "bin/docket.js");

let redis: TestRedis;
const dirs: Array<string> = [];
const children: Array<ChildProcess> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await redis.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "docket-start-"));
  dirs.push(dir);
  return dir;
};

const startDocket = (env: Record<string, string>, cwd = ROOT) => {
  const child = spawn(process.execPath, [BIN, "start", "--concurrency", "4"], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
};

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });

describe("docket start", () => {
  it("runs API, projector and worker; jobs submitted over HTTP and the CLI complete; SIGTERM stops it", async () => {
    const port = await freePort();
    const env = {
      REDIS_URL: redis.url,
      PORT: String(port),
      DOCKET_DB: join(tempDir(), "docket.sqlite"),
      DOCKET_PREFIX: uniquePrefix(),
    };
    const docket = startDocket(env);
    await waitFor(() => docket.stderr().includes("listening on"), "docket to listen", 30_000);
    expect(docket.stderr()).toContain(`http://127.0.0.1:${port}`);
    const client = new DocketClient({ baseUrl: `http://127.0.0.1:${port}` });

    const echo = await client.submit({ type: "echo", payload: { hello: "world" } });
    const sleep = await client.submit({ type: "sleep", payload: { ms: 200 } });
    const fail = await client.submit({ type: "fail", payload: { retryable: false } });
    expect((await client.wait(echo.id, { timeoutMs: 20_000 })).result).toEqual({ hello: "world" });
    const slept = await client.wait(sleep.id, { timeoutMs: 20_000 });
    expect(slept).toMatchObject({ status: "completed", progress: { current: 10, total: 10 } });
    expect((await client.wait(fail.id, { timeoutMs: 20_000 })).status).toBe("dead_letter");

    const submitted = cli(["jobs", "submit", "echo", "--payload", '{"via":"cli"}', "--wait", "--json"], {
      DOCKET_API_URL: `http://127.0.0.1:${port}`,
    });
    expect(submitted.status).toBe(0);
    expect(JSON.parse(submitted.stdout)).toMatchObject({ status: "completed", result: { via: "cli" } });
    const failed = cli(["jobs", "submit", "fail", "--payload", '{"retryable":false}', "--wait"], {
      DOCKET_API_URL: `http://127.0.0.1:${port}`,
    });
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain("dead_letter");

    const metrics = await waitFor(async () => {
      const m = (await client.metrics()) as { byStatus: Record<string, number> };
      return (m.byStatus.completed ?? 0) >= 3 && (m.byStatus.dead_letter ?? 0) >= 2 ? m : undefined;
    }, "the projection to count the jobs");
    expect(metrics.byStatus.completed).toBe(3);
    expect((await client.workers()).length).toBe(1);

    docket.child.kill("SIGTERM");
    expect(await docket.exited).toBe(0);
    expect(docket.stderr()).toContain("stopped");
  });

  it("with no Redis at a local REDIS_URL, starts a private redis-server (AOF under ./data) and stops it on exit", async () => {
    const port = await freePort();
    const redisPort = await freePort();
    const cwd = tempDir();
    const url = `redis://127.0.0.1:${redisPort}`;
    const docket = startDocket({ REDIS_URL: url, PORT: String(port), DOCKET_PREFIX: uniquePrefix() }, cwd);
    await waitFor(() => docket.stderr().includes("listening on"), "docket to listen", 30_000);
    expect(docket.stderr()).toContain("started a private redis-server");
    expect(existsSync(join(cwd, "data", "redis"))).toBe(true);
    expect(existsSync(join(cwd, "data", "docket.sqlite"))).toBe(true);
    const client = new DocketClient({ baseUrl: `http://127.0.0.1:${port}` });
    const job = await client.submit({ type: "echo", payload: 1 });
    expect((await client.wait(job.id, { timeoutMs: 20_000 })).status).toBe("completed");
    docket.child.kill("SIGTERM");
    expect(await docket.exited).toBe(0);
    expect((await probeRedis(url, 500)).kind).toBe("unreachable");
  });

  it("with no Redis at a remote REDIS_URL, exits 1 saying how to get Redis", async () => {
    const docket = startDocket({ REDIS_URL: "redis://192.0.2.1:6379", PORT: String(await freePort()) });
    expect(await docket.exited).toBe(1);
    expect(docket.stderr()).toContain("Docket needs Redis");
  });

  it("refuses a bad configuration value with exit 2, naming the variable", async () => {
    const docket = startDocket({ PORT: "eighty" });
    expect(await docket.exited).toBe(2);
    expect(docket.stderr()).toContain("PORT");
  });
});
