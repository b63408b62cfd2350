/**
 * Redis connections for Docket. Commands fail fast while Redis is down (no offline queue, a
 * command timeout), so a submit answers "unavailable" instead of hanging; ioredis keeps
 * reconnecting in the background and workers resume when it is back.
 *
 * A URL names one Redis (`redis://…`, `rediss://…`) or a Redis Cluster
 * (`redis-cluster://[user:password@]host:port,host:port,…`, `rediss-cluster://` for TLS; what
 * REDIS_CLUSTER_NODES becomes): then the client is ioredis' Cluster client, which follows MOVED
 * and ASK redirections and failovers. Every adapter takes either (`RedisClient`).
 */
import { Cluster, Redis } from "ioredis";
import { QueueUnavailable } from "../../engine/shared/index.ts";
import { type ClusterTarget, clusterTargetOf } from "./cluster-url.ts";

/**
 * How often an idle reader polls on a Redis Cluster, where a blocking read may name keys of one
 * slot only (the projector's tail, an idle worker: ADR 0047).
 */
export const CLUSTER_POLL_MS = 50;

/** One Redis or a Redis Cluster: the adapters use what both offer. */
export type RedisClient = Redis | Cluster;

export interface ConnectionOptions {
  readonly url: string;
  /** How long one command may take before it counts as unavailable. */
  readonly commandTimeoutMs?: number;
}

const baseOptions = () => ({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  // Reconnect forever, backing off to at most 2 s between tries.
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
});

/**
 * Connection errors are reported through `guarded` calls and `whenReady`; the listener keeps
 * ioredis quiet and remembers the last one, so "did not answer" can say why.
 */
const lastErrors = new WeakMap<RedisClient, Error>();
const quiet = <C extends RedisClient>(client: C): C => {
  client.on("error", (error: Error) => lastErrors.set(client, error));
  return client;
};

/** The cluster a Cluster client was made for (its seeds name it in messages, never its credentials). */
const clusterTargets = new WeakMap<RedisClient, ClusterTarget>();

/**
 * A Cluster client on the same terms as a single connection: fail fast (no offline queue, a
 * command timeout per node), reads from masters only (a replica may lag behind what was
 * acknowledged), slots refreshed on MOVED, and reconnecting forever. `patient`: queue commands
 * while the cluster is away and retry them instead (a subscriber, `patientCopyOf`).
 */
const clusterClient = (
  target: ClusterTarget,
  commandTimeoutMs: number | undefined,
  patient = false,
): Cluster => {
  const base = baseOptions();
  const cluster = new Cluster(
    target.nodes.map(({ host, port }) => ({ host, port })),
    {
      enableOfflineQueue: patient,
      enableAutoPipelining: false,
      scaleReads: "master",
      maxRedirections: 16,
      clusterRetryStrategy: base.retryStrategy,
      redisOptions: {
        ...base,
        ...(patient ? { enableOfflineQueue: true, maxRetriesPerRequest: null } : {}),
        ...(commandTimeoutMs === undefined ? {} : { commandTimeout: commandTimeoutMs }),
        ...(target.username === undefined ? {} : { username: target.username }),
        ...(target.password === undefined ? {} : { password: target.password }),
        ...(target.tls ? { tls: {} } : {}),
      },
    },
  );
  clusterTargets.set(cluster, target);
  return cluster;
};

/**
 * No ioredis auto-pipelining on any connection (ADR 0016): the hot paths batch by themselves
 * (append.lua calls coalesced per tick, explicit pipelines for many reads), and auto-pipelining
 * added a pipeline object and a deferred flush to every command on top, about 30 µs of CPU per
 * lone round trip.
 */
export const connect = (options: ConnectionOptions): RedisClient => {
  const cluster = clusterTargetOf(options.url);
  const commandTimeout = options.commandTimeoutMs ?? 5_000;
  return quiet(
    cluster === null
      ? new Redis(options.url, { ...baseOptions(), enableAutoPipelining: false, commandTimeout })
      : clusterClient(cluster, commandTimeout),
  );
};

/**
 * A connection of its own like `client`, but patient: it queues commands until Redis answers and
 * retries them (a subscriber that must SUBSCRIBE once Redis is back, and again after a reconnect).
 */
export const patientCopyOf = (client: RedisClient): RedisClient => {
  if (!(client instanceof Cluster))
    return client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
  const target = clusterTargets.get(client);
  // Every Cluster client Docket holds was made by clusterClient, which noted its target.
  if (target === undefined) throw new Error("a cluster client not made by connect() cannot be copied");
  return quiet(clusterClient(target, undefined, true));
};

/** A connection for blocking reads (XREADGROUP BLOCK): no command timeout, its own socket. */
export const connectBlocking = (options: ConnectionOptions): RedisClient => {
  const cluster = clusterTargetOf(options.url);
  return quiet(
    cluster === null
      ? new Redis(options.url, { ...baseOptions(), enableAutoPipelining: false })
      : clusterClient(cluster, undefined),
  );
};

/**
 * Redis refused our credentials: no password given where one is required (NOAUTH), or a wrong
 * one (WRONGPASS). Retrying cannot help, so whoever waits for the connection is told at once.
 */
export class RedisAuthRefused extends Error {
  override readonly name = "RedisAuthRefused";
  constructor(
    readonly address: string,
    readonly reason: "no_password" | "wrong_password",
    readonly detail: string,
  ) {
    super(
      reason === "no_password"
        ? `Redis at ${address} requires a password (NOAUTH) and the URL gives none; put it in the URL: redis://:<password>@${address}`
        : `Redis at ${address} refused the password in the URL (${detail.split(" ")[0] ?? "WRONGPASS"}: wrong password or user)`,
    );
  }
}

const AUTH_ERROR = /^(NOAUTH|WRONGPASS|ERR invalid password|ERR AUTH)/;

/** The host:port a client talks to, for messages (never its credentials). */
export const addressOf = (client: RedisClient): string => {
  const target = clusterTargets.get(client);
  if (target !== undefined || client instanceof Cluster)
    return `the cluster at ${target?.nodes.map(({ host, port }) => `${host}:${port}`).join(",") ?? "?"}`;
  const { host, port, path } = client.options;
  return path ? String(path) : `${host}:${port}`;
};

const authRefused = (client: RedisClient, error: Error | undefined): RedisAuthRefused | null =>
  error !== undefined && AUTH_ERROR.test(error.message)
    ? new RedisAuthRefused(
        addressOf(client),
        error.message.startsWith("NOAUTH") ? "no_password" : "wrong_password",
        error.message,
      )
    : null;

/** Why a client is not connected, in a few words (the last connection error it saw). */
const lastErrorOf = (client: RedisClient): string => {
  const error = lastErrors.get(client);
  if (error === undefined) return "no answer";
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : (error.message.split("\n")[0] ?? "").slice(0, 200);
};

/** Why a client cannot be used now, in plain words, or null when it is connected. */
export const connectionProblem = (client: RedisClient): string | null =>
  client.status === "ready" ? null : `no connection to ${addressOf(client)} (${lastErrorOf(client)})`;

/**
 * Resolves once the client is connected. Fails with RedisAuthRefused as soon as Redis refuses
 * the credentials, and with QueueUnavailable (naming the last connection error) after
 * `timeoutMs`. The caller still owns the client: disconnect it on failure.
 */
export const whenReady = <C extends RedisClient>(client: C, timeoutMs = 5_000): Promise<C> =>
  client.status === "ready"
    ? Promise.resolve(client)
    : new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          client.off("ready", onReady);
          client.off("error", onError);
        };
        const timer = setTimeout(() => {
          done();
          const refused = authRefused(client, lastErrors.get(client));
          if (refused !== null) return reject(refused);
          reject(
            new QueueUnavailable({
              message: `Redis at ${addressOf(client)} did not answer within ${timeoutMs} ms (${lastErrorOf(client)})`,
              outcome: "not_written",
            }),
          );
        }, timeoutMs);
        const onReady = () => {
          done();
          resolve(client);
        };
        const onError = (error: Error) => {
          const refused = authRefused(client, error);
          if (refused === null) return;
          done();
          reject(refused);
        };
        client.once("ready", onReady);
        client.on("error", onError);
      });

/** What a probe of a Redis URL found (for commands that wait for Redis or choose one). */
export type RedisProbe =
  | { readonly kind: "ready" }
  | { readonly kind: "unreachable"; readonly reason: string }
  | { readonly kind: "auth"; readonly error: RedisAuthRefused };

/**
 * Connect once to `url`, say what happened (at the first answer or connection error, or after
 * `timeoutMs`), and disconnect.
 */
export const probeRedis = async (url: string, timeoutMs: number): Promise<RedisProbe> => {
  const client = connect({ url });
  try {
    return await new Promise<RedisProbe>((resolve) => {
      const timer = setTimeout(
        () => resolve({ kind: "unreachable", reason: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
      client.once("ready", () => {
        clearTimeout(timer);
        resolve({ kind: "ready" });
      });
      client.once("error", (error: Error) => {
        clearTimeout(timer);
        const refused = authRefused(client, error);
        resolve(
          refused === null
            ? { kind: "unreachable", reason: lastErrorOf(client) }
            : { kind: "auth", error: refused },
        );
      });
    });
  } finally {
    client.disconnect();
  }
};

/** `whenReady`, disconnecting the client when it fails (for callers that own it). */
export const readyOrClosed = async <C extends RedisClient>(client: C, timeoutMs?: number): Promise<C> => {
  try {
    return await whenReady(client, timeoutMs);
  } catch (error) {
    client.disconnect();
    throw error;
  }
};

/** Failures before the command reached Redis: it certainly was not executed. */
const NOT_SENT = ["enableOfflineQueue", "ECONNREFUSED", "LOADING"];
/** Failures after the command may have been sent: it may or may not have been executed. */
const MAYBE_SENT = [
  "Connection is closed",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "Command timed out",
  "MaxRetriesPerRequest",
  "Reached the max retries",
  // A Redis Cluster mid-failover: nodes answer CLUSTERDOWN or MOVED to a node that is gone
  // until a replica is promoted and the client has the new slot map.
  "Too many Cluster redirections",
  "CLUSTERDOWN",
  "TRYAGAIN",
  "Failed to refresh slots cache",
  "None of startup nodes is available",
];

const matches = (error: unknown, texts: ReadonlyArray<string>): boolean =>
  error instanceof Error && texts.some((text) => error.message.includes(text) || error.name.includes(text));

/**
 * A cluster node's refusal to run a command whose slot it does not serve (now): inside a
 * pipeline the client hands it back instead of following it. Not executed; the client learns
 * the new slot map and a retry goes to the right node.
 */
const redirected = (error: unknown): boolean =>
  error instanceof Error && /^(MOVED|ASK) \d+ /.test(error.message);

export const isUnavailableError = (error: unknown): boolean =>
  redirected(error) || matches(error, NOT_SENT) || matches(error, MAYBE_SENT);

/** Runs a Redis call, turning connection failures into QueueUnavailable. */
export const guarded = async <A>(call: () => Promise<A>): Promise<A> => {
  try {
    return await call();
  } catch (error) {
    if (!isUnavailableError(error)) throw error;
    throw new QueueUnavailable({
      message: `Redis is unavailable: ${(error as Error).message}`,
      outcome: !redirected(error) && matches(error, MAYBE_SENT) ? "unknown" : "not_written",
    });
  }
};
