/**
 * Read-side resource bounds (`npx tsx bench/read-side-bounds.ts`): how long `/health` takes to
 * answer while long work runs in the API process, and what paused SSE clients cost in memory.
 * Prints figures; asserts nothing (never a timing threshold in a test).
 *
 * Set-up: a private redis-server (or REDIS_URL), one API process (this one, listening on a free
 * port), BENCH_JOBS no-op jobs run end to end by an in-process worker (3 events each).
 * A prober in its own process GETs /health every 50 ms and reports the latencies, so a stalled
 * event loop here cannot also delay the prober's timers.
 *
 * Phases, each with /health probed throughout:
 *   1. idle;
 *   2. one `GET /v1/jobs?status=completed&at=<now>` (time travel over the whole log);
 *   3. six of them in parallel;
 *   4. `POST /v1/projections/rebuild`;
 *   5. `POST /v1/projections/check`;
 *   6. `POST /v1/audit/verify` and `GET /v1/audit/export` (whole log);
 *   7. SSE: SSE_JOBS jobs with a 64 KiB payload are submitted (a) with no SSE client, for
 *      comparison, then (b) with six clients that connect and never read; RSS of this process
 *      before, at its peak and after; how many the server dropped (from /v1/metrics, where the
 *      code has that figure).
 */
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { openApiServer } from "../src/main.ts";
import { makeEngine } from "../test/support/engine.ts";
import { tempDbPath } from "../test/support/projection.ts";
import { startRedis, uniquePrefix } from "../test/support/redis.ts";
import { startWorker } from "../test/support/workers.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? 9_000);
const SSE_JOBS = Number(process.env.SSE_JOBS ?? 600);
const actor = { kind: "client", id: "bench" } as const;
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

const PROBER = `
const url = process.argv[1];
const samples = [];
let stop = false;
process.on("message", () => { stop = true; });
(async () => {
  while (!stop) {
    const began = performance.now();
    try { await fetch(url, { signal: AbortSignal.timeout(60000) }).then((r) => r.arrayBuffer()); }
    catch { samples.push(-1); continue; }
    samples.push(performance.now() - began);
    await new Promise((r) => setTimeout(r, 50));
  }
  process.send(samples, () => process.exit(0));
})();
`;

/** Probe /health from another process while `work` runs; returns its latencies (ms). */
const probed = async <A>(
  address: string,
  work: () => Promise<A>,
): Promise<{ result: A; ms: number; health: ReadonlyArray<number> }> => {
  const child = spawn(process.execPath, ["-e", PROBER, `${address}/health`], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const samples = new Promise<Array<number>>((resolve) =>
    child.once("message", (m) => resolve(m as Array<number>)),
  );
  await sleep(300);
  const began = performance.now();
  const result = await work();
  const ms = performance.now() - began;
  await sleep(200);
  child.send("stop");
  return { result, ms, health: await samples };
};

const summary = (health: ReadonlyArray<number>): string => {
  const ok = [...health].filter((x) => x >= 0).sort((a, b) => a - b);
  const at = (q: number) => ok[Math.min(ok.length - 1, Math.floor(q * ok.length))] ?? 0;
  return `/health p50 ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, max ${(ok.at(-1) ?? 0).toFixed(0)} ms (${ok.length} probes)`;
};

const redis = await startRedis();
const prefix = uniquePrefix();
const dbPath = tempDbPath();
const server = await openApiServer({ redisUrl: redis.url, prefix, shards: 1, leaseMs: 30_000, dbPath });
const engine = await makeEngine(redis.url, { prefix });
try {
  const address = await server.app.listen({ port: 0, host: "127.0.0.1" });
  const { worker } = await startWorker(engine, { noop: () => null }, { concurrency: 50 });
  for (let i = 0; i < JOBS; i += 1_000)
    await engine.jobs.submitMany(
      Array.from({ length: Math.min(1_000, JOBS - i) }, () => ({ type: "noop" })),
      actor,
    );
  const logLength = () => engine.client.xlen(engine.store.keys.log(0));
  while ((await logLength()) < JOBS * 3) await sleep(200);
  await worker.stop(1_000);
  while (!(await server.readSide.projector.lag()).every((s) => s.caughtUp)) await sleep(200);
  out(`log: ${await logLength()} entries (${JOBS} jobs run end to end); node ${process.version}`);

  const http = async (method: string, path: string) => {
    const response = await fetch(`${address}${path}`, {
      method,
      ...(method === "POST" ? { headers: { "content-type": "application/json" }, body: "{}" } : {}),
      signal: AbortSignal.timeout(600_000),
    });
    await response.arrayBuffer();
    return response.status;
  };
  const at = new Date().toISOString();
  const timeTravel = `/v1/jobs?status=completed&at=${encodeURIComponent(at)}&limit=10`;
  const phase = async (name: string, work: () => Promise<unknown>) => {
    const { result, ms, health } = await probed(address, work);
    out(`${name}: ${Math.round(ms)} ms (${JSON.stringify(result)}); ${summary(health)}`);
  };

  await phase("1. idle", () => sleep(2_000));
  await phase("2. time travel x1", () => http("GET", timeTravel));
  await phase("3. time travel x6 in parallel", () =>
    Promise.all(Array.from({ length: 6 }, () => http("GET", timeTravel))),
  );
  await phase("4. rebuild", () => http("POST", "/v1/projections/rebuild"));
  await phase("5. check", () => http("POST", "/v1/projections/check"));
  await phase("6a. verify", () => http("POST", "/v1/audit/verify"));
  await phase("6b. export", () => http("GET", "/v1/audit/export"));

  // ---- 7. SSE clients that stop reading (7a: the same load with no client, for comparison) ----
  const { port } = new URL(address);
  const payload = { blob: "x".repeat(64 * 1024) };
  const sseLoad = async (name: string, paused: number) => {
    await sleep(1_000);
    const rssBefore = process.memoryUsage().rss;
    const clients = Array.from({ length: paused }, () => {
      const socket = connect(Number(port), "127.0.0.1");
      socket.write(`GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      socket.once("data", () => socket.pause()); // read the response head, then never again
      socket.on("error", () => {});
      return socket;
    });
    await sleep(500);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 100);
    const began = performance.now();
    for (let i = 0; i < SSE_JOBS; i += 10)
      await engine.jobs.submitMany(
        Array.from({ length: 10 }, () => ({ type: "sse", payload })),
        actor,
      );
    while (!(await server.readSide.projector.lag()).every((s) => s.caughtUp)) await sleep(100);
    const loadMs = performance.now() - began;
    await sleep(1_000);
    const rssAfterLoad = process.memoryUsage().rss;
    clearInterval(sampler);
    const metrics = (await (await fetch(`${address}/v1/metrics`)).json()) as {
      eventStreams?: { dropped: number };
    };
    out(
      `${name}, ${SSE_JOBS} jobs of 64 KiB submitted and projected in ${Math.round(loadMs)} ms: ` +
        `RSS ${mb(rssBefore)} before, ${mb(rssPeak)} at peak (+${mb(rssPeak - rssBefore)}), ${mb(rssAfterLoad)} after; ` +
        `dropped by the server so far: ${metrics.eventStreams?.dropped ?? "n/a (no such figure)"}`,
    );
    for (const socket of clients) socket.destroy();
  };
  await sseLoad("7a. SSE, no client", 0);
  await sseLoad("7b. SSE, 6 paused clients", 6);
} finally {
  await server.close();
  await engine.close();
  await redis.stop();
  rmSync(dirname(dbPath), { recursive: true, force: true });
}
