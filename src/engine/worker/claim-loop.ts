/**
 * One claim loop (a lane): takes the slots its share of the concurrency has free, fills them —
 * entries waiting for a slot first, then new entries claimed in a batch (or waited for, when
 * idle) — and starts their attempts. Whatever a read delivers beyond the slots taken waits for
 * a slot (Slots.park) instead of running past the concurrency. `maxJobs` is counted across lanes
 * by a shared JobBudget. In burst mode a lane ends when it can find nothing and nothing runs.
 *
 * Owned by the Worker, which runs one per lane and ends them by stopping.
 */
import { QueueUnavailable } from "../shared/index.ts";
import type { Claimed } from "./ports.ts";
import type { Lane, Slots } from "./slots.ts";
import type { AttemptStarter } from "./start-attempts.ts";

/** Jobs taken and being claimed, counted against `maxJobs` across every lane of a worker. */
export class JobBudget {
  private taken = 0;
  /** Jobs a lane is claiming right now, counted until they are taken or given back. */
  private reserved = 0;

  constructor(private readonly maxJobs: number | undefined) {}

  get spent(): boolean {
    return this.maxJobs !== undefined && this.taken >= this.maxJobs;
  }

  /** Reserve up to `wanted` jobs; returns how many may be claimed. */
  reserve(wanted: number): number {
    const granted =
      this.maxJobs === undefined ? wanted : Math.min(wanted, this.maxJobs - this.taken - this.reserved);
    const reserved = Math.max(0, granted);
    this.reserved += reserved;
    return reserved;
  }

  /** End a reservation of `reserved`, of which `taken` became jobs. */
  settle(reserved: number, taken: number): void {
    this.reserved -= reserved;
    this.taken += taken;
  }

  /** Whether a lane may be waiting for another's reservation to end. */
  get limited(): boolean {
    return this.maxJobs !== undefined;
  }
}

export interface ClaimLoopSettings {
  readonly consumer: string;
  readonly queues: ReadonlyArray<string>;
  readonly blockMs: number;
  readonly burst: boolean;
  readonly slots: Slots;
  readonly budget: JobBudget;
  readonly starter: AttemptStarter;
  readonly stopping: () => boolean;
  /** Jobs of this worker not yet settled (running or recording their outcome). */
  readonly unsettled: () => number;
  /** Move due delayed and retrying jobs to their work streams (burst mode looks before ending). */
  readonly promoteDue: () => Promise<void>;
  readonly report: (error: unknown) => void;
  /**
   * Claim the next batch while this one starts (ADR 0033): entries claimed ahead wait in the
   * worker (parked, their leases renewed) and are started in the same round trip as the claim
   * after them. Off with max-jobs (a claim ahead would reserve jobs the budget may not grant).
   */
  readonly claimAhead: boolean;
}

export class ClaimLoop {
  /** A claim ahead still in flight: its entries are parked when it answers. */
  private ahead: Promise<void> | undefined;

  constructor(
    private readonly lane: Lane,
    private readonly settings: ClaimLoopSettings,
  ) {}

  async run(): Promise<void> {
    const { slots, budget, stopping, report } = this.settings;
    const lane = this.lane.index;
    while (!stopping()) {
      if (budget.spent) break;
      const reserved = budget.reserve(slots.room(lane));
      if (reserved <= 0) {
        await slots.next();
        continue;
      }
      const granted = slots.take(lane, reserved);
      let launched = 0;
      let pass: "ran" | "idle" | "done" = "ran";
      try {
        const found = await this.fill(granted);
        pass = found === "done" ? "done" : found.length === 0 && this.settings.burst ? "idle" : "ran";
        if (found !== "done" && found.length > 0)
          launched = await this.settings.starter.start(found, this.lane);
      } catch (error) {
        report(error);
        // Redis is down or flapping: back off, the connection reconnects by itself.
        if (!stopping())
          await new Promise((r) => setTimeout(r, error instanceof QueueUnavailable ? 500 : 100));
      } finally {
        slots.giveBack(lane, granted - launched);
        budget.settle(reserved, launched);
        // Another lane may be waiting for this reservation's share of max-jobs.
        if (budget.limited) slots.wake();
      }
      if (pass === "done") break;
      // Burst mode with jobs still running: wait for one to end before looking again (waking on
      // another lane's empty pass would make idle lanes poll Redis in turn).
      if (pass === "idle") await slots.next();
    }
    // A claim ahead still in flight parks its entries before the worker releases what is parked.
    await this.ahead;
  }

  /**
   * At most `count` entries to start: waiting ones first, then new ones. Entries a read
   * delivered beyond `count` are parked for the next free slot. "done": burst mode found nothing
   * runnable while nothing runs.
   */
  private async fill(count: number): Promise<Array<Claimed> | "done"> {
    const { consumer, queues, slots } = this.settings;
    let found = slots.unpark(count);
    // A claim ahead may still be on its way: wait for it before claiming more (or ending a burst).
    if (found.length < count && this.ahead !== undefined) {
      await this.ahead;
      found = found.concat(slots.unpark(count - found.length));
    }
    if (found.length === count) {
      // Everything to start was claimed ahead: claim the next batch in the same round trip as
      // these starts, so a batch costs one round trip (its starts, the previous outcomes and
      // the next claim) instead of two.
      if (this.settings.claimAhead) this.claimNext(count);
    } else {
      const { queue } = this.lane;
      // With claim-ahead, the first claim of a run also takes the next batch (parked below).
      const extra = this.settings.claimAhead ? count : 0;
      let claimed = await queue.claim(consumer, queues, count - found.length + extra);
      if (claimed.length === 0 && found.length === 0) {
        if (this.settings.burst) {
          await this.settings.promoteDue();
          claimed = await queue.claim(consumer, queues, count);
          // Work held back by a rate limit or a concurrency key may start soon: a burst drains
          // it rather than ending with it queued (ADR 0039).
          for (let wait = queue.heldBackMs?.(); claimed.length === 0 && wait !== undefined;) {
            if (this.settings.stopping()) break;
            await new Promise((resolve) => setTimeout(resolve, wait));
            claimed = await queue.claim(consumer, queues, count);
            wait = queue.heldBackMs?.();
          }
          // Nothing runnable and nothing running: this lane is done (a lane that claimed
          // something meanwhile runs it, and ends on its own next empty pass).
          if (claimed.length === 0 && this.settings.unsettled() === 0) return "done";
        } else claimed = await queue.waitForWork(consumer, queues, this.settings.blockMs, count);
      }
      found.push(...claimed);
    }
    slots.park(found.splice(count));
    return found;
  }

  /** Claim up to `count` entries to park; at most one such claim in flight per lane. */
  private claimNext(count: number): void {
    if (this.ahead !== undefined) return;
    const { consumer, queues, slots, report } = this.settings;
    this.ahead = this.lane.queue
      .claim(consumer, queues, count)
      .then((claimed) => slots.park(claimed), report)
      .finally(() => (this.ahead = undefined));
  }
}
