/**
 * The EventStore port in memory, with the Redis adapter's semantics (append.lua): each append
 * checks, in this order, the expected version (0: create the job, refused with IdempotentRepeat
 * when its idempotency key is taken, AlreadyExists when the job exists, ChainBroken unless the
 * first envelope continues from genesis), the status the job leaves, the fencing attempt and the
 * first envelope's `prevHash`; then it appends the envelopes, moves the head and applies the queue
 * effects of the change of status (enqueue on `queued` with the new head in the entry; the
 * delayed set on `pending`/`failed`, scored by the due time; the dead-letter set on
 * `dead_letter`, scored by `nowMs`; the work entry acknowledged and deleted when the job leaves
 * for anything but `processing`). `expected.lastHash` is not checked, as in Redis: the chain is
 * checked on the first envelope's `prevHash`.
 *
 * Deliberately not modelled (tests that need these run against Redis):
 * - Shards and key prefixes: one keyspace, so an idempotency key is global (in Redis it is per
 *   shard, and JobService places a keyed job in its key's shard).
 * - Shards and their logs' entry ids: every event is stored once, in one log of envelope texts,
 *   and a job's history names positions in it, as a Redis job's history index names log entry
 *   ids (ADR 0027); the projector's EventLog port has no memory adapter.
 * - Round trips: a call takes effect when it is made, atomically, and resolves on the next
 *   microtask; `append` is not coalesced with the other appends of its tick (the outcomes are
 *   the same), and a whole `appendMany` is atomic (Redis: each shard's chunk of 32 is).
 * - Outages: nothing here throws QueueUnavailable.
 * - A head's state is the `next` of its last append as given; Redis keeps the spec part (what the
 *   submission fixed) from the creating append (ADR 0013). The two differ only for a caller
 *   whose `next` changes what a submission fixed, which the machine never does.
 *
 * Stricter than Redis, to catch a caller's mistake where it is made: an append that passes its
 * checks but would create a job without `create` (Redis writes a head no reader can decode) or
 * make a job `pending` or `failed` without a due time (Redis fails halfway through the script)
 * throws before writing anything of that job (appends before it in the call stay, as in Redis).
 * A call with a request without envelopes throws before anything is written, as in Redis.
 */
import { contextOf, type Envelope, GENESIS_HASH, type JobStatus, statusOf } from "../../domain/index.ts";
import type {
  AppendOutcome,
  AppendRequest,
  EventStore,
  FlowAppendOutcome,
  FlowStore,
  StoredHead,
} from "../../engine/write/ports.ts";
import { type MemoryStorage, type StoredJob, workStreamName } from "./memory-storage.ts";

const DELAYED: ReadonlySet<string> = new Set<JobStatus>(["pending", "failed", "suspended"]);

/** A mistake of the caller's that the Redis adapter would write halfway or in a form no reader decodes. */
const refuseToApply = (request: AppendRequest, job: StoredJob | undefined): void => {
  if (job === undefined && request.create === undefined)
    throw new Error(`append to job ${request.jobId} creates it (expected version 0) but has no \`create\``);
  const status = statusOf(request.next);
  if (
    status !== (request.expected.status ?? "") &&
    DELAYED.has(status) &&
    contextOf(request.next).dueAt === null
  )
    throw new Error(`append makes job ${request.jobId} ${status} without a due time`);
};

export class MemoryEventStore implements EventStore, FlowStore {
  constructor(private readonly storage: MemoryStorage) {}

  async loadHead(jobId: string): Promise<StoredHead | null> {
    return this.storage.headOf(jobId);
  }

  async loadHeads(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<StoredHead | null>> {
    return jobIds.map((jobId) => this.storage.headOf(jobId));
  }

  async append(request: AppendRequest): Promise<AppendOutcome> {
    const [outcome] = await this.appendMany([request]);
    if (outcome === undefined) throw new Error("appendMany answered no outcome");
    return outcome;
  }

  /** Each request is checked on its own and applied in order (a later one may continue an earlier one's job). */
  async appendMany(requests: ReadonlyArray<AppendRequest>): Promise<ReadonlyArray<AppendOutcome>> {
    // As the Redis adapter, which builds every script argument before sending any.
    if (requests.some((request) => request.envelopes.length === 0))
      throw new Error("append needs at least one envelope");
    const queuedOn: Array<string> = [];
    try {
      return requests.map((request) => this.check(request) ?? this.apply(request, queuedOn));
    } finally {
      // Also after a refused request: what was applied before it stays, and may wake readers.
      this.storage.newWorkIn(queuedOn);
    }
  }

  /** Every request checked before any is applied (append.lua's all-or-nothing call). */
  async appendAll(requests: ReadonlyArray<AppendRequest>): Promise<FlowAppendOutcome> {
    for (const [index, request] of requests.entries()) {
      const outcome = this.check(request);
      if (outcome !== null) return { _tag: "Refused", index, outcome };
    }
    await this.appendMany(requests);
    return { _tag: "Applied" };
  }

  async readEvents(jobId: string): Promise<ReadonlyArray<Envelope>> {
    return this.historyOf(jobId);
  }

  async readEventsMany(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<ReadonlyArray<Envelope>>> {
    return jobIds.map((jobId) => this.historyOf(jobId));
  }

  private historyOf(jobId: string): Array<Envelope> {
    const { log } = this.storage;
    return (this.storage.jobs.get(jobId)?.history ?? []).map(
      (at) => JSON.parse(log[at] as string) as Envelope,
    );
  }

  /** The refusal of a request, or null when it may be applied (append.lua's `check`). */
  private check({ jobId, expected, fencingAttempt, envelopes, create }: AppendRequest): AppendOutcome | null {
    const prevHash = envelopes[0]?.prevHash;
    if (expected.version === 0) {
      const key = create?.idempotencyKey;
      const existing = key === undefined || key === "" ? undefined : this.storage.idempotencyKeys.get(key);
      if (existing !== undefined) return { _tag: "IdempotentRepeat", jobId: existing };
      if (this.storage.jobs.has(jobId)) return { _tag: "AlreadyExists" };
      if (prevHash !== GENESIS_HASH) return { _tag: "ChainBroken", currentLastHash: GENESIS_HASH };
      return null;
    }
    const job = this.storage.jobs.get(jobId);
    if (job === undefined) return { _tag: "VersionConflict", currentVersion: 0 };
    if (job.version !== expected.version) return { _tag: "VersionConflict", currentVersion: job.version };
    if (job.status !== (expected.status ?? "")) return { _tag: "StatusConflict", currentStatus: job.status };
    if (fencingAttempt !== null && job.attempt !== fencingAttempt)
      return { _tag: "Fenced", currentAttempt: job.attempt };
    if (job.lastHash !== prevHash) return { _tag: "ChainBroken", currentLastHash: job.lastHash };
    return null;
  }

  /** Append a checked request and apply its queue effects; `queuedOn` collects the streams it enqueued on. */
  private apply(request: AppendRequest, queuedOn: Array<string>): AppendOutcome {
    const { jobId, next, nowMs, envelopes } = request;
    const { storage } = this;
    const last = envelopes[envelopes.length - 1] as Envelope;
    const oldStatus = request.expected.status ?? "";
    const newStatus = statusOf(next);
    const context = contextOf(next);
    let job = storage.jobs.get(jobId);
    refuseToApply(request, job);
    // The work entry the check saw; a new job has none.
    const entry = job?.entry ?? null;
    if (job === undefined) {
      job = {
        version: last.seq,
        lastHash: last.hash,
        status: newStatus,
        attempt: context.attempt,
        state: JSON.stringify(next),
        payload: JSON.stringify(request.create?.payload ?? null),
        entry: null,
        history: [],
      };
      storage.jobs.set(jobId, job);
      const key = request.create?.idempotencyKey;
      if (key !== undefined && key !== "") storage.idempotencyKeys.set(key, jobId);
    } else {
      job.version = last.seq;
      job.lastHash = last.hash;
      job.status = newStatus;
      job.attempt = context.attempt;
      job.state = JSON.stringify(next);
    }
    for (const text of request.texts) job.history.push(storage.log.push(text) - 1);

    // Queue effects follow from the change of status alone.
    if (newStatus !== oldStatus) {
      if (newStatus !== "processing" && entry !== null) {
        const stream = storage.existingStream(entry.stream);
        stream?.ack(entry.entryId);
        stream?.delete(entry.entryId);
        job.entry = null;
      }
      if (DELAYED.has(oldStatus)) storage.delayed.remove(jobId);
      if (oldStatus === "dead_letter") storage.dead.remove(jobId);
      if (newStatus === "queued") {
        const stream = workStreamName(context.queue, context.priority);
        const head = storage.headOf(jobId) as StoredHead;
        job.entry = { stream, entryId: storage.addEntry(stream, jobId, head) };
        queuedOn.push(stream);
      } else if (DELAYED.has(newStatus)) {
        storage.delayed.add(jobId, Date.parse(context.dueAt as string));
      } else if (newStatus === "dead_letter") {
        storage.dead.add(jobId, nowMs);
      }
    }
    return { _tag: "Appended", version: last.seq };
  }
}
