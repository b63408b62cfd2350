/**
 * Real Redis for integration tests. Uses REDIS_URL when given; otherwise starts a private
 * `redis-server` on a free port (so fault tests can kill and restart it), with its data in a
 * temporary folder. Each test gets its own key prefix.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";

export interface TestRedis {
  readonly url: string;
  /** False when REDIS_URL pointed at a server these tests do not own (fault tests skip it). */
  readonly owned: boolean;
  kill(): void;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(),
      );
    });
  });

const waitForPing = async (url: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => {});
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`redis-server at ${url} did not answer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
};

export interface RedisOptions {
  readonly appendOnly?: boolean;
  /** Listen on this port (a server with a given port or password is always a private one). */
  readonly port?: number;
  /** Require this password (`requirepass`); `url` then carries it. */
  readonly password?: string;
  /** A replica of the server at this URL's port (`--replicaof 127.0.0.1 <port>`). */
  readonly replicaOf?: string;
  /** Start a private server even when REDIS_URL is set (a test that configures or kills it). */
  readonly own?: boolean;
}

export const startRedis = async (options: RedisOptions = {}): Promise<TestRedis> => {
  const external = process.env.REDIS_URL;
  const mustOwn =
    options.own === true ||
    options.port !== undefined ||
    options.password !== undefined ||
    options.replicaOf !== undefined;
  if (external !== undefined && external !== "" && !mustOwn)
    return { url: external, owned: false, kill: () => {}, restart: async () => {}, stop: async () => {} };
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "docket-redis-"));
  const url =
    options.password === undefined
      ? `redis://127.0.0.1:${port}`
      : `redis://:${encodeURIComponent(options.password)}@127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--dir",
        dir,
        "--appendonly",
        options.appendOnly ? "yes" : "no",
        "--appendfsync",
        "always",
        ...(options.password === undefined ? [] : ["--requirepass", options.password]),
        ...(options.replicaOf === undefined
          ? []
          : ["--replicaof", "127.0.0.1", new URL(options.replicaOf).port]),
        // A replica attaching gets its first copy at once (the default waits 5 s for others).
        "--repl-diskless-sync-delay",
        "0",
      ],
      { stdio: "ignore" },
    );
    child.on("error", (error) => {
      throw new Error(`could not start redis-server (is it installed?): ${error.message}`);
    });
    await waitForPing(url);
  };
  await launch();
  return {
    url,
    owned: true,
    kill: () => child?.kill("SIGKILL"),
    restart: async () => {
      child?.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 100));
      await launch();
    },
    stop: async () => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child?.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
};

export const uniquePrefix = (): string => `test-${randomUUID().slice(0, 8)}`;

/**
 * Every key matching `pattern` (KEYS: tests only). On a Redis Cluster each master holds a share
 * of the keys, so each is asked; a single server is asked once.
 */
export const keysMatching = async (client: Redis | Cluster, pattern: string): Promise<Array<string>> =>
  client instanceof Cluster
    ? (await Promise.all(client.nodes("master").map((node) => node.keys(pattern)))).flat()
    : client.keys(pattern);
