/**
 * Checks the invariants of DESIGN.md §7 on real histories in Redis, for a set of jobs:
 * 1 contiguous seq and a verifying chain (anchored at the head), 2 strict replay reproduces the
 * head's state, 3 at most one terminal event and nothing after a final one, 5 attempts never
 * above maxAttempts and a dead letter is a JobDeadLettered right after the failure it names
 * (ADR 0022), 7 every event exactly once in its shard log, 9 no non-terminal job
 * orphaned (it is in a work stream, pending in the group, or scheduled).
 * Returns a list of violations (empty when all hold), so a test can print them all.
 */
import * as Result from "effect/Result";
import { attemptsUsed, contextOf, type Envelope, replay, statusOf } from "../../src/domain/index.ts";
import { CONSUMER_GROUP } from "../../src/infra/redis/keys.ts";
import type { TestEngine } from "./engine.ts";

const FINAL = new Set(["JobCompleted", "JobCancelled"]);

export const checkInvariants = async (
  engine: TestEngine,
  jobIds: ReadonlyArray<string>,
  options: { readonly drained?: boolean } = {},
): Promise<ReadonlyArray<string>> => {
  const { store, client } = engine;
  const violations: Array<string> = [];
  const heads = await store.loadHeads(jobIds);
  const logCounts = new Map<string, number>();
  for (const shard of store.keys.allShards())
    for (const [, fields] of await client.xrange(store.keys.log(shard), "-", "+")) {
      const key = `${fields[1]}#${fields[3]}`;
      logCounts.set(key, (logCounts.get(key) ?? 0) + 1);
    }
  for (const [i, jobId] of jobIds.entries()) {
    const head = heads[i];
    if (head === null || head === undefined) {
      violations.push(`${jobId}: accepted but has no head (lost)`);
      continue;
    }
    const events: ReadonlyArray<Envelope> = await store.readEvents(jobId);
    const replayed = replay(events, { anchor: { version: head.version, lastHash: head.lastHash } });
    if (Result.isFailure(replayed)) {
      violations.push(
        `${jobId}: history fails at seq ${replayed.failure.failure.seq}: ${replayed.failure.failure.reason}`,
      );
      continue;
    }
    if (statusOf(replayed.success.state) !== statusOf(head.state))
      violations.push(
        `${jobId}: replay ends ${statusOf(replayed.success.state)}, head says ${statusOf(head.state)}`,
      );
    const finals = events.filter((e) => FINAL.has(e.type));
    if (finals.length > 1) violations.push(`${jobId}: ${finals.length} final events`);
    const firstFinal = events.findIndex((e) => FINAL.has(e.type));
    if (firstFinal >= 0 && firstFinal < events.length - 1)
      violations.push(`${jobId}: events after a final event`);
    // Attempts that ended suspended are given back (ADR 0043).
    const used = attemptsUsed(contextOf(head.state));
    const { maxAttempts } = contextOf(head.state);
    if (used > maxAttempts) violations.push(`${jobId}: ${used} attempts used > maxAttempts ${maxAttempts}`);
    for (const e of events) {
      const count = logCounts.get(`${jobId}#${e.seq}`) ?? 0;
      if (count !== 1) violations.push(`${jobId}: seq ${e.seq} appears ${count} times in the shard log`);
    }
    const status = statusOf(head.state);
    if (options.drained && !["completed", "cancelled", "dead_letter"].includes(status))
      violations.push(`${jobId}: still ${status} after draining`);
    const shard = store.keys.shardOf(jobId);
    if (status === "dead_letter") {
      const [failed, dead] = events.slice(-2);
      // Dead-lettered by its own failure, or by a dependency's under the `fail` policy (ADR 0042),
      // after which only later ends of its dependencies may be recorded.
      const byAttempt = failed?.type === "AttemptFailed" && dead?.type === "JobDeadLettered";
      const settled = events.findLastIndex((e) => e.type !== "DependencyEnded");
      const byPolicy =
        events[settled]?.type === "JobFailedByDependency" && events[settled - 1]?.type === "DependencyEnded";
      if (!byAttempt && !byPolicy)
        violations.push(`${jobId}: dead_letter, but its history ends ${failed?.type}, ${dead?.type}`);
      if (byPolicy && (await client.zscore(store.keys.waiting(shard), jobId)) === null)
        violations.push(`${jobId}: dead-lettered by a dependency but not in the waiting index`);
      if ((await client.zscore(store.keys.dead(shard), jobId)) === null)
        violations.push(`${jobId}: dead_letter but not in the dead-letter index`);
    }
    if (status === "waiting" && (await client.zscore(store.keys.waiting(shard), jobId)) === null)
      violations.push(`${jobId}: waiting but not in the waiting index (orphaned)`);
    if (status === "pending" || status === "failed" || status === "suspended") {
      if ((await client.zscore(store.keys.delayed(shard), jobId)) === null)
        violations.push(`${jobId}: ${status} but not scheduled (orphaned)`);
    } else if (status === "queued" || status === "processing") {
      const [stream, entryId] = await client.hmget(store.keys.head(shard, jobId), "entryStream", "entryId");
      const present =
        stream && entryId ? (await client.xrange(stream, entryId, entryId)).length === 1 : false;
      const pending =
        stream && entryId
          ? ((await client.xpending(stream, CONSUMER_GROUP, entryId, entryId, 1)) as unknown[]).length
          : 0;
      if (!present && pending === 0) violations.push(`${jobId}: ${status} but in no work stream (orphaned)`);
    }
  }
  return violations;
};
