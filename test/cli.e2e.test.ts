/**
 * The `docket` CLI as a real process: every command answers --help, bad usage exits 2 with a
 * message, and the client commands work against a running API (text and --json).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.ts";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { ROOT, runDocket, runShell } from "./support/cli.ts";
import { apiActor } from "./support/engine.ts";
import { freePort, startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const docket = runDocket;

let redis: TestRedis;
let api: TestApi;
let worker: Worker;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  env = { DOCKET_API_URL: await api.app.listen({ port: 0, host: "127.0.0.1" }) };
  worker = (await startWorker(api.engine, demoHandlers, { concurrency: 2 })).worker;
});
afterAll(async () => {
  await worker.stop(100);
  await api.stop();
  await redis.stop();
});

describe("docket CLI", () => {
  it("lists its commands, and every command answers --help with exit 0", async () => {
    const overview = await docket(["--help"]);
    expect(overview.status).toBe(0);
    const commands = [...overview.stdout.matchAll(/^ {2}([a-z][a-z -]*?) {2,}/gm)].map((m) =>
      (m[1] ?? "").trim(),
    );
    // Each command's help, in this process (the same main() the bin runs; a process each is slow).
    const inProcess = async (args: ReadonlyArray<string>) => {
      let stdout = "";
      const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        stdout += String(chunk);
        return true;
      });
      try {
        return { status: await main(args), stdout };
      } finally {
        write.mockRestore();
      }
    };
    expect(commands).toEqual(
      expect.arrayContaining([
        "start",
        "api",
        "worker",
        "jobs submit",
        "jobs list",
        "workers",
        "projections check",
        "machine",
      ]),
    );
    const helps: Array<{ status: number; stdout: string }> = [];
    for (const command of commands) helps.push(await inProcess([...command.split(" "), "--help"]));
    commands.forEach((command, i) => {
      expect(helps[i]?.status, command).toBe(0);
      expect(helps[i]?.stdout).toContain(`docket ${command}`);
      expect(helps[i]?.stdout).toContain("--json");
    });
  });

  it("refuses unknown commands and bad options with exit 2", async () => {
    expect((await docket(["frobnicate"])).status).toBe(2);
    const typo = await docket(["jobs", "lst"]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain("Did you mean `docket jobs list`?");
    const badOption = await docket(["jobs", "list", "--colour", "red"]);
    expect(badOption.status).toBe(2);
    expect(badOption.stderr).toContain("colour");
    const badLimit = await docket(["jobs", "list", "--limit", "lots"], env);
    expect(badLimit.status).toBe(2);
    expect(badLimit.stderr).toContain("--limit");
    const badPayload = await docket(["jobs", "submit", "echo", "--payload", "{nope"], env);
    expect(badPayload.status).toBe(2);
    expect(badPayload.stderr).toContain("--payload");
  });

  it("a value the API refuses as invalid is a usage error too (exit 2), naming the field", async () => {
    const [status, priority] = await Promise.all([
      docket(["jobs", "list", "--status", "nope"], env),
      docket(["jobs", "submit", "echo", "--priority", "urgent"], env),
    ]);
    expect(status.status, status.stderr).toBe(2);
    expect(status.stderr).toMatch(/docket jobs list: invalid_request: .*status/);
    expect(priority.status, priority.stderr).toBe(2);
    expect(priority.stderr).toMatch(/docket jobs submit: invalid_job_spec: .*priority/);
  });

  it("prints its version; says in words what a bad variable should hold", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const printed = await docket(["--version"]);
    expect([printed.status, printed.stdout]).toEqual([0, `${version}\n`]);
    const badUrl = await docket(["jobs", "list"], { DOCKET_API_URL: "localhost:3000" });
    expect(badUrl.status).toBe(2);
    expect(badUrl.stderr).toBe(
      'docket: invalid DOCKET_API_URL="localhost:3000": expected the API\'s http:// or https:// URL, e.g. http://127.0.0.1:3000\n',
    );
  });

  it("a reader that stops early (| head -1) ends the command quietly with 141, no stack trace", async () => {
    // About 600 bytes a job: 200 of them overflow the pipe's 64 KiB buffer, so writes meet EPIPE.
    await api.engine.jobs.submitMany(
      Array.from({ length: 200 }, () => ({ type: "echo", queue: "pipe" })),
      apiActor,
    );
    await waitFor(
      () => api.readSide.reads.listJobs({ queue: "pipe", limit: 500 }).jobs.length === 200,
      "the projection",
    );
    // Not spawnSync: the API answering the command lives in this process.
    const piped = await runShell(
      `set -o pipefail; node ${join(ROOT, "bin/docket.js")} jobs list --queue pipe --json --limit 500 | head -c 1`,
      env,
    );
    expect(piped.stdout).toBe("{");
    expect(piped.stderr).toBe("");
    expect(piped.status).toBe(141);
  });

  it("submits, gets, lists, shows events, cancels, and reports an API error with exit 1", async () => {
    const submitted = await docket(["jobs", "submit", "echo", "--queue", "idle", "--json"], env);
    expect(submitted.status).toBe(0);
    const job = JSON.parse(submitted.stdout) as { id: string; status: string };
    expect(job.status).toBe("queued");
    const got = await docket(["jobs", "get", job.id], env);
    expect(got.stdout).toMatch(new RegExp(`status\\s+queued`));
    await waitFor(() => api.readSide.reads.job(job.id) !== null, "the projection");
    const listed = JSON.parse((await docket(["jobs", "list", "--queue", "idle", "--json"], env)).stdout) as {
      jobs: Array<{ id: string }>;
    };
    expect(listed.jobs.map((j) => j.id)).toContain(job.id);
    expect((await docket(["jobs", "events", job.id], env)).stdout).toContain("JobSubmitted");
    const cancelled = await docket(["jobs", "cancel", job.id, "--reason", "test", "--json"], env);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ status: "cancelled" });
    const again = await docket(["jobs", "retry", job.id], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("illegal_transition");
    const unreachable = await docket(["jobs", "list"], {
      DOCKET_API_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toContain("does not answer");
  });

  it("submits with --meta, shows it in jobs get, and searches with --meta key=value and time bounds", async () => {
    const submitted = await docket(
      ["jobs", "submit", "echo", "--queue", "idle", "--meta", '{"tenant":"acme-cli","tier":3}', "--json"],
      env,
    );
    expect(submitted.status).toBe(0);
    const job = JSON.parse(submitted.stdout) as { id: string; createdAt: string };
    expect((await docket(["jobs", "get", job.id], env)).stdout).toMatch(
      /meta\s+\{"tenant":"acme-cli","tier":3\}/,
    );
    await waitFor(() => api.readSide.reads.job(job.id) !== null, "the projection");
    const list = async (...args: Array<string>) =>
      (
        JSON.parse((await docket(["jobs", "list", "--queue", "idle", ...args, "--json"], env)).stdout) as {
          jobs: Array<{ id: string }>;
        }
      ).jobs.map((j) => j.id);
    expect(await list("--meta", "tenant=acme-cli", "--created-from", job.createdAt)).toEqual([job.id]);
    expect(await list("--meta", "tier=3")).toEqual([job.id]);
    expect(await list("--meta", "tenant=other")).toEqual([]);
    expect(await list("--meta", "tenant", "--created-to", job.createdAt)).toEqual([]);
    const bad = await docket(["jobs", "list", "--created-from", "last tuesday"], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/invalid_request: .*createdFrom/);
  });

  it("prints metrics and workers, and checks the projection through the API", async () => {
    expect((await docket(["jobs", "metrics"], env)).stdout).toContain("STATUS");
    expect((await docket(["workers", "--json"], env)).status).toBe(0);
    const check = await docket(["projections", "check", "--json"], env);
    expect(check.status).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ equal: true, differences: [] });
    const mermaid = await docket(["machine"]);
    expect(mermaid.stdout).toContain("stateDiagram");
  });
});
