/**
 * The archive's composition (ADR 0028, 0029): an archiver on an open connection or its own, the
 * signing key, and the offline tools over an archive directory. Part of the composition root (main.ts).
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  type ArchiveStore,
  Archiver,
  type ArchiveVerifyReport,
  compareArchiveWithLog,
  type JobInclusionProof,
  type LogComparison,
  proveJob,
  Retention,
  type RetentionPolicy,
  keptCheckpointOf,
  verifyArchive,
} from "../engine/archive/index.ts";
import { checkpointBodyHash, parseSignedNote } from "../domain/index.ts";
import { keepCheckpoint, keptCheckpointName, readWitnessDir } from "../infra/archive/witness-dir.ts";
import { JobWriter } from "../engine/write/index.ts";
import { RedisEventStore } from "../infra/redis/redis-event-store.ts";
import { type Clock, systemClock } from "../engine/shared/index.ts";
import {
  ed25519Verifier,
  loadSigningKey,
  publicKeyFromPem,
  readKeyFile,
  type SigningKey,
} from "../infra/archive/ed25519.ts";
import { FsArchiveStore } from "../infra/archive/fs-archive-store.ts";
import { connect, readyOrClosed, whenReady } from "../infra/redis/connection.ts";
import {
  RedisArchiverLease,
  RedisRetentionIndex,
  RedisShardLogReader,
} from "../infra/redis/redis-archive.ts";
import type { DocketConfig, RedisWiring } from "./engine.ts";

/** What an archiver is told (ADR 0028): where the archive and the key are, how it cuts segments. */
export interface ArchiverSettings {
  readonly archiveDir: string;
  /** DOCKET_SIGNING_KEY: a PKCS#8 PEM; absent: `<dataDir>/archive-signing-key.pem`, made if missing. */
  readonly signingKeyPath?: string;
  /**
   * DOCKET_ARCHIVE_TRUSTED_KEYS: public keys (PEM files) that signed earlier checkpoints. After a
   * rotation the last checkpoint of a shard may be signed by one; the archiver reads its progress
   * from it only if it checks out against its own key or one of these.
   */
  readonly trustedKeyPaths?: ReadonlyArray<string>;
  /**
   * Told which key the archiver signs with, once it is read or made (the CLI logs a key it made,
   * and warns of one other users may read). Not carried to a thread: its owner is told.
   */
  readonly onKey?: (key: Pick<SigningKey, "path" | "generated" | "mode">) => void;
  readonly dataDir: string;
  readonly segmentEntries: number;
  /** A segment also closes once its entries' text reaches this (default SEGMENT_MAX_CHARS, 64 Mi). */
  readonly segmentMaxChars?: number;
  readonly maxAgeMs: number;
  /** The lease's time to live (default 15 s) and the pause between idle passes (default 1 s). */
  readonly leaseMs?: number;
  readonly pollMs?: number;
  /**
   * How long finished jobs stay in Redis after they end (ADR 0034; DOCKET_RETAIN_*). Absent:
   * nothing is evicted (the logs are still trimmed of what was archived).
   */
  readonly retention?: RetentionPolicy;
  /** Trim the shard logs of what the archive holds (default true). */
  readonly trim?: boolean;
  readonly onError?: (error: unknown) => void;
  /**
   * Run the archiver in a worker thread of its own, on its own connection (ADR 0044), so its
   * reads, hashing and writes never hold this process's event loop: how `docket api` and
   * `docket start` run it. Used by openApiServer; needs the system clock, and the two hooks
   * below are not carried to the thread (`onError` is: as errors with the thread's messages).
   */
  readonly thread?: boolean;
  /** Test hook: called at each step of a commit (the crash tests stop the process there). */
  readonly onCommitStep?: (step: string) => Promise<void> | void;
}

/**
 * A deployment's archive: `<DOCKET_ARCHIVE_DIR>/<prefix>`, so deployments (prefixes) sharing one
 * archive directory never mix their logs, as they never mix their Redis keys.
 */
export const archiveDirOf = (archiveDir: string, prefix: string): string => join(archiveDir, prefix);

/** The origin line and key name of a deployment's checkpoints. */
export const archiveOrigin = (prefix: string): string => `docket/${prefix}`;

/**
 * Retention on an open connection (ADR 0034): the indexes append.lua keeps, and JobEvicted
 * appended through the one write path. The archiver runs it; the API uses it to purge.
 */
export const composeRetention = (
  wiring: Omit<RedisWiring, "blockingClient"> & { readonly clock?: Clock },
  policy: RetentionPolicy,
): Retention => {
  const clock = wiring.clock ?? systemClock;
  const { client, prefix, shards } = wiring;
  // No history is read here, so this store needs no archive.
  const store = new RedisEventStore({ client, prefix, shards });
  return new Retention({
    index: new RedisRetentionIndex(client, { prefix, shards }),
    writer: new JobWriter(store, clock),
    store,
    clock,
    policy,
  });
};

/** An archiver on an open connection: the shard logs read raw, the lease, the archive directory. */
export const composeArchiver = (
  wiring: Omit<RedisWiring, "blockingClient"> & { readonly clock?: Clock },
  settings: ArchiverSettings,
): Archiver => {
  const key = loadSigningKey({
    dataDir: settings.dataDir,
    ...(settings.signingKeyPath === undefined ? {} : { keyPath: settings.signingKeyPath }),
  });
  settings.onKey?.(key);
  const { signer } = key;
  // What the archiver's progress (the last checkpoint of each shard) must be signed by: its own
  // key, or one it signed with before a rotation.
  const trust = {
    publicKeys: [
      signer.publicKey,
      ...(settings.trustedKeyPaths ?? []).map((path) => publicKeyFromPem(readKeyFile(path))),
    ],
    verifier: ed25519Verifier,
  };
  const clock = wiring.clock ?? systemClock;
  const retention =
    settings.retention === undefined ? undefined : composeRetention(wiring, settings.retention);
  return new Archiver({
    log: new RedisShardLogReader(wiring.client, { prefix: wiring.prefix, shards: wiring.shards }),
    store: new FsArchiveStore(
      archiveDirOf(settings.archiveDir, wiring.prefix),
      settings.onCommitStep === undefined ? {} : { onStep: settings.onCommitStep },
    ),
    lease: new RedisArchiverLease(wiring.client, { prefix: wiring.prefix }),
    signer,
    trust,
    clock,
    origin: archiveOrigin(wiring.prefix),
    holder: `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`,
    segmentEntries: settings.segmentEntries,
    ...(settings.segmentMaxChars === undefined ? {} : { segmentMaxChars: settings.segmentMaxChars }),
    maxAgeMs: settings.maxAgeMs,
    leaseMs: settings.leaseMs ?? 15_000,
    pollMs: settings.pollMs ?? 1_000,
    ...(retention === undefined ? {} : { retention }),
    ...(settings.trim === undefined ? {} : { trim: settings.trim }),
    ...(settings.onError === undefined ? {} : { onError: settings.onError }),
  });
};

/** A standalone archiver (`docket archiver`) with its own connection. Not started. */
export const openArchiver = (
  config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards" | "clock">,
  settings: ArchiverSettings,
): { archiver: Archiver; ready(timeoutMs?: number): Promise<void>; close(): Promise<void> } => {
  const client = connect({ url: config.redisUrl });
  let archiver: Archiver;
  try {
    archiver = composeArchiver(
      {
        client,
        prefix: config.prefix,
        shards: config.shards,
        ...(config.clock === undefined ? {} : { clock: config.clock }),
      },
      settings,
    );
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return {
    archiver,
    ready: async (timeoutMs) => void (await whenReady(client, timeoutMs)),
    close: async () => {
      await archiver.stop();
      client.disconnect();
    },
  };
};

/** A key file's PEM text, refusing what is not a small regular file (a FIFO, a device, a directory). */
export { readKeyFile } from "../infra/archive/ed25519.ts";

/** The archive's public key (PEM), from the key the archiver signs with (`docket audit key`). */
export const archivePublicKeyPem = (settings: Pick<ArchiverSettings, "dataDir" | "signingKeyPath">): string =>
  loadSigningKey({
    dataDir: settings.dataDir,
    generate: false,
    ...(settings.signingKeyPath === undefined ? {} : { keyPath: settings.signingKeyPath }),
  }).publicKeyPem;

/** An archive directory, read-only, for offline verification and proofs (no Redis). */
const archiveAt = (dir: string): ArchiveStore => new FsArchiveStore(dir);

const pemList = (pems: string | ReadonlyArray<string>): ReadonlyArray<string> =>
  typeof pems === "string" ? [pems] : pems;

/** A witness directory that cannot be used: a kept file that is not a checkpoint signed by a given key. */
export class WitnessUnusable extends Error {
  override readonly name = "WitnessUnusable";
}

/** What a verification with a witness directory did with it. */
export interface WitnessOutcome {
  readonly dir: string;
  /** The kept checkpoints checked against the archive. */
  readonly checked: number;
  /** The shards whose newest checkpoint was kept by this run (only when the archive verified). */
  readonly kept: ReadonlyArray<{ readonly shard: number; readonly segment: number }>;
}

/**
 * Verify an archive directory offline against public keys (PEM texts; several across a
 * rotation). With `witnessDir` (ADR 0029, amended): the checkpoints kept there by an earlier
 * verification must still be in the archive as they were — the one check that sees a shard or
 * its last segments cut off — and, when the archive verifies, each shard's newest checkpoint is
 * kept there for the next run.
 */
export const verifyArchiveDir = async (
  dir: string,
  publicKeyPems: string | ReadonlyArray<string>,
  options: { readonly witnessDir?: string } = {},
): Promise<ArchiveVerifyReport & { readonly witness?: WitnessOutcome }> => {
  const store = archiveAt(dir);
  const trust = { verifier: ed25519Verifier, publicKeys: pemList(publicKeyPems).map(publicKeyFromPem) };
  const { witnessDir } = options;
  if (witnessDir === undefined) return verifyArchive({ store, ...trust });

  const texts = await readWitnessDir(witnessDir).catch((error: unknown) => {
    throw new WitnessUnusable(`cannot read the witness directory ${witnessDir}: ${(error as Error).message}`);
  });
  const kept = texts.map(({ name, text }) => {
    const checkpoint = keptCheckpointOf(text, join(witnessDir, name), trust);
    if (typeof checkpoint === "string") throw new WitnessUnusable(checkpoint);
    if (name !== keptCheckpointName(checkpoint.shard))
      throw new WitnessUnusable(
        `${join(witnessDir, name)} holds shard ${checkpoint.shard}'s checkpoint, not its own shard's`,
      );
    return checkpoint;
  });
  const report = await verifyArchive({ store, ...trust, kept });
  const keptNow: Array<{ shard: number; segment: number }> = [];
  if (report.ok)
    for (const { shard, lastSegment, lastCheckpoint } of report.shards) {
      if (lastSegment === null || lastCheckpoint === null) continue;
      if (kept.some((k) => k.shard === shard && k.bodyHash === lastCheckpoint)) continue;
      const { checkpoint } = await store.read(shard, lastSegment);
      const note = parseSignedNote(checkpoint);
      // What is kept is what was verified: a file changed since is not taken on trust.
      if (typeof note === "string" || checkpointBodyHash(note.body) !== lastCheckpoint)
        throw new WitnessUnusable(
          `the checkpoint of shard ${shard} segment ${lastSegment} changed while the archive was verified; it was not kept`,
        );
      await keepCheckpoint(witnessDir, shard, checkpoint).catch((error: unknown) => {
        throw new WitnessUnusable(`cannot keep a checkpoint in ${witnessDir}: ${(error as Error).message}`);
      });
      keptNow.push({ shard, segment: lastSegment });
    }
  return { ...report, witness: { dir: witnessDir, checked: kept.length, kept: keptNow } };
};

/** One job's inclusion proofs from an archive directory, checked against public keys (PEM texts). */
export const proveJobInArchive = (
  dir: string,
  jobId: string,
  publicKeyPems: string | ReadonlyArray<string>,
): Promise<JobInclusionProof> =>
  proveJob({
    store: archiveAt(dir),
    jobId,
    key: { publicKeys: pemList(publicKeyPems).map(publicKeyFromPem), verifier: ed25519Verifier },
  });

/** The archive's sealed ranges against the shard logs in Redis (catches a consistent rewrite of Redis). */
export const compareArchiveWithRedis = async (
  config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards">,
  dir: string,
): Promise<LogComparison> => {
  const client = await readyOrClosed(connect({ url: config.redisUrl }));
  try {
    return await compareArchiveWithLog({
      store: archiveAt(dir),
      log: new RedisShardLogReader(client, { prefix: config.prefix, shards: config.shards }),
    });
  } finally {
    client.disconnect();
  }
};
