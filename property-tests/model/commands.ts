/**
 * The model's commands: each runs against the real system, checks what the system answered
 * against what the model knows, and updates the model. Violations seen while running are kept
 * in the model (and fail the run at its end, with the full history exported).
 */
import fc from "fast-check";
import { contextOf, type FailurePolicy, statusOf } from "../../src/domain/index.ts";
import { CommandRefused } from "../../src/engine/shared/index.ts";
import type { Submitted } from "../../src/engine/write/index.ts";
import { apiActor } from "../../test/support/engine.ts";
import { waitFor } from "../../test/support/wait.ts";
import { type Behaviour, type Durable, JOB_TYPE, TIMEOUT_MS } from "./behaviours.ts";
import { type Model, nthJob } from "./model.ts";
import type { ModelSystem } from "./system.ts";

type Cmd = fc.AsyncCommand<Model, ModelSystem>;

export interface JobPlan {
  readonly script: ReadonlyArray<Behaviour>;
  readonly maxAttempts: number;
  readonly key?: string;
  readonly delayMs: number;
  /** A durable job (ADR 0043): a step, then a sleep or a wait, then its script. */
  readonly durable?: Durable;
}

const TERMINAL = new Set(["completed", "cancelled", "dead_letter"]);
const operator = { kind: "operator" as const, id: "model-operator" };

export const requestOf = (plan: JobPlan) => ({
  type: JOB_TYPE,
  payload:
    plan.durable === undefined ? { script: plan.script } : { script: plan.script, durable: plan.durable },
  maxAttempts: plan.maxAttempts,
  backoff: { type: "fixed", delayMs: 20 },
  timeoutMs: TIMEOUT_MS,
  ...(plan.key === undefined ? {} : { idempotencyKey: plan.key }),
  ...(plan.delayMs > 0 ? { delayMs: plan.delayMs } : {}),
});

const describePlan = (plan: JobPlan) =>
  `[${plan.script.join(",")}]x${plan.maxAttempts}${plan.key === undefined ? "" : ` key=${plan.key}`}${plan.delayMs > 0 ? ` delay=${plan.delayMs}` : ""}${plan.durable === undefined ? "" : ` ${plan.durable}`}`;

/**
 * Record what a submit answered (inv. 6 and "every accepted submit exists once"): a key seen
 * before resolves to its job and creates nothing; a new key or no key creates a new job.
 */
const acceptSubmit = (model: Model, plan: JobPlan, result: Submitted): void => {
  const known = plan.key === undefined ? undefined : model.byKey.get(plan.key);
  if (known !== undefined) {
    if (result.jobId !== known || result.created)
      model.violations.push(
        `submit with known key ${plan.key} answered ${result.jobId} created=${result.created}, expected ${known} created=false`,
      );
    const job = model.jobs.get(known);
    if (job !== undefined) job.submits++;
    return;
  }
  if (!result.created || model.jobs.has(result.jobId))
    model.violations.push(
      `new submit ${describePlan(plan)} answered ${result.jobId} created=${result.created}`,
    );
  if (plan.key !== undefined) model.byKey.set(plan.key, result.jobId);
  model.jobs.set(result.jobId, {
    id: result.jobId,
    script: plan.script,
    maxAttempts: plan.maxAttempts,
    ...(plan.key === undefined ? {} : { key: plan.key }),
    ...(plan.durable === undefined ? {} : { durable: plan.durable }),
    submits: 1,
    cancelled: false,
  });
};

/** Its flow children, and theirs: a cancel of the job may cancel them (ADR 0042). */
const markCascade = (model: Model, jobId: string): void => {
  for (const d of model.jobs.get(jobId)?.dependsOn ?? []) {
    const child = model.jobs.get(d.jobId);
    if (!d.child || child === undefined || child.mayBeCancelled === true) continue;
    child.mayBeCancelled = true;
    markCascade(model, d.jobId);
  }
};

/** Cancel: accepted (the job must end cancelled) or refused because the job already ended. */
const cancelJob = async (model: Model, real: ModelSystem, jobId: string): Promise<string> => {
  const job = model.jobs.get(jobId);
  try {
    const head = await real.engine.jobs.cancel(jobId, apiActor, "the model cancels it");
    if (statusOf(head.state) !== "cancelled")
      model.violations.push(`cancel of ${jobId} answered ${statusOf(head.state)}`);
    if (job !== undefined) job.cancelled = true;
    markCascade(model, jobId);
    return "cancelled";
  } catch (error) {
    if (error instanceof CommandRefused && TERMINAL.has(error.status)) {
      // A repeated cancel of a cancelled parent finishes its cascade too.
      if (error.status === "cancelled") markCascade(model, jobId);
      return `refused (${error.status})`;
    }
    throw error;
  }
};

export class SubmitCommand implements Cmd {
  constructor(readonly plan: JobPlan) {}
  check = () => true;
  async run(model: Model, real: ModelSystem) {
    const result = await real.engine.jobs.submit(requestOf(this.plan), apiActor);
    model.trace.push(`${this.toString()} -> ${result.jobId} created=${result.created}`);
    acceptSubmit(model, this.plan, result);
  }
  toString = () => `submit ${describePlan(this.plan)}`;
}

/** The exact same request as an earlier keyed submit. */
export class DuplicateSubmitCommand implements Cmd {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.byKey.size > 0;
  async run(model: Model, real: ModelSystem) {
    const keyed = [...model.jobs.values()].filter((j) => j.key !== undefined);
    const job = keyed[this.n % keyed.length];
    if (job === undefined) return;
    const plan: JobPlan = {
      script: job.script,
      maxAttempts: job.maxAttempts,
      key: job.key as string,
      delayMs: 0,
      ...(job.durable === undefined ? {} : { durable: job.durable }),
    };
    const result = await real.engine.jobs.submit(requestOf(plan), apiActor);
    model.trace.push(`${this.toString()} of ${job.id} -> ${result.jobId} created=${result.created}`);
    acceptSubmit(model, plan, result);
  }
  toString = () => `duplicate-submit #${this.n}`;
}

export class StartWorkerCommand implements Cmd {
  check = (model: Readonly<Model>) => model.liveWorkers < 3;
  async run(model: Model, real: ModelSystem) {
    const { worker } = await real.startWorker();
    model.liveWorkers++;
    model.trace.push(`start-worker -> ${worker.id}`);
  }
  toString = () => "start-worker";
}

export class CrashWorkerCommand implements Cmd {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.liveWorkers > 0;
  async run(model: Model, real: ModelSystem) {
    const id = real.workers[this.n % real.workers.length]?.worker.id;
    await real.crashWorker(this.n);
    model.liveWorkers--;
    model.trace.push(`crash-worker -> ${id}`);
  }
  toString = () => `crash-worker #${this.n}`;
}

export class StopWorkerCommand implements Cmd {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.liveWorkers > 0;
  async run(model: Model, real: ModelSystem) {
    const id = real.workers[this.n % real.workers.length]?.worker.id;
    await real.stopWorker(this.n);
    model.liveWorkers--;
    model.trace.push(`stop-worker -> ${id}`);
  }
  toString = () => `stop-worker #${this.n}`;
}

export class CancelCommand implements Cmd {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.jobs.size > 0;
  async run(model: Model, real: ModelSystem) {
    const job = nthJob(model, this.n);
    if (job === undefined) return;
    model.trace.push(`cancel ${job.id} -> ${await cancelJob(model, real, job.id)}`);
  }
  toString = () => `cancel #${this.n}`;
}

/**
 * Send the signal "go" to some job (ADR 0043): accepted (recorded; a durable job waiting for it
 * resumes), or refused because the job already has it or has ended — nothing else.
 */
export class SignalCommand implements Cmd {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.jobs.size > 0;
  async run(model: Model, real: ModelSystem) {
    const job = nthJob(model, this.n);
    if (job === undefined) return;
    try {
      await real.engine.jobs.signal(job.id, apiActor, "go", { n: this.n });
      model.trace.push(`signal ${job.id} go -> recorded`);
    } catch (error) {
      if (
        error instanceof CommandRefused &&
        (error.code === "signal_already_received" ||
          (error.code === "illegal_transition" && TERMINAL.has(error.status)))
      )
        return void model.trace.push(`signal ${job.id} go -> refused (${error.code}, ${error.status})`);
      throw error;
    }
  }
  toString = () => `signal #${this.n}`;
}

/** An operator retries a dead letter (one more attempt), when some model job is dead-lettered. */
export class RetryDeadLetterCommand implements Cmd {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.jobs.size > 0;
  async run(model: Model, real: ModelSystem) {
    const ids = [...model.jobs.keys()];
    const heads = await real.engine.store.loadHeads(ids);
    const dead = heads.filter((h) => h !== null && statusOf(h.state) === "dead_letter");
    const head = dead[this.n % Math.max(1, dead.length)];
    if (head === undefined || head === null) return void model.trace.push("retry-dead-letter -> none");
    const after = await real.engine.jobs.retry(head.jobId, operator, "the model retries it", 1);
    if (statusOf(after.state) !== "queued")
      model.violations.push(`retry of dead letter ${head.jobId} answered ${statusOf(after.state)}`);
    model.trace.push(`retry-dead-letter ${head.jobId} -> ${statusOf(after.state)}`);
  }
  toString = () => `retry-dead-letter #${this.n}`;
}

/**
 * A job that waits for up to three jobs the model already holds (ADR 0042), each with a failure
 * policy: some may have ended already, some not yet.
 */
export class SubmitDependentCommand implements Cmd {
  constructor(
    readonly plan: JobPlan,
    readonly picks: ReadonlyArray<number>,
    readonly policies: ReadonlyArray<FailurePolicy>,
  ) {}
  check = (model: Readonly<Model>) => model.jobs.size > 0;
  async run(model: Model, real: ModelSystem) {
    const ids = [...new Set(this.picks.map((n) => nthJob(model, n)?.id).filter((id) => id !== undefined))];
    const dependsOn = ids.map((jobId, i) => ({
      jobId,
      onFailure: this.policies[i % this.policies.length] ?? "fail",
      child: false,
    }));
    const { key: _key, ...plan } = this.plan;
    const result = await real.engine.jobs.submit(
      { ...requestOf(plan), dependsOn: dependsOn.map(({ jobId, onFailure }) => ({ jobId, onFailure })) },
      apiActor,
    );
    model.trace.push(`${this.toString()} on ${ids.join(",")} -> ${result.jobId} created=${result.created}`);
    if (!result.created || model.jobs.has(result.jobId))
      model.violations.push(`dependent submit answered ${result.jobId} created=${result.created}`);
    model.jobs.set(result.jobId, {
      id: result.jobId,
      script: plan.script,
      maxAttempts: plan.maxAttempts,
      submits: 1,
      cancelled: false,
      dependsOn,
    });
  }
  toString = () =>
    `submit-dependent ${describePlan(this.plan)} on #${this.picks.join(",#")} (${this.policies.join(",")})`;
}

/** A flow: a parent and one to three children, one of which may have a child of its own. */
export class SubmitFlowCommand implements Cmd {
  constructor(
    readonly parent: JobPlan,
    readonly children: ReadonlyArray<{
      readonly plan: JobPlan;
      readonly onFailure: FailurePolicy;
      readonly grandchild: JobPlan | null;
    }>,
  ) {}
  check = () => true;
  async run(model: Model, real: ModelSystem) {
    const spec = (plan: JobPlan) => {
      const { key: _key, ...rest } = plan;
      return requestOf(rest);
    };
    const { jobId, created } = await real.engine.jobs.submitFlow(
      {
        job: spec(this.parent),
        children: this.children.map((c) => ({
          job: spec(c.plan),
          onFailure: c.onFailure,
          ...(c.grandchild === null ? {} : { children: [{ job: spec(c.grandchild) }] }),
        })),
      },
      apiActor,
    );
    if (!created) model.violations.push(`flow ${jobId} answered created=false`);
    const tree = await real.engine.jobs.tree(jobId);
    const add = (node: typeof tree, plan: JobPlan) =>
      model.jobs.set(node.id, {
        id: node.id,
        script: plan.script,
        maxAttempts: plan.maxAttempts,
        submits: 1,
        cancelled: false,
        dependsOn: node.dependencies.map((d) => ({
          jobId: d.id,
          onFailure: d.onFailure ?? "fail",
          child: d.child === true,
        })),
      });
    add(tree, this.parent);
    this.children.forEach((c, i) => {
      const node = tree.dependencies[i];
      if (node === undefined)
        return void model.violations.push(`flow ${jobId}: child ${i} missing from its tree`);
      add(node, c.plan);
      const grand = node.dependencies[0];
      if (c.grandchild !== null && grand !== undefined) add(grand, c.grandchild);
    });
    model.trace.push(`${this.toString()} -> ${jobId} (${tree.dependencies.length} children)`);
  }
  toString = () =>
    `submit-flow ${describePlan(this.parent)} <- [${this.children.map((c) => `${describePlan(c.plan)}/${c.onFailure}${c.grandchild === null ? "" : ` <- ${describePlan(c.grandchild)}`}`).join(" | ")}]`;
}

/** Wait until the n-th job has ended (only while some worker can run it). */
export class AwaitJobCommand implements Cmd {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.jobs.size > 0 && model.liveWorkers > 0;
  async run(model: Model, real: ModelSystem) {
    const job = nthJob(model, this.n);
    if (job === undefined) return;
    if (real.workers.every((w) => real.exited.has(w.worker)))
      return void model.trace.push(`await ${job.id} -> skipped (no running worker)`);
    const status = await waitFor(
      async () => {
        const s = statusOf((await real.engine.jobs.get(job.id)).state);
        return TERMINAL.has(s) ? s : undefined;
      },
      `job ${job.id} to end`,
      30_000,
    );
    model.trace.push(`await ${job.id} -> ${status}`);
  }
  toString = () => `await-job #${this.n}`;
}

/** Let time pass (lets work get under way before the next fault; asserts nothing). */
export class PauseCommand implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model) {
    await new Promise((r) => setTimeout(r, this.ms));
    model.trace.push(this.toString());
  }
  toString = () => `pause ${this.ms}ms`;
}

export class RestartProjectorCommand implements Cmd {
  check = () => true;
  async run(model: Model, real: ModelSystem) {
    await real.restartProjector();
    model.trace.push(this.toString());
  }
  toString = () => "restart-projector";
}

export class RestartRedisCommand implements Cmd {
  check = () => true;
  async run(model: Model, real: ModelSystem) {
    await real.restartRedis();
    model.trace.push(this.toString());
  }
  toString = () => "restart-redis (SIGKILL, AOF)";
}

/**
 * A stalled worker wakes after its lease was reclaimed (inv. 4): it takes a job's attempt 1 and
 * freezes (no renewals); another worker reclaims the job (lease_expired) and starts attempt 2;
 * while attempt 2 runs, the stalled handler finishes and its completion must be refused. Then
 * attempt 2 completes.
 */
export class ZombieCommand implements Cmd {
  check = () => true;
  async run(model: Model, real: ModelSystem) {
    const k = model.zombies.length;
    const queue = `zombie-${k}`;
    const gate = `${real.prefix}-gate-${k}`;
    const script: ReadonlyArray<Behaviour> = ["gate", "gate"];
    const zombie = await real.startZombie(queue);
    const { jobId } = await real.engine.jobs.submit(
      {
        type: JOB_TYPE,
        queue,
        payload: { script, gate },
        maxAttempts: 3,
        backoff: { type: "fixed", delayMs: 20 },
      },
      apiActor,
    );
    model.jobs.set(jobId, { id: jobId, script, maxAttempts: 3, submits: 1, cancelled: false });
    const attemptRunning = (attempt: number) => async () => {
      const head = await real.engine.jobs.get(jobId);
      return statusOf(head.state) === "processing" && contextOf(head.state).attempt === attempt;
    };
    await waitFor(attemptRunning(1), `zombie job ${jobId} to start`);
    zombie.stall();
    const reclaimer = await real.startHelper([queue]);
    await waitFor(
      attemptRunning(2),
      `zombie job ${jobId} to be reclaimed and restarted by another worker`,
      20_000,
    );
    real.gates.open(`${gate}/1`);
    const refusal = await waitFor(
      () => zombie.errors.find((e) => e instanceof CommandRefused && e.jobId === jobId),
      `the stalled worker's completion of ${jobId} to be refused`,
      5_000,
    ).catch(() => undefined);
    if (refusal === undefined)
      model.violations.push(`inv. 4: the stalled worker's completion of ${jobId} was not refused`);
    real.gates.open(`${gate}/2`);
    await waitFor(
      async () => TERMINAL.has(statusOf((await real.engine.jobs.get(jobId)).state)),
      `zombie job ${jobId} to end`,
    );
    model.zombies.push({ jobId, workerId: zombie.worker.id, attempt: 1 });
    model.trace.push(
      `zombie ${zombie.worker.id} on ${jobId}, reclaimed by ${reclaimer.worker.id} -> ${refusal === undefined ? "NOT refused" : `refused (${(refusal as CommandRefused).code})`}`,
    );
    await zombie.worker.crash().catch(() => {});
    await reclaimer.worker.stop(200).catch(() => {});
  }
  toString = () => "zombie-worker";
}

type BurstOp =
  { readonly kind: "submit"; readonly plan: JobPlan } | { readonly kind: "cancel"; readonly n: number };

/**
 * Concurrent submits (duplicates with the same key among them) and cancels, launched in an order
 * fast-check's scheduler picks (they then run concurrently on the real connections).
 */
export class BurstCommand implements Cmd {
  constructor(
    readonly ops: ReadonlyArray<BurstOp>,
    readonly scheduler: fc.Scheduler,
  ) {}
  check = () => true;
  async run(model: Model, real: ModelSystem) {
    const targets = this.ops.map((op) => (op.kind === "cancel" ? nthJob(model, op.n)?.id : undefined));
    const tasks = this.ops.map((op, i) =>
      this.scheduler.schedule(Promise.resolve(i), `op ${i}`).then(async () => {
        if (op.kind === "submit") return real.engine.jobs.submit(requestOf(op.plan), apiActor);
        const id = targets[i];
        return id === undefined ? "no job" : cancelJob(model, real, id);
      }),
    );
    await this.scheduler.waitAll();
    const results = await Promise.all(tasks);
    // Per key, the one submit that created the job first, then the repeats.
    const order = this.ops
      .map((op, i) => ({ op, result: results[i] }))
      .sort((a, b) => Number(isCreated(b.result)) - Number(isCreated(a.result)));
    for (const { op, result } of order)
      if (op.kind === "submit" && typeof result === "object") acceptSubmit(model, op.plan, result);
    model.trace.push(
      `${this.toString()} -> ${results.map((r) => (typeof r === "object" ? `${r.jobId} created=${r.created}` : r)).join("; ")}`,
    );
  }
  toString = () =>
    `burst[${this.ops.map((op) => (op.kind === "submit" ? `submit ${describePlan(op.plan)}` : `cancel #${op.n}`)).join(" | ")}] ${String(this.scheduler)}`;
}

const isCreated = (r: unknown) => typeof r === "object" && r !== null && (r as Submitted).created;

// ---- arbitraries ----

const behaviourArb: fc.Arbitrary<Behaviour> = fc.oneof(
  { weight: 4, arbitrary: fc.constant("ok" as const) },
  { weight: 2, arbitrary: fc.constant("retry" as const) },
  { weight: 1, arbitrary: fc.constant("fatal" as const) },
  { weight: 1, arbitrary: fc.constant("timeout" as const) },
  { weight: 1, arbitrary: fc.constant("hang" as const) },
);

const planArb: fc.Arbitrary<JobPlan> = fc
  .record({
    script: fc.array(behaviourArb, { minLength: 1, maxLength: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    key: fc.option(fc.constantFrom("k0", "k1", "k2"), { nil: undefined }),
    delayMs: fc.constantFrom(0, 0, 0, 120),
    durable: fc.constantFrom<Durable | undefined>(undefined, undefined, "sleep", "wait"),
  })
  .map(({ key, durable, ...p }): JobPlan => ({
    ...p,
    ...(key === undefined ? {} : { key }),
    ...(durable === undefined ? {} : { durable }),
  }));

const burstArb = fc
  .tuple(
    fc.array(
      fc.oneof(
        planArb.map((plan) => ({ kind: "submit" as const, plan })),
        fc.nat(20).map((n) => ({ kind: "cancel" as const, n })),
      ),
      { minLength: 1, maxLength: 4 },
    ),
    fc.constantFrom("k0", "k1", "k2", "k3"),
    planArb,
    fc.scheduler(),
  )
  // Always include two exact duplicates racing each other.
  .map(([ops, key, plan, scheduler]) => {
    const dup = { kind: "submit" as const, plan: { ...plan, key } };
    return new BurstCommand([dup, ...ops, dup], scheduler);
  });

const policyArb = fc.constantFrom<FailurePolicy>("fail", "ignore", "continue");

/** Plans without an idempotency key (a flow's children may not have one; kept simple for dependents). */
const unkeyedPlanArb = planArb.map(({ key: _key, ...plan }): JobPlan => plan);

const dependentArb = fc
  .tuple(
    unkeyedPlanArb,
    fc.array(fc.nat(20), { minLength: 1, maxLength: 3 }),
    fc.array(policyArb, { minLength: 1, maxLength: 3 }),
  )
  .map(([plan, picks, policies]) => new SubmitDependentCommand(plan, picks, policies));

const flowArb = fc
  .tuple(
    unkeyedPlanArb,
    fc.array(
      fc.record({
        plan: unkeyedPlanArb,
        onFailure: policyArb,
        grandchild: fc.option(unkeyedPlanArb, { nil: null, freq: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([parent, children]) => new SubmitFlowCommand(parent, children));

export const commandArbs = (): Array<fc.Arbitrary<Cmd>> => [
  dependentArb,
  flowArb,
  planArb.map((plan) => new SubmitCommand(plan)),
  planArb.map((plan) => new SubmitCommand(plan)),
  fc.nat(20).map((n) => new DuplicateSubmitCommand(n)),
  fc.constant(new StartWorkerCommand()),
  fc.constant(new StartWorkerCommand()),
  fc.nat(5).map((n) => new CrashWorkerCommand(n)),
  fc.nat(5).map((n) => new StopWorkerCommand(n)),
  fc.nat(20).map((n) => new CancelCommand(n)),
  fc.nat(20).map((n) => new RetryDeadLetterCommand(n)),
  fc.nat(20).map((n) => new SignalCommand(n)),
  fc.nat(20).map((n) => new AwaitJobCommand(n)),
  fc.integer({ min: 0, max: 300 }).map((ms) => new PauseCommand(ms)),
  fc.constant(new RestartProjectorCommand()),
  fc.constant(new RestartRedisCommand()),
  fc.constant(new ZombieCommand()),
  burstArb,
];
