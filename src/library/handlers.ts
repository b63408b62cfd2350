/**
 * Typed handlers for the in-process API (ADR 0032): one object maps each job type to its
 * handler, and the type of each handler's payload is the type `submit` takes for that job type.
 * Types only, at run time `defineHandlers` returns what it is given: the engine still checks every
 * payload as JSON when it is submitted (InvalidJobSpec), whatever the types said.
 */
import type { HandlerContext } from "../engine/worker/index.ts";

/**
 * Payload types by job type, e.g. `{ "send-email": { to: string }; resize: { width: number } }`.
 * An interface is fine: no index signature is needed.
 */
export type JobPayloads = object;

/** The job types of a payload map: its string keys. */
export type JobType<P extends JobPayloads> = Extract<keyof P, string>;

/** A handler for jobs whose payload is `P`: what it returns becomes the job's result. */
export type JobHandler<P> = (payload: P, ctx: HandlerContext) => unknown;

/** One handler per job type of `P`, each taking that type's payload. */
export type HandlersFor<P extends JobPayloads> = { readonly [K in keyof P]: JobHandler<P[K]> };

/**
 * The payload map a handlers object stands for: for `typeof handlers`, what `connect<…>()` and
 * `submit` take. A handler whose payload is not annotated takes `unknown`.
 */
export type PayloadsOf<H> = {
  readonly [K in Extract<keyof H, string>]: H[K] extends (payload: infer P, ctx: HandlerContext) => unknown
    ? P
    : never;
};

/**
 * Declare handlers with their payload types, either from the handlers' own annotations
 * (`defineHandlers({ "send-email": async (payload: { to: string }, ctx) => … })`) or from a map
 * given first (`defineHandlers<Payloads>({ "send-email": async (payload, ctx) => … })`), where
 * every handler's `payload` and `ctx` are typed for it. Hand the result to `worker({ handlers })`
 * and its type to `connect<PayloadsOf<typeof handlers>>()`.
 */
export const defineHandlers = <P extends JobPayloads>(handlers: HandlersFor<P>): HandlersFor<P> => handlers;
