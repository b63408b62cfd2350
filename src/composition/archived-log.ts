/**
 * The archive as the readers of Redis read it back (ADR 0034): entries trimmed from the shard
 * logs, and whole histories of jobs that left Redis, from the deployment's archive directory,
 * each segment verified against its signed checkpoint with the archive's public key. Part of
 * the composition root (main.ts).
 *
 * Built on first use: a process may start before the archiver has made the signing key (they
 * often share one process), and most reads never need the archive.
 */
import { join } from "node:path";
import { ArchiveReader } from "../engine/archive/index.ts";
import { type ArchivedLog, ArchiveKeyUnusable } from "../engine/read/index.ts";
import { ed25519Verifier, loadSigningKey, publicKeyFromPem, readKeyFile } from "../infra/archive/ed25519.ts";
import { FsArchiveStore } from "../infra/archive/fs-archive-store.ts";

/** Where a deployment's archive and its key are (the archiver's DOCKET_ARCHIVE_DIR and key). */
export interface ArchiveAccess {
  readonly archiveDir: string;
  readonly dataDir: string;
  /** DOCKET_SIGNING_KEY; absent: `<dataDir>/archive-signing-key.pem`. */
  readonly signingKeyPath?: string;
  /**
   * DOCKET_ARCHIVE_TRUSTED_KEYS: public keys (PEM files) that signed earlier checkpoints, kept
   * after a key rotation so what they signed still reads.
   */
  readonly trustedKeyPaths?: ReadonlyArray<string>;
}

export const archivedLogOf = (access: ArchiveAccess, prefix: string): ArchivedLog => {
  let reader: ArchiveReader | undefined;
  const open = (): ArchiveReader => {
    if (reader !== undefined) return reader;
    let publicKeys: ReadonlyArray<Uint8Array>;
    try {
      const { signer } = loadSigningKey({
        dataDir: access.dataDir,
        generate: false,
        ...(access.signingKeyPath === undefined ? {} : { keyPath: access.signingKeyPath }),
      });
      publicKeys = [
        signer.publicKey,
        ...(access.trustedKeyPaths ?? []).map((path) => {
          try {
            return publicKeyFromPem(readKeyFile(path));
          } catch (error) {
            throw new Error(`the trusted key ${path}: ${(error as Error).message}`, { cause: error });
          }
        }),
      ];
    } catch (error) {
      // Typed, so a read is answered with what is wrong (503 archive_key_unusable), not a 500.
      throw new ArchiveKeyUnusable({ reason: (error as Error).message });
    }
    reader = new ArchiveReader({
      store: new FsArchiveStore(join(access.archiveDir, prefix)),
      verifier: ed25519Verifier,
      publicKeys,
      origin: `docket/${prefix}`,
    });
    return reader;
  };
  return {
    entries: (shard, ids) => open().entries(shard, ids),
    range: (shard, afterId, throughId, count) => open().range(shard, afterId, throughId, count),
    jobEntries: (shard, jobId, notBeforeMs, firstByMs) =>
      open().jobEntries(shard, jobId, notBeforeMs, firstByMs),
    archivedThrough: (shard) => open().archivedThrough(shard),
  };
};
