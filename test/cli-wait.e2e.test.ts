/**
 * `docket jobs wait <id>` and `docket jobs submit --wait` as real processes against a real API:
 * they follow the job over the event stream, print its final view, and exit 0 when it completed,
 * 1 when it ended otherwise, 124 past `--timeout`; a bad `--timeout` is a usage error (2); off a
 * terminal each change is a line on stderr, on a terminal (a pseudo-terminal made by `script`)
 * the one progress line is redrawn in place.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { ROOT, runDocket, runProcess } from "./support/cli.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { startWorker } from "./support/workers.ts";

const BIN = join(ROOT, "bin/docket.js");

let redis: TestRedis;
let api: TestApi;
let worker: Worker;
let env: Record<string, string>;
const docket = (args: ReadonlyArray<string>) => runDocket(args, env);

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  env = { DOCKET_API_URL: await api.app.listen({ port: 0, host: "127.0.0.1" }), LOG_FORMAT: "text" };
  worker = (await startWorker(api.engine, demoHandlers, { concurrency: 2 })).worker;
});
afterAll(async () => {
  await worker.stop(100);
  await api.stop();
  await redis.stop();
});

describe("docket jobs wait", () => {
  it("submit --wait follows the job to its end: a line per change on stderr, its view on stdout, exit 0", async () => {
    const result = await docket([
      "jobs",
      "submit",
      "sleep",
      "--payload",
      '{"ms":200}',
      "--wait",
      "--timeout",
      "30s",
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/status\s+completed/);
    const lines = result.stderr.trim().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/ completed \(attempt 1\/3\)/);
    expect(result.stderr).not.toContain("\r");
  });

  it("wait <id> exits 1 for a job that ended otherwise, and prints its view (--json too)", async () => {
    const job = await api.jobs.submit(
      { type: "fail", payload: { retryable: false } },
      { kind: "client", id: "t" },
    );
    const text = await docket(["jobs", "wait", job.jobId]);
    expect(text.status, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/status\s+dead_letter/);
    const json = await docket(["jobs", "wait", job.jobId, "--json"]);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: job.jobId, status: "dead_letter" });
    expect(json.stderr).toBe("");
  });

  it("exits 124 past --timeout, saying where the job stands; a bad --timeout is a usage error", async () => {
    const job = await api.jobs.submit(
      { type: "echo", queue: "nobody-works-here" },
      { kind: "client", id: "t" },
    );
    const timedOut = await docket(["jobs", "wait", job.jobId, "--timeout", "300ms"]);
    expect(timedOut.status).toBe(124);
    expect(timedOut.stderr).toContain(`docket jobs wait: job ${job.jobId} is still queued after 300 ms`);
    const json = await docket(["jobs", "wait", job.jobId, "--timeout", "300ms", "--json"]);
    expect(json.status).toBe(124);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "wait_timeout", status: "queued" } });
    for (const bad of ["30", "1.5s", "0s", "25h", "soon", "1e3ms"]) {
      const refused = await docket(["jobs", "wait", job.jobId, "--timeout", bad]);
      expect(refused.status, bad).toBe(2);
      expect(refused.stderr, bad).toContain("--timeout must be a duration");
    }
    const alone = await docket(["jobs", "submit", "echo", "--timeout", "5s"]);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toContain("--timeout goes with --wait");
  });

  it("on a terminal, redraws the one progress line in place", async () => {
    const command = `${process.execPath} ${BIN} jobs submit sleep --payload '{"ms":300}' --wait`;
    const result = await runProcess("script", ["-qec", command, "/dev/null"], env);
    expect(result.status, result.stdout).toBe(0);
    // Each change: back to the line's start, clear it, write it again; a newline once it ends.
    const redraws = result.stdout.split("\r\x1b[2K").length - 1;
    expect(redraws).toBeGreaterThan(1);
    expect(result.stdout).toMatch(/completed \(attempt 1\/3\)[^\n]*\r?\n/);
    expect(result.stdout).toMatch(/status\s+completed/);
  });
});
