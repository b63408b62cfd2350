/**
 * Lifecycle lines of the long-running processes as structured logs (ADR 0030): a worker's
 * reclaims and Redis outages, the projector's changes of state (catching up, tailing, retrying,
 * halted on an entry, going on past a quarantined one). Each says in words what its fields
 * (`event`, counts, durations) carry for machines.
 */
import type { ProjectorStateChange } from "../engine/read/index.ts";
import type { WorkerLifecycleEvent } from "../engine/worker/index.ts";
import type { Log } from "./log.ts";

export const logWorkerLifecycle =
  (log: Log, workerId: () => string) =>
  (event: WorkerLifecycleEvent): void => {
    const worker = workerId();
    switch (event.kind) {
      case "reclaimed":
        return log.info(
          `${worker}: reclaimed ${event.failedAttempts + event.requeued + event.dropped} entries idle past the lease (${event.failedAttempts} attempts failed as lease_expired, ${event.requeued} queued jobs to run, ${event.dropped} needing no entry)`,
          { event: "reclaim", worker, ...event },
        );
      case "outage_began":
        return log.warn(`${worker}: Redis outage began: ${event.message}`, {
          event: "outage_began",
          worker,
          error: event.message,
        });
      case "outage_ended":
        return log.info(`${worker}: Redis answers again after ${event.outageMs} ms`, {
          event: "outage_ended",
          worker,
          outageMs: event.outageMs,
        });
    }
  };

/**
 * The projector's state changes, each worth a line once: while it fails it goes back to
 * catching up before every retry, so a failure is told when it begins and its end when the
 * projector is tailing again (or stopped), not at each retry (its errors have their own lines).
 */
export const logProjectorStates = (log: Log): ((change: ProjectorStateChange) => void) => {
  let failing = false;
  return ({ from, to, status }) => {
    const fields = { event: "projector_state", from, to, appliedEvents: status.appliedEvents };
    if (to === "halted" && status.halt !== null) {
      failing = false;
      const { error } = status.halt;
      return log.error(
        `projector halted on shard ${error.shard} entry ${error.entryId}: ${error.message} (reads are stale until it is quarantined or the projection rebuilt)`,
        { ...fields, shard: error.shard, entryId: error.entryId, tag: error._tag },
      );
    }
    if (to === "retrying") {
      if (failing) return;
      failing = true;
      return log.warn(
        `projector cannot go on (${status.lastError?.message ?? "Redis or the database failed"}); retrying until it can`,
        fields,
      );
    }
    if (failing) {
      if (to === "catching_up") return;
      failing = false;
      return log.info(`projector recovered; ${to.replace("_", " ")}`, fields);
    }
    if (from === "halted")
      return log.info(
        `projector carries on past the entry it halted on (quarantined); ${to.replace("_", " ")}`,
        fields,
      );
    return log.info(`projector ${to.replace("_", " ")}`, fields);
  };
};
