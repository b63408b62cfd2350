/**
 * The quarantine rules of the pure projection (ADR 0019): a quarantined entry is skipped and only
 * moves the checkpoint; a job's later events that cannot continue its chain after a quarantined
 * entry are skipped too; an unquarantined (or changed) undecodable entry is refused; a read is
 * cut per shard before the first entry that blocks it.
 */
import { describe, expect, it } from "vitest";
import { emptyHead, type Envelope, type JobId, seal } from "../src/domain/index.ts";
import {
  entryDigest,
  type InvalidLogEntry,
  type LogEntry,
  type QuarantineRecord,
} from "../src/engine/read/index.ts";
import { NO_SKIPS, projectBatch, type SkipRules, untilBlocked } from "../src/engine/read/projection.ts";
import { QuarantineView } from "../src/engine/read/quarantine.ts";
import { operator, requeued, spec, started, submitted, t } from "./support/fixtures.ts";

const jobA = "0193a3b0-7c2e-7000-8000-00000000000a" as JobId;
const jobB = "0193a3b0-7c2e-7000-8000-00000000000b" as JobId;

const envelopesOf = (jobId: JobId): ReadonlyArray<Envelope> =>
  seal(emptyHead(jobId), [submitted(spec()), started(1), requeued(t(500))]).envelopes;

const entry = (shard: number, entryId: string, envelope: Envelope): LogEntry => ({
  shard,
  entryId,
  envelope,
});

const invalid = (shard: number, entryId: string, jobId: string | null, env = "{broken"): InvalidLogEntry => ({
  shard,
  entryId,
  jobId,
  problem: "env is not JSON",
  digest: entryDigest({ jobId, seq: "1", env }),
});

const recordFor = (bad: InvalidLogEntry): QuarantineRecord => ({
  shard: bad.shard,
  entryId: bad.entryId,
  jobId: bad.jobId,
  digest: bad.digest,
  problem: bad.problem,
  reason: "garbage",
  actor: operator,
  at: t(1),
});

const viewOf = async (records: ReadonlyArray<QuarantineRecord>): Promise<SkipRules> => {
  const view = new QuarantineView({ all: async () => records, add: async () => true });
  await view.refresh();
  return view;
};

describe("projectBatch with quarantined entries", () => {
  it("skips a quarantined entry: the checkpoint moves to it with its digest, no row is written", async () => {
    const [a1] = envelopesOf(jobA) as [Envelope];
    const bad = invalid(0, "2-0", null);
    const batch = projectBatch([entry(0, "1-0", a1), bad], new Map(), await viewOf([recordFor(bad)]));
    expect(batch.entries.map((e) => e.entryId)).toEqual(["1-0"]);
    expect(batch.skipped).toEqual([bad]);
    expect(batch.checkpoints).toEqual([{ shard: 0, entryId: "2-0", hash: bad.digest }]);
  });

  it("refuses an undecodable entry that is not quarantined, or whose content changed since", async () => {
    const bad = invalid(0, "2-0", null);
    expect(() => projectBatch([bad], new Map(), NO_SKIPS)).toThrow(/2-0 is not a valid event/);
    const changed = { ...bad, digest: entryDigest({ jobId: null, seq: "1", env: "{other" }) };
    expect(() => projectBatch([changed], new Map(), NO_SKIPS)).toThrow(/LogEntryInvalid|not a valid event/);
    const skips = await viewOf([recordFor(bad)]);
    expect(() => projectBatch([changed], new Map(), skips)).toThrow(/holds other content now/);
  });

  it("skips a job's later events that cannot continue its chain after its quarantined entry, and only those", async () => {
    const [, a2, a3] = envelopesOf(jobA) as [Envelope, Envelope, Envelope];
    const [b1, b2] = envelopesOf(jobB) as [Envelope, Envelope];
    // Job A's first event was stored undecodable and quarantined; B is untouched.
    const badA1 = invalid(0, "1-0", jobA);
    const records = [
      badA1,
      entry(0, "2-0", b1),
      entry(0, "3-0", a2),
      entry(0, "4-0", b2),
      entry(0, "5-0", a3),
    ];
    const skips = await viewOf([recordFor(badA1)]);
    const batch = projectBatch(records, new Map(), skips);
    expect(batch.entries.map((e) => e.envelope.jobId)).toEqual([jobB, jobB]);
    expect(batch.skipped.map((r) => r.entryId)).toEqual(["1-0", "3-0", "5-0"]);
    expect(batch.views.map((v) => [v.id, v.version])).toEqual([[jobB, 2]]);
    // Without the quarantine of A's entry, A's seq 2 is a broken chain, as before.
    expect(() => projectBatch([entry(0, "3-0", a2)], new Map(), NO_SKIPS)).toThrow(/seq 2 where 1/);
    // A quarantined entry of A *after* an event does not excuse that event's broken chain.
    const onlyLate = await viewOf([recordFor(invalid(0, "9-0", jobA))]);
    expect(() => projectBatch([entry(0, "3-0", a2)], new Map(), onlyLate)).toThrow(/seq 2 where 1/);
  });
});

describe("untilBlocked", () => {
  it("keeps, per shard, what comes before the first undecodable entry that is not quarantined", async () => {
    const [a1, a2] = envelopesOf(jobA) as [Envelope, Envelope];
    const [b1, b2] = envelopesOf(jobB) as [Envelope, Envelope];
    const quarantined = invalid(0, "2-0", null, "x");
    const blocking = invalid(0, "4-0", null, "y");
    const read = [
      entry(0, "1-0", a1),
      quarantined,
      entry(0, "3-0", a2),
      blocking,
      entry(0, "5-0", b1),
      entry(1, "1-0", b2),
    ];
    const { usable, blocked } = untilBlocked(read, await viewOf([recordFor(quarantined)]));
    expect(usable.map((r) => `${r.shard}/${r.entryId}`)).toEqual(["0/1-0", "0/2-0", "0/3-0", "1/1-0"]);
    expect(blocked).toBe(blocking);
    expect(untilBlocked(read.slice(0, 3), NO_SKIPS).blocked).toBe(quarantined);
  });
});
