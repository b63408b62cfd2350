/**
 * Typed handlers, a worker and a submitter in one process: each job type's payload type flows
 * from its handler to `submit`, checked by TypeScript.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/submit-and-work.ts
 */
import { connect, defineHandlers, NonRetryableError, type PayloadsOf } from "docket-engine";

interface Email {
  readonly to: string;
  readonly subject: string;
}

const handlers = defineHandlers({
  "send-email": async (email: Email, ctx) => {
    await ctx.log(`sending "${email.subject}" to ${email.to}`);
    if (!email.to.includes("@")) throw new NonRetryableError(`not an address: ${email.to}`, "bad_address");
    await ctx.progress(1, 1, "sent");
    return { delivered: email.to };
  },
  resize: async ({ width, height }: { width: number; height: number }) => ({ pixels: width * height }),
});

const docket = await connect<PayloadsOf<typeof handlers>>({
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  prefix: process.env.DOCKET_PREFIX ?? "docket-example",
});
const worker = await docket.worker({ handlers, concurrency: 4 });
const running = worker.run();

const email = await docket.submit("send-email", { to: "ada@example.com", subject: "hello" });
const resize = await docket.submit("resize", { width: 640, height: 480 }, { priority: "high" });
// docket.submit("resize", { width: 640 });  <- a type error: height is missing

for (const job of [email, resize]) {
  const done = await docket.wait(job.id, { timeoutMs: 30_000 });
  console.log(`${done.type} ${done.status}: ${JSON.stringify(done.result)}`);
}

const bad = await docket.submit("send-email", { to: "nobody", subject: "bounce" });
const dead = await docket.wait(bad.id, { timeoutMs: 30_000 });
console.log(`send-email ${dead.status}: ${dead.error?.code}`);

await docket.close(); // stops the worker it made (running jobs get their grace period)
await running;
