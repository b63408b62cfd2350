/**
 * The handlers module of the thread-isolation property (handler-outcomes-threads.prop.test.ts),
 * loaded by the worker's handler threads. A closure cannot cross into a thread, so the job's
 * payload carries a seed and a kind, and the thread draws the hostile values from the same
 * arbitraries as the in-process property (fc.sample with that seed: the same draw every time).
 */
import fc from "fast-check";
import type { HandlerContext, Handlers } from "../../src/engine/worker/index.ts";
import { extremeNumber, handlerValue } from "./hostile-values.ts";

export const ENDINGS = ["throw", "reject", "return", "resolve", "spin", "never", "exit", "uncaught"] as const;
export type Ending = (typeof ENDINGS)[number];

export interface BehaviourPayload {
  readonly seed: number;
  readonly ending: Ending;
}

const number = fc.oneof(fc.nat(10), extremeNumber, handlerValue);
const drawn = fc.record({
  steps: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant("log" as const), line: fc.oneof(fc.string(), handlerValue) }),
      fc.record({
        kind: fc.constant("progress" as const),
        current: number,
        total: number,
        message: fc.oneof(fc.constant(undefined), fc.string(), handlerValue),
      }),
      fc.record({ kind: fc.constant("meta" as const), meta: handlerValue }),
    ),
    { maxLength: 3 },
  ),
  value: handlerValue,
});

const behave = async (given: unknown, ctx: HandlerContext): Promise<unknown> => {
  const payload = given as BehaviourPayload;
  const [sample] = fc.sample(drawn, { seed: payload.seed, numRuns: 1 });
  if (sample === undefined) throw new Error("fc.sample drew nothing");
  const { steps, value } = sample;
  for (const s of steps)
    if (s.kind === "log") await ctx.log(s.line as string);
    else if (s.kind === "progress")
      await ctx.progress(s.current as number, s.total as number, s.message as string);
    else await ctx.setMeta(s.meta as Record<string, unknown>);
  switch (payload.ending) {
    case "throw":
      throw value;
    case "reject":
      return Promise.reject(value);
    case "return":
      return value;
    case "resolve":
      return Promise.resolve(value);
    case "spin":
      for (;;) {
        // Never yields: only its timeout (a terminated thread) ends it.
      }
    case "never":
      return new Promise(() => undefined);
    case "exit":
      return process.exit(7);
    case "uncaught":
      setTimeout(() => {
        throw value;
      }, 0);
      return new Promise(() => undefined);
  }
};

const handlers: Handlers = { behave };
export default handlers;
