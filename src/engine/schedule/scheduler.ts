/**
 * The scheduler role (ADR 0037): runs in `docket api`, `docket start` and `docket worker`, as
 * many copies as there are processes. Each pass reads every active schedule, asks the domain
 * for its next step (nextScheduleStep: a tick to fire or missed ticks to skip) and appends it
 * as one event with the schedule's expected version, one step at a time.
 *
 * Exactly once, however many schedulers run: the job of a tick is submitted with an
 * idempotency key made of the schedule, its creation time and the tick, so every scheduler that
 * fires the tick submits the same one job; the ScheduleFired that records it is appended only if
 * the schedule's version is still the one the tick was decided against, so of the schedulers
 * racing for a tick one records it and the others reload and find it handled. A scheduler that
 * dies between submitting and recording leaves the tick unrecorded: the next pass (any process)
 * submits again, gets the same job back, and records it.
 */
import {
  type Actor,
  CronTicks,
  DEFAULT_GRACE_MS,
  isTerminal,
  nextScheduleStep,
  type ScheduleDefinition,
  type ScheduleEvent,
} from "../../domain/index.ts";
import type { Clock } from "../shared/index.ts";
import { InvalidJobSpec, JobNotFound } from "../shared/index.ts";
import type { JobService } from "../write/index.ts";
import type { ScheduleStore, StoredSchedule } from "./ports.ts";
import { writeScheduleEvent } from "./schedule-writer.ts";

export interface SchedulerOptions {
  readonly store: ScheduleStore;
  readonly jobs: Pick<JobService, "submit" | "get" | "cancel">;
  readonly clock: Clock;
  /** Recorded as the actor of what it appends (`scheduler:<id>`). */
  readonly id: string;
  /** Time between passes (default 250 ms). */
  readonly intervalMs?: number;
  /** How late a tick may be and still count as on time (default 30 s). */
  readonly graceMs?: number;
  /** Told of each failed pass (Redis away, ...); the scheduler carries on. */
  readonly onError?: (error: unknown) => void;
}

export interface SchedulerPass {
  readonly fired: number;
  readonly skipped: number;
}

/** What this scheduler has done since it started (its process's metrics show it). */
export interface SchedulerStatus extends SchedulerPass {
  readonly passes: number;
  readonly failedPasses: number;
}

/** Steps one schedule may take in one pass (a long catch-up continues in the next pass). */
const MAX_STEPS_PER_PASS = 1_100;

/** Whether a later pass may still record `tick` (the schedule active and the tick not behind it). */
const stillWanted = (stored: StoredSchedule, tick: number): boolean => {
  const { status, context } = stored.state;
  if (status !== "active" || context.since === null) return false;
  const handled = Math.max(
    Date.parse(context.since),
    context.lastTick === null ? -Infinity : Date.parse(context.lastTick),
  );
  return tick > handled;
};

/** The idempotency key of a tick's job: the same for every scheduler, new for a re-created name. */
export const tickKey = (name: string, createdAt: string, tickMs: number): string =>
  `schedule:${name}:${Date.parse(createdAt)}:${tickMs}`;

export class Scheduler {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly actor: Actor;
  private readonly totals = { fired: 0, skipped: 0, passes: 0, failedPasses: 0 };

  constructor(private readonly options: SchedulerOptions) {
    this.actor = { kind: "scheduler", id: options.id };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stop after the pass in flight, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  status(): SchedulerStatus {
    return { ...this.totals };
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(
          () => undefined,
          (error: unknown) => this.options.onError?.(error),
        )
        .finally(() => {
          if (!this.stopped) this.schedule(this.options.intervalMs ?? 250);
        });
    }, delayMs);
    this.timer.unref?.();
  }

  /** One pass over every schedule (tests drive it with a manual clock). */
  async runOnce(): Promise<SchedulerPass> {
    const pass = { fired: 0, skipped: 0 };
    let failure: unknown;
    for (const stored of await this.options.store.list()) {
      if (stored.state.status !== "active") continue;
      try {
        await this.advance(stored, pass);
      } catch (error) {
        // One schedule's trouble (Redis away mid-pass) does not hold up the others' turn.
        failure ??= error;
      }
    }
    this.totals.passes += 1;
    this.totals.fired += pass.fired;
    this.totals.skipped += pass.skipped;
    if (failure !== undefined) {
      this.totals.failedPasses += 1;
      throw failure;
    }
    return pass;
  }

  private async advance(stored: StoredSchedule, pass: { fired: number; skipped: number }): Promise<void> {
    let current = stored;
    const definition = current.state.context.definition as ScheduleDefinition;
    const ticks = new CronTicks(definition.cron, definition.timezone);
    for (let step = 0; step < MAX_STEPS_PER_PASS; step++) {
      const now = this.options.clock.now();
      const next = nextScheduleStep(current.state, now, this.options.graceMs ?? DEFAULT_GRACE_MS, ticks);
      if (next === null) return;
      const event =
        next.kind === "skip" ? this.missed(next.tick, next.count) : await this.fire(current, next.tick);
      const outcome = await writeScheduleEvent(this.options.store, current.head, current.state, event);
      // Another scheduler (or an operator) wrote first: the next pass reloads and sees it.
      if (outcome._tag !== "Written") {
        if (event.type === "ScheduleFired") await this.settleUnrecorded(current.head.schedule, event);
        return;
      }
      if (event.type === "ScheduleFired") pass.fired += 1;
      else pass.skipped += 1;
      current = outcome.stored;
    }
  }

  /**
   * The tick's job was submitted but its ScheduleFired lost the race. Usually another scheduler
   * recorded the same tick with the same job. If instead the schedule moved on (paused, removed,
   * updated) so that the tick will never be recorded, cancel the job, saying why: no job of a
   * schedule runs without its tick in the schedule's history (ADR 0037). A job already running
   * or ended is left as it is (the cancel is refused, and the job records why it ran).
   */
  private async settleUnrecorded(
    name: string,
    fired: ScheduleEvent & { type: "ScheduleFired" },
  ): Promise<void> {
    const { tick, jobId } = fired.data;
    const reloaded = await this.options.store.load(name);
    if (reloaded !== null && stillWanted(reloaded, Date.parse(tick))) return;
    const history = await this.options.store.history(name);
    const recorded = history.some((entry) => {
      const e = entry as { type?: unknown; data?: { tick?: unknown; jobId?: unknown } };
      return e.type === "ScheduleFired" && e.data?.tick === tick && e.data.jobId === jobId;
    });
    if (recorded) return;
    try {
      await this.options.jobs.cancel(
        jobId,
        this.actor,
        `schedule ${name} changed before its tick ${tick} was recorded; this tick will not fire`,
      );
    } catch {
      // Already running, ended or cancelled by another scheduler: nothing more to do.
    }
  }

  private at(): string {
    return new Date(this.options.clock.now()).toISOString();
  }

  private missed(tick: number, count: number): ScheduleEvent {
    return {
      type: "ScheduleSkipped",
      at: this.at(),
      actor: this.actor,
      data: { tick: new Date(tick).toISOString(), count, reason: "missed" },
    };
  }

  /** Fire one tick: skip it while the last job runs (overlap "skip"), else submit its job. */
  private async fire(stored: StoredSchedule, tick: number): Promise<ScheduleEvent> {
    const { context } = stored.state;
    const definition = context.definition as ScheduleDefinition;
    const tickText = new Date(tick).toISOString();
    if (definition.overlap === "skip" && context.lastJobId !== null && !(await this.ended(context.lastJobId)))
      return {
        type: "ScheduleSkipped",
        at: this.at(),
        actor: this.actor,
        data: { tick: tickText, count: 1, reason: "overlap", jobId: context.lastJobId },
      };
    const key = tickKey(stored.head.schedule, context.createdAt as string, tick);
    try {
      const submitted = await this.options.jobs.submit(
        { ...(definition.job as object), idempotencyKey: key },
        this.actor,
      );
      return {
        type: "ScheduleFired",
        at: this.at(),
        actor: this.actor,
        data: { tick: tickText, jobId: submitted.jobId },
      };
    } catch (error) {
      // A job spec the submit path refuses now (it was checked when the schedule was written):
      // recorded, so the schedule moves on instead of retrying the tick forever.
      if (error instanceof InvalidJobSpec)
        return {
          type: "ScheduleSkipped",
          at: this.at(),
          actor: this.actor,
          data: { tick: tickText, count: 1, reason: "rejected" },
        };
      throw error;
    }
  }

  private async ended(jobId: string): Promise<boolean> {
    try {
      return isTerminal((await this.options.jobs.get(jobId)).state);
    } catch (error) {
      // A job no longer in Redis has ended (retention let it go).
      if (error instanceof JobNotFound) return true;
      throw error;
    }
  }
}
