/**
 * The schedule room's face (ADR 0037): the schedule service (create, update, pause, resume,
 * remove, read, list, verify a history), the scheduler role every process may run, their typed
 * errors and the port they need (ports.ts).
 */
export type * from "./ports.ts";
export * from "./errors.ts";
export { checkName, DEFAULT_MAX_SCHEDULES, ScheduleService, viewOfSchedule } from "./schedule-service.ts";
export {
  Scheduler,
  type SchedulerOptions,
  type SchedulerPass,
  type SchedulerStatus,
  tickKey,
} from "./scheduler.ts";
