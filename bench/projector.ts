/**
 * Projector throughput (`npm run bench:projector`). Two figures:
 *  1. catch-up: a fresh projection replays a log of BENCH_JOBS jobs run end to end (submitted,
 *     started, completed by an in-process worker), events/s;
 *  2. sustained: the projector tails while jobs are submitted at BENCH_RATE jobs/s and worked
 *     end to end; prints events/s applied and the projection's lag (max and p95 of samples).
 * Uses a private redis-server (or REDIS_URL) and a SQLite file in a temp folder.
 */
import { systemClock } from "../src/engine/shared/index.ts";
import { Projector } from "../src/engine/read/index.ts";
import { SqliteProjection } from "../src/infra/sqlite/sqlite-projection.ts";
import { makeEngine } from "../test/support/engine.ts";
import { eventLogOf, tempDbPath } from "../test/support/projection.ts";
import { startRedis } from "../test/support/redis.ts";
import { startWorker } from "../test/support/workers.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 1_500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const actor = { kind: "client", id: "bench" } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (line: string) => process.stdout.write(`${line}\n`);

const redis = await startRedis();
try {
  const engine = await makeEngine(redis.url, { shards: 1 });
  const { worker } = await startWorker(engine, { noop: () => null }, { concurrency: 50 });
  const logLength = () => engine.client.xlen(engine.store.keys.log(0));

  // ---- 1. catch-up ----
  for (let i = 0; i < JOBS; i += 1_000)
    await engine.jobs.submitMany(
      Array.from({ length: Math.min(1_000, JOBS - i) }, (_, j) => ({ type: "noop", payload: { i: i + j } })),
      actor,
    );
  while ((await logLength()) < JOBS * 3) await sleep(100);
  const { log, close } = await eventLogOf(redis.url, engine);
  const catchUpStore = SqliteProjection.open(tempDbPath());
  const began = performance.now();
  const events = await new Projector({ log, store: catchUpStore, clock: systemClock }).catchUp();
  const ms = performance.now() - began;
  catchUpStore.close();
  out(`catch-up: ${events} events in ${Math.round(ms)} ms = ${Math.round((events / ms) * 1000)} events/s`);

  // ---- 2. sustained load ----
  const store = SqliteProjection.open(tempDbPath());
  const projector = new Projector({ log, store, clock: systemClock });
  // Start from the end of the existing log so only the new load counts.
  await new Projector({ log, store, clock: systemClock }).catchUp();
  projector.start();
  const applied0 = projector.status().appliedEvents;
  const lags: Array<number> = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      const lag = await projector.lag();
      lags.push(Math.max(...lag.map((shard) => shard.behindMs)));
      await sleep(200);
    }
  })();
  const log0 = await logLength();
  const loadBegan = performance.now();
  const tickMs = 100;
  for (let tick = 0; tick < (SECONDS * 1000) / tickMs; tick++) {
    const due = loadBegan + tick * tickMs;
    await sleep(Math.max(0, due - performance.now()));
    const n = Math.round((RATE * tickMs) / 1000);
    void engine.jobs.submitMany(
      Array.from({ length: n }, () => ({ type: "noop" })),
      actor,
    );
  }
  const loadMs = performance.now() - loadBegan;
  const logged = (await logLength()) - log0;
  running = false;
  await sampler;
  const appliedEvents = projector.status().appliedEvents - applied0;
  lags.sort((a, b) => a - b);
  const p95 = lags[Math.max(0, Math.ceil(lags.length * 0.95) - 1)] ?? 0;
  out(
    `sustained: ${RATE} jobs/s offered for ${SECONDS} s; engine appended ${Math.round((logged / loadMs) * 1000)} events/s, projector applied ${Math.round((appliedEvents / loadMs) * 1000)} events/s; ` +
      `lag p95 ${p95} ms, max ${lags.at(-1) ?? 0} ms (${lags.length} samples)`,
  );
  await projector.stop();
  await worker.stop(1_000);
  store.close();
  close();
  await engine.close();
} finally {
  await redis.stop();
}
