/**
 * `docket start` as a real process: it listens where it says, runs submitted jobs with the demo
 * handlers, answers metrics, serves the CLI's client commands, and stops cleanly on SIGTERM.
 * With no Redis at a local REDIS_URL it starts (and later stops) a private redis-server, which
 * only its owner can read or use (ADR 0020); Ctrl-C in a terminal stops everything in order, and
 * a shutdown that cannot finish (Redis gone) gives up after a deadline.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketClient } from "../src/client/index.ts";
import { probeRedis } from "../src/main.ts";
import { freePort, startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { ownDataDir } from "./support/docket.ts";
import { waitFor } from "./support/wait.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "bin/docket.js");

let redis: TestRedis;
const dirs: Array<string> = [];
const children: Array<ChildProcess> = [];
/** Private redis-servers the tests saw started: stopped even when a test fails. */
const redisPids: Array<number> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const pid of redisPids) if (alive(pid)) process.kill(pid, "SIGKILL");
  await redis.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "docket-start-"));
  dirs.push(dir);
  return dir;
};

/** What the process said, without its one line per HTTP request (`GET /x 200 1.2 ms (request …)`). */
const withoutRequestLines = (stderr: string): Array<string> =>
  stderr
    .trim()
    .split("\n")
    .filter((line) => !/ \d{3} [\d.]+ ms \(request [^)]+\)$/.test(line));

const startDocket = (
  env: Record<string, string>,
  cwd = ROOT,
  options: { readonly detached?: boolean; readonly args?: ReadonlyArray<string> } = {},
) => {
  const child = spawn(process.execPath, [BIN, "start", "--concurrency", "4", ...(options.args ?? [])], {
    cwd,
    env: { ...process.env, LOG_FORMAT: "text", ...ownDataDir(cwd, env), ...env },
    stdio: ["ignore", "ignore", "pipe"],
    detached: options.detached ?? false,
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
};

/** Every file and directory under `dir`, with its permission bits. */
const walk = (dir: string): Array<{ path: string; mode: number; directory: boolean }> => {
  const stat = lstatSync(dir);
  const self = { path: dir, mode: stat.mode & 0o777, directory: stat.isDirectory() };
  return stat.isDirectory() ? [self, ...readdirSync(dir).flatMap((name) => walk(join(dir, name)))] : [self];
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const privateRedisPid = (stderr: string): number => {
  const pid = Number(/private redis-server \(pid (\d+)\)/.exec(stderr)?.[1]);
  redisPids.push(pid);
  return pid;
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

  it("with no Redis at a local REDIS_URL, starts a private redis-server: password-protected, 0700/0600 files, stopped on exit", async () => {
    const port = await freePort();
    const redisPort = await freePort();
    const cwd = tempDir();
    const url = `redis://127.0.0.1:${redisPort}`;
    const env = { REDIS_URL: url, PORT: String(port), DOCKET_PREFIX: uniquePrefix() };
    const first = startDocket(env, cwd);
    await waitFor(() => first.stderr().includes("listening on"), "docket to listen", 30_000);
    expect(first.stderr()).toContain(`started a private redis-server (pid`);
    const redisPid = privateRedisPid(first.stderr());
    const client = new DocketClient({ baseUrl: `http://127.0.0.1:${port}` });
    const job = await client.submit({ type: "echo", payload: "kept" });
    expect((await client.wait(job.id, { timeoutMs: 20_000 })).status).toBe("completed");

    // Nobody but its owner reads or writes what it keeps: every directory 0700, every file 0600
    // (AOF, password, config, SQLite files), and a connection without the password is refused.
    const data = join(cwd, "data");
    const password = readFileSync(join(data, "redis", "password"), "utf8").trim();
    expect(password.length).toBeGreaterThanOrEqual(32);
    const files = walk(data);
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        join(data, "docket.sqlite"),
        join(data, "redis", "password"),
        join(data, "redis", "redis.conf"),
        expect.stringMatching(/appendonlydir\/appendonly\.aof\.\d+\.incr\.aof$/),
      ]),
    );
    for (const { path, mode, directory } of files)
      expect([path, mode], path).toEqual([path, directory ? 0o700 : 0o600]);
    expect(await probeRedis(url, 1_000)).toMatchObject({ kind: "auth", error: { reason: "no_password" } });
    const owner = new Redis(`redis://:${password}@127.0.0.1:${redisPort}`, { lazyConnect: true });
    await owner.connect();
    expect(await owner.config("GET", "bind")).toEqual(["bind", "127.0.0.1 -::1"]);
    // Job heads stay compact listpacks (ADR 0027).
    expect(await owner.config("GET", "hash-max-listpack-value")).toEqual(["hash-max-listpack-value", "512"]);
    const heads = await owner.keys(`${env.DOCKET_PREFIX}:*:job:*`);
    expect(heads.length).toBeGreaterThan(0);
    for (const head of heads) expect(await owner.object("ENCODING", head)).toBe("listpack");
    owner.disconnect();
    expect(first.stderr()).not.toContain(password);

    // Killed outright, it cannot stop its Redis: the next start finds it (it asks for our
    // password), uses it with its data, and stops it when it stops.
    first.child.kill("SIGKILL");
    await first.exited;
    expect(alive(redisPid)).toBe(true);
    const second = startDocket(env, cwd);
    await waitFor(() => second.stderr().includes("listening on"), "docket to listen again", 30_000);
    expect(second.stderr()).toContain(`using the private redis-server an earlier docket start left running`);
    expect((await client.get(job.id)).result).toBe("kept");
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    await waitFor(() => !alive(redisPid), "the private redis-server to exit");
    expect((await probeRedis(url, 500)).kind).toBe("unreachable");
    expect(second.stderr()).not.toContain(password);
  });

  it("Ctrl-C in a terminal (SIGINT to the process group) with a job running stops it in order, in a few lines, leaving no redis-server", async () => {
    const port = await freePort();
    const env = {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      PORT: String(port),
      DOCKET_PREFIX: uniquePrefix(),
    };
    // Its own process group, as a shell gives a foreground job; the terminal's Ctrl-C signals it all.
    const docket = startDocket(env, tempDir(), { detached: true, args: ["--grace-ms", "500"] });
    await waitFor(() => docket.stderr().includes("listening on"), "docket to listen", 30_000);
    const redisPid = privateRedisPid(docket.stderr());
    const client = new DocketClient({ baseUrl: `http://127.0.0.1:${port}` });
    const job = await client.submit({ type: "sleep", payload: { ms: 600_000 } });
    await waitFor(async () => (await client.get(job.id)).status === "processing", "the job to start");
    process.kill(-(docket.child.pid ?? 0), "SIGINT");
    expect(await docket.exited).toBe(0);
    const lines = withoutRequestLines(docket.stderr());
    expect(lines.slice(-3)).toEqual([
      "docket: SIGINT, shutting down",
      "docket projector: projector stopped",
      "docket: stopped",
    ]);
    expect(lines.length).toBeLessThanOrEqual(11);
    await waitFor(() => !alive(redisPid), "the private redis-server to exit");
  });

  it("when Redis is gone, the shutdown gives up after its deadline, in a few lines, and exits 1", async () => {
    const doomed = await startRedis({ port: await freePort() });
    const port = await freePort();
    const docket = startDocket(
      {
        REDIS_URL: doomed.url,
        PORT: String(port),
        DOCKET_DB: join(tempDir(), "docket.sqlite"),
        DOCKET_PREFIX: uniquePrefix(),
      },
      ROOT,
      { args: ["--grace-ms", "200"] },
    );
    await waitFor(() => docket.stderr().includes("listening on"), "docket to listen", 30_000);
    const client = new DocketClient({ baseUrl: `http://127.0.0.1:${port}` });
    const job = await client.submit({ type: "sleep", payload: { ms: 600_000 } });
    await waitFor(async () => (await client.get(job.id)).status === "processing", "the job to start");
    doomed.kill();
    docket.child.kill("SIGTERM");
    expect(await docket.exited).toBe(1);
    expect(docket.stderr()).toContain("could not stop in order within 5200 ms (is Redis unreachable?)");
    // Each loop's failures are repeat-limited: a line or two each, not one per retry. Counted from
    // the signal on: six loops (worker, projector, scheduler, webhooks, dependencies, archiver)
    // at two lines each, the signal's line and the give-up line.
    const lines = withoutRequestLines(docket.stderr());
    const shutdown = lines.slice(lines.indexOf("docket: SIGTERM, shutting down"));
    expect(shutdown[0]).toBe("docket: SIGTERM, shutting down");
    expect(shutdown.length, shutdown.join("\n")).toBeLessThanOrEqual(14);
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
