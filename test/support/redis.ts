/**
 * Real Redis for integration tests. Uses REDIS_URL when given; otherwise starts a private
 * `redis-server` on a free port (so fault tests can kill and restart it), with its data in a
 * temporary folder. Each test gets its own key prefix.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, type Redis } from "ioredis";
import { freePorts, launchRedisServer } from "./redis-process.ts";

export interface TestRedis {
  readonly url: string;
  /** False when REDIS_URL pointed at a server these tests do not own (fault tests skip it). */
  readonly owned: boolean;
  kill(): void;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A free port on 127.0.0.1 (taken by nothing at the time it is found). */
export const freePort = async (): Promise<number> => (await freePorts(1))[0] ?? 0;

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
  const dir = mkdtempSync(join(tmpdir(), "docket-redis-"));
  const args = (ports: ReadonlyArray<number>): ReadonlyArray<string> => [
    "--port",
    String(ports[0]),
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
    ...(options.replicaOf === undefined ? [] : ["--replicaof", "127.0.0.1", new URL(options.replicaOf).port]),
    // A replica attaching gets its first copy at once (the default waits 5 s for others).
    "--repl-diskless-sync-delay",
    "0",
  ];
  const launch = (ports: ReadonlyArray<number> | undefined) =>
    launchRedisServer({
      ...(ports === undefined ? {} : { ports }),
      args,
      logFile: join(dir, "redis.log"),
      ...(options.password === undefined ? {} : { password: options.password }),
    });
  const started = await launch(options.port === undefined ? undefined : [options.port]);
  const ports = started.ports;
  let child = started.child;
  const port = ports[0];
  const url =
    options.password === undefined
      ? `redis://127.0.0.1:${port}`
      : `redis://:${encodeURIComponent(options.password)}@127.0.0.1:${port}`;
  return {
    url,
    owned: true,
    kill: () => child.kill("SIGKILL"),
    restart: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await exited;
      }
      ({ child } = await launch(ports));
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
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
