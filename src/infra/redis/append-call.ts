/**
 * append.lua's calling convention, in one place: the KEYS and ARGV of a call for several jobs
 * of one shard, and its reply codes as typed outcomes (see the script's header for both).
 */
import { contextOf, statusOf } from "../../domain/index.ts";
import type { AppendOutcome, AppendRequest } from "../../engine/write/ports.ts";
import { encodeLive, encodeSpec } from "./head-codec.ts";
import { CONSUMER_GROUP, type Keys } from "./keys.ts";

/** How many KEYS an append.lua call declares (the shard's log, delayed and dead sets). */
export const APPEND_KEYS = 3;

/**
 * KEYS and ARGV of append.lua for several jobs of one shard. The per-job keys are built by the
 * script from the shard's tag; the spec part of the state and the payload are sent only when
 * the job is created (ADR 0013).
 */
export const appendArguments = (
  keys: Keys,
  shard: number,
  requests: ReadonlyArray<AppendRequest>,
): Array<string | number> => {
  const out: Array<string | number> = [
    keys.log(shard),
    keys.delayed(shard),
    keys.dead(shard),
    CONSUMER_GROUP,
    requests.length,
    keys.shardTag(shard),
  ];
  for (const request of requests) {
    const { jobId, next } = request;
    const context = contextOf(next);
    const creating = request.create !== undefined && request.expected.version === 0;
    const first = request.envelopes[0];
    const last = request.envelopes[request.envelopes.length - 1];
    if (first === undefined || last === undefined) throw new Error("append needs at least one envelope");
    out.push(
      jobId,
      request.expected.version,
      request.expected.status ?? "",
      request.fencingAttempt ?? "",
      first.prevHash,
      last.seq,
      last.hash,
      statusOf(next),
      context.attempt,
      encodeLive(next),
      context.dueAt === null ? "" : Date.parse(context.dueAt),
      request.nowMs,
      creating ? JSON.stringify(request.create?.payload ?? null) : "",
      creating ? encodeSpec(next) : "",
      request.create?.idempotencyKey ?? "",
      keys.workSuffix(context.queue, context.priority),
      context.retainMs ?? "",
      request.envelopes.length,
    );
    request.envelopes.forEach((envelope, i) =>
      out.push(envelope.seq, envelope.type, request.texts[i] as string),
    );
  }
  return out;
};

/** One job's (code, value) pair of an append.lua reply, as a typed outcome. */
export const decodeAppendReply = (code: number, value: string): AppendOutcome => {
  switch (code) {
    case 1:
      return { _tag: "Appended", version: Number(value) };
    case -1:
      return { _tag: "VersionConflict", currentVersion: Number(value) };
    case -2:
      return { _tag: "StatusConflict", currentStatus: value };
    case -3:
      return { _tag: "Fenced", currentAttempt: Number(value) };
    case -4:
      return { _tag: "ChainBroken", currentLastHash: value };
    case -5:
      return { _tag: "IdempotentRepeat", jobId: value };
    case -6:
      return { _tag: "AlreadyExists" };
    default:
      throw new Error(`append.lua returned an unknown code ${code}`);
  }
};
