/**
 * Dependencies and flows on a real Redis (issue 18, ADR 0042): a job that names its dependencies
 * waits, records each one's end, and is released exactly once; failure policies; a dependency
 * that already ended counts at once; unknown dependencies are refused; flows are one
 * all-or-nothing append in one shard; cancelling a parent cancels its unfinished children; the
 * parent's handler sees its children's results; many followers and workers release each parent
 * once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Envelope, MAX_REASON_LENGTH, statusOf } from "../src/domain/index.ts";
import { DependencyFollower } from "../src/engine/flows/index.ts";
import { systemClock } from "../src/engine/shared/index.ts";
import { type Handlers, NonRetryableError, type Worker } from "../src/engine/worker/index.ts";
import { type DependencyLinks, JobService } from "../src/engine/write/index.ts";
import { RedisDependencyLinks } from "../src/infra/redis/redis-dependency-links.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { keysMatching, startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;
let running: Array<{ worker: Worker; done: Promise<void> }> = [];
let followers: Array<DependencyFollower> = [];
/** What the followers reported to their onError (the process's log in `docket api`). */
let followerErrors: Array<unknown> = [];

/** Whether a child of type "child" fails this time (by payload key), for the policy tests. */
const failing = new Set<string>();

const handlers: Handlers = {
  child: (payload) => {
    const { key, n } = payload as { key: string; n: number };
    if (failing.has(key)) throw new NonRetryableError(`child ${key} refuses`);
    return { n };
  },
  parent: async (_payload, ctx) => {
    const children = await ctx.children();
    return {
      children: children.map((c) => ({ status: c.status, result: c.result, code: c.error?.code ?? null })),
    };
  },
};

const follower = (
  id = "follower-test",
  links: DependencyLinks = new RedisDependencyLinks(engine.client, engine.store.keys),
) => {
  const f = new DependencyFollower({
    store: engine.store,
    links,
    clock: systemClock,
    id,
    intervalMs: 20,
    onError: (error) => followerErrors.push(error),
  });
  f.start();
  followers.push(f);
  return f;
};

const workers = async (count: number) => {
  for (let i = 0; i < count; i++)
    running.push(
      await startWorker(engine, handlers, { name: `w-${i}`, queues: ["default"], concurrency: 4 }),
    );
};

const submit = (spec: Record<string, unknown>) => engine.jobs.submit(spec, apiActor);
const statusNow = async (jobId: string) => statusOf((await engine.jobs.get(jobId)).state);
const untilStatus = (jobId: string, status: string, timeoutMs = 15_000) =>
  waitFor(async () => (await statusNow(jobId)) === status, `job ${jobId} to be ${status}`, timeoutMs);
const types = async (jobId: string) => (await engine.store.readEvents(jobId)).map((e: Envelope) => e.type);
const count = (list: ReadonlyArray<string>, type: string) => list.filter((t) => t === type).length;

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url, { shards: 4 });
});
afterEach(async () => {
  for (const f of followers) await f.stop();
  for (const { worker, done } of running) {
    await worker.stop(200);
    await done;
  }
  followers = [];
  followerErrors = [];
  running = [];
  failing.clear();
});
afterAll(async () => {
  await engine.close();
  await redis.stop();
});

describe("dependsOn", () => {
  it("a job waits for its dependencies, records each end, is released once, and its handler sees their results", async () => {
    const a = await submit({ type: "child", payload: { key: "a1", n: 1 } });
    const b = await submit({ type: "child", payload: { key: "b1", n: 2 } });
    const p = await submit({ type: "parent", dependsOn: [a.jobId, b.jobId] });
    expect(await statusNow(p.jobId)).toBe("waiting");
    follower();
    await workers(2);
    await untilStatus(p.jobId, "completed");
    const history = await types(p.jobId);
    expect(history.slice(0, 4).sort()).toEqual(
      ["DependencyEnded", "DependencyEnded", "JobReleased", "JobSubmitted"].sort(),
    );
    expect(history[0]).toBe("JobSubmitted");
    expect(count(history, "JobReleased")).toBe(1);
    expect(history.indexOf("JobReleased")).toBeLessThan(history.indexOf("AttemptStarted"));
    const view = await engine.jobs.view(p.jobId);
    expect(view.result).toEqual({
      children: [
        { status: "completed", result: { n: 1 }, code: null },
        { status: "completed", result: { n: 2 }, code: null },
      ],
    });
    expect(view.dependencies.map((d) => d.ended)).toEqual(["completed", "completed"]);
    expect(await engine.jobs.dependents(a.jobId)).toEqual([p.jobId]);
  });

  it("a dependency that already ended counts at once: the job is released in its submit's append", async () => {
    follower();
    await workers(1);
    const a = await submit({ type: "child", payload: { key: "a2", n: 3 } });
    await untilStatus(a.jobId, "completed");
    const p = await submit({ type: "parent", dependsOn: [a.jobId] });
    expect((await engine.store.readEvents(p.jobId)).map((e) => e.type).slice(0, 3)).toEqual([
      "JobSubmitted",
      "DependencyEnded",
      "JobReleased",
    ]);
    await untilStatus(p.jobId, "completed");
  });

  it("an unknown dependency is refused with dependency_not_found, and nothing is written", async () => {
    const missing = "01a22c93-bc32-77c0-9cfe-62e1f3e8d8a7";
    await expect(submit({ type: "parent", dependsOn: [missing] })).rejects.toMatchObject({
      _tag: "DependencyRefused",
      code: "dependency_not_found",
      dependency: missing,
    });
  });

  it("a job named twice in dependsOn is refused as an invalid spec", async () => {
    const a = await submit({ type: "child", payload: { key: "a3", n: 1 }, queue: "idle" });
    await expect(submit({ type: "parent", dependsOn: [a.jobId, a.jobId] })).rejects.toMatchObject({
      _tag: "InvalidJobSpec",
      field: "dependsOn",
    });
  });
});

describe("failure policies", () => {
  it("fail (default): a dead-lettered dependency dead-letters the job by policy; retried and completed, it releases the job after all", async () => {
    failing.add("f1");
    const a = await submit({ type: "child", payload: { key: "f1", n: 1 } });
    const p = await submit({ type: "parent", dependsOn: [a.jobId] });
    follower();
    await workers(1);
    await untilStatus(p.jobId, "dead_letter");
    expect((await types(p.jobId)).slice(-2)).toEqual(["DependencyEnded", "JobFailedByDependency"]);
    failing.delete("f1");
    await engine.jobs.retry(a.jobId, apiActor, "fixed");
    await untilStatus(p.jobId, "completed");
    const history = await types(p.jobId);
    expect(count(history, "JobReleased")).toBe(1);
    expect(count(history, "DependencyEnded")).toBe(2);
  });

  it("a job submitted after its dependency failed is dead-lettered by its submit, and still released when that dependency is retried and completes", async () => {
    const b = await submit({ type: "child", payload: { key: "late2", n: 6 } });
    failing.add("late2");
    follower();
    await workers(1);
    await untilStatus(b.jobId, "dead_letter");
    const p = await submit({ type: "parent", dependsOn: [b.jobId] });
    expect(await types(p.jobId)).toEqual(["JobSubmitted", "DependencyEnded", "JobFailedByDependency"]);
    // It is followed still: the dependency's retry and completion release it.
    expect(
      await engine.client.zscore(engine.store.keys.waiting(engine.store.keys.shardOf(p.jobId)), p.jobId),
    ).not.toBeNull();
    failing.delete("late2");
    await engine.jobs.retry(b.jobId, apiActor, "fixed");
    await untilStatus(p.jobId, "completed");
  });

  it("ignore: a failed dependency counts as an end; the job waits for the others", async () => {
    failing.add("i1");
    const a = await submit({ type: "child", payload: { key: "i1", n: 1 } });
    const b = await submit({ type: "child", payload: { key: "i2", n: 2 }, queue: "later" });
    const p = await submit({
      type: "parent",
      dependsOn: [{ jobId: a.jobId, onFailure: "ignore" }, b.jobId],
    });
    follower();
    await workers(1);
    await untilStatus(a.jobId, "dead_letter");
    await waitFor(
      async () => (await engine.jobs.view(p.jobId)).dependencies[0]?.ended === "dead_letter",
      "the ignored failure to be recorded",
    );
    expect(await statusNow(p.jobId)).toBe("waiting");
    await engine.jobs.cancel(b.jobId, apiActor, "not needed");
    // b's cancel is a failure under `fail`: the job is dead-lettered by policy.
    await untilStatus(p.jobId, "dead_letter");
  });

  it("continue: a failed dependency releases the job at once, and its handler sees the failure", async () => {
    failing.add("c1");
    const a = await submit({ type: "child", payload: { key: "c1", n: 1 } });
    const b = await submit({ type: "child", payload: { key: "c2", n: 2 }, queue: "later" });
    const p = await submit({
      type: "parent",
      dependsOn: [{ jobId: a.jobId, onFailure: "continue" }, b.jobId],
    });
    follower();
    await workers(1);
    await untilStatus(p.jobId, "completed");
    expect(await statusNow(b.jobId)).toBe("queued");
    expect((await engine.jobs.view(p.jobId)).result).toEqual({
      children: [
        { status: "dead_letter", result: null, code: "non_retryable" },
        { status: "queued", result: null, code: null },
      ],
    });
  });
});

describe("flows", () => {
  const flow = {
    job: { type: "parent" },
    children: [
      { job: { type: "child", payload: { key: "x1", n: 1 } } },
      {
        job: { type: "parent" },
        onFailure: "ignore",
        children: [{ job: { type: "child", payload: { key: "x2", n: 2 } } }],
      },
    ],
  };

  it("a flow is created at once in its parent's shard, answered as a tree, and runs leaves first", async () => {
    const submitted = await engine.jobs.submitFlow(flow, apiActor);
    expect(submitted.created).toBe(true);
    const tree = await engine.jobs.tree(submitted.jobId);
    expect(tree.status).toBe("waiting");
    expect(tree.dependencies.map((d) => [d.type, d.onFailure, d.child])).toEqual([
      ["child", "fail", true],
      ["parent", "ignore", true],
    ]);
    const ids = [tree.id, ...tree.dependencies.map((d) => d.id), tree.dependencies[1]?.dependencies[0]?.id];
    const shards = new Set(ids.map((id) => engine.store.keys.shardOf(id as string)));
    expect(shards.size).toBe(1);
    follower();
    await workers(2);
    await untilStatus(submitted.jobId, "completed");
    const inner = tree.dependencies[1]?.id as string;
    const [innerDone, rootDone] = await Promise.all([
      engine.store.readEvents(inner),
      engine.store.readEvents(submitted.jobId),
    ]);
    // The inner parent ended before the outer one was released.
    const innerEnd = innerDone.find((e) => e.type === "JobCompleted")?.at as string;
    const released = rootDone.find((e) => e.type === "JobReleased")?.at as string;
    expect(Date.parse(innerEnd)).toBeLessThanOrEqual(Date.parse(released));
  });

  it("a repeat of a flow with the parent's idempotency key answers the first flow and writes nothing", async () => {
    const keyed = { ...flow, job: { type: "parent", idempotencyKey: "flow-once" } };
    const first = await engine.jobs.submitFlow(keyed, apiActor);
    const again = await engine.jobs.submitFlow(keyed, apiActor);
    expect(again).toEqual({ jobId: first.jobId, created: false });
  });

  it("a repeat or a refused submit of a flow, or of a job naming dependsOn, one by one or in bulk, leaves no dependency link behind (its fresh ids never became jobs)", async () => {
    const { keys } = engine.store;
    const dependentsKeys = async () =>
      (await keysMatching(engine.client, `${keys.prefix}*dependents:*`)).sort();
    const child = { job: { type: "child", queue: "idle" } };
    const keyed = {
      job: { type: "parent", queue: "idle", idempotencyKey: "flow-links" },
      children: [child, child],
    };
    const first = await engine.jobs.submitFlow(keyed, apiActor);
    const before = await dependentsKeys();
    for (let i = 0; i < 3; i++)
      expect(await engine.jobs.submitFlow(keyed, apiActor)).toEqual({ ...first, created: false });
    expect(await dependentsKeys()).toEqual(before);

    const dependency = (await submit({ type: "child", queue: "idle" })).jobId;
    const spec = {
      type: "parent",
      queue: "idle",
      dependsOn: [dependency],
      idempotencyKey: "dependent-links",
    };
    const made = await submit(spec);
    for (let i = 0; i < 3; i++)
      expect(await submit(spec)).toMatchObject({ jobId: made.jobId, created: false });
    const bulk = await engine.jobs.submitMany([spec, spec], apiActor);
    expect(bulk).toMatchObject([
      { jobId: made.jobId, created: false },
      { jobId: made.jobId, created: false },
    ]);
    const set = keys.dependents(keys.shardOf(dependency), dependency);
    expect(await engine.client.smembers(set)).toEqual([made.jobId]);

    // Refused at the write (an envelope no reader would take: a payload that cannot be hashed).
    const beforeRefusal = await dependentsKeys();
    const unhashable = { job: { type: "child", queue: "idle", payload: { s: "\uD800" } } };
    await expect(
      engine.jobs.submitFlow(
        { job: { type: "parent", queue: "idle" }, children: [child, unhashable] },
        apiActor,
      ),
    ).rejects.toMatchObject({ _tag: "InvalidJobSpec" });
    await expect(
      submit({ type: "parent", queue: "idle", dependsOn: [dependency], payload: { s: "\uDC00" } }),
    ).rejects.toMatchObject({ _tag: "InvalidJobSpec" });
    expect(await dependentsKeys()).toEqual(beforeRefusal);
    expect(await engine.client.smembers(set)).toEqual([made.jobId]);
  });

  it("an idempotency key on a child, a flow too deep and one too large are refused as invalid", async () => {
    await expect(
      engine.jobs.submitFlow(
        { job: { type: "parent" }, children: [{ job: { type: "child", idempotencyKey: "k" } }] },
        apiActor,
      ),
    ).rejects.toMatchObject({ _tag: "InvalidJobSpec", field: "children.0.job.idempotencyKey" });
    let deep: Record<string, unknown> = { job: { type: "child" } };
    for (let i = 0; i < 10; i++) deep = { job: { type: "parent" }, children: [deep] };
    await expect(engine.jobs.submitFlow(deep, apiActor)).rejects.toMatchObject({ field: "children" });
    const wide = {
      job: { type: "parent" },
      children: Array.from({ length: 100 }, () => ({ job: { type: "child" } })),
    };
    await expect(engine.jobs.submitFlow(wide, apiActor)).rejects.toMatchObject({ field: "children" });
  });

  it("an all-or-nothing append writes nothing when one of its jobs is refused", async () => {
    const existing = await submit({ type: "child", payload: { key: "z", n: 0 }, queue: "idle" });
    const head = await engine.jobs.get(existing.jobId);
    // The same creation again (same id: AlreadyExists) beside a fresh job of the same shard.
    const { JobWriter } = await import("../src/engine/write/index.ts");
    const writer = new JobWriter(engine.store, systemClock);
    const at = new Date().toISOString();
    const spec = head.state.context;
    // A fresh id in the existing job's shard (one script call holds both).
    const shard = engine.store.keys.shardOf(existing.jobId);
    const fresh = Array.from(
      { length: 4096 },
      (_, i) => `${existing.jobId.slice(0, -4)}${i.toString(16).padStart(4, "0")}`,
    ).find((id) => id !== existing.jobId && engine.store.keys.shardOf(id) === shard) as string;
    const intent = (jobId: string) => ({
      jobId,
      create: { payload: null },
      command: () => ({
        type: "SubmitJob" as const,
        at,
        actor: apiActor,
        spec: {
          jobType: "child",
          payload: null,
          queue: spec.queue,
          priority: spec.priority,
          maxAttempts: 1,
          backoff: spec.backoff,
        },
      }),
    });
    await expect(
      writer.writeAll([intent(fresh), intent(existing.jobId)], engine.store),
    ).rejects.toMatchObject({
      code: "job_exists",
    });
    expect(await engine.store.loadHead(fresh)).toBeNull();
    expect(await engine.store.readEvents(fresh)).toEqual([]);
  });

  it("cancelling a flow's parent cancels its unfinished children (and theirs), recorded with the cause", async () => {
    const parked = {
      job: { type: "parent", queue: "idle" },
      children: [
        { job: { type: "child", queue: "idle" } },
        { job: { type: "parent", queue: "idle" }, children: [{ job: { type: "child", queue: "idle" } }] },
      ],
    };
    const { jobId } = await engine.jobs.submitFlow(parked, apiActor);
    const tree = await engine.jobs.tree(jobId);
    await engine.jobs.cancel(jobId, apiActor, "changed my mind");
    const grandchild = tree.dependencies[1]?.dependencies[0]?.id as string;
    for (const id of [tree.dependencies[0]?.id as string, tree.dependencies[1]?.id as string, grandchild]) {
      expect(await statusNow(id)).toBe("cancelled");
      const last = (await engine.store.readEvents(id)).at(-1);
      expect(last?.type).toBe("JobCancelled");
      expect(last?.type === "JobCancelled" && last.data.reason).toMatch(/^parent .* was cancelled/);
    }
  });

  it("a parent's cancel and its cascade are one write: an API that dies after its first write leaves the parent and every unfinished descendant cancelled, with the cause", async () => {
    const { jobId } = await engine.jobs.submitFlow(
      {
        job: { type: "parent", queue: "idle" },
        children: [
          { job: { type: "child", queue: "idle" } },
          { job: { type: "child", queue: "idle", delayMs: 3_600_000 } },
          { job: { type: "parent", queue: "idle" }, children: [{ job: { type: "child", queue: "idle" } }] },
        ],
      },
      apiActor,
    );
    const tree = await engine.jobs.tree(jobId);
    const descendants = [
      ...tree.dependencies.map((d) => d.id),
      ...(tree.dependencies[2]?.dependencies.map((d) => d.id) ?? []),
    ];
    expect(descendants).toHaveLength(4);
    // The process dies just after its first write reaches Redis: that write is kept, the
    // caller hears an error, and nothing after it is written.
    let wrote = false;
    const died = new Error("the API process died");
    const dying = new Proxy(engine.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== "function") return value;
        const bound = (value as (...args: Array<unknown>) => Promise<unknown>).bind(target);
        if (!["append", "appendMany", "appendAll"].includes(String(key))) return bound;
        return async (...args: Array<unknown>) => {
          if (wrote) throw died;
          wrote = true;
          await bound(...args);
          throw died;
        };
      },
    });
    const jobs = new JobService({
      store: dying,
      flows: dying,
      queue: engine.queue,
      clock: systemClock,
      shards: 4,
      links: new RedisDependencyLinks(engine.client, engine.store.keys),
    });
    await expect(jobs.cancel(jobId, apiActor, "changed my mind")).rejects.toBe(died);
    for (const id of [jobId, ...descendants]) expect(await statusNow(id)).toBe("cancelled");
    const reasons = await Promise.all(
      descendants.map(async (id) => {
        const last = (await engine.store.readEvents(id)).at(-1);
        return last?.type === "JobCancelled" ? last.data.reason : undefined;
      }),
    );
    expect(reasons.slice(0, 3)).toEqual(
      [0, 1, 2].map(() => `parent ${jobId} was cancelled: changed my mind`),
    );
    expect(reasons[3]).toBe(
      `parent ${descendants[2]} was cancelled: parent ${jobId} was cancelled: changed my mind`,
    );
  });

  it("cancelling a parent leaves a child that already ended as it is, and a second cancel changes nothing", async () => {
    const { jobId } = await engine.jobs.submitFlow(
      {
        job: { type: "parent", queue: "idle" },
        children: [
          { job: { type: "child", payload: { key: "c-done", n: 1 } } },
          { job: { type: "child", queue: "idle" } },
        ],
      },
      apiActor,
    );
    const [done, idle] = (await engine.jobs.tree(jobId)).dependencies.map((d) => d.id) as [string, string];
    await workers(1);
    await untilStatus(done, "completed");
    const before = await types(done);
    await engine.jobs.cancel(jobId, apiActor, "enough");
    expect(await statusNow(idle)).toBe("cancelled");
    expect(await types(done)).toEqual(before);
    const versions = await Promise.all(
      [jobId, idle, done].map(async (id) => (await engine.jobs.get(id)).version),
    );
    await expect(engine.jobs.cancel(jobId, apiActor, "enough")).resolves.toMatchObject({ jobId });
    expect(
      await Promise.all([jobId, idle, done].map(async (id) => (await engine.jobs.get(id)).version)),
    ).toEqual(versions);
  });

  it("twenty concurrent cancels of a flow's parent all answer cancelled, and each job of the flow records one JobCancelled", async () => {
    const { jobId } = await engine.jobs.submitFlow(
      {
        job: { type: "parent", queue: "idle" },
        children: Array.from({ length: 6 }, () => ({
          job: { type: "parent", queue: "idle" },
          children: [{ job: { type: "child", queue: "idle" } }],
        })),
      },
      apiActor,
    );
    const tree = await engine.jobs.tree(jobId);
    const all = [jobId, ...tree.dependencies.flatMap((c) => [c.id, ...c.dependencies.map((g) => g.id)])];
    expect(all).toHaveLength(13);
    const answers = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => engine.jobs.cancel(jobId, apiActor, `admin ${i}`)),
    );
    for (const answer of answers) {
      expect(answer.status).toBe("fulfilled");
      if (answer.status === "fulfilled") expect(statusOf(answer.value.state)).toBe("cancelled");
    }
    for (const id of all) expect(count(await types(id), "JobCancelled")).toBe(1);
  });

  it("a parent cancelled with the longest reason, of emoji, still cancels its children: the cause is cut to fit, never inside a surrogate pair", async () => {
    const { jobId } = await engine.jobs.submitFlow(
      {
        job: { type: "parent", queue: "idle" },
        children: [
          { job: { type: "parent", queue: "idle" }, children: [{ job: { type: "child", queue: "idle" } }] },
        ],
      },
      apiActor,
    );
    const tree = await engine.jobs.tree(jobId);
    const child = tree.dependencies[0]?.id as string;
    const grandchild = tree.dependencies[0]?.dependencies[0]?.id as string;
    await engine.jobs.cancel(jobId, apiActor, "🦆".repeat(MAX_REASON_LENGTH / 2));
    for (const id of [child, grandchild]) {
      expect(await statusNow(id)).toBe("cancelled");
      const last = (await engine.store.readEvents(id)).at(-1);
      const reason = last?.type === "JobCancelled" ? (last.data.reason ?? "") : "";
      expect(reason.isWellFormed()).toBe(true);
      expect(reason.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
      expect(reason).toMatch(/^parent .* was cancelled: 🦆/u);
    }
  });

  it("a child dead-lettered by its own child's failure is cancelled with the flow's parent, and that grandchild's retry then releases nothing", async () => {
    failing.add("gc-fails");
    const { jobId } = await engine.jobs.submitFlow(
      {
        job: { type: "parent", queue: "idle" },
        children: [
          {
            job: { type: "parent" },
            children: [{ job: { type: "child", payload: { key: "gc-fails", n: 1 } } }],
          },
        ],
      },
      apiActor,
    );
    const tree = await engine.jobs.tree(jobId);
    const child = tree.dependencies[0]?.id as string;
    const grandchild = tree.dependencies[0]?.dependencies[0]?.id as string;
    follower();
    await workers(1);
    await untilStatus(child, "dead_letter");
    await engine.jobs.cancel(jobId, apiActor, "give up");
    expect(await statusNow(child)).toBe("cancelled");
    expect((await types(child)).slice(-2)).toEqual(["JobFailedByDependency", "JobCancelled"]);
    // No longer followed: it left the shard's waiting index with its cancel.
    const keys = engine.store.keys;
    expect(await engine.client.zscore(keys.waiting(keys.shardOf(child)), child)).toBeNull();
    failing.delete("gc-fails");
    await engine.jobs.retry(grandchild, apiActor, "fixed");
    await untilStatus(grandchild, "completed");
    // The follower had its chance to release the child; it stays cancelled, never run.
    await waitFor(async () => followers.every((f) => f.status().passes >= 3), "three follower passes");
    expect(await statusNow(child)).toBe("cancelled");
    expect(count(await types(child), "AttemptStarted")).toBe(0);
  });

  it("a job dead-lettered by a dependency's failure can be cancelled by hand; a dead letter whose own attempts ran out cannot", async () => {
    failing.add("dl-hand");
    const a = await submit({ type: "child", payload: { key: "dl-hand", n: 1 } });
    const p = await submit({ type: "parent", dependsOn: [a.jobId] });
    follower();
    await workers(1);
    await untilStatus(p.jobId, "dead_letter");
    await untilStatus(a.jobId, "dead_letter");
    await expect(engine.jobs.cancel(p.jobId, apiActor, "not needed")).resolves.toMatchObject({
      jobId: p.jobId,
    });
    expect(await statusNow(p.jobId)).toBe("cancelled");
    await expect(engine.jobs.cancel(a.jobId, apiActor, "too late")).rejects.toMatchObject({
      code: "illegal_transition",
    });
    expect(await statusNow(a.jobId)).toBe("dead_letter");
  });

  it("cancelling a child applies its parent's policy", async () => {
    const { jobId } = await engine.jobs.submitFlow(
      { job: { type: "parent" }, children: [{ job: { type: "child", queue: "idle" } }] },
      apiActor,
    );
    const child = (await engine.jobs.tree(jobId)).dependencies[0]?.id as string;
    follower();
    await engine.jobs.cancel(child, apiActor, "no");
    await untilStatus(jobId, "dead_letter");
    const last = (await engine.store.readEvents(jobId)).at(-1);
    expect(last).toMatchObject({
      type: "JobFailedByDependency",
      data: { dependency: child, status: "cancelled" },
    });
  });
});

describe("the follower's failures", () => {
  it("a pass that fails is reported to onError, and the follower carries on and releases the job", async () => {
    const real = new RedisDependencyLinks(engine.client, engine.store.keys);
    const failure = new Error("waiting index unreadable");
    let failures = 2;
    const flaky: DependencyLinks = {
      shards: real.shards,
      link: (dependent, dependencies) => real.link(dependent, dependencies),
      unlink: (dependent, dependencies) => real.unlink(dependent, dependencies),
      dependents: (jobId, limit) => real.dependents(jobId, limit),
      statuses: (jobIds) => real.statuses(jobIds),
      waitingIn: (shard, offset, limit) =>
        failures-- > 0 ? Promise.reject(failure) : real.waitingIn(shard, offset, limit),
    };
    const a = await submit({ type: "child", payload: { key: "flaky-1", n: 1 } });
    const p = await submit({ type: "parent", dependsOn: [a.jobId] });
    follower("flaky", flaky);
    await workers(1);
    await untilStatus(p.jobId, "completed");
    expect(followerErrors).toEqual([failure, failure]);
    expect(count(await types(p.jobId), "JobReleased")).toBe(1);
  });
});

describe("the follower's cost", () => {
  it("a pass after the first reads no waiting job's head while nothing ended, and the heads of just the jobs an end concerns once one does", async () => {
    // A deployment of its own, so the waiting index holds only this test's jobs.
    const own = await makeEngine(redis.url, { shards: 4 });
    const submitOwn = async (spec: Record<string, unknown>) => (await own.jobs.submit(spec, apiActor)).jobId;
    const dependency = await submitOwn({ type: "child", queue: "idle" });
    const other = await submitOwn({ type: "child", queue: "idle" });
    const onFirst = (
      await own.jobs.submitMany(
        Array.from({ length: 200 }, () => ({ type: "parent", queue: "idle", dependsOn: [dependency] })),
        apiActor,
      )
    ).map((r) => (r as { jobId: string }).jobId);
    const onOther = await submitOwn({ type: "parent", queue: "idle", dependsOn: [other] });
    const headsRead: Array<string> = [];
    const statusesRead: Array<string> = [];
    const store = new Proxy(own.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== "function") return value;
        const bound = (value as (...args: Array<unknown>) => unknown).bind(target);
        if (key !== "loadHeads") return bound;
        return (ids: ReadonlyArray<string>) => {
          headsRead.push(...ids);
          return bound(ids);
        };
      },
    });
    const redisLinks = new RedisDependencyLinks(own.client, own.store.keys);
    const links: DependencyLinks = {
      shards: redisLinks.shards,
      link: (dependent, dependencies) => redisLinks.link(dependent, dependencies),
      unlink: (dependent, dependencies) => redisLinks.unlink(dependent, dependencies),
      dependents: (jobId, limit) => redisLinks.dependents(jobId, limit),
      waitingIn: (shard, offset, limit) => redisLinks.waitingIn(shard, offset, limit),
      statuses: (ids) => {
        statusesRead.push(...ids);
        return redisLinks.statuses(ids);
      },
    };
    const f = new DependencyFollower({ store, links, clock: systemClock, id: "cost" });
    await f.pass();
    expect(headsRead.filter((id) => onFirst.includes(id))).toHaveLength(200);
    headsRead.length = 0;
    statusesRead.length = 0;
    await f.pass();
    expect(headsRead).toEqual([]);
    expect(new Set(statusesRead)).toEqual(new Set([dependency, other]));
    // One dependency ends: the next pass reads the heads of the one job waiting for it only,
    // and fails it by policy; the 200 are not read.
    await own.jobs.cancel(other, apiActor, "ends one wait");
    headsRead.length = 0;
    await f.pass();
    expect(headsRead).toEqual([onOther]);
    expect(statusOf((await own.jobs.get(onOther)).state)).toBe("dead_letter");
    // The other ends: its 200 dependents are read and each is failed by policy.
    await own.jobs.cancel(dependency, apiActor, "ends the wait");
    headsRead.length = 0;
    await f.pass();
    expect(new Set(headsRead)).toEqual(new Set(onFirst));
    const heads = await own.store.loadHeads(onFirst);
    expect(heads.every((h) => h !== null && statusOf(h.state) === "dead_letter")).toBe(true);
    await own.close();
  });
});

describe("exactly-once release", () => {
  it("many parents, their children ending concurrently on several workers, three followers: each parent is released exactly once, after every child ended", async () => {
    const parents: Array<string> = [];
    for (let i = 0; i < 20; i++) {
      const { jobId } = await engine.jobs.submitFlow(
        {
          job: { type: "parent" },
          children: Array.from({ length: 5 }, (_, k) => ({
            job: { type: "child", payload: { key: `m${i}-${k}`, n: k } },
          })),
        },
        apiActor,
      );
      parents.push(jobId);
    }
    follower("f-1");
    follower("f-2");
    follower("f-3");
    await workers(3);
    for (const p of parents) await untilStatus(p, "completed", 30_000);
    // Three followers racing to record the same ends: losing a race is routine, not reported.
    expect(followerErrors).toEqual([]);
    for (const p of parents) {
      const events = await engine.store.readEvents(p);
      const list = events.map((e) => e.type);
      expect(count(list, "JobReleased")).toBe(1);
      expect(count(list, "DependencyEnded")).toBe(5);
      const released = events.find((e) => e.type === "JobReleased") as Envelope;
      const children = (await engine.jobs.tree(p)).dependencies.map((d) => d.id);
      for (const child of children) {
        const end = (await engine.store.readEvents(child)).find((e) => e.type === "JobCompleted") as Envelope;
        expect(Date.parse(end.at)).toBeLessThanOrEqual(Date.parse(released.at));
      }
    }
  });
});
