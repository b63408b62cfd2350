/**
 * The engine's one write path: decide a command against a job's head, seal the events into the
 * chain, check each envelope as every reader will, and compare-and-append them. On a conflict
 * (another writer moved the head) it reloads and decides again; a refused command becomes
 * CommandRefused, an envelope a reader would refuse becomes InvalidJobSpec and is never appended
 * (ADR 0018). Batched variants pipeline many jobs' appends in one round trip — the hot path for
 * workers and bulk submits.
 */
import * as Result from "effect/Result";
import {
  decide,
  type Envelope,
  envelopeProblem,
  EVENT_SCHEMA_VERSION,
  fold,
  GENESIS_HASH,
  initialState,
  type JobCommand,
  type JobEvent,
  type Json,
  MACHINE_VERSION,
  seal,
  type Sealed,
  statusOf,
} from "../../domain/index.ts";
import {
  type Clock,
  CommandRefused,
  ContentionExhausted,
  InvalidJobSpec,
  JobNotFound,
} from "../shared/index.ts";
import type { AppendOutcome, AppendRequest, EventStore, FlowStore, StoredHead } from "./ports.ts";

export type WriteResult =
  | { readonly _tag: "Written"; readonly head: StoredHead; readonly envelopes: ReadonlyArray<Envelope> }
  /** The command was already carried out: nothing was appended. */
  | { readonly _tag: "Unchanged"; readonly head: StoredHead }
  /** An idempotency key named an existing job: nothing was appended. */
  | { readonly _tag: "Repeat"; readonly jobId: string };

export type WriteFailure = CommandRefused | InvalidJobSpec | JobNotFound | ContentionExhausted;

/** Tells a batch item's result from its failure (writeMany returns either, per item). */
export const isWriteResult = (item: WriteResult | WriteFailure | Error): item is WriteResult =>
  "_tag" in item && (item._tag === "Written" || item._tag === "Unchanged" || item._tag === "Repeat");

/** A command to apply to one job, built from the job's current state (it may change on retry). */
export interface WriteIntent {
  readonly jobId: string;
  readonly command: (head: StoredHead) => JobCommand;
  /** For a new job: its payload and idempotency key. */
  readonly create?: { readonly payload: Json; readonly idempotencyKey?: string };
}

/** Events carried by a worker name their attempt; the store fences on it (AttemptStarted excepted). */
const fencingAttemptOf = (events: ReadonlyArray<JobEvent>): number | null => {
  const first = events[0];
  if (first === undefined || first.type === "AttemptStarted") return null;
  return "attempt" in first.data ? first.data.attempt : null;
};

export const emptyJobHead = (jobId: string, payload: Json): StoredHead => ({
  jobId,
  version: 0,
  lastHash: GENESIS_HASH,
  state: initialState(),
  payload,
});

type Prepared =
  | { readonly _tag: "Append"; readonly request: AppendRequest; readonly next: StoredHead }
  | { readonly _tag: "Unchanged"; readonly head: StoredHead }
  | { readonly _tag: "Refused"; readonly error: CommandRefused | InvalidJobSpec };

/**
 * The events' data as the command gave it, named as callers know it: `data.spec.payload.x` is
 * the submit's `payload.x`, `data.reason` a cancel's `reason`.
 */
const fieldOf = (path: ReadonlyArray<PropertyKey>): string => {
  const names = path.map(String);
  const inData = names[0] === "data" ? names.slice(names[1] === "spec" ? 2 : 1) : names;
  if (inData[0] === "jobType") inData[0] = "type";
  return inData.length === 0 ? "(event)" : inData.join(".");
};

/**
 * Seal `events` onto `head`, or say why a reader would refuse one of the envelopes: the check
 * every reader runs (`envelopeProblem`), and the canonicaliser's own refusals (a value that has
 * no canonical form cannot be hashed). Nothing that fails here is ever appended.
 */
const sealChecked = (head: StoredHead, events: ReadonlyArray<JobEvent>): Sealed | InvalidJobSpec => {
  const refusal = (envelopes: ReadonlyArray<unknown>): InvalidJobSpec | undefined => {
    for (const envelope of envelopes) {
      const problem = envelopeProblem(envelope);
      if (problem !== undefined)
        return new InvalidJobSpec({ field: fieldOf(problem.path), message: problem.message });
    }
    return undefined;
  };
  let sealed: Sealed;
  try {
    sealed = seal({ jobId: head.jobId, version: head.version, lastHash: head.lastHash }, events);
  } catch (error) {
    // The canonicaliser refused a value (a lone surrogate, NaN, a cycle): the check names it.
    const unsealed = events.map((event, i) => ({
      jobId: head.jobId,
      seq: head.version + i + 1,
      ...event,
      schemaVersion: EVENT_SCHEMA_VERSION,
      machineVersion: MACHINE_VERSION,
      prevHash: head.lastHash,
      hash: head.lastHash,
    }));
    return (
      refusal(unsealed) ??
      new InvalidJobSpec({
        field: "(event)",
        message: `the event cannot be hashed: ${error instanceof Error ? error.message : "unknown value"}`,
      })
    );
  }
  return refusal(sealed.envelopes) ?? sealed;
};

const prepare = (intent: WriteIntent, head: StoredHead, nowMs: number): Prepared => {
  const outcome = decide(intent.command(head), head.state);
  if (Result.isFailure(outcome)) {
    const r = outcome.failure;
    return {
      _tag: "Refused",
      error: new CommandRefused({ jobId: head.jobId, code: r.code, message: r.message, status: r.status }),
    };
  }
  const events = outcome.success;
  if (events.length === 0) return { _tag: "Unchanged", head };
  const sealed = sealChecked(head, events);
  if (sealed instanceof InvalidJobSpec) return { _tag: "Refused", error: sealed };
  const nextState = fold(events, head.state);
  const next: StoredHead = {
    jobId: head.jobId,
    version: sealed.head.version,
    lastHash: sealed.head.lastHash,
    state: nextState,
    payload: head.payload,
  };
  const request: AppendRequest = {
    jobId: head.jobId,
    expected: {
      version: head.version,
      lastHash: head.lastHash,
      status: head.version === 0 ? null : statusOf(head.state),
    },
    fencingAttempt: fencingAttemptOf(events),
    envelopes: sealed.envelopes,
    texts: sealed.texts,
    next: nextState,
    nowMs,
    ...(head.version === 0 && intent.create !== undefined ? { create: intent.create } : {}),
  };
  return { _tag: "Append", request, next };
};

export class JobWriter {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly maxConflicts = 8,
  ) {}

  /**
   * Apply one intent. `known` is the caller's view of the head (saves a read); it is reloaded on
   * conflict. Resolves with the result or rejects with a WriteFailure (or QueueUnavailable).
   */
  async write(intent: WriteIntent, known?: StoredHead | null): Promise<WriteResult> {
    let head: StoredHead | null = known === undefined ? await this.store.loadHead(intent.jobId) : known;
    for (let round = 0; round < this.maxConflicts; round++) {
      if (head === null) {
        if (intent.create === undefined) throw new JobNotFound({ jobId: intent.jobId });
        head = emptyJobHead(intent.jobId, intent.create.payload);
      }
      const prepared = prepare(intent, head, this.clock.now());
      if (prepared._tag === "Refused") throw prepared.error;
      if (prepared._tag === "Unchanged") return { _tag: "Unchanged", head: prepared.head };
      const outcome = await this.store.append(prepared.request);
      const settled = this.settle(intent, prepared, outcome);
      if (settled !== undefined) return settled;
      head = await this.store.loadHead(intent.jobId);
    }
    throw new ContentionExhausted({
      jobId: intent.jobId,
      message: `gave up after ${this.maxConflicts} conflicting writes`,
    });
  }

  /**
   * Apply many intents, one per job, pipelining the appends; intents whose append conflicts
   * fall back to `write`. Each result is a WriteResult or the error for that job.
   */
  async writeMany(
    items: ReadonlyArray<{ readonly intent: WriteIntent; readonly known: StoredHead | null }>,
  ): Promise<ReadonlyArray<WriteResult | WriteFailure | Error>> {
    const results: Array<WriteResult | WriteFailure | Error> = new Array(items.length);
    const pending: Array<{ index: number; prepared: Extract<Prepared, { _tag: "Append" }> }> = [];
    items.forEach(({ intent, known }, index) => {
      const head =
        known ?? (intent.create === undefined ? null : emptyJobHead(intent.jobId, intent.create.payload));
      if (head === null) {
        results[index] = new JobNotFound({ jobId: intent.jobId });
        return;
      }
      try {
        const prepared = prepare(intent, head, this.clock.now());
        if (prepared._tag === "Refused") results[index] = prepared.error;
        else if (prepared._tag === "Unchanged") results[index] = { _tag: "Unchanged", head: prepared.head };
        else pending.push({ index, prepared });
      } catch (error) {
        results[index] = error instanceof Error ? error : new Error(String(error));
      }
    });
    const outcomes = await this.store.appendMany(pending.map((p) => p.prepared.request));
    await Promise.all(
      pending.map(async ({ index, prepared }, i) => {
        const item = items[index];
        const outcome = outcomes[i];
        if (item === undefined || outcome === undefined) return;
        try {
          const settled = this.settle(item.intent, prepared, outcome);
          results[index] =
            settled ?? (await this.write(item.intent, await this.store.loadHead(item.intent.jobId)));
        } catch (error) {
          results[index] = error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
    return results;
  }

  /**
   * Create several jobs all or nothing (a flow, ADR 0042): each intent decided against an empty
   * head, then one all-or-nothing append. Resolves with one result per intent (all Written, or —
   * when the first intent's idempotency key was taken — all Repeat of that job); rejects with the
   * first refusal otherwise, nothing having been written.
   */
  async writeAll(intents: ReadonlyArray<WriteIntent>, flows: FlowStore): Promise<ReadonlyArray<WriteResult>> {
    const prepared = intents.map((intent) => {
      if (intent.create === undefined) throw new JobNotFound({ jobId: intent.jobId });
      const outcome = prepare(intent, emptyJobHead(intent.jobId, intent.create.payload), this.clock.now());
      if (outcome._tag === "Refused") throw outcome.error;
      if (outcome._tag === "Unchanged") throw new Error(`submitting job ${intent.jobId} decided no events`);
      return outcome;
    });
    const outcome = await flows.appendAll(prepared.map((p) => p.request));
    if (outcome._tag === "Applied")
      return prepared.map((p) => ({ _tag: "Written", head: p.next, envelopes: p.request.envelopes }));
    const intent = intents[outcome.index] as WriteIntent;
    const result = this.settle(
      intent,
      prepared[outcome.index] as Extract<Prepared, { _tag: "Append" }>,
      outcome.outcome,
    );
    if (result !== undefined && result._tag === "Repeat") return intents.map(() => result);
    throw new ContentionExhausted({
      jobId: intent.jobId,
      message: `the flow's append was refused (${outcome.outcome._tag})`,
    });
  }

  /**
   * Apply intents to existing jobs of one shard together, all or nothing (a cancel and its
   * cascade, ADR 0042): each decided against its current head, then one all-or-nothing append,
   * so a crash leaves all of them written or none. A `required` intent must append or be
   * unchanged (its refusal rejects, nothing written); the others are left out (null) when
   * refused or gone. On a conflict every head is read again and the whole set decided again.
   */
  async writeTogether(
    items: ReadonlyArray<{ readonly intent: WriteIntent; readonly required: boolean }>,
    flows: FlowStore,
  ): Promise<ReadonlyArray<WriteResult | null>> {
    for (let round = 0; round < this.maxConflicts; round++) {
      const heads = await this.store.loadHeads(items.map((item) => item.intent.jobId));
      const results: Array<WriteResult | null> = [];
      const appends: Array<{ index: number; prepared: Extract<Prepared, { _tag: "Append" }> }> = [];
      items.forEach(({ intent, required }, index) => {
        const head = heads[index] ?? null;
        if (head === null) {
          if (required) throw new JobNotFound({ jobId: intent.jobId });
          results.push(null);
          return;
        }
        const prepared = prepare(intent, head, this.clock.now());
        if (prepared._tag === "Refused") {
          if (required) throw prepared.error;
          results.push(null);
        } else if (prepared._tag === "Unchanged") results.push({ _tag: "Unchanged", head: prepared.head });
        else {
          results.push(null);
          appends.push({ index, prepared });
        }
      });
      if (appends.length === 0) return results;
      const outcome = await flows.appendAll(appends.map((a) => a.prepared.request));
      if (outcome._tag === "Applied") {
        for (const { index, prepared } of appends)
          results[index] = { _tag: "Written", head: prepared.next, envelopes: prepared.request.envelopes };
        return results;
      }
      const refused = appends[outcome.index];
      const item = refused === undefined ? undefined : items[refused.index];
      // A conflict (someone moved a head) is decided again; anything else is thrown by settle.
      if (refused !== undefined && item !== undefined)
        this.settle(item.intent, refused.prepared, outcome.outcome);
    }
    throw new ContentionExhausted({
      jobId: items[0]?.intent.jobId ?? "",
      message: `gave up after ${this.maxConflicts} conflicting writes`,
    });
  }

  /** The result of an append, or undefined when it conflicted and must be decided again. */
  private settle(
    intent: WriteIntent,
    prepared: Extract<Prepared, { _tag: "Append" }>,
    outcome: AppendOutcome,
  ): WriteResult | undefined {
    switch (outcome._tag) {
      case "Appended":
        return { _tag: "Written", head: prepared.next, envelopes: prepared.request.envelopes };
      case "IdempotentRepeat":
        return { _tag: "Repeat", jobId: outcome.jobId };
      case "Fenced":
        throw new CommandRefused({
          jobId: intent.jobId,
          code: "stale_attempt",
          message: `the store refused attempt ${prepared.request.fencingAttempt}; the current attempt is ${outcome.currentAttempt}`,
          status: statusOf(prepared.next.state),
        });
      case "AlreadyExists":
        throw new CommandRefused({
          jobId: intent.jobId,
          code: "job_exists",
          message: "a job with this id already exists",
          status: "unknown",
        });
      case "VersionConflict":
      case "StatusConflict":
      case "ChainBroken":
        return undefined;
    }
  }
}
