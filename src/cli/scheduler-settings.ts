/**
 * The scheduler role's settings from the environment (ADR 0037), for the processes that run one:
 * `docket api`, `start` and `worker`. Its id names the process in the events it records.
 */
import { hostname } from "node:os";
import type { DocketEnv } from "./config.ts";
import { type Log, repeatLimited } from "./log.ts";

export const schedulerSettings = (env: DocketEnv, log: Log, role: string) => ({
  id: `${role}-${hostname()}-${process.pid}`,
  intervalMs: env.scheduler.intervalMs,
  graceMs: env.scheduler.graceMs,
  onError: repeatLimited(log.child("scheduler")),
});
