/**
 * Fault-injecting model-based suite (DESIGN §7, all nine invariants) against the real engine on
 * a real redis-server (AOF on) and a real SQLite projection. Commands: submits (with and without
 * idempotency keys, exact duplicates, concurrent bursts ordered by fc.scheduler), workers
 * started, crashed and stopped, handler outcomes driven by each job's payload (succeed, fail
 * retryably or for good, time out, hang), cancels, dead-letter retries, a stalled zombie worker,
 * projector restarts and Redis restarts, jobs that depend on others and flows (a parent and its
 * children), whose parents must be released exactly once and never before their dependencies ended
 * (ADR 0042). Each run drains, then runs the invariant checker, the
 * real `verify` (drained, projection compared) and the model's own checks.
 *
 * Runs: MODEL_RUNS (default 25); commands per run: MODEL_MAX_COMMANDS (default 10). Replay a
 * failure with the FC_SEED, FC_PATH and FC_REPLAY_PATH fast-check printed (docs/fuzzing.md).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { durabilityOf } from "../src/infra/redis/durability.ts";
import { shardTagOf, slotOfTag } from "../src/infra/redis/shard-tags.ts";
import { clusterAsTestRedis, isClusterUrl, startCluster } from "../test/support/cluster.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { commandArbs } from "./model/commands.ts";
import { lastFailure, runModel } from "./model/run.ts";

const numRuns = Number(process.env.MODEL_RUNS ?? 25);
const maxCommands = Number(process.env.MODEL_MAX_COMMANDS ?? 10);
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const path = process.env.FC_PATH;
// fc.commands needs its own replay path too (printed as /*replayPath="..."*/ in the counterexample).
const replayPath = process.env.FC_REPLAY_PATH;

// Where REDIS_URL names a Redis Cluster (the `cluster` test project), the suite runs on a
// cluster of its own, so its Redis restarts can SIGKILL the master holding the jobs (its replica
// takes over) with `replicated` durability: what a Redis restart with AOF is on one server.
const onCluster = isClusterUrl(process.env.REDIS_URL);
const durability = onCluster ? (durabilityOf("replicated") ?? undefined) : undefined;

let redis: TestRedis;
beforeAll(async () => {
  redis = onCluster
    ? clusterAsTestRedis(await startCluster(), slotOfTag(shardTagOf(0, 1)))
    : // Its own server even when REDIS_URL is given: the suite kills and restarts it.
      await startRedis({ appendOnly: true, own: true });
}, 120_000);
afterAll(async () => {
  await redis.stop();
});

describe("model-based: the real engine under faults", () => {
  it("after any sequence of submits (with dependencies and flows), worker crashes, zombies, cancels, retries and Redis/projector restarts, the drained system satisfies every invariant of DESIGN §7 and the model, and every parent is released at most once and never before its dependencies ended", async () => {
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.commands(commandArbs(), { maxCommands, ...(replayPath === undefined ? {} : { replayPath }) }),
          (cmds) => runModel(redis, cmds, durability),
        ),
        {
          numRuns,
          ...(seed === undefined ? {} : { seed }),
          ...(path === undefined ? {} : { path }),
          endOnFailure: process.env.MODEL_SHRINK === "0",
        },
      );
    } catch (error) {
      if (lastFailure !== undefined)
        console.error(`model-based: the history of the last failing run is in ${lastFailure}`);
      throw error;
    }
  }, 1_800_000);
});
