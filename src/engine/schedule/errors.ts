/** The schedule room's typed errors; the API maps each tag to a status and a code (errors.ts). */
import * as Data from "effect/Data";

/** A schedule request was refused; `code` is `invalid_cron`, `invalid_timezone` or `invalid_schedule`. */
export class InvalidSchedule extends Data.TaggedError("InvalidSchedule")<{
  readonly code: "invalid_cron" | "invalid_timezone" | "invalid_schedule";
  readonly field: string;
  readonly message: string;
}> {}

export class ScheduleNotFound extends Data.TaggedError("ScheduleNotFound")<{ readonly name: string }> {
  override get message(): string {
    return `no schedule named ${this.name}`;
  }
}

export class ScheduleExists extends Data.TaggedError("ScheduleExists")<{ readonly name: string }> {
  override get message(): string {
    return `a schedule named ${this.name} exists`;
  }
}

/** The machine refuses the change (pausing a paused schedule, resuming an active one, ...). */
export class ScheduleRefused extends Data.TaggedError("ScheduleRefused")<{
  readonly name: string;
  readonly status: string;
  readonly message: string;
}> {}

/** The deployment has as many schedules as it allows (each one costs every scheduler pass a read). */
export class ScheduleLimitReached extends Data.TaggedError("ScheduleLimitReached")<{
  readonly name: string;
  readonly limit: number;
}> {
  override get message(): string {
    return `${this.limit} schedules exist, the most allowed; remove one first`;
  }
}

export type ScheduleError =
  InvalidSchedule | ScheduleNotFound | ScheduleExists | ScheduleRefused | ScheduleLimitReached;
