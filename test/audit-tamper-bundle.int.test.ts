/**
 * Tamper corpus, in an exported bundle: the offline verifier (no Redis) must reject each change,
 * naming the job and the first bad seq. The bundle comes from a real run; each case edits its
 * lines as text, as someone holding the file could.
 *
 * Two jobs, exported in job id order; job A's lines are 2..8 (seq 1..7), job B's follow. The
 * dead-letter cases use a bundle of one dead-lettered job (lines 2..5: submitted, started,
 * failed for good, dead-lettered).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, computeHash, type Envelope } from "../src/domain/index.ts";
import { type BundleFailure, splitLines, verifyBundle } from "../src/engine/audit/index.ts";
import { NonRetryableError, type Worker } from "../src/engine/worker/index.ts";
import { auditOf, collectLines } from "./support/audit.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;
let worker: Worker;
let bundle: ReadonlyArray<string>;
let jobA = "";
let deadBundle: ReadonlyArray<string>;
let deadJob = "";

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  const audit = auditOf(engine);
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
  const ids: Array<string> = [];
  for (let i = 0; i < 2; i++)
    ids.push(
      (await engine.jobs.submit({ type: "flaky", backoff: { type: "fixed", delayMs: 10 } }, apiActor)).jobId,
    );
  for (const id of ids)
    await waitFor(async () => (await audit.replay(id))?.final?.status === "completed", `${id} to complete`);
  jobA = [...ids].sort()[0] as string;
  bundle = await collectLines(audit.exportBundle({ generatedAtMs: Date.now() }));
  expect(bundle).toHaveLength(15);
  expect(JSON.parse(bundle[1] as string).jobId).toBe(jobA);
  deadJob = (await engine.jobs.submit({ type: "fatal" }, apiActor)).jobId;
  await waitFor(
    async () => (await audit.replay(deadJob))?.final?.status === "dead_letter",
    `${deadJob} to be dead-lettered`,
  );
  deadBundle = await collectLines(audit.exportBundle({ generatedAtMs: Date.now(), jobId: deadJob }));
  expect(deadBundle).toHaveLength(5);
});

afterAll(async () => {
  await worker?.stop(100);
  await engine?.close();
  await redis?.stop();
});

/** The line holding job A's event `seq`. */
const lineOf = (seq: number) => seq; // line index (0-based) = seq: the header is line 0
const envelopeAt = (lines: ReadonlyArray<string>, index: number): Envelope =>
  JSON.parse(lines[index] as string) as Envelope;
const line = (envelope: unknown) => canonicalJson(envelope);
const rehash = (envelope: Envelope): Envelope => ({ ...envelope, hash: computeHash(envelope) });

const rejected = async (lines: ReadonlyArray<string>): Promise<BundleFailure> => {
  const report = await verifyBundle(lines);
  expect(report.ok).toBe(false);
  const failure = report.failures.find((f) => f.jobId === jobA) ?? report.failures[0];
  return failure as BundleFailure;
};

describe("a bundle tampered with", () => {
  it("verifies untouched", async () => {
    const report = await verifyBundle(bundle);
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ lines: 15, jobs: 2, events: 14 });
  });

  it("edit: an event's data changed, hash kept", async () => {
    const lines = [...bundle];
    const e = envelopeAt(lines, lineOf(3));
    lines[lineOf(3)] = line({ ...e, data: { ...e.data, attempt: 2 } });
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 3, code: "hash_mismatch", line: 4 });
  });

  it("edit with the hash recomputed: the next event no longer links", async () => {
    const lines = [...bundle];
    lines[lineOf(2)] = line(
      rehash({ ...envelopeAt(lines, lineOf(2)), actor: { kind: "worker", id: "mallory" } }),
    );
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 3, code: "prev_hash_mismatch" });
  });

  it("edit with the whole chain recomputed: the header's anchor no longer matches", async () => {
    const lines = [...bundle];
    let prevHash = "";
    for (let seq = 2; seq <= 7; seq++) {
      const e = envelopeAt(lines, lineOf(seq));
      const edited =
        seq === 2 ? { ...e, actor: { kind: "worker" as const, id: "mallory" } } : { ...e, prevHash };
      const forged = rehash(edited as Envelope);
      prevHash = forged.hash;
      lines[lineOf(seq)] = line(forged);
    }
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 7, code: "anchor_mismatch", line: null });
  });

  it("reorder: two events swapped", async () => {
    const lines = [...bundle];
    [lines[lineOf(4)], lines[lineOf(5)]] = [lines[lineOf(5)] as string, lines[lineOf(4)] as string];
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 4, code: "seq_gap" });
  });

  it("delete: an event in the middle removed", async () => {
    const lines = bundle.filter((_, i) => i !== lineOf(4));
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 4, code: "seq_gap" });
  });

  it("delete: the last event removed (the header's count catches it)", async () => {
    const lines = bundle.filter((_, i) => i !== lineOf(7));
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 7, code: "count_mismatch" });
  });

  it("insert: a forged, well-linked event slipped in before seq 6", async () => {
    const lines = [...bundle];
    const before = envelopeAt(lines, lineOf(5));
    const forged = rehash({
      ...envelopeAt(lines, lineOf(6)),
      type: "ProgressReported",
      data: { attempt: 2, progress: { current: 1, total: 1 } },
      prevHash: before.hash,
    } as Envelope);
    lines.splice(lineOf(6), 0, line(forged));
    // The forged event takes seq 6; the real seq 6 then branches from the same predecessor.
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 6, code: "fork", line: 8 });
  });

  it("duplicate: an event repeated", async () => {
    const lines = [...bundle];
    lines.splice(lineOf(3) + 1, 0, lines[lineOf(3)] as string);
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 3, code: "duplicate_event", line: 5 });
  });

  it("fork: a second, different last event branching from the same predecessor", async () => {
    const lines = [...bundle];
    const last = envelopeAt(lines, lineOf(7));
    const branch = rehash({ ...last, type: "JobCancelled", data: { reason: "forked" } } as Envelope);
    lines.splice(lineOf(7) + 1, 0, line(branch));
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 7, code: "fork", line: 9 });
  });

  it("a malformed line is named, and its job fails at the seq it held", async () => {
    const lines = [...bundle];
    lines[lineOf(3)] = "{oops";
    const report = await verifyBundle(lines);
    expect(report.failures).toEqual([
      expect.objectContaining({ line: 4, jobId: null, code: "malformed_line" }),
      expect.objectContaining({ line: 5, jobId: jobA, seq: 3, code: "seq_gap" }),
    ]);
  });

  it("a line that is not canonical JSON", async () => {
    const lines = [...bundle];
    lines[lineOf(2)] = JSON.stringify(envelopeAt(lines, lineOf(2)), null, 1).replace(/\n/g, "");
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 2, code: "not_canonical" });
  });

  it("a header whose machine is not the verifier's", async () => {
    const lines = [...bundle];
    const header = JSON.parse(lines[0] as string);
    header.machine.transitions = header.machine.transitions.slice(1);
    lines[0] = line(header);
    expect(await rejected(lines)).toMatchObject({ line: 1, jobId: null, code: "machine_mismatch" });
  });

  it("a header whose machine is nested 100,000 deep: machine_mismatch, not a stack overflow", async () => {
    const lines = [...bundle];
    const header = lines[0] as string;
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    lines[0] = header.replace('"machine":{', `"machine":{"deep":${deep},`);
    expect(lines[0]).not.toBe(header);
    expect(await rejected(lines)).toMatchObject({ line: 1, jobId: null, code: "machine_mismatch" });
  });

  it("a line longer than any envelope: named, and the bundle is not read past it", async () => {
    const max = Math.max(...bundle.map((l) => l.length)); // every real line fits
    const text = `${bundle.slice(0, 3).join("\n")}\n${"x".repeat(max + 1)}\n${bundle.slice(3).join("\n")}\n`;
    const report = await verifyBundle(splitLines([text], max));
    expect(report.ok).toBe(false);
    expect(report.counts.lines).toBe(4);
    expect(report.failures[0]).toMatchObject({ line: 4, code: "malformed_line" });
    expect(report.failures[0]?.message).toContain(`longer than ${max} characters`);
  });

  it("a header that lies about a job's count", async () => {
    const lines = [...bundle];
    const header = JSON.parse(lines[0] as string);
    header.jobs[0].events = 8;
    header.counts.events += 1;
    lines[0] = line(header);
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 8, code: "count_mismatch" });
  });

  it("a header that is missing", async () => {
    const report = await verifyBundle(bundle.slice(1));
    expect(report.header).toBeNull();
    expect(report.failures[0]).toMatchObject({ line: 1, code: "invalid_header" });
  });
});

describe("a bundle's dead letter tampered with", () => {
  /** The header with the dead-lettered job's count and last hash set to match the edited lines. */
  const reanchored = (lines: Array<string>): Array<string> => {
    const events = lines.slice(1).map((text) => JSON.parse(text) as Envelope);
    const header = JSON.parse(lines[0] as string);
    header.jobs[0].events = events.length;
    header.jobs[0].lastHash = events[events.length - 1]?.hash;
    header.counts.events = events.length;
    return [line(header), ...lines.slice(1)];
  };
  const rejectedDead = async (lines: ReadonlyArray<string>) => {
    const report = await verifyBundle(lines);
    expect(report.ok).toBe(false);
    return report.failures.find((f) => f.jobId === deadJob);
  };

  it("verifies untouched", async () => {
    expect((await verifyBundle(deadBundle)).failures).toEqual([]);
    expect(envelopeAt(deadBundle, 4)).toMatchObject({
      type: "JobDeadLettered",
      data: { reason: "not_retryable", attempt: 1, errorCode: "bad_input" },
    });
  });

  it("dropped, with the header's count and anchor moved to match: the job stops short of its end", async () => {
    const lines = reanchored(deadBundle.slice(0, 4));
    expect(await rejectedDead(lines)).toMatchObject({ seq: 4, code: "dead_letter_missing", line: null });
  });

  it("dropped, header untouched: the header's count catches it", async () => {
    expect(await rejectedDead(deadBundle.slice(0, 4))).toMatchObject({ seq: 4, code: "count_mismatch" });
  });

  it("the wrong reason, hash and anchor recomputed: an illegal transition", async () => {
    const lines = [...deadBundle];
    const dead = envelopeAt(lines, 4);
    lines[4] = line(rehash({ ...dead, data: { ...dead.data, reason: "attempts_exhausted" } } as Envelope));
    expect(await rejectedDead(reanchored(lines))).toMatchObject({
      seq: 4,
      code: "illegal_transition",
      line: 5,
    });
  });

  it("a dead letter where a retry was due (in place of job A's JobQueued), hash recomputed: an illegal transition", async () => {
    const lines = [...bundle];
    const queued = envelopeAt(lines, lineOf(4));
    lines[lineOf(4)] = line(
      rehash({
        ...queued,
        type: "JobDeadLettered",
        data: { reason: "attempts_exhausted", attempt: 1, maxAttempts: 3, errorCode: "handler_error" },
      } as Envelope),
    );
    expect(await rejected(lines)).toMatchObject({ jobId: jobA, seq: 4, code: "illegal_transition", line: 5 });
  });
});
