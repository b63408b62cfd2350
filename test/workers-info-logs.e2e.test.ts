/**
 * Issue 14's operator views as real processes against a real API on a real Redis: the worker
 * registry's status, uptime and current jobs (`docket workers`), `docket info --interval` off a
 * terminal, a job's log (`GET /v1/jobs/:id/logs`, `docket jobs logs [--follow]`), the priority
 * levels 30/20/10/0, and a worker configured by DOCKET_QUEUES, DOCKET_WORKER_NAME,
 * DOCKET_CONCURRENCY and `--env-file`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import type { JobLogs, Workers } from "../src/contract/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { BIN, killLeftovers, ROOT, runDocket, spawnDocket } from "./support/docket.ts";
import { heldHandlers } from "./support/held-handlers.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let api: TestApi;
let worker: Worker;
let env: Record<string, string>;
const scratch = mkdtempSync(join(tmpdir(), "docket-seeds-b-"));
const client = { kind: "client", id: "t" } as const;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  env = {
    DOCKET_API_URL: await api.app.listen({ port: 0, host: "127.0.0.1" }),
    REDIS_URL: redis.url,
    DOCKET_PREFIX: api.prefix,
  };
  worker = (await startWorker(api.engine, demoHandlers, { concurrency: 2, name: "demo" })).worker;
});
afterAll(async () => {
  killLeftovers();
  await worker.stop(100);
  await api.stop();
  await redis.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const workersNow = async (): Promise<Workers["workers"]> =>
  (await api.app.inject({ method: "GET", url: "/v1/workers" })).json<Workers>().workers;

describe("the worker registry", () => {
  it("shows a worker busy with its current jobs, idle once they end, stopping while it finishes", async () => {
    const { handler, held } = heldHandlers();
    const { worker: holder, done } = await startWorker(
      api.engine,
      { hold: handler },
      { name: "holder", queues: ["held"], concurrency: 3 },
    );
    const mine = () => workersNow().then((list) => list.find((w) => w.id === holder.id));
    await waitFor(async () => (await mine())?.status === "idle", "the holder to heartbeat idle");
    const jobs = await Promise.all(
      [1, 2].map(() => api.jobs.submit({ type: "hold", queue: "held" }, client).then((j) => j.jobId)),
    );
    await waitFor(async () => (await mine())?.currentJobs.length === 2, "both jobs to be current");
    const busy = await mine();
    expect(busy?.status).toBe("busy");
    expect([...(busy?.currentJobs ?? [])].sort()).toEqual([...jobs].sort());
    expect(busy?.inFlight).toBe(2);
    expect(Date.parse(busy?.lastSeenAt ?? "")).toBeGreaterThanOrEqual(Date.parse(busy?.startedAt ?? ""));

    const text = await runDocket(["workers"], { env });
    expect(text.status, text.stderr).toBe(0);
    const row = text.stdout.split("\n").find((line) => line.startsWith(holder.id)) ?? "";
    expect(row).toMatch(/ busy +held +2\/3 /);
    expect(row).toMatch(/ \d+s ago /);
    expect(text.stdout.split("\n")[0]).toMatch(
      /^ID +STATUS +QUEUES +RUNNING +DONE +FAILED +UPTIME +HEARTBEAT +CURRENT JOBS$/,
    );

    held.shift()?.();
    await waitFor(async () => (await mine())?.currentJobs.length === 1, "one job to remain");
    // stop() waits for the last job: meanwhile the registry says stopping, at once.
    const stopping = holder.stop(60_000);
    await waitFor(async () => (await mine())?.status === "stopping", "the holder to say stopping");
    expect((await mine())?.currentJobs).toHaveLength(1);
    held.shift()?.();
    await stopping;
    await done;
    expect(await mine()).toBeUndefined();
  });
});

describe("docket info --interval", () => {
  it("off a terminal writes a block per tick, and SIGINT ends it with exit 0", async () => {
    const info = spawnDocket(["info", "--interval", "0.2"], { env });
    await waitFor(
      () => (info.stdout().match(/^QUEUE +WAITING +PENDING$/gm) ?? []).length >= 2,
      "two ticks",
      30_000,
    );
    info.child.kill("SIGINT");
    expect(await info.exited).toBe(0);
    const out = info.stdout();
    expect(out).not.toContain("\x1b[");
    const blocks = out.trim().split(/\n\n(?=\d{4}-)/);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) {
      expect(block).toMatch(
        /^\d{4}-\d\d-\d\dT.*queue\(s\), \d+ waiting, \d+ pending; \d+ worker\(s\), \d+ busy/,
      );
      expect(block).toMatch(new RegExp(`^${worker.id} +idle|busy`, "m"));
    }
  });

  it("refuses an interval that is not seconds (exit 2)", async () => {
    const result = await runDocket(["info", "--interval", "soon"], { env });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--interval must be seconds");
  });
});

describe("a job's log", () => {
  it("GET /v1/jobs/:id/logs has the handler's lines and the lifecycle derived from its events", async () => {
    const { jobId } = await api.jobs.submit(
      { type: "flaky", payload: { failures: 1 }, backoff: { type: "fixed", delayMs: 10 } },
      client,
    );
    await waitFor(
      async () => (await api.jobs.view(jobId)).status === "completed",
      "the flaky job to complete",
    );
    const response = await api.app.inject({ method: "GET", url: `/v1/jobs/${jobId}/logs` });
    expect(response.statusCode).toBe(200);
    const { lines } = response.json<JobLogs>();
    expect(
      lines.map((l) => `${l.source} ${l.attempt ?? "-"} ${l.line.replace(/ on \S+$| \(\d+ ms\)$/, "")}`),
    ).toEqual([
      "docket - Submitted flaky job to queue default (priority normal)",
      "docket 1 Executing flaky job (attempt 1 of 3)",
      "handler 1 attempt 1: failing on purpose (1 failure(s) planned)",
      expect.stringMatching(
        /^docket 1 Job failed: handler_error: Error: flaky: attempt 1 of 1 planned failures; retry at /,
      ),
      "docket - Queued for its retry",
      "docket 2 Executing flaky job (attempt 2 of 3)",
      "docket 2 Job OK",
    ]);
    expect(lines[1]?.line).toMatch(new RegExp(`on ${worker.id}$`));
    const seqs = lines.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const text = await runDocket(["jobs", "logs", jobId], { env });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/ #1 {2}\| attempt 1: failing on purpose/);
    expect(text.stdout).toMatch(/ #2 {2}Job OK \(\d+ ms\)\n$/);
  });

  it("an unknown job's log is a 404 job_not_found", async () => {
    const response = await api.app.inject({ method: "GET", url: "/v1/jobs/01J00000000000000000000000/logs" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: "job_not_found" } });
  });

  it("jobs logs --follow prints lines as they come and exits 0 when the job ends", async () => {
    const { handler, held } = heldHandlers();
    const { worker: holder, done } = await startWorker(
      api.engine,
      { hold: async (payload, ctx) => (await ctx.log("holding"), handler(payload, ctx)) },
      { name: "follower", queues: ["follow"] },
    );
    const { jobId } = await api.jobs.submit({ type: "hold", queue: "follow" }, client);
    const follow = spawnDocket(["jobs", "logs", jobId, "--follow"], { env });
    await follow.waitForOutput("| holding", "the handler's line");
    // The handler is held: the job has not ended, so docket is still following it.
    expect(follow.child.exitCode).toBeNull();
    expect(follow.stdout()).not.toContain("Job OK");
    held.shift()?.();
    expect(await follow.exited).toBe(0);
    expect(follow.stdout()).toMatch(
      new RegExp(
        `Executing hold job \\(attempt 1 of 3\\) on ${holder.id}\n.*\\| holding\n.*Job OK \\(\\d+ ms\\)\n$`,
      ),
    );
    expect((await api.jobs.view(jobId)).status).toBe("completed");
    await holder.stop(100);
    await done;
  });
});

describe("priority levels", () => {
  it("30, 20, 10 and 0 are critical, high, normal and low; 15 is refused naming the field", async () => {
    const submit = (priority: unknown) =>
      api.app.inject({
        method: "POST",
        url: "/v1/jobs",
        payload: { type: "echo", priority, delayMs: 60_000 },
      });
    for (const [level, name] of [
      [30, "critical"],
      [20, "high"],
      [10, "normal"],
      [0, "low"],
    ] as const) {
      const response = await submit(level);
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({ priority: name });
    }
    const refused = await submit(15);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: { code: "invalid_job_spec", field: "priority" } });
    expect((await submit("30")).statusCode).toBe(400);

    const cli = await runDocket(
      ["jobs", "submit", "echo", "--priority", "20", "--delay-ms", "60000", "--json"],
      { env },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ priority: "high" });
    const bad = await runDocket(["jobs", "submit", "echo", "--priority", "15"], { env });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("priority");
  });
});

/** `docket …` run as an installed one is: the file itself, by its `#!` line. */
const runBin = (args: ReadonlyArray<string>, extra: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    execFile(
      BIN,
      args,
      {
        cwd: ROOT,
        env: { ...process.env, ...env, LOG_FORMAT: "text", ...extra },
        encoding: "utf8",
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({
          status: error === null ? 0 : typeof error.code === "number" ? error.code : null,
          stdout,
          stderr,
        }),
    ),
  );

describe("a worker configured from the environment", () => {
  it("takes DOCKET_QUEUES, DOCKET_WORKER_NAME and DOCKET_CONCURRENCY; its flags win", async () => {
    const { jobId } = await api.jobs.submit({ type: "echo", queue: "envq", payload: 1 }, client);
    const fromEnv = await runDocket(["worker", "--burst"], {
      env: { ...env, DOCKET_QUEUES: "other, envq", DOCKET_WORKER_NAME: "envy", DOCKET_CONCURRENCY: "3" },
    });
    expect(fromEnv.status, fromEnv.stderr).toBe(0);
    expect(fromEnv.stderr).toMatch(/envy-\S+ on queues other,envq/);
    expect((await api.jobs.view(jobId)).status).toBe("completed");

    const flags = await runDocket(["worker", "--burst", "--queues", "flagq", "--name", "flagged"], {
      env: { ...env, DOCKET_QUEUES: "envq", DOCKET_WORKER_NAME: "envy" },
    });
    expect(flags.status, flags.stderr).toBe(0);
    expect(flags.stderr).toMatch(/flagged-\S+ on queues flagq/);

    const bad = await runDocket(["worker", "--burst"], { env: { ...env, DOCKET_CONCURRENCY: "0" } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("invalid DOCKET_CONCURRENCY");
  });

  it("--env-file loads them (the environment wins); a missing file exits 2 saying so", async () => {
    const file = join(scratch, "worker.env");
    writeFileSync(file, "DOCKET_QUEUES=filequeue\nDOCKET_WORKER_NAME=fromfile\nLOG_LEVEL=debug\n");
    const loaded = await runBin(["--env-file", file, "worker", "--burst"], { LOG_LEVEL: "info" });
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(loaded.stderr).toMatch(/fromfile-\S+ on queues filequeue/);
    expect(loaded.stderr).not.toMatch(/DEBUG/i);

    const missing = await runBin(["worker", "--burst", `--env-file=${join(scratch, "nope.env")}`]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("nope.env");
    expect(missing.stderr).toContain("no such file");
  });
});
