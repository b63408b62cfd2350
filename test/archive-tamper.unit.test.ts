/**
 * Offline archive verification (verifyArchive) catches and names every kind of tampering: an
 * edited, dropped, reordered or duplicated segment, an edited checkpoint, a segment rewritten and
 * re-signed with another key (or with our key id forged in front of another key's signature).
 * The archive is sealed by the archiver's own sealSegment over real envelopes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type ArchivedEntry,
  archivedEntryLine,
  formatSignedNote,
  parseArchivedEntryLine,
  parseSignedNote,
} from "../src/domain/index.ts";
import {
  type ArchiveFindingCode,
  emptyProgress,
  progressAfter,
  proveJob,
  sealSegment,
  verifyArchive,
} from "../src/engine/archive/index.ts";
import { ed25519Verifier } from "../src/infra/archive/ed25519.ts";
import { archiveEntries, MemoryArchiveStore, syntheticEntries, testSigner } from "./support/archive.ts";

const signer = testSigner();
let pristine: MemoryArchiveStore;
let entries: ReadonlyArray<ArchivedEntry>;

const verify = (store: MemoryArchiveStore, publicKey = signer.publicKey) =>
  verifyArchive({ store, verifier: ed25519Verifier, publicKeys: [publicKey] });

const codes = async (store: MemoryArchiveStore): Promise<ReadonlyArray<ArchiveFindingCode>> => [
  ...new Set((await verify(store)).findings.map((f) => f.code)),
];

beforeAll(async () => {
  entries = syntheticEntries(12); // 12 jobs × the golden history's events, interleaved
  pristine = new MemoryArchiveStore();
  await archiveEntries(pristine, entries, { signer, segmentEntries: 10 });
});

const files = (store: MemoryArchiveStore, segment: number) => {
  const f = store.files.get(`0/${segment}`);
  if (f === undefined) throw new Error(`no segment ${segment}`);
  return f;
};

describe("archive verification", () => {
  it("a sealed archive verifies: every job, every entry, contiguous segments", async () => {
    const report = await verify(pristine);
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.entries).toBe(entries.length);
    expect(report.jobs).toBe(12);
    expect(report.shards[0]?.segments).toBe(Math.ceil(entries.length / 10));
  });

  it("an inclusion proof shows each of a job's events in a signed segment", async () => {
    const proof = await proveJob({
      store: pristine,
      jobId: "job-0003",
      key: { publicKeys: [signer.publicKey], verifier: ed25519Verifier },
    });
    expect(proof.ok).toBe(true);
    expect(proof.events.map((e) => e.seq)).toEqual(proof.events.map((_, i) => i + 1));
    expect(proof.events.every((e) => e.included && e.signed === true)).toBe(true);
    const other = testSigner();
    const forged = await proveJob({
      store: pristine,
      jobId: "job-0003",
      key: { publicKeys: [other.publicKey], verifier: ed25519Verifier },
    });
    expect(forged.ok).toBe(false);
  });

  it("an edited segment is caught: root_mismatch (and the job's own hash chain)", async () => {
    const store = pristine.clone();
    const f = files(store, 2);
    store.files.set("0/2", { ...f, segment: f.segment.replace('"actor', '"actr') });
    const found = await codes(store);
    expect(found).toContain("root_mismatch");
  });

  it("an entry rewritten consistently (re-hashed envelope, canonical line) is still caught by the root", async () => {
    const store = pristine.clone();
    const f = files(store, 1);
    const lines = f.segment.slice(0, -1).split("\n");
    const entry = parseArchivedEntryLine(lines[0] as string) as ArchivedEntry;
    const fields = [...entry.fields];
    fields[5] = "Rewritten";
    lines[0] = archivedEntryLine({ ...entry, fields });
    store.files.set("0/1", { ...f, segment: `${lines.join("\n")}\n` });
    expect(await codes(store)).toEqual(["root_mismatch"]);
  });

  it("entries with no readable event are counted all and listed up to the cap (a segment of junk entries stays small in the report)", async () => {
    const store = new MemoryArchiveStore();
    const junk: ReadonlyArray<ArchivedEntry> = Array.from({ length: 250 }, (_, i) => ({
      id: `${1_700_000_000_000 + i}-0`,
      fields: ["note", String(i)],
    }));
    await archiveEntries(store, junk, { signer, segmentEntries: 100 });
    const report = await verifyArchive({
      store,
      verifier: ed25519Verifier,
      publicKeys: [signer.publicKey],
      maxFindings: 20,
    });
    expect(report.findings).toEqual([]);
    expect(report.undecodableCount).toBe(250);
    expect(report.undecodable).toHaveLength(20);
    expect(report.undecodable[0]).toMatchObject({ segment: 0, entryId: `${1_700_000_000_000}-0` });
  });

  it("an archive with no segment at all verified nothing: archive_empty, not OK", async () => {
    const report = await verify(new MemoryArchiveStore());
    expect(report.ok).toBe(false);
    expect(report.findings.map((f) => [f.shard, f.segment, f.code])).toEqual([[null, null, "archive_empty"]]);
  });

  it("a dropped segment is caught: segment_missing", async () => {
    const store = pristine.clone();
    store.files.delete("0/3");
    const found = await codes(store);
    expect(found).toContain("segment_missing");
  });

  it("reordered segments are caught: segment_misplaced and chain_broken", async () => {
    const store = pristine.clone();
    const [a, b] = [files(store, 1), files(store, 2)];
    store.files.set("0/1", b);
    store.files.set("0/2", a);
    const found = await codes(store);
    expect(found).toContain("segment_misplaced");
    expect(found).toContain("chain_broken");
  });

  it("a duplicated segment is caught: segment_misplaced, chain_broken, entry_order, history_broken", async () => {
    const store = pristine.clone();
    const last = (await store.segments(0)).at(-1) as number;
    store.files.set(`0/${last + 1}`, files(store, 1));
    const found = await codes(store);
    for (const code of ["segment_misplaced", "chain_broken", "entry_order", "history_broken"] as const)
      expect(found).toContain(code);
  });

  it("an edited checkpoint is caught: signature_invalid", async () => {
    const store = pristine.clone();
    const f = files(store, 2);
    store.files.set("0/2", {
      ...f,
      checkpoint: f.checkpoint.replace(/\nevents (\d+)\n/, (_, n) => `\nevents ${Number(n) + 1}\n`),
    });
    expect(await codes(store)).toContain("signature_invalid");
  });

  it("a segment rewritten and re-signed with another key is caught: unknown_key", async () => {
    const attacker = testSigner();
    const store = new MemoryArchiveStore();
    // The attacker re-seals the whole archive with an edited entry: roots, chain, counts all agree.
    const edited = entries.map((e, i) =>
      i === 15 ? { ...e, fields: [...e.fields.slice(0, 5), "Rewritten", ...e.fields.slice(6)] } : e,
    );
    await archiveEntries(store, edited, { signer: attacker, segmentEntries: 10 });
    expect(await codes(store)).toEqual(["unknown_key"]);
  });

  it("across a key rotation every checkpoint verifies with both public keys, and not with the old one alone", async () => {
    const next = testSigner();
    const store = new MemoryArchiveStore();
    let progress = emptyProgress(0);
    for (let i = 0; i < entries.length; i += 10) {
      const files = await sealSegment({
        origin: "docket/test",
        progress,
        entries: entries.slice(i, i + 10),
        fence: 1,
        signer: i < 30 ? signer : next,
      });
      await store.commit(0, progress.nextSegment, files);
      progress = progressAfter(0, files.checkpoint);
    }
    const both = await verifyArchive({
      store,
      verifier: ed25519Verifier,
      publicKeys: [signer.publicKey, next.publicKey],
    });
    expect(both.findings).toEqual([]);
    const oldOnly = await verify(store);
    expect(oldOnly.findings.map((f) => [f.segment, f.code])).toEqual(
      (await store.segments(0)).filter((n) => n >= 3).map((n) => [n, "unknown_key"]),
    );
  });

  it("another key's signature behind our key id is caught: signature_invalid", async () => {
    const attacker = testSigner();
    const store = new MemoryArchiveStore();
    await archiveEntries(store, entries, { signer: attacker, segmentEntries: 10 });
    const ours = parseSignedNote(files(pristine, 0).checkpoint);
    const theirs = parseSignedNote(files(store, 0).checkpoint);
    if (typeof ours === "string" || typeof theirs === "string") throw new Error("unparsable note");
    const forged = formatSignedNote({
      body: theirs.body,
      signatures: theirs.signatures.map((s, i) => ({ ...s, keyId: ours.signatures[i]?.keyId ?? s.keyId })),
    });
    for (const [k, v] of pristine.files) store.files.set(k, v);
    store.files.set("0/0", { ...files(store, 0), checkpoint: forged });
    expect(await codes(store)).toEqual(["signature_invalid"]);
  });
});
