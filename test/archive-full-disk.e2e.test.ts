/**
 * A full archive disk, for real (issue 13): `docket archiver` runs with its archive on a tiny
 * tmpfs (mounted in a private mount namespace by `unshare`, so no privileges are needed and
 * nothing outside sees it). It seals and commits what fits, then the medium answers ENOSPC:
 * archiving pauses and says so (exit 1, `paused.code` ENOSPC), and Redis keeps every entry the
 * archive did not commit — only what was durably committed was trimmed.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Handlers } from "../src/engine/worker/index.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { BIN, ROOT } from "./support/docket.ts";
import { apiActor, makeEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
const dirs: Array<string> = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const handlers: Handlers = { echo: async (payload) => payload };

/** `docket archiver --once --json` with DOCKET_ARCHIVE_DIR on a tmpfs of `sizeKb` KiB. */
const archiveOnTinyDisk = (
  mountPoint: string,
  sizeKb: number,
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const script = `mount -t tmpfs -o size=${sizeKb}k tmpfs "$1" && shift && exec "$@"`;
    const child = spawn(
      "unshare",
      [
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        script,
        "sh",
        mountPoint,
        process.execPath,
        BIN,
        "archiver",
        "--once",
        "--json",
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });

describe("a full archive disk", () => {
  it("pauses archiving with ENOSPC, says so, and trims nothing the archive did not commit", async () => {
    const engine = await makeEngine(redis.url);
    for (let i = 0; i < 60; i++)
      await engine.jobs.submit({ type: "echo", payload: { i, pad: "x".repeat(400) } }, apiActor);
    const { done } = await startWorker(engine, handlers, { burst: true, concurrency: 4 });
    await done;
    const log = new Keys(engine.prefix, 1).log(0);
    const before = (await engine.client.xrange(log, "-", "+")).map(([id]) => id);
    expect(before).toHaveLength(180);

    const mountPoint = mkdtempSync(join(tmpdir(), "docket-full-disk-"));
    const dataDir = mkdtempSync(join(tmpdir(), "docket-full-disk-key-"));
    dirs.push(mountPoint, dataDir);
    const run = await archiveOnTinyDisk(mountPoint, 48, {
      REDIS_URL: redis.url,
      DOCKET_PREFIX: engine.prefix,
      DOCKET_ARCHIVE_DIR: join(mountPoint, "archive"),
      DOCKET_DATA_DIR: dataDir, // the signing key, off the tiny disk
      DOCKET_ARCHIVE_SEGMENT_ENTRIES: "10",
      DOCKET_ARCHIVE_MAX_AGE_MS: "10",
    });
    expect(run.status, run.stderr).toBe(1);
    const status = JSON.parse(run.stdout) as {
      state: string;
      paused: { code: string; message: string } | null;
      archivedEntries: number;
      trimmedEntries: number;
      shards: Array<{ lastEntryId: string; events: number }>;
    };
    expect(status.state).toBe("paused");
    expect(status.paused?.code).toBe("ENOSPC");
    // Some segments fitted before the disk filled; not all of them.
    const committed = status.shards[0]?.events ?? 0;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(180);
    // Exactly what was committed was trimmed; every other entry is still in Redis.
    expect(status.trimmedEntries).toBe(committed);
    const after = (await engine.client.xrange(log, "-", "+")).map(([id]) => id);
    expect(after).toEqual(before.slice(committed));
    expect(before[committed - 1]).toBe(status.shards[0]?.lastEntryId);
    await engine.close();
  });
});
