/**
 * How `docket api`, `docket worker`, `docket start` and `docket audit --direct` start when Redis
 * is not there or refuses them (ADR 0020), as real processes:
 * - no Redis on the port: `api` listens and answers /health 503 while it retries with a line per
 *   attempt, `worker` waits with a line per attempt; both come up when Redis does;
 * - a Redis that wants a password: a missing or wrong one exits 2 saying so (never "install
 *   Redis"), and the password given is never printed, on any path;
 * - `--json`: one JSON object per line on stdout (pino's format, fastify's request lines too).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DocketClient } from "../src/client/index.ts";
import { killLeftovers, runDocket, spawnDocket } from "./support/docket.ts";
import { apiActor, makeEngine } from "./support/engine.ts";
import { freePort, startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

const dirs: Array<string> = [];
const servers: Array<TestRedis> = [];

afterAll(async () => {
  killLeftovers();
  for (const server of servers) await server.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "docket-startup-"));
  dirs.push(dir);
  return dir;
};

const redisOn = async (options: Parameters<typeof startRedis>[0]) => {
  const server = await startRedis(options);
  servers.push(server);
  return server;
};

const health = async (port: number) => {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
};

/** The README's handlers.js, in a folder with no package.json (it failed to load there). */
const readmeHandlers = (dir: string): string => {
  const file = join(dir, "handlers.js");
  writeFileSync(
    file,
    `const permanent = (message) => Object.assign(new Error(message), { retryable: false });
export default {
  "send-email": async (payload, ctx) => {
    await ctx.log(\`sending to \${payload.to}\`);
    await ctx.progress(1, 2, "connecting");
    if (!payload.to) throw permanent("no recipient");
    return { delivered: true };
  },
};
`,
  );
  return file;
};

describe("starting without Redis", () => {
  it("docket api listens and answers /health 503 while it retries, a line per attempt; it serves once Redis starts, and stops at once with an event stream open", async () => {
    const redisPort = await freePort();
    const port = await freePort();
    const api = spawnDocket(["api"], {
      env: {
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        PORT: String(port),
        DOCKET_DB: join(tempDir(), "docket.sqlite"),
        DOCKET_PREFIX: uniquePrefix(),
      },
    });
    await api.waitForOutput("(attempt 2;", "the API's second attempt to reach Redis");
    expect(api.stderr()).toContain(`API listening on http://127.0.0.1:${port}`);
    expect(api.stderr()).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ does not answer \(ECONNREFUSED\)/);
    // One account of Redis being away: the retry lines, not an error from each role waiting on it.
    expect(api.stderr()).not.toMatch(/error/i);
    const down = await health(port);
    expect(down.status).toBe(503);
    expect(down.body.error?.code).toBe("queue_unreachable");

    await redisOn({ port: redisPort });
    await waitFor(async () => (await health(port)).status === 200, "/health to answer 200", 30_000);
    await api.waitForOutput("answers (attempt", "the API to say Redis answers");
    const job = await new DocketClient({ baseUrl: `http://127.0.0.1:${port}` }).submit({ type: "echo" });
    expect(job.status).toBe("queued");
    // An open event stream never ends by itself: stopping must close it, not wait for it.
    const stream = await fetch(`http://127.0.0.1:${port}/v1/events`);
    expect(stream.status).toBe(200);
    const reader = stream.body?.getReader();
    await reader?.read();
    api.child.kill("SIGTERM");
    expect(await api.exited).toBe(0);
    expect(api.stderr()).toContain("docket api: SIGTERM, shutting down\n");
    expect(api.stderr()).toMatch(/docket api projector: projector stopped\ndocket api: stopped\n$/);
    await reader?.cancel().catch(() => undefined);
  });

  it("docket worker waits for Redis with a JSON line per attempt (--json), then runs the README's handlers.js", async () => {
    const redisPort = await freePort();
    const prefix = uniquePrefix();
    const dir = tempDir();
    const worker = spawnDocket(["worker", "--json", "--handlers", readmeHandlers(dir), "--grace-ms", "500"], {
      cwd: dir,
      env: { REDIS_URL: `redis://127.0.0.1:${redisPort}`, DOCKET_PREFIX: prefix },
    });
    await worker.waitForOutput('"attempt":2', "the worker's second attempt to reach Redis");
    expect(worker.stderr()).toBe("");
    const lines = worker
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: number; msg: string; component: string; pid: number });
    expect(lines[0]).toMatchObject({ level: 40, component: "worker", pid: worker.child.pid });
    expect(lines[0]?.msg).toMatch(/does not answer \(ECONNREFUSED\); trying again in 1 s/);

    const redis = await redisOn({ port: redisPort });
    const engine = await makeEngine(redis.url, { prefix });
    try {
      await worker.waitForOutput("(handlers: send-email)", "the worker to start");
      const { jobId } = await engine.jobs.submit({ type: "send-email", payload: { to: "a@b.c" } }, apiActor);
      const done = await waitFor(async () => {
        const events = await engine.store.readEvents(jobId);
        return events.find((e) => e.type === "JobCompleted");
      }, "the job to complete");
      expect(done.data).toMatchObject({ result: { delivered: true } });
    } finally {
      await engine.close();
    }
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    for (const line of worker.stdout().trim().split("\n"))
      expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});

describe("a Redis that wants a password", () => {
  // Characters that need percent-encoding in a URL, so both spellings are checked.
  const PASSWORD = "s3cr3t p@ss/#1";
  const WRONG = "wr0ng-p@ss";
  const spellings = [PASSWORD, encodeURIComponent(PASSWORD), WRONG, encodeURIComponent(WRONG)];
  const withPassword = (password: string, port: number) =>
    `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;

  const expectNoPassword = (text: string) => {
    for (const spelling of spellings) expect(text).not.toContain(spelling);
  };

  it("a missing or wrong password exits 2 saying so, from api, worker, start and audit --direct, never printing it", async () => {
    const redis = await redisOn({ password: PASSWORD });
    const port = Number(new URL(redis.url).port);
    const base = { PORT: String(await freePort()), DOCKET_DB: join(tempDir(), "docket.sqlite") };
    const [api, worker, start, audit] = await Promise.all([
      runDocket(["api"], { env: { ...base, REDIS_URL: `redis://127.0.0.1:${port}` } }),
      runDocket(["worker"], { env: { REDIS_URL: withPassword(WRONG, port) } }),
      runDocket(["start"], {
        cwd: tempDir(),
        env: { PORT: String(await freePort()), REDIS_URL: withPassword(WRONG, port) },
      }),
      runDocket(["audit", "verify", "--direct"], { env: { REDIS_URL: withPassword(WRONG, port) } }),
    ]);
    expect(api.status, api.stderr).toBe(2);
    expect(api.stderr).toContain(`Redis at 127.0.0.1:${port} requires a password (NOAUTH)`);
    for (const run of [worker, start, audit]) {
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr).toContain(`Redis at 127.0.0.1:${port} refused the password`);
    }
    for (const run of [api, worker, start, audit]) {
      expect(run.stderr).not.toContain("Docket needs Redis");
      expect(run.stderr).toContain("(REDIS_URL)");
      expectNoPassword(run.stdout + run.stderr);
    }
  });

  it("never prints it on the other paths either: a bad REDIS_URL, a remote Redis that does not answer", async () => {
    const [badUrl, remote] = await Promise.all([
      runDocket(["worker"], { env: { REDIS_URL: withPassword(PASSWORD, 99_999) } }),
      runDocket(["start"], {
        cwd: tempDir(),
        env: {
          PORT: String(await freePort()),
          REDIS_URL: withPassword(PASSWORD, 9).replace("127.0.0.1", "192.0.2.1"),
        },
      }),
    ]);
    expect(badUrl.status).toBe(2);
    expect(badUrl.stderr).toContain("invalid REDIS_URL");
    expect(badUrl.stderr).toContain("expected a Redis URL such as redis://127.0.0.1:6379");
    expect(remote.status).toBe(1);
    expect(remote.stderr).toContain("no Redis answers at REDIS_URL=redis://***@192.0.2.1:9");
    for (const run of [badUrl, remote]) expectNoPassword(run.stdout + run.stderr);
  });

  it("with the right password, docket start --json logs JSON lines on stdout (requests too) and never the password", async () => {
    const redis = await redisOn({ password: PASSWORD });
    const port = await freePort();
    const start = spawnDocket(["start", "--json", "--grace-ms", "500"], {
      cwd: tempDir(),
      env: { REDIS_URL: redis.url, PORT: String(port), DOCKET_PREFIX: uniquePrefix() },
    });
    await start.waitForOutput("API listening on", "docket start to listen");
    const client = new DocketClient({ baseUrl: `http://127.0.0.1:${port}` });
    const job = await client.submit({ type: "echo", payload: "json" });
    expect((await client.wait(job.id, { timeoutMs: 20_000 })).status).toBe("completed");
    const audit = await runDocket(["audit", "verify", "--job", job.id], {
      env: { DOCKET_API_URL: `http://127.0.0.1:${port}` },
    });
    expect(audit.status, audit.stdout + audit.stderr).toBe(0);
    start.child.kill("SIGTERM");
    expect(await start.exited).toBe(0);

    expect(start.stderr()).toBe("");
    const lines = start
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: number; time: number; msg: string; path?: string });
    for (const line of lines)
      expect(line).toMatchObject({ level: expect.any(Number), time: expect.any(Number) });
    const messages = lines.map((l) => l.msg);
    expect(messages[0]).toBe(`using Redis at redis://***@127.0.0.1:${new URL(redis.url).port}`);
    expect(messages).toContain("SIGTERM, shutting down");
    expect(messages.at(-1)).toBe("stopped");
    expect(lines.some((l) => l.path === "/v1/jobs")).toBe(true);
    expectNoPassword(start.stdout() + audit.stdout + audit.stderr);
  });
});
