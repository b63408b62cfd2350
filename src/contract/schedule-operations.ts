/** The schedule routes (ADR 0037): create, list, read, change, pause, resume, remove, history. */
import * as S from "./schedules.ts";
import { actorClaim, type Answer, anyRequest, error, type Operation, redis, writes } from "./operation.ts";

const schedule: Answer = { description: "The schedule", schema: S.ScheduleView };
const params = S.ScheduleParams;
const notFound = { 404: error("No such schedule (`schedule_not_found`)") } as const;
const invalid = {
  400: error(
    "An invalid request: `invalid_schedule` (name, fields, the job spec; `field` names it), " +
      "`invalid_cron` (croner refuses it, or it never fires), `invalid_timezone` (not an IANA zone)",
  ),
} as const;

export const SCHEDULE_OPERATIONS: ReadonlyArray<Operation> = [
  {
    method: "POST",
    path: "/v1/schedules",
    summary: "Create a schedule: a job submitted at each tick of a cron expression",
    description:
      "Each tick fires exactly once however many Docket processes run the scheduler: its job is " +
      "submitted with the idempotency key `schedule:<name>:<created ms>:<tick ms>` and recorded as " +
      "the schedule's ScheduleFired event. `overlap: skip` skips a tick while the last job has not " +
      "ended; `catchUp` (none, last, all up to `catchUpMax`) says what ticks missed while no " +
      "scheduler ran become. A removed schedule's name may be used again.",
    headers: [actorClaim],
    body: { schema: S.CreateScheduleRequest, required: true },
    responses: {
      201: schedule,
      ...writes,
      ...invalid,
      409: error("A schedule of that name exists (`schedule_exists`)"),
      422: error("As many schedules exist as the deployment allows, 10,000 (`schedule_limit`, with `limit`)"),
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/v1/schedules",
    summary: "Every schedule not removed, by name, with its next fire times",
    responses: { 200: { description: "Schedules", schema: S.ScheduleList }, ...anyRequest, ...redis },
  },
  {
    method: "GET",
    path: "/v1/schedules/:name",
    summary: "A schedule, its next fire times and its latest firings and skips",
    params,
    responses: { 200: schedule, ...anyRequest, ...notFound, ...redis },
  },
  {
    method: "GET",
    path: "/v1/schedules/:name/history",
    summary: "A schedule's events as stored, and whether they verify (hash chain and machine)",
    params,
    responses: {
      200: { description: "History", schema: S.ScheduleHistory },
      ...anyRequest,
      ...notFound,
      ...redis,
    },
  },
  {
    method: "PATCH",
    path: "/v1/schedules/:name",
    summary: "Change a schedule: the fields given replace its own (ticks from now on follow them)",
    params,
    headers: [actorClaim],
    body: { schema: S.UpdateScheduleRequest, required: true },
    responses: {
      200: schedule,
      ...writes,
      ...invalid,
      ...notFound,
      409: error("Refused in this state (`schedule_refused`)"),
      ...redis,
    },
  },
  ...(["pause", "resume"] as const).map((action): Operation => ({
    method: "POST",
    path: `/v1/schedules/:name/${action}`,
    summary: action === "pause" ? "Pause a schedule (its ticks are not fired)" : "Resume a paused schedule",
    params,
    headers: [actorClaim],
    body: { schema: S.EmptyScheduleRequest, required: false },
    responses: {
      200: schedule,
      ...writes,
      ...notFound,
      409: error(`Not ${action === "pause" ? "active" : "paused"} (\`schedule_refused\`)`),
      ...redis,
    },
  })),
  {
    method: "DELETE",
    path: "/v1/schedules/:name",
    summary: "Remove a schedule (its history stays; its name may be used again)",
    params,
    headers: [actorClaim],
    responses: { 200: schedule, ...writes, ...notFound, ...redis },
  },
];
