/**
 * A shard-log entry the reader cannot decode (written before the write side validated, or by a
 * tampering or buggy writer) halts the projector; the halt is reported (health, metrics), and an
 * operator can quarantine exactly that entry with a recorded decision. The projector, a rebuild
 * and a check all skip it (a rebuild still equals the live projection), a new replica is not
 * stuck on it, and verify lists it as quarantined with who and why.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.ts";
import type { VerifyReport } from "../src/engine/audit/index.ts";
import type { JobView } from "../src/engine/read/index.ts";
import { openReadSide } from "../src/main.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { tempDbPath } from "./support/projection.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
});
afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

const get = (url: string) => api.app.inject({ method: "GET", url });
const post = (url: string, payload?: object, headers: Record<string, string> = {}) =>
  api.app.inject({ method: "POST", url, headers, payload: payload ?? {} });
const submit = async (type: string): Promise<JobView> => {
  const response = await post("/v1/jobs", { type });
  expect(response.statusCode).toBe(202);
  return response.json<JobView>();
};
const projected = (id: string) => api.readSide.reads.job(id) !== null;
const logKey = () => api.engine.store.keys.log(0);

describe("a log entry the projector cannot decode", () => {
  it("halts and is reported, is quarantined with a recorded decision, and the read side carries on", async () => {
    const before = await submit("before");
    await waitFor(() => projected(before.id), "the first job to be projected");

    // A tamperer (or a buggy writer) appends an entry that is not an event, claiming a real job.
    const badId = await api.engine.client.xadd(
      logKey(),
      "*",
      "jobId",
      before.id,
      "seq",
      "2",
      "type",
      "JobQueued",
      "env",
      "{this is not json",
    );
    if (badId === null) throw new Error("xadd gave no id");
    const stuck = await submit("stuck-behind");

    // Halted, and said so: health is degraded with the shard, the entry and what is wrong.
    const health = async () => (await get("/health")).json();
    await waitFor(async () => (await health()).status === "degraded", "health to say degraded");
    const degraded = await health();
    expect((await get("/health")).statusCode).toBe(200);
    expect(degraded.reason).toMatchObject({ code: "log_entry_invalid", shard: 0, entryId: badId });
    expect(degraded.reason.message).toContain("not JSON");
    expect(degraded.projection).toMatchObject({ state: "halted" });
    expect(projected(stuck.id)).toBe(false);
    const metrics = (await get("/v1/metrics")).json();
    expect(metrics.projector).toMatchObject({ halted: true, invalidEntries: 1 });
    expect(metrics.projector.halts).toBeGreaterThanOrEqual(1);
    const prometheus = (await get("/metrics")).body;
    expect(prometheus).toContain("docket_projector_halted 1");
    expect(prometheus).toMatch(/docket_projector_halts_total [1-9]/);
    expect(prometheus).toContain("docket_projector_invalid_entries_total 1");

    // A check cannot pass the entry either.
    const check = await post("/v1/projections/check");
    expect(check.statusCode).toBe(409);
    expect(check.json()).toMatchObject({ error: { code: "log_entry_invalid", entryId: badId } });

    // Only a really undecodable entry may be quarantined.
    const goodId = (await api.engine.client.xrange(logKey(), "-", "+", "COUNT", 1))[0]?.[0] as string;
    const quarantine = (body: object) =>
      post("/v1/projections/quarantine", body, { "docket-actor": "alice@ops" });
    const good = await quarantine({ shard: 0, entryId: goodId, reason: "trying to hide a real event" });
    expect(good.statusCode).toBe(409);
    expect(good.json()).toMatchObject({ error: { code: "log_entry_valid", shard: 0, entryId: goodId } });
    const unknown = await quarantine({ shard: 0, entryId: "1-0", reason: "no such entry" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: "log_entry_not_found" } });
    const badShard = await quarantine({ shard: 7, entryId: badId, reason: "wrong shard" });
    expect(badShard.statusCode).toBe(404);
    expect(badShard.json()).toMatchObject({ error: { code: "log_entry_not_found", shard: 7 } });
    expect(badShard.json().error.message).toContain("no shard 7");
    expect((await quarantine({ shard: 0, entryId: badId })).statusCode).toBe(400); // a reason is required

    const done = await quarantine({ shard: 0, entryId: badId, reason: "garbage appended by hand" });
    expect(done.statusCode).toBe(201);
    expect(done.json()).toMatchObject({
      shard: 0,
      entryId: badId,
      jobId: before.id,
      reason: "garbage appended by hand",
      actor: { kind: "client", id: "anonymous", unauthenticatedClaim: "alice@ops" },
    });
    expect(done.json().problem).toContain("not JSON");
    const again = await quarantine({ shard: 0, entryId: badId, reason: "twice" });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: "already_quarantined", entryId: badId } });

    // The projector skips it and carries on, with the jobs behind it and after it.
    await waitFor(() => projected(stuck.id), "the job behind the bad entry to be projected");
    const after = await submit("after");
    await waitFor(() => projected(after.id), "a later job to be projected");
    expect((await health()).status).toBe("ok");
    expect((await get("/v1/metrics")).json().projector).toMatchObject({
      halted: false,
      quarantinedSkipped: 1,
    });

    // A check and a rebuild honour the quarantine: still equal, row for row.
    const checked = await post("/v1/projections/check");
    expect(checked.statusCode).toBe(200);
    expect(checked.json()).toMatchObject({ equal: true, differences: [] });
    expect((await post("/v1/projections/rebuild")).statusCode).toBe(200);
    expect(projected(after.id)).toBe(true);
    expect((await post("/v1/projections/check")).json()).toMatchObject({ equal: true });

    // A new replica on its own file is not stuck on the entry.
    const replica = openReadSide({
      redisUrl: redis.url,
      prefix: api.prefix,
      shards: 1,
      leaseMs: 2_000,
      dbPath: tempDbPath(),
      projector: { blockMs: 50, retryInitialMs: 50, retryMaxMs: 500 },
    });
    try {
      replica.projector.start();
      await waitFor(() => replica.reads.job(after.id) !== null, "the replica to project every job");
      expect(replica.projector.status().state).not.toBe("halted");
    } finally {
      await replica.close();
    }

    // Verify still names the entry: quarantined, by whom and why, not silently.
    const verify = await post("/v1/audit/verify", {});
    expect(verify.statusCode).toBe(200);
    const report = verify.json<VerifyReport>();
    expect(report.quarantined).toEqual([
      expect.objectContaining({
        shard: 0,
        entryId: badId,
        jobId: before.id,
        reason: "garbage appended by hand",
        actor: { kind: "client", id: "anonymous", unauthenticatedClaim: "alice@ops" },
      }),
    ]);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it("does not honour a quarantine once the entry holds something else", async () => {
    const job = await submit("x");
    await waitFor(() => projected(job.id), "the job to be projected");
    const badId = await api.engine.client.xadd(logKey(), "*", "jobId", "nobody", "seq", "1", "env", "[]");
    if (badId === null) throw new Error("xadd gave no id");
    // Through the CLI this time, over HTTP, as an operator would.
    const address = await api.app.listen({ port: 0, host: "127.0.0.1" });
    const cli = async (args: ReadonlyArray<string>) => {
      let stdout = "";
      let stderr = "";
      const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        stdout += String(chunk);
        return true;
      });
      const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        stderr += String(chunk);
        return true;
      });
      vi.stubEnv("DOCKET_API_URL", address);
      try {
        return { status: await main(args), stdout, stderr };
      } finally {
        out.mockRestore();
        err.mockRestore();
        vi.unstubAllEnvs();
      }
    };
    expect((await cli(["projections", "quarantine", "0", badId])).status).toBe(2); // --reason missing
    expect((await cli(["projections", "quarantine", "zero", badId, "--reason", "x"])).status).toBe(2);
    const quarantined = await cli([
      "projections",
      "quarantine",
      "0",
      badId,
      "--reason",
      "known garbage",
      "--json",
    ]);
    expect(quarantined.status).toBe(0);
    expect(JSON.parse(quarantined.stdout)).toMatchObject({
      shard: 0,
      entryId: badId,
      reason: "known garbage",
    });
    const twice = await cli(["projections", "quarantine", "0", badId, "--reason", "again"]);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toContain("already quarantined");
    const next = await submit("y");
    await waitFor(() => projected(next.id), "the projector to pass the quarantined entry");
    // Someone rewrites the log with other content at that id (a stream can only be rebuilt whole).
    const entries = await api.engine.client.xrange(logKey(), "-", "+");
    await api.engine.client.del(logKey());
    for (const [id, fields] of entries)
      await api.engine.client.xadd(logKey(), id, ...(id === badId ? ["env", "{}", "forged", "1"] : fields));
    const rebuild = await post("/v1/projections/rebuild");
    expect(rebuild.statusCode).toBe(409);
    expect(rebuild.json()).toMatchObject({ error: { code: "log_entry_invalid", entryId: badId } });
    expect(rebuild.json().error.message).toContain("quarantined");
    const report = (await post("/v1/audit/verify", {})).json<VerifyReport>();
    expect(report.ok).toBe(false);
    expect(report.failures).toContainEqual(
      expect.objectContaining({ code: "quarantine_mismatch", check: "shard_log" }),
    );
  });
});
