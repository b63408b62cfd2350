/**
 * The archiver in a thread of its own (ADR 0044), as `docket api` runs it, on a real Redis and a
 * real archive directory: it seals, signs and trims as the inline archiver does, the API reports
 * its status, stopping it releases the lease at once; a thread that ends by itself is reported
 * and started again; a key that cannot be read stops the API at start, as inline.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../src/infra/redis/keys.ts";
import {
  archiveDirOf,
  archivePublicKeyPem,
  ArchiverThread,
  type ArchiverThreadOptions,
  composeArchiver,
  openApiServer,
  verifyArchiveDir,
} from "../src/main.ts";
import { makeEngine } from "./support/engine.ts";
import { tempDbPath } from "./support/projection.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { tempDirs } from "./support/temp-dirs.ts";
import { waitFor } from "./support/wait.ts";
import { runEchoJobs } from "./support/workers.ts";

let redis: TestRedis;
const tempDir = tempDirs("docket-archiver-thread-");

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

/** An archiver thread on a fresh prefix, its errors' messages collected in `errors`. */
const threadOf = (errors: Array<string>, options: ArchiverThreadOptions = {}, prefix = uniquePrefix()) =>
  new ArchiverThread(
    { redisUrl: redis.url, prefix, shards: 1 },
    {
      archiveDir: join(tempDir(), "archive"),
      dataDir: tempDir(),
      segmentEntries: 10,
      maxAgeMs: 10,
      onError: (error) => errors.push(error instanceof Error ? error.message : String(error)),
    },
    options,
  );

/** A stand-in entry whose thread posts a status, then exits with code 3. */
const EXITS = new URL("./fixtures/archiver-thread-exits.ts", import.meta.url);

describe("the archiver in a thread of its own", () => {
  it("seals, signs and trims the log from its thread; the API reports it; stopping releases the lease", async () => {
    const archiveDir = join(tempDir(), "archive");
    const dataDir = tempDir();
    const prefix = uniquePrefix();
    const errors: Array<string> = [];
    const server = await openApiServer({
      redisUrl: redis.url,
      prefix,
      shards: 1,
      leaseMs: 2_000,
      dbPath: tempDbPath(),
      archiver: {
        archiveDir,
        dataDir,
        segmentEntries: 6,
        maxAgeMs: 10,
        leaseMs: 60_000,
        pollMs: 20,
        thread: true,
        onError: (error) => errors.push(String(error)),
      },
    });
    expect(server.archiver).toBeInstanceOf(ArchiverThread);
    const engine = await makeEngine(redis.url, { prefix });
    const [jobId] = await runEchoJobs(engine, 4); // 12 log entries: two full segments
    await waitFor(() => server.archiver?.status().sealed === 2, "the thread to seal two segments");
    const status = server.archiver?.status();
    expect(status).toMatchObject({ state: "active", archivedEntries: 12, trimmedEntries: 12, paused: null });
    // The holder names this process: the thread shares its pid.
    expect(status?.holder).toContain(`:${process.pid}:`);
    expect(await engine.client.xlen(new Keys(prefix, 1).log(0))).toBe(0);
    // What the thread wrote verifies offline with the public key of the key the API made.
    const report = await verifyArchiveDir(archiveDirOf(archiveDir, prefix), archivePublicKeyPem({ dataDir }));
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, entries: 12, jobs: 4 });
    expect(report.shards[0]).toMatchObject({ segments: 2, entries: 12 });
    expect((await server.app.inject({ method: "GET", url: "/health" })).json()).toMatchObject({
      status: "ok",
      archive: { state: "active", sealed: 2 },
    });
    expect(await server.metrics.text()).toMatch(/^docket_archive_sealed_entries 12$/m);
    // The API reads the events the thread trimmed from Redis back from the archive.
    const events = await server.app.inject({ method: "GET", url: `/v1/jobs/${jobId}/events` });
    expect(events.statusCode).toBe(200);
    expect(events.json().events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);

    await server.close();
    // Stopped, its figures stay (the thread's last status), as an inline archiver's do.
    expect(server.archiver?.status()).toMatchObject({ state: "stopped", sealed: 2, archivedEntries: 12 });
    // The lease was released, not left to lapse: another archiver is active in its first pass.
    const successor = composeArchiver(
      { client: engine.client, prefix, shards: 1 },
      { archiveDir, dataDir, segmentEntries: 6, maxAgeMs: 10, leaseMs: 60_000 },
    );
    await successor.runOnce();
    expect(successor.status().state).toBe("active");
    await successor.stop();
    expect(errors).toEqual([]);
    await engine.close();
  });

  it("a thread that ends by itself is reported and started again, backing off; its counts are kept", async () => {
    const errors: Array<string> = [];
    const thread = threadOf(errors, { entry: EXITS, restartMs: 20 });
    thread.start();
    await waitFor(() => errors.length >= 3, "three threads to end", 30_000);
    await thread.stop();
    expect(errors.slice(0, 3)).toEqual([
      "the archiver thread exited with code 3; starting it again in 20 ms",
      "the archiver thread exited with code 3; starting it again in 40 ms",
      "the archiver thread exited with code 3; starting it again in 80 ms",
    ]);
    // Each stand-in sealed 2 segments before it ended: the totals add up across threads.
    expect(thread.status().sealed).toBeGreaterThanOrEqual(6);
    expect(thread.status().sealed % 2).toBe(0);
    expect(thread.status().state).toBe("stopped");
    // Stopped means stopped: no thread is started again afterwards.
    const after = errors.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors.length).toBe(after);
  });

  it("while its thread is down, archiving reads as paused (health: degraded, archive_paused); stop() ends the restarts", async () => {
    const thread = threadOf([], { entry: EXITS, restartMs: 20_000 });
    thread.start();
    await waitFor(() => thread.status().paused !== null, "the thread to end");
    expect(thread.status()).toMatchObject({
      state: "stopped",
      paused: {
        code: "archiver_thread_ended",
        message: "the archiver thread exited with code 3; starting it again in 20000 ms",
      },
    });
    await thread.stop();
    expect(thread.status()).toMatchObject({ state: "stopped", paused: null });
  });

  it("stop() while the thread is still loading ends it: no archiver starts after, nothing is reported", async () => {
    const prefix = uniquePrefix();
    const errors: Array<string> = [];
    const thread = threadOf(errors, {}, prefix);
    thread.start();
    await thread.stop();
    expect(thread.status().state).toBe("stopped");
    // Had the thread loaded and started an archiver after the stop, it would take the lease.
    const engine = await makeEngine(redis.url, { prefix });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await engine.client.exists(new Keys(prefix, 1).archiverLease())).toBe(0);
    expect(errors).toEqual([]);
    await engine.close();
  });

  it("a thread whose entry cannot load says why and is retried", async () => {
    const errors: Array<string> = [];
    const thread = threadOf(errors, {
      entry: new URL("./fixtures/no-such-archiver-entry.ts", import.meta.url),
      restartMs: 20,
    });
    thread.start();
    await waitFor(() => errors.length >= 2, "two failed loads", 30_000);
    await thread.stop();
    expect(errors[0]).toMatch(
      /^the archiver thread could not start: .*no-such-archiver-entry.*; starting it again in 20 ms$/,
    );
    expect(thread.status()).toMatchObject({ state: "stopped" });
  });

  it("a signing key that cannot be read stops the API at start, as the inline archiver does", async () => {
    await expect(
      openApiServer({
        redisUrl: redis.url,
        prefix: uniquePrefix(),
        shards: 1,
        leaseMs: 2_000,
        dbPath: tempDbPath(),
        archiver: {
          archiveDir: join(tempDir(), "archive"),
          dataDir: tempDir(),
          signingKeyPath: join(tempDir(), "missing.pem"),
          segmentEntries: 10,
          maxAgeMs: 10,
          thread: true,
        },
      }),
    ).rejects.toThrow(/cannot read the signing key/);
  });
});
