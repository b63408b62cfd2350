/**
 * Tamper corpus, in Redis itself: someone with write access edits, deletes, forges, reorders or
 * duplicates stored entries. Verify must reject each, naming the job, the first bad seq and why.
 * Each event is stored once, in the shard log, and a job's history is the index of its log entry
 * ids (ADR 0027): an edited event edits the only copy (the hash chain and the head catch it), and
 * an edited index (an element dropped, duplicated, reordered, forged) is caught by the seq check
 * and by the comparison of the index with the log.
 *
 * Every job here has the same honest 7-event history: submitted, attempt 1 started and failed
 * (retry), queued again, attempt 2 started, a log line, completed. The dead-letter cases start
 * from a 4-event one: submitted, attempt 1 started, failed for good, dead-lettered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeHash, type Envelope } from "../src/domain/index.ts";
import { type AuditSource, type VerifyFailure, verifyStore } from "../src/engine/audit/index.ts";
import { entryIdBefore } from "../src/engine/audit/verify/store.ts";
import { NonRetryableError, type Worker } from "../src/engine/worker/index.ts";
import {
  auditOf,
  editEnvelope,
  readHistory,
  readIndex,
  readStream,
  rewriteEnvelopes,
  rewriteIndex,
  rewriteStream,
  type StoredEntry,
} from "./support/audit.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;
let worker: Worker;
let audit: ReturnType<typeof auditOf>;

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  audit = auditOf(engine);
  ({ worker } = await startWorker(engine, {
    flaky: async (_payload, ctx) => {
      if (ctx.attempt === 1) throw new Error("first attempt fails");
      await ctx.log("second attempt");
      return "ok";
    },
    fatal: () => {
      throw new NonRetryableError("bad input", "bad_input");
    },
  }));
});

afterAll(async () => {
  await worker?.stop(100);
  await engine?.close();
  await redis?.stop();
});

/** A fresh job with a complete honest history of 7 events. */
const honestJob = async (): Promise<string> => {
  const { jobId } = await engine.jobs.submit(
    { type: "flaky", backoff: { type: "fixed", delayMs: 10 } },
    apiActor,
  );
  await waitFor(
    async () => (await audit.replay(jobId))?.final?.status === "completed",
    `${jobId} to complete`,
  );
  const before = await audit.verify({ jobId, drained: true });
  expect(before.ok, JSON.stringify(before.failures)).toBe(true);
  expect(before.counts.events).toBe(7);
  return jobId;
};

const keys = () => engine.store.keys;
const rehash = (envelope: Envelope): Envelope => ({ ...envelope, hash: computeHash(envelope) });

/** Verify one job; return its first failure (lowest seq) and all its failures. */
const firstFailure = async (
  jobId: string,
): Promise<{ first: VerifyFailure | undefined; all: ReadonlyArray<VerifyFailure> }> => {
  const report = await audit.verify({ jobId, drained: true });
  expect(report.ok).toBe(false);
  const all = report.failures.filter((f) => f.jobId === jobId);
  return { first: all[0], all };
};

describe("tampering with an event (the only copy, in the shard log)", () => {
  it("an edited event (data changed, hash kept) fails its hash at that seq", async () => {
    const jobId = await honestJob();
    await editEnvelope(engine.client, keys(), jobId, 2, (env) => ({
      ...env,
      data: { ...env.data, attempt: 9 },
    }));
    const { first, all } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 3, check: "history", code: "hash_mismatch" });
    expect(all.filter((f) => f.check === "shard_log")).toEqual([]);
  });

  it("an edited event (actor changed, hash kept) fails its hash at that seq, and nothing else", async () => {
    const jobId = await honestJob();
    await editEnvelope(engine.client, keys(), jobId, 1, (env) => ({
      ...env,
      actor: { kind: "worker", id: "mallory" },
    }));
    const { first, all } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 2, check: "history", code: "hash_mismatch" });
    expect(all).toHaveLength(1);
  });

  it("an edited event with its chain recomputed to the end no longer reaches the head", async () => {
    const jobId = await honestJob();
    await rewriteEnvelopes(engine.client, keys(), jobId, (envs) => {
      let prevHash = "";
      return envs.map((text, i) => {
        if (i < 1) return text;
        const original = JSON.parse(text) as Envelope;
        const edited = i === 1 ? { ...original, actor: { kind: "worker", id: "mallory" } } : original;
        const forged = rehash({ ...edited, prevHash: i === 1 ? original.prevHash : prevHash } as Envelope);
        prevHash = forged.hash;
        return JSON.stringify(forged);
      });
    });
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 7, check: "head", code: "anchor_mismatch" });
  });

  it("an event whose text is not JSON is reported, not thrown", async () => {
    const jobId = await honestJob();
    await rewriteEnvelopes(engine.client, keys(), jobId, (envs) =>
      envs.map((env, i) => (i === 1 ? "{not json" : env)),
    );
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 2, check: "history", code: "malformed_entry" });
  });

  it("a deleted event (its log entry gone) is missing where the history names it", async () => {
    const jobId = await honestJob();
    const ids = await readIndex(engine.client, keys(), jobId);
    await engine.client.xdel(keys().log(0), ids[4] as string);
    const { first, all } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 5, check: "history", code: "malformed_entry" });
    expect(all).toContainEqual(expect.objectContaining({ seq: 5, check: "shard_log", code: "log_missing" }));
  });

  it("a log entry whose seq field no longer matches its place in the history is a mismatch", async () => {
    const jobId = await honestJob();
    await rewriteStream(engine.client, keys().log(0), (entries) =>
      entries.map((e) =>
        e.fields.jobId === jobId && e.fields.seq === "3" ? { ...e, fields: { ...e.fields, seq: "9" } } : e,
      ),
    );
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 3, check: "shard_log", code: "log_mismatch" });
  });

  it("a log entry whose jobId field names another job is a mismatch, and no event of that job", async () => {
    const other = await honestJob();
    const jobId = await honestJob();
    await rewriteStream(engine.client, keys().log(0), (entries) =>
      entries.map((e) =>
        e.fields.jobId === jobId && e.fields.seq === "6"
          ? { ...e, fields: { ...e.fields, jobId: other } }
          : e,
      ),
    );
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 6, check: "shard_log", code: "log_mismatch" });
    const { first: others } = await firstFailure(other);
    expect(others).toMatchObject({ jobId: other, seq: 6, check: "shard_log", code: "log_extra" });
  });
});

describe("tampering with a job's history index", () => {
  it("a dropped element leaves a seq gap, and the later positions name the wrong seqs", async () => {
    const jobId = await honestJob();
    await rewriteIndex(engine.client, keys(), jobId, (ids) => ids.filter((_, i) => i !== 3));
    const { first, all } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 4, check: "history", code: "seq_gap" });
    expect(all).toContainEqual(expect.objectContaining({ seq: 4, check: "shard_log", code: "log_mismatch" }));
  });

  it("a forged event appended to the log and the index with a valid link is refused by the machine", async () => {
    const jobId = await honestJob();
    const envs = await readHistory(engine.client, keys(), jobId);
    const last = JSON.parse(envs[6] as string) as Envelope;
    const forged = rehash({
      ...last,
      seq: 8,
      type: "JobCancelled",
      actor: { kind: "operator", id: "mallory" },
      data: {},
      prevHash: last.hash,
    } as Envelope);
    const id = await engine.client.xadd(
      keys().log(0),
      "*",
      ...["jobId", jobId, "seq", "8", "type", "JobCancelled", "env", JSON.stringify(forged)],
    );
    await engine.client.rpush(keys().history(0, jobId), id as string);
    const { all } = await firstFailure(jobId);
    // The machine refuses anything after completed, before the head is even consulted.
    expect(all[0]).toMatchObject({ jobId, seq: 8, check: "history", code: "illegal_transition" });
  });

  it.each(["1-0", "not an id"])(
    "an element naming an entry the log does not hold (%s) is missing",
    async (bogus) => {
      const jobId = await honestJob();
      await rewriteIndex(engine.client, keys(), jobId, (ids) => [...ids.slice(0, 6), bogus]);
      const { first, all } = await firstFailure(jobId);
      expect(first).toMatchObject({ jobId, seq: 7, check: "history", code: "malformed_entry" });
      expect(all).toContainEqual(
        expect.objectContaining({ seq: 7, check: "shard_log", code: "log_missing" }),
      );
    },
  );

  it("two elements swapped (reordered) fail at the first position out of place", async () => {
    const jobId = await honestJob();
    await rewriteIndex(engine.client, keys(), jobId, (ids) =>
      ids.map((id, i) => (i === 3 ? ids[4] : i === 4 ? ids[3] : id) as string),
    );
    const { first, all } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 4, check: "history", code: "seq_gap" });
    expect(all).toContainEqual(expect.objectContaining({ seq: 4, check: "shard_log", code: "log_mismatch" }));
  });

  it("a duplicated element fails right after the original, and names one log entry twice", async () => {
    const jobId = await honestJob();
    await rewriteIndex(engine.client, keys(), jobId, (ids) => [
      ...ids.slice(0, 5),
      ids[4] as string,
      ...ids.slice(5),
    ]);
    const { first, all } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 6, check: "history", code: "seq_gap" });
    expect(all).toContainEqual(
      expect.objectContaining({ seq: 6, check: "shard_log", code: "log_duplicate" }),
    );
  });

  it("an element naming another job's entry is refused", async () => {
    const other = await honestJob();
    const jobId = await honestJob();
    const theirs = await readIndex(engine.client, keys(), other);
    await rewriteIndex(engine.client, keys(), jobId, (ids) =>
      ids.map((id, i) => (i === 2 ? (theirs[2] as string) : id)),
    );
    const { first, all } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 3 });
    expect(all).toContainEqual(expect.objectContaining({ seq: 3, check: "shard_log", code: "log_mismatch" }));
  });

  it("a deleted index is reported as an empty history, though the head and the shard log have the job", async () => {
    const jobId = await honestJob();
    await engine.client.del(keys().history(0, jobId));
    const { first, all } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 1, check: "history", code: "empty_history" });
    expect(all).toContainEqual(expect.objectContaining({ seq: 1, check: "shard_log", code: "log_extra" }));
  });
});

describe("tampering with the shard log alone", () => {
  it("a copy of one of the job's entries appended to the log is extra", async () => {
    const jobId = await honestJob();
    const entries = await readStream(engine.client, keys().log(0));
    const victim = entries.find((e) => e.fields.jobId === jobId && e.fields.seq === "3") as StoredEntry;
    await engine.client.xadd(keys().log(0), "*", ...Object.entries(victim.fields).flat());
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 3, check: "shard_log", code: "log_extra" });
  });

  it("a forged shard-log entry for a seq the job does not have is extra", async () => {
    const jobId = await honestJob();
    const entries = await readStream(engine.client, keys().log(0));
    const victim = entries.find((e) => e.fields.jobId === jobId && e.fields.seq === "7") as StoredEntry;
    await engine.client.xadd(keys().log(0), "*", ...Object.entries({ ...victim.fields, seq: "8" }).flat());
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 8, check: "shard_log", code: "log_extra" });
  });
});

describe("tampering with the head", () => {
  it("a head that claims fewer events than the history holds", async () => {
    const jobId = await honestJob();
    await engine.client.hset(keys().head(0, jobId), "version", "6");
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 7, check: "head", code: "anchor_mismatch" });
  });

  it("a head whose last hash is not the history's", async () => {
    const jobId = await honestJob();
    await engine.client.hset(keys().head(0, jobId), "lastHash", "f".repeat(64));
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 7, check: "head", code: "anchor_mismatch" });
  });

  it("a head whose status disagrees with the fold", async () => {
    const jobId = await honestJob();
    await engine.client.hset(keys().head(0, jobId), "status", "dead_letter");
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 7, check: "head", code: "head_status_mismatch" });
  });

  it("a deleted head", async () => {
    const jobId = await honestJob();
    await engine.client.del(keys().head(0, jobId));
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 7, check: "head", code: "head_missing" });
  });
});

describe("verifying one job reads its shard log from the job's first entry", () => {
  /** The audit source, counting the shard-log entries read and remembering where each page began. */
  const counting = () => {
    const pages: Array<string> = [];
    let read = 0;
    const source: AuditSource = Object.create(audit.source) as AuditSource;
    source.readShardLog = async (shard, afterId, count) => {
      pages.push(afterId);
      const entries = await audit.source.readShardLog(shard, afterId, count);
      read += entries.length;
      return entries;
    };
    return { source, pages, read: () => read };
  };

  it("starts just before the first entry its history names, reads less than the whole log, and still finds a copy appended later", async () => {
    await honestJob();
    const jobId = await honestJob();
    const [firstId] = await readIndex(engine.client, keys(), jobId);
    const [first] = (await readStream(engine.client, keys().log(0))).filter((e) => e.fields.jobId === jobId);
    expect(firstId).toBe(first?.id);
    const one = counting();
    expect((await verifyStore(one.source, { jobId, drained: true })).ok).toBe(true);
    expect(one.pages[0]).toBe(entryIdBefore(firstId));
    const whole = counting();
    await verifyStore(whole.source, { drained: true });
    expect(whole.pages[0]).toBe("0-0");
    expect(one.read()).toBeLessThan(whole.read());
    expect(one.read()).toBeGreaterThanOrEqual(7);
    // A copy of one of its entries appended to the log comes after its first: still found.
    const entries = await readStream(engine.client, keys().log(0));
    const victim = entries.find((e) => e.fields.jobId === jobId && e.fields.seq === "2") as StoredEntry;
    await engine.client.xadd(keys().log(0), "*", ...Object.entries(victim.fields).flat());
    const { first: failure } = await firstFailure(jobId);
    expect(failure).toMatchObject({ jobId, seq: 2, check: "shard_log", code: "log_extra" });
  });

  it("a history whose first elements were dropped cannot hide them: it fails at seq 1", async () => {
    const jobId = await honestJob();
    await rewriteIndex(engine.client, keys(), jobId, (ids) => ids.slice(3));
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 1, check: "history", code: "seq_gap" });
  });

  it("a history naming something that is not an entry id is checked against the whole log instead", async () => {
    const jobId = await honestJob();
    await rewriteIndex(engine.client, keys(), jobId, (ids) => [...ids, "not an id"]);
    const one = counting();
    expect((await verifyStore(one.source, { jobId, drained: true })).ok).toBe(false);
    expect(one.pages[0]).toBe("0-0");
  });
});

describe("the whole-log verify finds tampered jobs among honest ones", () => {
  it("names only the tampered job", async () => {
    const honest = await honestJob();
    const tampered = await honestJob();
    await rewriteIndex(engine.client, keys(), tampered, (ids) => ids.filter((_, i) => i !== 1));
    const report = await audit.verify({ drained: true });
    expect(report.ok).toBe(false);
    expect(report.failures.some((f) => f.jobId === honest)).toBe(false);
    expect(report.failures).toContainEqual(
      expect.objectContaining({ jobId: tampered, seq: 2, code: "seq_gap" }),
    );
  });
});

/** A fresh job dead-lettered by a non-retryable error: 4 honest events. */
const deadJob = async (): Promise<string> => {
  const { jobId } = await engine.jobs.submit({ type: "fatal" }, apiActor);
  await waitFor(
    async () => (await audit.replay(jobId))?.final?.status === "dead_letter",
    `${jobId} to be dead-lettered`,
  );
  const before = await audit.verify({ jobId, drained: true });
  expect(before.ok, JSON.stringify(before.failures)).toBe(true);
  expect(before.counts.events).toBe(4);
  return jobId;
};

describe("tampering with a dead letter", () => {
  it("a dropped dead letter, with the head and the shard log rewritten to match, leaves the job short of its end", async () => {
    const jobId = await deadJob();
    await rewriteIndex(engine.client, keys(), jobId, (ids) => ids.slice(0, 3));
    const failed = JSON.parse((await readHistory(engine.client, keys(), jobId))[2] as string) as Envelope;
    await rewriteStream(engine.client, keys().log(0), (entries) =>
      entries.filter((e) => !(e.fields.jobId === jobId && e.fields.seq === "4")),
    );
    await engine.client.hset(
      keys().head(0, jobId),
      "version",
      "3",
      "lastHash",
      failed.hash,
      "status",
      "failed",
    );
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 4, check: "history", code: "dead_letter_missing" });
  });

  it("a dropped dead letter (the history alone cut short) no longer reaches the head", async () => {
    const jobId = await deadJob();
    await rewriteIndex(engine.client, keys(), jobId, (ids) => ids.slice(0, 3));
    const { first, all } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 4, check: "head", code: "anchor_mismatch" });
    expect(all).toContainEqual(expect.objectContaining({ seq: 4, check: "shard_log", code: "log_extra" }));
  });

  it("a dead letter with the wrong reason (hash recomputed, head moved to it) is an illegal transition", async () => {
    const jobId = await deadJob();
    await editEnvelope(engine.client, keys(), jobId, 3, (env) =>
      rehash({ ...env, data: { ...env.data, reason: "attempts_exhausted" } } as Envelope),
    );
    const forged = JSON.parse((await readHistory(engine.client, keys(), jobId))[3] as string) as Envelope;
    await engine.client.hset(keys().head(0, jobId), "lastHash", forged.hash);
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 4, check: "history", code: "illegal_transition" });
  });

  it("a dead letter where a retry was due (in place of the retry's JobQueued) is an illegal transition", async () => {
    const jobId = await honestJob();
    await editEnvelope(engine.client, keys(), jobId, 3, (env) =>
      rehash({
        ...env,
        type: "JobDeadLettered",
        data: { reason: "attempts_exhausted", attempt: 1, maxAttempts: 3, errorCode: "handler_error" },
      } as Envelope),
    );
    const { first } = await firstFailure(jobId);
    expect(first).toMatchObject({ jobId, seq: 4, check: "history", code: "illegal_transition" });
  });
});
