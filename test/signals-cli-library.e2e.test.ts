/**
 * Signals (ADR 0043) from the two other front doors: `docket jobs signal` as a real process
 * against a listening API (text and --json, a bad --payload exits 2, a repeat exits 1 naming the
 * code), and the in-process library's `signal` with a library worker whose handler steps, waits
 * and resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobView } from "../src/engine/read/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { connect } from "../src/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { runDocket } from "./support/cli.ts";
import { apiActor } from "./support/engine.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const docket = runDocket;

let redis: TestRedis;
let api: TestApi;
let worker: Worker;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  env = { DOCKET_API_URL: await api.app.listen({ port: 0, host: "127.0.0.1" }) };
  ({ worker } = await startWorker(
    api.engine,
    { gate: async (_payload, ctx) => ctx.waitFor("open", { timeoutMs: 60_000 }) },
    { concurrency: 2, leaseMs: 60_000 },
  ));
});
afterAll(async () => {
  await worker.stop(100);
  await api.stop();
  await redis.stop();
});

const statusIs = (id: string, status: string) =>
  waitFor(
    async () => (await api.engine.jobs.view(id)).status === status,
    `job ${id} to be ${status}`,
    20_000,
  );

describe("docket jobs signal", () => {
  it("signals a waiting job (text and --json); a repeat exits 1 with the code; a bad payload exits 2", async () => {
    const { jobId } = await api.engine.jobs.submit({ type: "gate" }, apiActor);
    await statusIs(jobId, "suspended");
    const badPayload = await docket(["jobs", "signal", jobId, "open", "--payload", "{nope"], env);
    expect(badPayload.status).toBe(2);
    expect(badPayload.stderr).toContain("--payload is not valid JSON");
    const sent = await docket(["jobs", "signal", jobId, "open", "--payload", '{"who":"cli"}', "--json"], env);
    expect(sent.status).toBe(0);
    expect(["queued", "processing", "completed"]).toContain((JSON.parse(sent.stdout) as JobView).status);
    await statusIs(jobId, "completed");
    expect((await api.engine.jobs.view(jobId)).result).toEqual({ timedOut: false, payload: { who: "cli" } });
    const again = await docket(["jobs", "signal", jobId, "other"], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("illegal_transition");
    const missing = await docket(["jobs", "signal", jobId], env);
    expect(missing.status).toBe(2);
  });

  it("a signal for a job that is not waiting yet is kept; the same name again is refused", async () => {
    const { jobId } = await api.engine.jobs.submit({ type: "gate", delayMs: 60_000 }, apiActor);
    const first = await docket(["jobs", "signal", jobId, "open"], env);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`${jobId} pending`);
    const repeat = await docket(["jobs", "signal", jobId, "open"], env);
    expect(repeat.status).toBe(1);
    expect(repeat.stderr).toContain("signal_already_received");
    await api.engine.jobs.cancel(jobId, apiActor);
  });
});

describe("the library's signal", () => {
  it("a library worker's handler steps, waits for a signal sent through the library, and resumes after its step", async () => {
    const docketLib = await connect<{ approve: { order: number } }>({
      redisUrl: redis.url,
      prefix: uniquePrefix(),
    });
    let charged = 0;
    const libWorker = await docketLib.worker({
      handlers: {
        approve: async (payload: { order: number }, ctx) => {
          const receipt = await ctx.step("charge", () => ({ order: payload.order, n: ++charged }));
          const answer = await ctx.waitFor("approved");
          return { receipt, answer };
        },
      },
    });
    const running = libWorker.run();
    try {
      const job = await docketLib.submit("approve", { order: 7 });
      await waitFor(async () => (await docketLib.get(job.id)).status === "suspended", "the job to wait");
      const signalled = await docketLib.signal(job.id, "approved", { ok: true });
      expect(signalled.status).not.toBe("suspended");
      const done = await docketLib.wait(job.id, { timeoutMs: 15_000 });
      expect(done.status).toBe("completed");
      expect(done.result).toEqual({
        receipt: { order: 7, n: 1 },
        answer: { timedOut: false, payload: { ok: true } },
      });
      expect(charged).toBe(1);
    } finally {
      await libWorker.stop(100);
      await running;
      await docketLib.close();
    }
  });
});
