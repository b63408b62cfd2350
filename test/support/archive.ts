/**
 * Archives for tests: shard-log entries carrying real envelopes (the golden history re-sealed
 * under many job ids, interleaved as a shard log interleaves jobs), an Ed25519 signer, an
 * in-memory ArchiveStore (for the property test's thousands of verifications), and sealing a
 * list of entries into segments the way the archiver does.
 */
import { createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { type ArchivedEntry, emptyHead, type Envelope, eventOf, seal } from "../../src/domain/index.ts";
import {
  type ArchiveStore,
  type KeptCheckpoint,
  keptCheckpointOf,
  type NoteSigner,
  progressAfter,
  type SegmentFiles,
  SegmentExists,
  emptyProgress,
  sealSegment,
} from "../../src/engine/archive/index.ts";

const GOLDEN = JSON.parse(
  readFileSync(new URL("../golden/job-history.json", import.meta.url), "utf8"),
) as ReadonlyArray<Envelope>;

/** `jobs` jobs' histories (the golden one's events each), interleaved round-robin into log entries. */
export const syntheticEntries = (jobs: number, firstMs = 1_700_000_000_000): ReadonlyArray<ArchivedEntry> => {
  const histories = Array.from({ length: jobs }, (_, j) => {
    const jobId = `job-${String(j).padStart(4, "0")}`;
    return seal(emptyHead(jobId), GOLDEN.map(eventOf)).envelopes;
  });
  const entries: Array<ArchivedEntry> = [];
  for (let i = 0; entries.length < jobs * GOLDEN.length; i++)
    for (const history of histories) {
      const envelope = history[i];
      if (envelope === undefined) continue;
      entries.push({
        id: `${firstMs + entries.length}-0`,
        fields: [
          "jobId",
          envelope.jobId,
          "seq",
          String(envelope.seq),
          "type",
          envelope.type,
          "env",
          JSON.stringify(envelope),
        ],
      });
    }
  return entries;
};

export const testSigner = (): NoteSigner & { readonly publicKeyPem: string } => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const { x } = createPublicKey(privateKey).export({ format: "jwk" }) as { x: string };
  return {
    publicKey: new Uint8Array(Buffer.from(x, "base64url")),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
};

/** An ArchiveStore in memory: `files` is open to tests that tamper with it. */
export class MemoryArchiveStore implements ArchiveStore {
  readonly location = "memory";
  readonly files = new Map<string, SegmentFiles>();

  private static key(shard: number, segment: number): string {
    return `${shard}/${segment}`;
  }

  async segments(shard: number): Promise<ReadonlyArray<number>> {
    return [...this.files.keys()]
      .map((k) => k.split("/").map(Number) as [number, number])
      .filter(([s]) => s === shard)
      .map(([, n]) => n)
      .sort((a, b) => a - b);
  }

  async shardsPresent(): Promise<ReadonlyArray<number>> {
    return [...new Set([...this.files.keys()].map((k) => Number(k.split("/")[0])))].sort((a, b) => a - b);
  }

  async read(shard: number, segment: number): Promise<SegmentFiles> {
    const files = this.files.get(MemoryArchiveStore.key(shard, segment));
    if (files === undefined) throw new Error(`no segment ${shard}/${segment}`);
    return files;
  }

  async readCheckpoint(shard: number, segment: number): Promise<string> {
    return (await this.read(shard, segment)).checkpoint;
  }

  async commit(shard: number, segment: number, files: SegmentFiles): Promise<void> {
    const key = MemoryArchiveStore.key(shard, segment);
    if (this.files.has(key)) throw new SegmentExists({ shard, segment });
    this.files.set(key, files);
  }

  async sweep(): Promise<void> {}

  clone(): MemoryArchiveStore {
    const copy = new MemoryArchiveStore();
    for (const [k, v] of this.files) copy.files.set(k, v);
    return copy;
  }
}

/** Seal `entries` of one shard into segments of `segmentEntries` and commit them, as the archiver would. */
export const archiveEntries = async (
  store: ArchiveStore,
  entries: ReadonlyArray<ArchivedEntry>,
  options: {
    readonly signer: NoteSigner;
    readonly segmentEntries: number;
    readonly shard?: number;
    readonly origin?: string;
  },
): Promise<void> => {
  const shard = options.shard ?? 0;
  let progress = emptyProgress(shard);
  for (let i = 0; i < entries.length; i += options.segmentEntries) {
    const files = await sealSegment({
      origin: options.origin ?? "docket/test",
      progress,
      entries: entries.slice(i, i + options.segmentEntries),
      fence: 1,
      signer: options.signer,
    });
    await store.commit(shard, progress.nextSegment, files, 1);
    progress = progressAfter(shard, files.checkpoint);
  }
};

/** The checkpoint of `segment` of `shard` as an auditor keeps it (`--witness`), checked with `signer`'s key. */
export const keptCheckpointIn = async (
  store: ArchiveStore,
  shard: number,
  segment: number,
  trust: Parameters<typeof keptCheckpointOf>[2],
): Promise<KeptCheckpoint> => {
  const kept = keptCheckpointOf(
    (await store.read(shard, segment)).checkpoint,
    `shard-${shard}.checkpoint`,
    trust,
  );
  if (typeof kept === "string") throw new Error(kept);
  return kept;
};
