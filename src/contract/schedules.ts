/**
 * The schedule routes' requests and answers (ADR 0037): a schedule is a name, a cron expression
 * in a time zone, the job it submits at each tick (a submit request, validated by the same code
 * as `POST /v1/jobs`), what to do when the previous job still runs (`overlap`) and with ticks
 * missed while no scheduler ran (`catchUp`).
 */
import * as Schema from "effect/Schema";
import {
  CatchUp,
  JsonValue,
  MAX_CATCH_UP,
  MAX_CRON_LENGTH,
  MAX_TIMEZONE_LENGTH,
  NonNegativeInt,
  Overlap,
  SkipReason,
  ScheduleName,
  Text,
  Timestamp,
} from "../domain/index.ts";
import { SubmitRequest } from "./requests.ts";

const CatchUpMax = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: MAX_CATCH_UP })).annotate({
  description: `With catchUp "all": the most missed ticks fired at once, 0 to ${MAX_CATCH_UP} (default 10)`,
});

const scheduleFields = {
  /** Croner syntax: 5 fields, or 6 with seconds first. */
  cron: Text(1, MAX_CRON_LENGTH),
  /** An IANA time zone (default UTC). */
  timezone: Schema.optionalKey(Text(1, MAX_TIMEZONE_LENGTH)),
  /** Without `idempotencyKey` or `runAt`: each tick's job gets a key from the schedule and tick. */
  job: SubmitRequest,
  overlap: Schema.optionalKey(Overlap),
  catchUp: Schema.optionalKey(CatchUp),
  catchUpMax: Schema.optionalKey(CatchUpMax),
};

export const CreateScheduleRequest = Schema.Struct({ name: ScheduleName, ...scheduleFields }).annotate({
  identifier: "CreateScheduleRequest",
});
export type CreateScheduleRequest = typeof CreateScheduleRequest.Type;

/** A change: the fields given replace the schedule's (the job as a whole). */
export const UpdateScheduleRequest = Schema.Struct({
  cron: Schema.optionalKey(scheduleFields.cron),
  timezone: scheduleFields.timezone,
  job: Schema.optionalKey(SubmitRequest),
  overlap: scheduleFields.overlap,
  catchUp: scheduleFields.catchUp,
  catchUpMax: scheduleFields.catchUpMax,
}).annotate({ identifier: "UpdateScheduleRequest" });
export type UpdateScheduleRequest = typeof UpdateScheduleRequest.Type;

/** The body of pause and resume: nothing (`{}`). */
export const EmptyScheduleRequest = Schema.Struct({});

/** Path parameters of `/v1/schedules/:name`. Any string: an unknown name is a 404. */
export const ScheduleParams = Schema.Struct({ name: Schema.String });

/** A tick handled: fired (the job it submitted) or skipped (why, how many). */
export const ScheduleFiring = Schema.Struct({
  seq: NonNegativeInt,
  at: Timestamp,
  tick: Timestamp,
  outcome: Schema.Literals(["fired", "skipped"]),
  jobId: Schema.optionalKey(Schema.String),
  reason: Schema.optionalKey(SkipReason),
  count: Schema.optionalKey(NonNegativeInt),
}).annotate({ identifier: "ScheduleFiring" });
export type ScheduleFiring = typeof ScheduleFiring.Type;

export const ScheduleView = Schema.Struct({
  name: ScheduleName,
  status: Schema.Literals(["active", "paused", "removed"]),
  cron: Schema.String,
  timezone: Schema.String,
  job: JsonValue,
  overlap: Overlap,
  catchUp: CatchUp,
  catchUpMax: NonNegativeInt,
  createdAt: Timestamp,
  /** The version of its history (its events' count). */
  version: NonNegativeInt,
  lastTick: Schema.NullOr(Timestamp),
  lastJobId: Schema.NullOr(Schema.String),
  fired: NonNegativeInt,
  skipped: NonNegativeInt,
  /** The next few ticks (none while paused). */
  nextFireTimes: Schema.Array(Timestamp),
  /** The latest firings and skips, newest first (on `GET /v1/schedules/:name` only). */
  recent: Schema.optionalKey(Schema.Array(ScheduleFiring)),
}).annotate({ identifier: "ScheduleView" });
export type ScheduleView = typeof ScheduleView.Type;

export const ScheduleList = Schema.Struct({ schedules: Schema.Array(ScheduleView) }).annotate({
  identifier: "ScheduleList",
});
export type ScheduleList = typeof ScheduleList.Type;

/** A schedule's whole history as stored, and whether it verifies (chain and machine). */
export const ScheduleHistory = Schema.Struct({
  name: Schema.String,
  events: Schema.Array(Schema.Unknown),
  verified: Schema.Boolean,
  problem: Schema.optionalKey(Schema.String),
}).annotate({ identifier: "ScheduleHistory" });
export type ScheduleHistory = typeof ScheduleHistory.Type;
