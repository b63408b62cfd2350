/**
 * The archiver against a hostile archive directory (ADR 0028: progress is read from the archive):
 * someone who can write the directory but does not hold the signing key plants a segment whose
 * checkpoint claims the shard is archived far ahead. The archiver must not believe it — it would
 * trim Redis's log through the claimed id and let evicted jobs go, deleting history that is in
 * neither tier — but pause, naming what is wrong, with Redis untouched.
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArchivedEntry } from "../src/domain/index.ts";
import { progressAfter, sealSegment } from "../src/engine/archive/index.ts";
import { FsArchiveStore } from "../src/infra/archive/fs-archive-store.ts";
import type { RedisClient } from "../src/infra/redis/connection.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import {
  archiveDirOf,
  archiveOrigin,
  type ArchiverSettings,
  composeArchiver,
  verifyArchiveDir,
} from "../src/main.ts";
import { testSigner } from "./support/archive.ts";
import { makeEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { tempDirs } from "./support/temp-dirs.ts";
import { runEchoJobs } from "./support/workers.ts";

let redis: TestRedis;
const tempDir = tempDirs("docket-archiver-hostile-");

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const logLength = (client: RedisClient, prefix: string): Promise<number> =>
  client.xlen(new Keys(prefix, 1).log(0));

describe("the archiver with a forged segment in its directory", () => {
  it("a checkpoint not signed by a trusted key claiming the shard archived far ahead: the archiver pauses (archive_corrupt), trims nothing", async () => {
    const engine = await makeEngine(redis.url);
    const settings: ArchiverSettings = {
      archiveDir: tempDir(),
      dataDir: tempDir(),
      segmentEntries: 10,
      maxAgeMs: 3_600_000,
      leaseMs: 60_000,
      pollMs: 20,
    };
    const archiverOf = () =>
      composeArchiver({ client: engine.client, prefix: engine.prefix, shards: 1 }, settings);
    try {
      await runEchoJobs(engine, 10); // 30 entries
      const first = archiverOf();
      expect(await first.runOnce()).toBe(3);
      await first.stop();
      await runEchoJobs(engine, 3); // 9 entries, not a segment's worth: they wait in Redis
      const waiting = await logLength(engine.client, engine.prefix);
      expect(waiting).toBe(9);

      // The forger seals a segment 3 after the real ones, with another key, ending far ahead.
      const store = new FsArchiveStore(archiveDirOf(settings.archiveDir, engine.prefix));
      const forged: ArchivedEntry = { id: "99999999999999-0", fields: ["jobId", "x"] };
      const files = await sealSegment({
        origin: archiveOrigin(engine.prefix),
        progress: progressAfter(0, await store.readCheckpoint(0, 2)),
        entries: [forged],
        fence: 1,
        signer: testSigner(),
      });
      await store.commit(0, 3, files, 1);

      // A new archiver (a restart, a takeover) reads its progress from the archive.
      const next = archiverOf();
      await next.runOnce();
      const status = next.status();
      await next.stop();
      // Nothing left Redis: what waits there is in no archive.
      expect(await logLength(engine.client, engine.prefix)).toBe(waiting);
      expect(status.trimmedEntries).toBe(0);
      expect(status.state).toBe("paused");
      expect(status.paused).toMatchObject({ code: "archive_corrupt" });
      expect(status.paused?.message).toMatch(
        /the last checkpoint of shard 0 \(segment 3\) does not check out \(unknown_key/,
      );
    } finally {
      await engine.close();
    }
  });

  it("after a key rotation the archiver continues from the old key's checkpoint only when that key is trusted (DOCKET_ARCHIVE_TRUSTED_KEYS)", async () => {
    const engine = await makeEngine(redis.url);
    const keys = tempDir();
    const oldKey = generateKeyPairSync("ed25519");
    const newKey = generateKeyPairSync("ed25519");
    const path = (name: string) => join(keys, name);
    writeFileSync(path("old.pem"), oldKey.privateKey.export({ format: "pem", type: "pkcs8" }), {
      mode: 0o600,
    });
    writeFileSync(path("new.pem"), newKey.privateKey.export({ format: "pem", type: "pkcs8" }), {
      mode: 0o600,
    });
    writeFileSync(path("old.pub.pem"), oldKey.publicKey.export({ format: "pem", type: "spki" }));
    const settings: ArchiverSettings = {
      archiveDir: tempDir(),
      dataDir: tempDir(),
      segmentEntries: 6,
      maxAgeMs: 3_600_000,
      leaseMs: 60_000,
      pollMs: 20,
    };
    const archiverOf = (more: Partial<ArchiverSettings>) =>
      composeArchiver({ client: engine.client, prefix: engine.prefix, shards: 1 }, { ...settings, ...more });
    try {
      await runEchoJobs(engine, 2);
      const before = archiverOf({ signingKeyPath: path("old.pem") });
      expect(await before.runOnce()).toBe(1);
      await before.stop();
      await runEchoJobs(engine, 2);

      // The new key alone does not know the old key's checkpoint: paused, nothing trimmed.
      const untrusting = archiverOf({ signingKeyPath: path("new.pem") });
      await untrusting.runOnce();
      const refused = untrusting.status();
      await untrusting.stop();
      expect(refused.paused).toMatchObject({ code: "archive_corrupt" });
      expect(refused.sealed).toBe(0);
      expect(await logLength(engine.client, engine.prefix)).toBe(6);

      // Trusting the old public key, it continues the chain and signs with the new key.
      const rotated = archiverOf({ signingKeyPath: path("new.pem"), trustedKeyPaths: [path("old.pub.pem")] });
      expect(await rotated.runOnce()).toBe(1);
      expect(rotated.status().paused).toBeNull();
      await rotated.stop();
      expect(await logLength(engine.client, engine.prefix)).toBe(0);
      const report = await verifyArchiveDir(archiveDirOf(settings.archiveDir, engine.prefix), [
        oldKey.publicKey.export({ format: "pem", type: "spki" }).toString(),
        newKey.publicKey.export({ format: "pem", type: "spki" }).toString(),
      ]);
      expect(report.findings).toEqual([]);
      expect(report.entries).toBe(12);
    } finally {
      await engine.close();
    }
  });
});
