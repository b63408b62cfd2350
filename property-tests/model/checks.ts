/**
 * The checks at the end of every run, once the system has drained: every invariant of DESIGN §7
 * (test/support/invariants.ts and the real `verify`, with the projection compared to the log),
 * then what the model knows about each job.
 */
import { isDeepStrictEqual } from "node:util";
import {
  type DependencyEndStatus,
  dependencyOutcome,
  type Envelope,
  statusOf,
} from "../../src/domain/index.ts";
import { viewOf } from "../../src/engine/read/index.ts";
import { composeAudit } from "../../src/main.ts";
import { checkInvariants } from "../../test/support/invariants.ts";
import { behaviourAt, endOf, expectedEnd, type StepRun } from "./behaviours.ts";
import type { Model, ModelJob } from "./model.ts";
import type { ModelSystem } from "./system.ts";

/** Attempt failures that come from the faults the model injects, not from the handler. */
const INTERFERENCE = new Set(["lease_expired", "worker_shutdown"]);

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

export const auditOf = (real: ModelSystem) =>
  composeAudit({ client: real.engine.client, prefix: real.prefix, shards: real.engine.store.keys.shards });

/** Inv. 8: the read side's own check (a rebuild equals the live file) and each row equals the fold. */
const projectionDifferences = async (
  real: ModelSystem,
  ids: ReadonlyArray<string>,
): Promise<Array<string>> => {
  const differences: Array<string> = [];
  const report = await real.readSide.check();
  for (const d of report.differences)
    differences.push(
      `rebuild differs in ${d.table} ${JSON.stringify(d.key)}: live ${JSON.stringify(d.live)} rebuilt ${JSON.stringify(d.rebuilt)}`,
    );
  for (const id of ids) {
    const events = await real.engine.store.readEvents(id);
    if (!isDeepStrictEqual(plain(real.readSide.reads.job(id)), plain(viewOf(events))))
      differences.push(`${id}: projected job row is not the fold of its log`);
    if (!isDeepStrictEqual(plain(real.readSide.reads.jobEvents(id)), plain(events)))
      differences.push(`${id}: projected events are not its log`);
  }
  return differences;
};

/**
 * A recorded step's function runs at most once per job across attempts (ADR 0043): every run of
 * a durable job's step is in an attempt up to the one that recorded it, exactly one in that one
 * (a run in an earlier attempt is one whose record a fault lost: run again, as promised).
 */
export const stepRunProblems = (
  jobId: string,
  events: ReadonlyArray<Envelope>,
  runs: ReadonlyArray<StepRun>,
): Array<string> => {
  const out: Array<string> = [];
  const mine = runs.filter((r) => r.jobId === jobId);
  const recorded = events.filter((e) => e.type === "StepCompleted");
  if (recorded.length > 1) out.push(`${jobId}: ${recorded.length} StepCompleted for one step`);
  const first = recorded[0];
  if (first === undefined) return out;
  const at = first.data.attempt;
  const later = mine.filter((r) => r.attempt > at);
  if (later.length > 0)
    out.push(
      `${jobId}: the step recorded in attempt ${at} ran again in attempt(s) ${later.map((r) => r.attempt).join(", ")}`,
    );
  const inRecording = mine.filter((r) => r.attempt === at).length;
  if (inRecording !== 1)
    out.push(`${jobId}: the step ran ${inRecording} times in the attempt that recorded it`);
  return out;
};

/** What the model knows about one job, checked against its history. */
const checkJob = (job: ModelJob, events: ReadonlyArray<Envelope>, model: Model): Array<string> => {
  const out: Array<string> = [];
  const v = (message: string) => out.push(`${job.id}: ${message}`);
  // A durable job's attempts that ended suspended are given back: its script is played by the
  // attempts used (ADR 0043).
  let suspended = 0;
  const usedBy = new Map<number, number>();
  for (const e of events) {
    if (e.type === "AttemptStarted") usedBy.set(e.data.attempt, e.data.attempt - suspended);
    if (e.type === "JobSuspended") suspended += 1;
  }
  const used = (attempt: number) => usedBy.get(attempt) ?? attempt;
  const submits = events.filter((e) => e.type === "JobSubmitted");
  if (submits.length !== 1) v(`${submits.length} JobSubmitted events (inv. 6: a repeat appends nothing)`);
  const last = events.at(-1);
  // Each attempt ended as its script says, unless a fault (crash, stop, lost lease) ended it.
  let disturbed = false;
  for (const e of events) {
    if (e.type === "JobCompleted") {
      const b = behaviourAt(job.script, used(e.data.attempt));
      if (endOf(b) !== "completed") v(`attempt ${e.data.attempt} completed, but its script says "${b}"`);
    }
    if (e.type === "AttemptFailed") {
      const { attempt, error } = e.data;
      const want = endOf(behaviourAt(job.script, used(attempt)));
      if (INTERFERENCE.has(error.code)) disturbed = true;
      else if (want === "retryable" && !(error.code === "handler_error" && error.retryable))
        v(`attempt ${attempt} should fail retryably, failed ${error.code}`);
      else if (want === "fatal" && !(error.code === "non_retryable" && !error.retryable))
        v(`attempt ${attempt} should fail for good, failed ${error.code}`);
      else if (want === "timeout" && error.code !== "timeout")
        v(`attempt ${attempt} should time out, failed ${error.code}`);
      else if (want === "completed") v(`attempt ${attempt} should complete, failed ${error.code}`);
    }
    if (e.type === "JobRetried" || e.type === "JobFailedByDependency") disturbed = true;
  }
  // A cancel the engine accepted is final; a job the model never cancelled is never cancelled.
  if (job.cancelled && last?.type !== "JobCancelled")
    v(`its cancel was accepted, but it ended ${last?.type}`);
  if (!job.cancelled && job.mayBeCancelled !== true && events.some((e) => e.type === "JobCancelled"))
    v("cancelled, but nobody's cancel was accepted");
  if (job.mayBeCancelled === true && events.some((e) => e.type === "JobCancelled")) disturbed = true;
  // Left alone, it ends exactly as its script predicts (a job that always succeeds completes).
  if (!disturbed && !job.cancelled) {
    const want = expectedEnd(job.script, job.maxAttempts);
    const started = events.filter((e) => e.type === "AttemptStarted").length - suspended;
    const status =
      last?.type === "JobCompleted"
        ? "completed"
        : last?.type === "JobDeadLettered"
          ? "dead_letter"
          : last?.type;
    if (status !== want.status || started !== want.attempts)
      v(
        `left alone it should end ${want.status} after ${want.attempts} attempts; it ended ${status} after ${started}`,
      );
  }
  // Inv. 4: a stalled worker records nothing once its lease was reclaimed.
  for (const z of model.zombies.filter((z) => z.jobId === job.id)) {
    const lost = events.findIndex(
      (e) =>
        e.type === "AttemptFailed" && e.data.attempt === z.attempt && e.data.error.code === "lease_expired",
    );
    if (lost < 0) v(`the stalled worker's attempt ${z.attempt} was never failed as lease_expired`);
    const late = events.slice(lost + 1).filter((e) => e.actor.id === z.workerId);
    if (late.length > 0)
      v(
        `the stalled worker ${z.workerId} recorded ${late.map((e) => e.type).join(", ")} after losing its lease`,
      );
    const completions = events.filter((e) => e.type === "JobCompleted");
    if (completions.length !== 1 || completions[0]?.actor.id === z.workerId)
      v(`zombie job: ${completions.length} completions, by ${completions.map((e) => e.actor.id).join(", ")}`);
  }
  return out;
};

/** The dependency's status at `at`, folded from its own history (null: it had no event by then). */
const statusAt = (events: ReadonlyArray<Envelope>, at: string): string | null =>
  viewOf(events.filter((e) => Date.parse(e.at) <= Date.parse(at)))?.status ?? null;

/**
 * Dependencies (ADR 0042): a job is released at most once and, if it ran, was released (or
 * retried by hand) first; never released before its dependencies ended as its policies ask; and
 * each end it recorded had really happened by then in the dependency's own history.
 */
const checkDependencies = async (
  real: ModelSystem,
  job: ModelJob,
  events: ReadonlyArray<Envelope>,
): Promise<Array<string>> => {
  const out: Array<string> = [];
  const v = (message: string) => out.push(`${job.id}: ${message}`);
  const dependsOn = job.dependsOn ?? [];
  const count = (type: string) => events.filter((e) => e.type === type).length;
  if (dependsOn.length === 0) {
    for (const type of ["DependencyEnded", "JobReleased", "JobFailedByDependency"])
      if (count(type) > 0) v(`${type} on a job without dependencies`);
    return out;
  }
  if (count("JobReleased") > 1) v(`released ${count("JobReleased")} times`);
  if (count("JobFailedByDependency") > 1) v(`failed by a dependency ${count("JobFailedByDependency")} times`);
  const firstStart = events.findIndex((e) => e.type === "AttemptStarted");
  const freed = events.findIndex((e) => e.type === "JobReleased" || e.type === "JobRetried");
  if (firstStart >= 0 && (freed < 0 || freed > firstStart)) v("started before it was released");
  const histories = new Map<string, ReadonlyArray<Envelope>>();
  for (const d of dependsOn) histories.set(d.jobId, await real.engine.store.readEvents(d.jobId));
  const recorded: Record<string, DependencyEndStatus> = {};
  for (const e of events) {
    if (e.type === "DependencyEnded") {
      const { dependency, status } = e.data;
      const actual = statusAt(histories.get(dependency) ?? [], e.at);
      if (actual !== status) v(`recorded ${dependency} as ${status} at ${e.at}, when it was ${actual}`);
      recorded[dependency] = status;
    }
    if (e.type === "JobReleased") {
      const outcome = dependencyOutcome(
        dependsOn.map(({ jobId, onFailure }) => ({ jobId, onFailure })),
        recorded,
      );
      if (outcome._tag !== "Release")
        v(`released at ${e.at} with ends ${JSON.stringify(recorded)}, which do not release it`);
    }
  }
  return out;
};

export const checkRun = async (real: ModelSystem, model: Model): Promise<ReadonlyArray<string>> => {
  const ids = [...model.jobs.keys()];
  const violations = [...model.violations];
  violations.push(
    ...(await checkInvariants(real.engine, ids, { drained: true })).map((v) => `invariants: ${v}`),
  );
  const report = await auditOf(real).verify({
    drained: true,
    projection: () => projectionDifferences(real, ids),
  });
  for (const f of report.failures)
    violations.push(`verify ${f.check}/${f.code}: ${f.jobId ?? "-"} seq ${f.seq ?? "-"}: ${f.message}`);
  // Every accepted submit exists exactly once, and nothing else does.
  if (report.counts.jobs !== ids.length)
    violations.push(`the store holds ${report.counts.jobs} jobs, the model accepted ${ids.length}`);
  for (const [key, id] of model.byKey) {
    const [first] = await real.engine.store.readEvents(id);
    if (first?.type !== "JobSubmitted" || first.data.spec.idempotencyKey !== key)
      violations.push(`key ${key} resolves to ${id}, which does not carry that key`);
  }
  for (const job of model.jobs.values()) {
    const events = await real.engine.store.readEvents(job.id);
    violations.push(...checkJob(job, events, model));
    if (job.durable !== undefined) violations.push(...stepRunProblems(job.id, events, real.stepRuns));
    violations.push(...(await checkDependencies(real, job, events)));
    const head = await real.engine.store.loadHead(job.id);
    if (head !== null && !["completed", "cancelled", "dead_letter"].includes(statusOf(head.state)))
      violations.push(`${job.id}: ${statusOf(head.state)} after draining`);
  }
  return violations;
};
