/**
 * Handlers that run until the test releases them, counting how many run at once (`state.most`)
 * and how often each job runs (`runs`): the worker slot and ownership tests' probe.
 */
import type { Handler } from "../../src/engine/worker/index.ts";

export const heldHandlers = () => {
  const held: Array<() => void> = [];
  const runs = new Map<string, number>();
  const state = { running: 0, most: 0 };
  const handler: Handler = (_payload, ctx) =>
    new Promise((resolve) => {
      state.running += 1;
      state.most = Math.max(state.most, state.running);
      runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
      held.push(() => {
        state.running -= 1;
        resolve(null);
      });
    });
  return { handler, state, runs, held };
};
