/**
 * The offline bundle verifier (`docket audit verify --file bundle.ndjson`): no Redis, no
 * database, only the bundle and this Docket's machine. It checks that the header is well formed
 * and describes this machine, that every line is a canonical envelope, that each job's chain is
 * contiguous from seq 1 and its hashes recompute, that every transition is legal, that each
 * job ends exactly where the header says (count and last hash: the header is the anchor), and
 * not between a failure that allows no retry and its JobDeadLettered.
 *
 * Streaming: it keeps only each job's chain end and machine state, so lines may come from a file
 * of any size. Lines are untrusted input: a malformed line is a failure naming the line, never
 * a crash. One failure per job (its first bad seq); later lines of a failed job are skipped.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import {
  accepts,
  awaitsDeadLetter,
  canonicalJson,
  checkNextLink,
  computeHash,
  deadLetterMissing,
  decodeEnvelope,
  describeMachine,
  EVENT_SCHEMA_VERSION,
  eventOf,
  evolve,
  GENESIS_HASH,
  type HistoryFailureCode,
  initialState,
  type JobState,
  MACHINE_VERSION,
  statusOf,
} from "../../../domain/index.ts";
import { BundleHeader, type BundleJob } from "./format.ts";

export type BundleCode =
  | HistoryFailureCode
  | "malformed_line"
  | "not_canonical"
  | "invalid_header"
  | "machine_mismatch"
  | "header_inconsistent"
  | "duplicate_event"
  | "fork"
  | "unexpected_job"
  | "missing_job"
  | "count_mismatch";

export interface BundleFailure {
  /** 1-based line number in the bundle (null: about the bundle as a whole or a job's end). */
  readonly line: number | null;
  readonly jobId: string | null;
  /** The first bad seq of that job (null when not about one job's chain). */
  readonly seq: number | null;
  readonly code: BundleCode;
  readonly message: string;
}

export interface BundleReport {
  readonly ok: boolean;
  /** The header as read (null when it is missing or malformed). */
  readonly header: BundleHeader | null;
  readonly counts: {
    readonly lines: number;
    readonly jobs: number;
    readonly events: number;
    readonly jobsFailed: number;
    /** Every failure found, including those past `maxFailures` that `failures` does not list. */
    readonly failures: number;
  };
  /** Sorted by line: the first `maxFailures` found (MAX_BUNDLE_FAILURES by default). */
  readonly failures: ReadonlyArray<BundleFailure>;
  /** True when more failures were found than `failures` lists. */
  readonly truncated: boolean;
}

/**
 * Failures a report lists at most. A hostile file can hold a failure per line (20 million lines
 * of junk are 40 MB): kept whole, they exhausted the heap and the verifier died with V8's
 * out-of-memory abort. The count of all of them is kept.
 */
export const MAX_BUNDLE_FAILURES = 1_000;

interface Chain {
  nextSeq: number;
  lastHash: string;
  lastPrevHash: string | null;
  state: JobState;
  failed: boolean;
}

const decodeHeader = Schema.decodeUnknownResult(BundleHeader);

/**
 * The longest line a bundle may have. An envelope line is at most a few megabytes (payloads and
 * results are at most 512 KiB of JSON, MAX_PAYLOAD_BYTES and MAX_RESULT_BYTES, escaped once more
 * in the line), so a longer line is not an envelope; without a bound a file with no newline
 * (/dev/zero, a binary) would be held in memory until no string could hold it.
 */
export const MAX_BUNDLE_LINE_CHARS = 64 * 1024 * 1024;

/** A line longer than MAX_BUNDLE_LINE_CHARS: what is after it cannot be read as lines. */
export class BundleLineTooLong extends Error {
  constructor(readonly chars: number) {
    super(`longer than ${chars} characters, which no envelope is`);
  }
}

/**
 * Split chunks of text (a file stream, say) into lines without their terminators. Linear in the
 * input: each chunk is searched once, and a line split across chunks is joined once. Throws
 * BundleLineTooLong once a line passes `maxLineChars`, without holding more of it.
 */
export async function* splitLines(
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string>,
  maxLineChars = MAX_BUNDLE_LINE_CHARS,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  // The start of the current line, in pieces (one per chunk it spans), and their length.
  let pieces: Array<string> = [];
  let length = 0;
  function* take(text: string): Generator<string> {
    let from = 0;
    for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", from)) {
      if (length + newline - from > maxLineChars) throw new BundleLineTooLong(maxLineChars);
      pieces.push(text.slice(from, newline));
      yield pieces.length === 1 ? (pieces[0] as string) : pieces.join("");
      pieces = [];
      length = 0;
      from = newline + 1;
    }
    if (from < text.length) {
      length += text.length - from;
      if (length > maxLineChars) throw new BundleLineTooLong(maxLineChars);
      pieces.push(text.slice(from));
    }
  }
  for await (const chunk of chunks)
    yield* take(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
  yield* take(decoder.decode());
  if (length > 0) yield pieces.join("");
}

const canonicalOrNull = (value: unknown): string | null => {
  try {
    return canonicalJson(value);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
};

const parseJson = (text: string): Result.Result<unknown, string> => {
  try {
    return Result.succeed(JSON.parse(text) as unknown);
  } catch (error) {
    return Result.fail((error as Error).message);
  }
};

/**
 * Verify a bundle given as its whole text, or as lines (with or without their "\n"), sync or
 * async. Use `splitLines` to feed it a file stream.
 */
export const verifyBundle = async (
  input: string | Iterable<string> | AsyncIterable<string>,
  options: { readonly maxFailures?: number } = {},
): Promise<BundleReport> => {
  const lines = typeof input === "string" ? splitLines([input]) : input;
  const maxFailures = options.maxFailures ?? MAX_BUNDLE_FAILURES;
  const failures: Array<BundleFailure> = [];
  let failureCount = 0;
  const failedJobs = new Set<string>();
  const chains = new Map<string, Chain>();
  let header: BundleHeader | null = null;
  let declared: Map<string, BundleJob> | null = null;
  let lineNo = 0;
  let events = 0;
  const report = (failure: BundleFailure): void => {
    failureCount++;
    if (failure.jobId !== null) failedJobs.add(failure.jobId);
    if (failures.length < maxFailures) failures.push(failure);
  };

  const checkHeader = (text: string) => {
    const parsed = parseJson(text);
    const decoded = Result.isSuccess(parsed)
      ? Result.mapError(decodeHeader(parsed.success, { onExcessProperty: "error" }), (e) => e.message)
      : Result.fail(`not JSON: ${parsed.failure}`);
    if (Result.isFailure(decoded)) {
      report({
        line: 1,
        jobId: null,
        seq: null,
        code: "invalid_header",
        message: `line 1 is not a bundle header: ${decoded.failure}`,
      });
      return;
    }
    header = decoded.success;
    declared = new Map(header.jobs.map((job) => [job.jobId, job]));
    // The header's machine is any JSON (Schema.Json has no depth bound): one nested too deep to
    // canonicalise differs from ours, and is said so, rather than overflow the stack.
    const theirs = canonicalOrNull(header.machine);
    if (theirs !== canonicalJson(describeMachine()) || header.machineVersion !== MACHINE_VERSION)
      report({
        line: 1,
        jobId: null,
        seq: null,
        code: "machine_mismatch",
        message: `the bundle was written under machine version ${header.machineVersion} whose definition ${theirs === canonicalJson(describeMachine()) ? "matches" : "differs from"} this verifier's (version ${MACHINE_VERSION}); its transitions cannot be judged by these rules`,
      });
    if (header.eventSchemaVersion !== EVENT_SCHEMA_VERSION)
      report({
        line: 1,
        jobId: null,
        seq: null,
        code: "machine_mismatch",
        message: `event schema version ${header.eventSchemaVersion}, this verifier knows ${EVENT_SCHEMA_VERSION}`,
      });
    const sum = header.jobs.reduce((n, j) => n + j.events, 0);
    if (
      header.counts.jobs !== header.jobs.length ||
      header.counts.events !== sum ||
      declared.size !== header.jobs.length
    )
      report({
        line: 1,
        jobId: null,
        seq: null,
        code: "header_inconsistent",
        message: `counts say ${header.counts.jobs} jobs / ${header.counts.events} events, the job list has ${header.jobs.length} (${declared.size} distinct) / ${sum}`,
      });
  };

  const checkEvent = (text: string) => {
    const parsed = parseJson(text);
    if (Result.isFailure(parsed)) {
      report({
        line: lineNo,
        jobId: null,
        seq: null,
        code: "malformed_line",
        message: `line ${lineNo} is not JSON: ${parsed.failure}`,
      });
      return;
    }
    const claimed = (parsed.success as { jobId?: unknown } | null)?.jobId;
    const jobId = typeof claimed === "string" ? claimed : null;
    const chain = jobId === null ? undefined : (chains.get(jobId) ?? newChain(jobId));
    const failJob = (seq: number, code: BundleCode, message: string) => {
      report({ line: lineNo, jobId, seq, code, message: `line ${lineNo}: ${message}` });
      if (chain !== undefined) chain.failed = true;
    };
    if (chain === undefined || jobId === null) {
      report({
        line: lineNo,
        jobId: null,
        seq: null,
        code: "invalid_envelope",
        message: `line ${lineNo} is not an envelope (no jobId)`,
      });
      return;
    }
    if (chain.failed) return;
    const decoded = decodeEnvelope(parsed.success);
    if (Result.isFailure(decoded)) return failJob(chain.nextSeq, "invalid_envelope", decoded.failure);
    const envelope = decoded.success;
    events++;
    if (text !== canonicalJson(parsed.success))
      return failJob(envelope.seq, "not_canonical", "the line is not RFC 8785 canonical JSON");
    if (envelope.seq === chain.nextSeq - 1) {
      // A seq seen just before: judge the line's own hash first, so an edited copy is not
      // mistaken for an honest duplicate.
      if (computeHash(envelope) !== envelope.hash)
        return failJob(
          envelope.seq,
          "hash_mismatch",
          `seq ${envelope.seq} appears again with a hash that does not recompute`,
        );
      if (envelope.hash === chain.lastHash)
        return failJob(envelope.seq, "duplicate_event", `seq ${envelope.seq} appears twice`);
      if (envelope.prevHash === chain.lastPrevHash)
        return failJob(
          envelope.seq,
          "fork",
          `a second seq ${envelope.seq} branches from the same predecessor (the chain forks)`,
        );
    }
    const link = checkNextLink(envelope, jobId, chain.nextSeq, chain.lastHash);
    if (link !== undefined) return failJob(link.seq, link.code, link.reason);
    const event = eventOf(envelope);
    if (!accepts(chain.state, event))
      return failJob(
        envelope.seq,
        "illegal_transition",
        `${event.type} is not allowed in state ${statusOf(chain.state)}`,
      );
    chain.state = evolve(chain.state, event);
    chain.nextSeq++;
    chain.lastPrevHash = envelope.prevHash;
    chain.lastHash = envelope.hash;
  };

  const newChain = (jobId: string): Chain => {
    const chain: Chain = {
      nextSeq: 1,
      lastHash: GENESIS_HASH,
      lastPrevHash: null,
      state: initialState(),
      failed: false,
    };
    chains.set(jobId, chain);
    if (declared !== null && !declared.has(jobId))
      report({
        line: lineNo,
        jobId,
        seq: 1,
        code: "unexpected_job",
        message: `line ${lineNo}: job ${jobId} is not in the header`,
      });
    return chain;
  };

  try {
    for await (const raw of lines) {
      lineNo++;
      const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw.endsWith("\n") ? raw.slice(0, -1) : raw;
      if (lineNo === 1) checkHeader(text);
      else checkEvent(text);
    }
  } catch (error) {
    if (!(error instanceof BundleLineTooLong)) throw error;
    lineNo++;
    report({
      line: lineNo,
      jobId: null,
      seq: null,
      code: lineNo === 1 ? "invalid_header" : "malformed_line",
      message: `line ${lineNo} is ${error.message}: the bundle is not read past it`,
    });
  }
  if (lineNo === 0)
    report({ line: null, jobId: null, seq: null, code: "invalid_header", message: "the bundle is empty" });

  for (const job of (header as BundleHeader | null)?.jobs ?? []) {
    const chain = chains.get(job.jobId);
    const end = (seq: number, code: BundleCode, message: string) =>
      report({ line: null, jobId: job.jobId, seq, code, message });
    if (chain === undefined)
      end(1, "missing_job", `the header lists ${job.events} events, the bundle has none`);
    else if (chain.failed) continue;
    else if (chain.nextSeq - 1 < job.events)
      end(
        chain.nextSeq,
        "count_mismatch",
        `the bundle ends at seq ${chain.nextSeq - 1}, the header says ${job.events}`,
      );
    else if (chain.nextSeq - 1 > job.events)
      end(job.events + 1, "count_mismatch", `the bundle goes past the header's ${job.events} events`);
    else if (chain.lastHash !== job.lastHash)
      end(
        job.events,
        "anchor_mismatch",
        `last hash ${chain.lastHash} differs from the header's ${job.lastHash}`,
      );
    else if (awaitsDeadLetter(chain.state)) {
      const missing = deadLetterMissing(chain.nextSeq);
      end(missing.seq, missing.code, missing.reason);
    }
  }
  failures.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  return {
    ok: failureCount === 0,
    header,
    counts: { lines: lineNo, jobs: chains.size, events, jobsFailed: failedJobs.size, failures: failureCount },
    failures,
    truncated: failureCount > failures.length,
  };
};
