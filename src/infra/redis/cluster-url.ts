/**
 * The Redis Cluster URL form (README "Running on Redis Cluster"):
 * `redis-cluster://[user:password@]host:port,host:port,…` (`rediss-cluster://` for TLS), what
 * REDIS_CLUSTER_NODES becomes. No ioredis here: the CLI's configuration check reads it too, and
 * a client command must not load the Redis client to check a variable (ADR 0032).
 */

export interface ClusterTarget {
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error("a cluster URL's user or password has a malformed %-escape");
  }
};

const CLUSTER_SCHEME = /^(rediss?)-cluster:\/\/(?:([^@/]*)@)?([^/?#]*)\/?$/;

/**
 * The cluster a `redis-cluster://` URL names, null for any other URL; throws on a malformed one.
 * Node entries are `host:port` (IPv6 in brackets); credentials are percent-decoded.
 */
export const clusterTargetOf = (url: string): ClusterTarget | null => {
  if (!/^rediss?-cluster:/.test(url)) return null;
  const match = CLUSTER_SCHEME.exec(url);
  if (match === null)
    throw new Error("a cluster URL is redis-cluster://[user:password@]host:port,host:port,…");
  const [, scheme, userinfo, hosts] = match as unknown as [string, string, string | undefined, string];
  const nodes = hosts.split(",").map((entry) => {
    const node = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(entry.trim());
    const port = Number(node?.[2]);
    if (node === null || port < 1 || port > 65_535)
      throw new Error(
        `a cluster node is host:port with a port from 1 to 65535, not ${JSON.stringify(entry)}`,
      );
    return { host: (node[1] as string).replace(/^\[|\]$/g, ""), port };
  });
  const colon = userinfo?.indexOf(":") ?? -1;
  const [user, password] =
    userinfo === undefined
      ? []
      : colon < 0
        ? [decoded(userinfo)]
        : [decoded(userinfo.slice(0, colon)), decoded(userinfo.slice(colon + 1))];
  return {
    nodes,
    ...(user ? { username: user } : {}),
    ...(password === undefined ? {} : { password }),
    tls: scheme === "rediss",
  };
};

/**
 * The URL every process connects with: REDIS_CLUSTER_NODES (`host:port,host:port`), when set,
 * names the cluster, with REDIS_URL's credentials and TLS (`rediss:`) if REDIS_URL gives any;
 * otherwise REDIS_URL itself (which may be a cluster URL).
 */
export const redisTargetUrl = (redisUrl: string, clusterNodes: string | undefined): string => {
  if (clusterNodes === undefined || clusterNodes.trim() === "") return redisUrl;
  let userinfo = "";
  let tls = false;
  try {
    const parsed = new URL(redisUrl);
    tls = parsed.protocol === "rediss:";
    if (parsed.username !== "" || parsed.password !== "")
      userinfo = `${parsed.username}${parsed.password === "" ? "" : `:${parsed.password}`}@`;
  } catch {
    // Not a single-server URL (a cluster URL, checked on its own): no credentials to carry over.
  }
  const nodes = clusterNodes
    .split(",")
    .map((node) => node.trim())
    .filter((node) => node !== "")
    .join(",");
  return `${tls ? "rediss" : "redis"}-cluster://${userinfo}${nodes}`;
};
