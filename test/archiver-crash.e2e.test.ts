/**
 * A SIGKILL of `docket archiver` at any point of a commit loses nothing and duplicates nothing
 * (ADR 0028). The real process is stopped at each step of its second segment's commit (a test
 * hook makes it wait there) and killed with SIGKILL; a new archiver then takes over once the
 * dead one's lease lapses, and the archive must hold every log entry exactly once, in order,
 * and verify.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseArchivedEntryLine } from "../src/domain/index.ts";
import type { Handlers } from "../src/engine/worker/index.ts";
import { FsArchiveStore } from "../src/infra/archive/fs-archive-store.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { archiveDirOf, archivePublicKeyPem, verifyArchiveDir } from "../src/main.ts";
import { killLeftovers, runDocket, spawnDocket } from "./support/docket.ts";
import { apiActor, makeEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
const dirs: Array<string> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => killLeftovers());
afterAll(async () => {
  await redis.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const handlers: Handlers = { echo: async (payload) => payload };

/** Each step of a commit (FsArchiveStore), and what the archive directory shows after a kill there. */
const STEPS = [
  { step: "files-written", segments: [0], tempLeft: true },
  { step: "files-synced", segments: [0], tempLeft: true },
  { step: "renamed", segments: [0, 1], tempLeft: false },
  { step: "committed", segments: [0, 1], tempLeft: false },
] as const;

describe("archiver crash safety", () => {
  for (const { step, segments, tempLeft } of STEPS)
    it(`a SIGKILL at "${step}" of a commit loses nothing and duplicates nothing`, async () => {
      const engine = await makeEngine(redis.url);
      for (let i = 0; i < 12; i++) await engine.jobs.submit({ type: "echo", payload: { i } }, apiActor);
      const { done } = await startWorker(engine, handlers, { burst: true, concurrency: 4 });
      await done;
      const dir = mkdtempSync(join(tmpdir(), "docket-archive-crash-"));
      dirs.push(dir);
      const archiveDir = join(dir, "archive");
      const env = {
        REDIS_URL: redis.url,
        DOCKET_PREFIX: engine.prefix,
        DOCKET_DATA_DIR: dir,
        DOCKET_ARCHIVE_DIR: archiveDir,
        DOCKET_ARCHIVE_SEGMENT_ENTRIES: "10",
        DOCKET_ARCHIVE_MAX_AGE_MS: "86400000",
        DOCKET_ARCHIVE_LEASE_MS: "1000",
      };

      const readLog = async () =>
        (
          (await engine.client.xrange(new Keys(engine.prefix, 1).log(0), "-", "+")) as Array<
            [string, Array<string>]
          >
        ).map(([id, fields]) => ({ id, fields }));
      const before = await readLog();
      expect(before.length).toBe(36);

      const doomed = spawnDocket(["archiver"], {
        env: { ...env, DOCKET_TEST_ARCHIVER_HALT_AT: `${step}:2` },
      });
      await doomed.waitForOutput(`halted at ${step}`);
      doomed.child.kill("SIGKILL");
      expect(await doomed.exited).toBeNull();

      const deployment = archiveDirOf(archiveDir, engine.prefix);
      const store = new FsArchiveStore(deployment);
      expect(await store.segments(0)).toEqual(segments);
      expect(readdirSync(join(deployment, "shard-0")).some((name) => name.startsWith(".tmp-"))).toBe(
        tempLeft,
      );

      // A successor: on standby while the dead one's lease lasts, then it takes over.
      let state = "standby";
      for (let attempt = 0; attempt < 40 && state !== "active"; attempt++) {
        const run = await runDocket(["archiver", "--once", "--json"], { env });
        expect(run.status, run.stderr).toBe(0);
        state = (JSON.parse(run.stdout) as { state: string }).state;
      }
      expect(state).toBe("active");

      const archived = [];
      for (const segment of await store.segments(0))
        for (const line of (await store.read(0, segment)).segment.slice(0, -1).split("\n"))
          archived.push(parseArchivedEntryLine(line));
      expect(archived).toEqual(before.slice(0, 30)); // three full segments; the rest is too young
      // What the archive holds has left Redis (trimmed once committed); the rest is still there.
      expect(await readLog()).toEqual(before.slice(30));
      expect(readdirSync(join(deployment, "shard-0")).filter((name) => name.startsWith(".tmp-"))).toEqual([]);
      const report = await verifyArchiveDir(deployment, archivePublicKeyPem({ dataDir: dir }));
      expect(report).toMatchObject({ ok: true, entries: 30 });
      expect(existsSync(join(dir, "archive-signing-key.pem"))).toBe(true);
      await engine.close();
    });
});
