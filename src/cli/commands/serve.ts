/**
 * `docket start` (API + projector + one worker, for a first look or a single machine) and
 * `docket api` (the HTTP API with the projector that owns its database; ADR 0009).
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Command, intOption, stringOption } from "../command.ts";
import { type DocketEnv, readEnv } from "../config.ts";
import { loadHandlers } from "../handlers.ts";
import { onShutdownSignals } from "../signals.ts";

const say = (line: string) => process.stderr.write(`${line}\n`);

const ENV_DETAILS = `Environment (defaults): REDIS_URL (redis://127.0.0.1:6379), DOCKET_DB (./data/docket.sqlite),
PORT (3000), HOST (127.0.0.1), DOCKET_API_TOKEN (unset: no auth), DOCKET_PREFIX (docket),
DOCKET_SHARDS (1), DOCKET_LEASE_MS (30000); limits (README "Limits"): DOCKET_SSE_MAX_CLIENTS (100),
DOCKET_SSE_MAX_BUFFER_BYTES (1048576), DOCKET_TIME_TRAVEL_MAX_ENTRIES (250000),
DOCKET_TIME_TRAVEL_CONCURRENCY (2).`;

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once("exit", () => done());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
  });

interface Serving {
  readonly env: DocketEnv;
  readonly redisUrl: string;
  readonly privateRedis?: ChildProcess;
}

/** Open the API server on `redisUrl`, listen, and return how to stop it. */
const serve = async ({ env, redisUrl }: Serving) => {
  const { openApiServer } = await import("../../main.ts");
  mkdirSync(dirname(resolve(env.dbPath)), { recursive: true });
  const server = await openApiServer({
    redisUrl,
    prefix: env.prefix,
    shards: env.shards,
    leaseMs: env.leaseMs,
    dbPath: env.dbPath,
    ...(env.token === undefined ? {} : { token: env.token }),
    limits: env.limits,
    onProjectorError: (error) => say(`docket projector: ${(error as Error).message ?? String(error)}`),
  });
  const address = await server.app.listen({ port: env.port, host: env.host });
  say(
    `docket API listening on ${address} (database ${resolve(env.dbPath)}${env.token === undefined ? "" : ", bearer auth on"})`,
  );
  return server;
};

export const startCommand: Command = {
  name: "start",
  summary: "Start everything on one machine: HTTP API, projector and a worker (demo handlers by default).",
  options: {
    handlers: {
      type: "string",
      description:
        "ES module whose default export maps job type to handler (default: demo handlers echo, sleep, fail, flaky)",
    },
    concurrency: { type: "string", description: "the worker's concurrency (default 10)" },
    queues: { type: "string", description: "comma-separated queues for the worker (default: default)" },
  },
  details: `${ENV_DETAILS}
When no Redis answers at REDIS_URL, the URL names this machine and redis-server is on the PATH, a
private redis-server is started on that port with its data under ./data/redis (AOF on).`,
  run: async (context) => {
    const env = readEnv();
    const handlers = await loadHandlers(stringOption(context, "handlers"));
    const { chooseRedis, NoRedis } = await import("../private-redis.ts");
    const { openWorker } = await import("../../main.ts");
    let redis;
    try {
      redis = await chooseRedis({ url: env.redisUrl, dataDir: env.dataDir });
    } catch (error) {
      if (error instanceof NoRedis) {
        say(`docket start: ${error.message}`);
        return 1;
      }
      throw error;
    }
    say(`docket: ${redis.note}`);
    const stopRedis = async () => {
      if (redis.child !== undefined) await stopChild(redis.child);
    };
    let server;
    try {
      server = await serve({ env, redisUrl: redis.url });
    } catch (error) {
      await stopRedis();
      throw error;
    }
    const queues = (stringOption(context, "queues") ?? "default").split(",").filter((q) => q !== "");
    const { worker, close: closeWorker } = await openWorker(
      { redisUrl: redis.url, prefix: env.prefix, shards: env.shards, leaseMs: env.leaseMs },
      {
        name: "start",
        queues,
        concurrency: intOption(context, "concurrency", 1) ?? 10,
        handlers,
        onError: (error) => say(`docket worker: ${(error as Error).message ?? String(error)}`),
      },
    );
    say(
      `docket worker ${worker.id} on queues ${queues.join(",")} (handlers: ${Object.keys(handlers).join(", ")})`,
    );
    const running = worker.run();
    await new Promise<void>((resolveStop) =>
      onShutdownSignals((signal) => {
        say(`docket: ${signal}, shutting down`);
        resolveStop();
      }),
    );
    await worker.stop();
    await running;
    await closeWorker();
    await server.close();
    await stopRedis();
    say("docket: stopped");
    return 0;
  },
};

export const apiCommand: Command = {
  name: "api",
  summary: "Run the HTTP API and the projector that owns its database (no worker).",
  details: `${ENV_DETAILS}
Several API processes may run at once, each with its own DOCKET_DB file.`,
  run: async () => {
    const env = readEnv();
    const server = await serve({ env, redisUrl: env.redisUrl });
    await new Promise<void>((resolveStop) =>
      onShutdownSignals((signal) => {
        say(`docket api: ${signal}, shutting down`);
        resolveStop();
      }),
    );
    await server.close();
    say("docket api: stopped");
    return 0;
  },
};
