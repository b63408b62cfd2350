/**
 * One model run: a fresh system on the shared Redis, the commands, then drain (a live worker,
 * every accepted job terminal, workers stopped, the projector caught up) and the checks. On a
 * failure the run's history is written out (failure.ts) and its folder named in the error.
 */
import fc from "fast-check";
import { statusOf } from "../../src/domain/index.ts";
import type { Durability } from "../../src/infra/redis/durability.ts";
import type { TestRedis } from "../../test/support/redis.ts";
import { waitFor } from "../../test/support/wait.ts";
import { checkRun } from "./checks.ts";
import { writeFailure } from "./failure.ts";
import { type Model, newModel } from "./model.ts";
import { ModelSystem } from "./system.ts";

const TERMINAL = new Set(["completed", "cancelled", "dead_letter"]);

/** The folder of the last failing run (the shrunk counterexample's, once shrinking ends). */
export let lastFailure: string | undefined;

/** Returns what went wrong while draining (the checks still run, to say what is stuck). */
const drain = async (real: ModelSystem, model: Model): Promise<ReadonlyArray<string>> => {
  for (const w of real.workers.filter((w) => real.exited.has(w.worker)))
    model.trace.push(`(worker ${w.worker.id} had exited: Redis failed as it started)`);
  if (real.workers.every((w) => real.exited.has(w.worker))) await real.startWorker();
  const ids = [...model.jobs.keys()];
  const problems: Array<string> = [];
  await waitFor(
    async () =>
      (await real.engine.store.loadHeads(ids)).every((h) => h !== null && TERMINAL.has(statusOf(h.state))),
    `all ${ids.length} accepted jobs to end`,
    30_000,
  ).catch((error: unknown) => problems.push(`drain: ${String(error)}`));
  await real.stopAllWorkers();
  // An ended job may still get events from the follower: a dead letter failed by one dependency
  // records the ends of its others after it (DependencyEnded). Let it record all it has, then
  // stop it, so the log holds still while the projection is compared with it.
  await real.follower.stop();
  for (let pass = 0; pass < 20; pass++) if ((await real.follower.pass().catch(() => 0)) === 0) break;
  await real.projectorCaughtUp().catch((error: unknown) => problems.push(`drain: ${String(error)}`));
  return problems;
};

export const runModel = async (
  redis: TestRedis,
  cmds: Iterable<fc.AsyncCommand<Model, ModelSystem>>,
  durability?: Durability,
): Promise<void> => {
  const real = await ModelSystem.open(redis, durability);
  const model = newModel();
  try {
    let problem: string | undefined;
    try {
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      const violations = [...(await drain(real, model)), ...(await checkRun(real, model))];
      if (violations.length > 0) problem = violations.join("\n");
    } catch (error) {
      problem = error instanceof Error ? (error.stack ?? error.message) : String(error);
    }
    if (process.env.MODEL_TRACE === "1")
      console.log(`run ${real.prefix} (${model.jobs.size} jobs):\n  ${model.trace.join("\n  ")}`);
    if (problem !== undefined) {
      lastFailure = await writeFailure(real, model, String(cmds), problem);
      throw new Error(`${problem}\n(history of this run: ${lastFailure})`);
    }
  } finally {
    await real.close();
  }
};
