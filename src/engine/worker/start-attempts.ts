/**
 * Starting attempts for delivered work entries: one pipelined StartAttempt per queued job, on
 * the lane's writer, and what becomes of each entry whose start was refused. An entry is dropped
 * only when its job no longer needs it, and only by the consumer it is pending to (the queue's
 * `discard` checks the owner atomically); otherwise it stays pending, so a lease expiry hands it
 * to a worker that can act on it, and no job is ever left without its entry (ADR 0025).
 *
 * Used by the claim loops, for the entries they hold slots for.
 */
import { type Actor, contextOf, statusOf } from "../../domain/index.ts";
import { type Clock, CommandRefused, JobNotFound } from "../shared/index.ts";
import { isWriteResult, type StoredHead, type WriteFailure, type WriteResult } from "../write/index.ts";
import type { Claimed } from "./ports.ts";
import type { Lane } from "./slots.ts";

export interface StartSettings {
  /** The consumer the entries were delivered to; the actor of the AttemptStarted events. */
  readonly actor: Actor;
  readonly clock: Clock;
  readonly report: (error: unknown) => void;
  /** Run a started attempt (its slot is already held). */
  readonly launch: (entry: Claimed, started: StoredHead, lane: Lane) => void;
}

/**
 * Whether a job in this status still needs its work entry: a queued job waits on it for a
 * start, a processing one holds it as its attempt's lease (whoever runs the attempt renews it;
 * if nobody does, a reclaim fails the attempt). Leaving either status deletes the entry with the
 * append (append.lua), so any other status means it is already gone or never was the job's.
 */
const needsEntry = (status: string): boolean => status === "queued" || status === "processing";

/** Whether a refused start shows the entry is no longer needed; anything else leaves it pending. */
const entryNotNeeded = (refusal: WriteResult | WriteFailure | Error): boolean =>
  refusal instanceof JobNotFound || (refusal instanceof CommandRefused && !needsEntry(refusal.status));

const iso = (ms: number) => new Date(ms).toISOString();

export class AttemptStarter {
  constructor(private readonly settings: StartSettings) {}

  /** Start what can be started; resolves with how many attempts were launched. */
  async start(claimed: ReadonlyArray<Claimed>, lane: Lane): Promise<number> {
    const { actor, clock, report, launch } = this.settings;
    const consumer = actor.id;
    const runnable: Array<Claimed & { head: StoredHead }> = [];
    const drop: Array<Claimed> = [];
    for (const c of claimed)
      if (c.head !== null && statusOf(c.head.state) === "queued")
        runnable.push(c as Claimed & { head: StoredHead });
      else if (c.head === null || !needsEntry(statusOf(c.head.state))) drop.push(c);
    await Promise.all(drop.map((c) => lane.queue.discard(consumer, c)));
    if (runnable.length === 0) return 0;
    const at = iso(clock.now());
    const results = await lane.writer.writeMany(
      runnable.map((c) => ({
        intent: {
          jobId: c.jobId,
          command: (head: StoredHead) => ({
            type: "StartAttempt" as const,
            at,
            actor,
            attempt: contextOf(head.state).attempt + 1,
          }),
        },
        known: c.head,
      })),
    );
    let launched = 0;
    runnable.forEach((c, i) => {
      const result = results[i];
      if (result === undefined) return;
      if (isWriteResult(result) && result._tag === "Written") {
        launched += 1;
        launch(c, result.head, lane);
      } else if (entryNotNeeded(result)) {
        // Cancelled or finished between delivery and start: drop the entry if it is still ours.
        void lane.queue.discard(consumer, c).catch(report);
      } else if (!isWriteResult(result) && !(result instanceof CommandRefused)) {
        // Not written (outage, contention): reported. Either way — or started meanwhile by a
        // worker that reclaimed the entry — the entry stays pending until a lease expiry hands it on.
        report(result);
      }
    });
    return launched;
  }
}
