/**
 * Schedule use cases for API clients and operators (ADR 0037): create, update, pause, resume,
 * remove, read and list, each decided against the schedule's machine and appended with an
 * expected-version check. Requests are untrusted: decoded with the contract's schemas, the cron
 * and zone checked by croner, the job by the submit path's own validation.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import {
  CreateScheduleRequest,
  type ScheduleFiring,
  type ScheduleView,
  UpdateScheduleRequest,
} from "../../contract/index.ts";
import {
  type Actor,
  CronTicks,
  cronProblem,
  DEFAULT_CATCH_UP_MAX,
  emptyScheduleHead,
  initialScheduleState,
  type ScheduleDefinition,
  type ScheduleEvent,
  type ScheduleEventType,
  decodeScheduleEnvelope,
  SCHEDULE_NAME_PATTERN,
  verifyScheduleHistory,
  type ScheduleHistoryReport,
} from "../../domain/index.ts";
import { type Clock, firstIssue } from "../shared/index.ts";
import { normaliseSubmit } from "../write/index.ts";
import {
  InvalidSchedule,
  ScheduleExists,
  ScheduleLimitReached,
  ScheduleNotFound,
  ScheduleRefused,
} from "./errors.ts";
import type { ScheduleStore, StoredSchedule } from "./ports.ts";
import { writeScheduleEvent } from "./schedule-writer.ts";

const NEXT_FIRE_TIMES = 5;
const RECENT_FIRINGS = 20;
/** Attempts at a change that keeps losing the race to other writers. */
const RETRIES = 5;

const iso = (ms: number): string => new Date(ms).toISOString();

const decodeCreate = Schema.decodeUnknownResult(CreateScheduleRequest);
const decodeUpdate = Schema.decodeUnknownResult(UpdateScheduleRequest);

const invalid = (field: string, message: string, code: InvalidSchedule["code"] = "invalid_schedule") =>
  new InvalidSchedule({ code, field, message });

/** The name as a path segment gives it: refused early, so a hostile name never reaches a key. */
export const checkName = (name: string): void => {
  if (!SCHEDULE_NAME_PATTERN.test(name))
    throw new ScheduleNotFound({ name: name.slice(0, 64).toWellFormed() });
};

/** The next ticks after `since`; none for a definition croner refuses (a head altered in Redis). */
const nextFireTimes = (definition: ScheduleDefinition, since: number): ReadonlyArray<string> => {
  try {
    return new CronTicks(definition.cron, definition.timezone).upcoming(since, NEXT_FIRE_TIMES).map(iso);
  } catch {
    return [];
  }
};

/** The view of a stored schedule: its definition, counters and its next ticks after `nowMs`. */
export const viewOfSchedule = (stored: StoredSchedule, nowMs: number): ScheduleView => {
  const { state, head } = stored;
  const { context } = state;
  const definition = context.definition as ScheduleDefinition;
  const status = state.status === "none" ? "removed" : state.status;
  const since = Math.max(Date.parse(context.since ?? iso(nowMs)), nowMs);
  return {
    name: head.schedule,
    status,
    cron: definition.cron,
    timezone: definition.timezone,
    job: definition.job,
    overlap: definition.overlap,
    catchUp: definition.catchUp,
    catchUpMax: definition.catchUpMax,
    createdAt: context.createdAt ?? iso(0),
    version: head.version,
    lastTick: context.lastTick,
    lastJobId: context.lastJobId,
    fired: context.fired,
    skipped: context.skipped,
    nextFireTimes: status === "active" ? nextFireTimes(definition, since) : [],
  };
};

/** The most schedules a deployment keeps (each costs every scheduler pass a read). */
export const DEFAULT_MAX_SCHEDULES = 10_000;

export class ScheduleService {
  constructor(
    private readonly store: ScheduleStore,
    private readonly clock: Clock,
    private readonly maxSchedules = DEFAULT_MAX_SCHEDULES,
  ) {}

  /** Validate a definition: its cron and zone (croner), its job (the submit path's check). */
  private checked(definition: ScheduleDefinition): ScheduleDefinition {
    const problem = cronProblem(definition.cron, definition.timezone, this.clock.now());
    if (problem !== undefined)
      throw invalid(problem.code === "invalid_cron" ? "cron" : "timezone", problem.message, problem.code);
    const job = definition.job as Record<string, unknown>;
    for (const field of ["idempotencyKey", "runAt"])
      if (job[field] !== undefined)
        throw invalid(`job.${field}`, "not allowed in a schedule's job (each tick sets its own)");
    const normalised = normaliseSubmit(job, this.clock.now());
    if (Result.isFailure(normalised))
      throw invalid(`job.${normalised.failure.field}`, normalised.failure.message);
    return definition;
  }

  async create(input: unknown, actor: Actor): Promise<ScheduleView> {
    const decoded = decodeCreate(input, { onExcessProperty: "error" });
    if (Result.isFailure(decoded)) {
      const { field, message } = firstIssue(decoded.failure);
      throw invalid(field, message);
    }
    const { name, ...rest } = decoded.success;
    const definition = this.checked({
      cron: rest.cron,
      timezone: rest.timezone ?? "UTC",
      job: rest.job,
      overlap: rest.overlap ?? "allow",
      catchUp: rest.catchUp ?? "none",
      catchUpMax: rest.catchUpMax ?? DEFAULT_CATCH_UP_MAX,
    });
    const existing = await this.store.load(name);
    if (existing !== null && existing.state.status !== "removed") throw new ScheduleExists({ name });
    // A soft bound (two creates at once may both pass it): enough to keep passes bounded.
    if ((await this.store.count()) >= this.maxSchedules)
      throw new ScheduleLimitReached({ name, limit: this.maxSchedules });
    // A removed schedule's name may be used again: its old history is set aside by the store.
    const head = emptyScheduleHead(name);
    const event: ScheduleEvent = {
      type: "ScheduleCreated",
      at: iso(this.clock.now()),
      actor,
      data: { definition },
    };
    const outcome = await writeScheduleEvent(this.store, head, initialScheduleState(), event);
    if (outcome._tag !== "Written") throw new ScheduleExists({ name });
    return viewOfSchedule(outcome.stored, this.clock.now());
  }

  async get(name: string): Promise<StoredSchedule> {
    checkName(name);
    const stored = await this.store.load(name);
    if (stored === null || stored.state.status === "removed") throw new ScheduleNotFound({ name });
    return stored;
  }

  /** A schedule's view with its latest firings and skips, newest first. */
  async view(name: string): Promise<ScheduleView> {
    const stored = await this.get(name);
    const recent: Array<ScheduleFiring> = [];
    const entries = await this.store.history(name);
    for (let i = entries.length - 1; i >= 0 && recent.length < RECENT_FIRINGS; i--) {
      const decoded = decodeScheduleEnvelope(entries[i]);
      if (Result.isFailure(decoded)) continue;
      const e = decoded.success;
      if (e.type === "ScheduleFired")
        recent.push({ seq: e.seq, at: e.at, tick: e.data.tick, outcome: "fired", jobId: e.data.jobId });
      else if (e.type === "ScheduleSkipped")
        recent.push({
          seq: e.seq,
          at: e.at,
          tick: e.data.tick,
          outcome: "skipped",
          reason: e.data.reason,
          count: e.data.count,
          ...(e.data.jobId === undefined ? {} : { jobId: e.data.jobId }),
        });
    }
    return { ...viewOfSchedule(stored, this.clock.now()), recent };
  }

  async list(): Promise<ReadonlyArray<ScheduleView>> {
    const now = this.clock.now();
    return (await this.store.list())
      .filter((s) => s.state.status !== "removed")
      .map((s) => viewOfSchedule(s, now))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The whole history as stored, verified (chain, hashes, machine). */
  async history(
    name: string,
  ): Promise<{ readonly events: ReadonlyArray<unknown>; readonly report: ScheduleHistoryReport }> {
    checkName(name);
    const events = await this.store.history(name);
    if (events.length === 0) throw new ScheduleNotFound({ name });
    return { events, report: verifyScheduleHistory(name, events) };
  }

  async update(name: string, input: unknown, actor: Actor): Promise<ScheduleView> {
    checkName(name);
    const decoded = decodeUpdate(input, { onExcessProperty: "error" });
    if (Result.isFailure(decoded)) {
      const { field, message } = firstIssue(decoded.failure);
      throw invalid(field, message);
    }
    const patch = decoded.success;
    return this.change(name, actor, "ScheduleUpdated", (definition) => ({
      definition: this.checked({
        cron: patch.cron ?? definition.cron,
        timezone: patch.timezone ?? definition.timezone,
        job: patch.job ?? definition.job,
        overlap: patch.overlap ?? definition.overlap,
        catchUp: patch.catchUp ?? definition.catchUp,
        catchUpMax: patch.catchUpMax ?? definition.catchUpMax,
      }),
    }));
  }

  pause(name: string, actor: Actor): Promise<ScheduleView> {
    return this.change(name, actor, "SchedulePaused", () => ({}));
  }

  resume(name: string, actor: Actor): Promise<ScheduleView> {
    return this.change(name, actor, "ScheduleResumed", () => ({}));
  }

  remove(name: string, actor: Actor): Promise<ScheduleView> {
    return this.change(name, actor, "ScheduleRemoved", () => ({}));
  }

  /** Decide one operator change against the current head and append it; retried on a race. */
  private async change(
    name: string,
    actor: Actor,
    type: Exclude<ScheduleEventType, "ScheduleCreated" | "ScheduleFired" | "ScheduleSkipped">,
    dataOf: (definition: ScheduleDefinition) => object,
  ): Promise<ScheduleView> {
    checkName(name);
    for (let attempt = 0; ; attempt++) {
      const stored = await this.get(name);
      const event = {
        type,
        at: iso(this.clock.now()),
        actor,
        data: dataOf(stored.state.context.definition as ScheduleDefinition),
      } as ScheduleEvent;
      const outcome = await writeScheduleEvent(this.store, stored.head, stored.state, event);
      if (outcome._tag === "Refused")
        throw new ScheduleRefused({
          name,
          status: stored.state.status,
          message: `${type} is not allowed while the schedule is ${stored.state.status}`,
        });
      if (outcome._tag === "Written") return viewOfSchedule(outcome.stored, this.clock.now());
      if (attempt >= RETRIES)
        throw new ScheduleRefused({
          name,
          status: stored.state.status,
          message: "too many concurrent changes",
        });
    }
  }
}
