// Plain JavaScript (no build step): submit many, read a job's hash-chained history, retry a
// dead letter, cancel a delayed job, with a worker in burst mode that stops when nothing is left.
//
//   REDIS_URL=redis://127.0.0.1:6379 node examples/history-and-retries.mjs
/* global process, console */
import { connect, defineHandlers } from "docket-engine";

let failing = true;
const handlers = defineHandlers({
  // Fails for good until `failing` is switched off, then succeeds: shows a manual retry.
  charge: async ({ cents }) => {
    if (failing) throw Object.assign(new Error("card declined"), { retryable: false });
    return { charged: cents };
  },
});

const docket = await connect({
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  prefix: process.env.DOCKET_PREFIX ?? "docket-example",
});

const outcomes = await docket.submitMany([
  { type: "charge", payload: { cents: 500 } },
  { type: "charge", payload: { cents: 700 }, delayMs: 3_600_000 },
  { type: "charge", payload: { cents: 900 }, maxAttempts: 0 }, // refused: at least 1
]);
for (const outcome of outcomes)
  console.log(
    `#${outcome.index}: ${"id" in outcome ? `submitted ${outcome.id}` : `refused (${outcome.error.name})`}`,
  );
const [now, later] = outcomes;

// A burst worker runs what is runnable now, then stops by itself.
await (await docket.worker({ handlers, burst: true })).run();
const dead = await docket.get(now.id);
console.log(`first charge: ${dead.status} (${dead.error.message})`);

failing = false;
await docket.retry(now.id, { reason: "customer updated the card" });
await (await docket.worker({ handlers, burst: true })).run();
const paid = await docket.wait(now.id, { timeoutMs: 30_000 });
console.log(`after the retry: ${paid.status}, result ${JSON.stringify(paid.result)}`);

for (const event of await docket.events(now.id))
  console.log(
    `  ${event.seq} ${event.type.padEnd(16)} by ${event.actor.kind}:${event.actor.id}  ${event.hash.slice(0, 12)}…`,
  );

const cancelled = await docket.cancel(later.id, { reason: "order withdrawn" });
console.log(`delayed charge: ${cancelled.status} (${cancelled.cancelReason})`);
await docket.close();
