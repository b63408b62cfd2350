/**
 * `docket audit …` as real processes: replay, at, explain, verify (log, projection, bundle file)
 * and export, with their exit codes, before and after tampering with Redis and with an exported
 * file. They ask the API (DOCKET_API_URL) by default, as the `jobs` commands do, so they check
 * the deployment the API serves whatever REDIS_URL says; `--direct` reads Redis (REDIS_URL,
 * DOCKET_PREFIX pointing at a test engine's keys). Every report names what it checked.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import type { ReplayReport, VerifyReport } from "../src/engine/audit/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { auditOf, editEnvelope } from "./support/audit.ts";
import { apiActor, type TestEngine } from "./support/engine.ts";
import { freePort, startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "bin/docket.js");

let redis: TestRedis;
let api: TestApi;
let engine: TestEngine;
let deadApiUrl: string;
let apiUrl: string;
let worker: Worker;
let dir: string;
let env: Record<string, string>;
let createdMs = 0;
const ids = { echo: "", dead: "" };

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `docket audit …` without blocking this process (the API under test answers it). */
const docketWith = (overrides: Record<string, string>, ...args: ReadonlyArray<string>): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "audit", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, ...overrides },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
const docket = (...args: ReadonlyArray<string>) => docketWith({}, ...args);
/** What `--direct` reports name: Redis without its password, the key prefix, the shards. */
const directDeployment = () => `Redis at ${redis.url}, key prefix ${engine.prefix}, 1 shard (--direct)`;

beforeAll(async () => {
  redis = await startRedis();
  // The API (listening) owns its projection file; the CLI asks it for the projection check.
  api = await startApi(redis.url);
  engine = api.engine;
  apiUrl = await api.app.listen({ port: 0, host: "127.0.0.1" });
  deadApiUrl = `http://127.0.0.1:${await freePort()}`;
  dir = mkdtempSync(join(tmpdir(), "docket-audit-cli-"));
  env = {
    REDIS_URL: redis.url,
    DOCKET_PREFIX: engine.prefix,
    DOCKET_SHARDS: "1",
    // For --offline-projection: a file of its own (the API's is owned by the API).
    DOCKET_DB: join(dir, "docket.sqlite"),
    DOCKET_API_URL: apiUrl,
  };
  ({ worker } = await startWorker(engine, demoHandlers, { concurrency: 2 }));
  createdMs = Date.now() - 1;
  ids.echo = (await engine.jobs.submit({ type: "echo", payload: { hello: "cli" } }, apiActor)).jobId;
  ids.dead = (
    await engine.jobs.submit({ type: "fail", payload: { message: "disk full", retryable: false } }, apiActor)
  ).jobId;
  const audit = auditOf(engine);
  await waitFor(async () => (await audit.replay(ids.echo))?.final?.status === "completed", "echo");
  await waitFor(async () => (await audit.replay(ids.dead))?.final?.status === "dead_letter", "dead");
});

afterAll(async () => {
  await worker?.stop(100);
  await api?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Each run of the CLI starts Node and tsx (about a second, more on a loaded machine).
const SLOW = 120_000;

describe("docket audit on an honest run", () => {
  it(
    "replay prints every event with the state after it and exits 0; --json parses",
    async () => {
      const text = await docket("replay", ids.echo);
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout.split("\n")[0]).toBe(`Checked: the API at ${apiUrl}`);
      expect(text.stdout).toContain(`Job ${ids.echo}: replay OK`);
      expect(text.stdout).toMatch(/JobCompleted\s+completed/);
      expect(text.stdout).toContain('data {"attempt":1,"result":{"hello":"cli"}}');
      const json = await docket("replay", ids.echo, "--json");
      const report = JSON.parse(json.stdout) as ReplayReport;
      expect(report).toMatchObject({
        ok: true,
        final: { status: "completed" },
        deployment: { via: "api", url: apiUrl },
      });
      expect(report.events.length).toBeGreaterThanOrEqual(3);
    },
    SLOW,
  );

  it(
    "at answers the state at a time (before creation, after the end); a bad time is exit 2, an unknown job exit 1",
    async () => {
      const before = await docket("at", ids.echo, String(createdMs - 60_000));
      expect(before.status, before.stderr).toBe(0);
      expect(before.stdout).toContain("did not exist yet");
      const after = await docket("at", ids.echo, new Date().toISOString(), "--json");
      expect(after.status).toBe(0);
      expect(JSON.parse(after.stdout)).toMatchObject({ existed: true, state: { status: "completed" } });
      const bad = await docket("at", ids.echo, "tomorrow");
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain("neither epoch milliseconds nor an ISO 8601 time");
      const unknown = await docket("at", "no-such-job", "0");
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain("no job with id no-such-job");
    },
    SLOW,
  );

  it(
    "explain tells why a dead-lettered job ended there, naming its error",
    async () => {
      const result = await docket("explain", ids.dead);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain("dead_letter");
      expect(result.stdout).toContain("disk full");
    },
    SLOW,
  );

  it(
    "verify --drained exits 0 through the API, which compares its projection; --direct compares it through the API, offline, or says it skipped it",
    async () => {
      await waitFor(() => api.readSide.reads.job(ids.dead)?.status === "dead_letter", "the projection");
      const viaApi = JSON.parse((await docket("verify", "--drained", "--json")).stdout) as VerifyReport;
      expect(viaApi.failures).toEqual([]);
      expect(viaApi).toMatchObject({
        ok: true,
        skipped: [],
        counts: { jobs: 2 },
        deployment: { via: "api" },
      });
      expect(viaApi.checks).toContain("projection");
      const direct = await docket("verify", "--drained", "--direct");
      expect(direct.status, direct.stdout + direct.stderr).toBe(0);
      expect(direct.stdout.split("\n")[0]).toBe(`Checked: ${directDeployment()}`);
      expect(direct.stdout).toContain("projection");
      const text = await docketWith({ DOCKET_API_URL: deadApiUrl }, "verify", "--drained", "--direct");
      expect(text.status, text.stdout + text.stderr).toBe(0);
      expect(text.stdout).toContain("Verify the whole log (drained): OK");
      expect(text.stdout).toContain("SKIPPED projection: the API at");
      const offline = await docket("verify", "--drained", "--direct", "--offline-projection", "--json");
      const report = JSON.parse(offline.stdout) as VerifyReport;
      expect(report.failures).toEqual([]);
      expect(report).toMatchObject({ ok: true, skipped: [], counts: { jobs: 2 } });
      expect(report.checks).toContain("projection");
      expect(offline.status).toBe(0);
      const misused = await docket("verify", "--offline-projection");
      expect(misused.status).toBe(2);
      expect(misused.stderr).toContain("--offline-projection needs --direct");
    },
    SLOW,
  );

  it(
    "with REDIS_URL naming another (empty) deployment, the audit still checks the API's: 2 jobs, not 'OK, 0 jobs'",
    async () => {
      const elsewhere = { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, DOCKET_PREFIX: "elsewhere" };
      const verify = await docketWith(elsewhere, "verify", "--json");
      expect(verify.status, verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({
        ok: true,
        counts: { jobs: 2 },
        deployment: { via: "api", url: apiUrl },
      });
      const explain = await docketWith(elsewhere, "explain", ids.dead);
      expect(explain.status, explain.stderr).toBe(0);
      expect(explain.stdout).toContain("disk full");
      const exported = await docketWith(elsewhere, "export", "--job", ids.echo);
      expect(exported.status, exported.stderr).toBe(0);
      expect(exported.stderr).toMatch(
        new RegExp(`docket audit export: \\d+ events from the API at ${apiUrl}\\n`),
      );
      const direct = await docketWith(elsewhere, "explain", ids.dead, "--direct");
      expect(direct.status).toBe(1);
      expect(direct.stderr).toMatch(/Redis at 127\.0\.0\.1:\d+ did not answer/);
    },
    SLOW,
  );

  it(
    "export writes a bundle that verify --file accepts offline, and rejects after one line is edited",
    async () => {
      const one = await docket("export", "--job", ids.echo);
      expect(one.status, one.stderr).toBe(0);
      const oneDirect = await docket("export", "--job", ids.echo, "--direct");
      expect(oneDirect.stderr).toContain(directDeployment());
      // The same bundle but for its generation time.
      expect(oneDirect.stdout.split("\n").slice(1)).toEqual(one.stdout.split("\n").slice(1));
      const oneFile = join(dir, "one.ndjson");
      writeFileSync(oneFile, one.stdout);
      const verified = await docket("verify", "--file", oneFile);
      expect(verified.status, verified.stdout).toBe(0);
      expect(verified.stdout).toContain("Verify bundle: OK");
      expect(verified.stdout.split("\n")[0]).toBe(`Checked: the bundle file ${oneFile}`);

      const file = join(dir, "bundle.ndjson");
      const exported = await docket("export", "--out", file);
      expect(exported.status, exported.stderr).toBe(0);
      const lines = readFileSync(file, "utf8").split("\n");
      expect(JSON.parse(lines[0] ?? "")).toMatchObject({ counts: { jobs: 2 } });
      lines[2] = (lines[2] ?? "").replace(/"at":"(\d{4})/, (_m, year: string) => `"at":"${Number(year) - 1}`);
      const edited = join(dir, "edited.ndjson");
      writeFileSync(edited, lines.join("\n"));
      const rejected = await docket("verify", "--file", edited, "--json");
      expect(rejected.status).toBe(1);
      const report = JSON.parse(rejected.stdout) as {
        ok: boolean;
        failures: Array<{ line: number; code: string }>;
      };
      expect(report.ok).toBe(false);
      expect(report.failures[0]).toMatchObject({ line: 3, code: "hash_mismatch" });
    },
    SLOW,
  );
});

describe("docket audit after tampering with Redis", () => {
  it(
    "replay, verify and explain exit 1 naming the job and the first bad seq",
    async () => {
      await editEnvelope(engine.client, engine.store.keys, ids.echo, 1, (env) => ({
        ...env,
        actor: { ...env.actor, id: "mallory" },
      }));
      const replay = await docket("replay", ids.echo);
      expect(replay.status).toBe(1);
      expect(replay.stdout).toContain("FAILED at seq 2: hash_mismatch");
      const direct = await docket("replay", ids.echo, "--direct");
      expect(direct.status).toBe(1);
      expect(direct.stdout).toContain("FAILED at seq 2: hash_mismatch");
      const verify = await docket("verify", "--json");
      expect(verify.status).toBe(1);
      const json = JSON.parse(verify.stdout) as VerifyReport;
      expect(json.ok).toBe(false);
      expect(json.failures.find((f) => f.jobId === ids.echo)).toMatchObject({
        jobId: ids.echo,
        seq: 2,
        code: "hash_mismatch",
      });
      // The edit is in the only copy of the event, the log the live projection was built from
      // before it: a rebuild from the log differs from it (ADR 0027).
      expect(json.failures).toContainEqual(
        expect.objectContaining({ check: "projection", code: "projection_mismatch" }),
      );
      const explain = await docket("explain", ids.echo);
      expect(explain.status).toBe(1);
      expect(explain.stdout).toContain("the history is broken at seq 2");
    },
    SLOW,
  );
});
