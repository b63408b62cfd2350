/**
 * A real local Redis Cluster for tests: `masters` masters with one replica each, every node a
 * `redis-server --cluster-enabled yes` on free ports (data and cluster bus), joined by
 * `redis-cli --cluster create … --cluster-replicas 1`. Nodes can be killed one by one, so a
 * failover test can SIGKILL a master and watch its replica take over.
 */
import { type ChildProcess, execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { clusterTargetOf } from "../../src/infra/redis/cluster-url.ts";
import type { TestRedis } from "./redis.ts";
import { askServer, launchRedisServer } from "./redis-process.ts";

const run = promisify(execFile);

export interface ClusterNode {
  readonly port: number;
  /** `host:port`, as REDIS_CLUSTER_NODES lists it. */
  readonly address: string;
  kill(): void;
  /** Start it again after a kill (it rejoins: as a replica, if its slots failed over meanwhile). */
  restart(): Promise<void>;
  readonly alive: boolean;
}

export interface TestCluster {
  readonly nodes: ReadonlyArray<ClusterNode>;
  /** Every node's address, comma-separated: the value of REDIS_CLUSTER_NODES. */
  readonly seeds: string;
  /** The nodes serving slots now (asked of a live node). */
  masters(): Promise<ReadonlyArray<ClusterNode>>;
  /** The master serving this slot now (asked of a live node). */
  masterOf(slot: number): Promise<ClusterNode>;
  /** Resolves once every live node reports `cluster_state:ok` and every slot has a master. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Resolves once every master has a replica linked to it. */
  replicated(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const infoOf = (port: number) => askServer(port, async (c) => (await c.call("CLUSTER", "INFO")) as string);
const nodesOf = (port: number) => askServer(port, async (c) => (await c.call("CLUSTER", "NODES")) as string);
const roleOf = (port: number) =>
  askServer(port, async (c): Promise<"master" | "replica-up" | "replica-down"> => {
    const info = await c.info("replication");
    if (info.includes("role:master")) return "master";
    return info.includes("master_link_status:up") ? "replica-up" : "replica-down";
  });

const waitUntil = async (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`cluster: ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

export const startCluster = async (options: { readonly masters?: number } = {}): Promise<TestCluster> => {
  const masters = options.masters ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "docket-cluster-"));
  const children = new Set<ChildProcess>();
  const stopAll = async (): Promise<void> => {
    await Promise.all(
      [...children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  // [client port, cluster bus port]; fresh ones until the node is up, then kept for its restarts.
  const launch = async (index: number, ports?: ReadonlyArray<number>) => {
    const started = await launchRedisServer({
      ...(ports === undefined ? { portCount: 2 } : { ports }),
      args: ([port, busPort]) => [
        "--port",
        String(port),
        "--cluster-port",
        String(busPort),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        // Kept across a restart: a node that comes back rejoins the cluster it knew.
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        // Fail over quickly in tests (a production cluster keeps the 15 s default or so).
        "--cluster-node-timeout",
        "1500",
        // A replica may take over however long it was cut off: the test kills, it must fail over.
        "--cluster-replica-validity-factor",
        "0",
        "--repl-diskless-sync-delay",
        "0",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
      ],
      logFile: join(dir, `node-${index}.log`),
    });
    children.add(started.child);
    return started;
  };
  const startNode = async (index: number): Promise<ClusterNode> => {
    const started = await launch(index);
    const ports = started.ports;
    let child = started.child;
    const port = ports[0] ?? 0;
    return {
      port,
      address: `127.0.0.1:${port}`,
      kill: () => child.kill("SIGKILL"),
      restart: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGKILL");
          await exited;
        }
        ({ child } = await launch(index, ports));
      },
      get alive() {
        return child.exitCode === null && child.signalCode === null;
      },
    };
  };
  try {
    const nodes: Array<ClusterNode> = [];
    for (let i = 0; i < masters * 2; i++) nodes.push(await startNode(i));
    return await formCluster(nodes, masters, stopAll);
  } catch (error) {
    // Nothing left running: a failed global setup must not keep the test run from exiting.
    await stopAll();
    throw error;
  }
};

const formCluster = async (
  nodes: ReadonlyArray<ClusterNode>,
  masters: number,
  stop: () => Promise<void>,
): Promise<TestCluster> => {
  await run("redis-cli", [
    "--cluster",
    "create",
    ...nodes.map((n) => n.address),
    "--cluster-replicas",
    "1",
    "--cluster-yes",
  ]);

  /** The slot-serving masters as `port`'s node sees them (none flagged failed). */
  const mastersSeenBy = async (port: number): Promise<ReadonlyArray<number>> =>
    (await nodesOf(port))
      .split("\n")
      .map((line) => line.split(" "))
      .filter((fields) => {
        const flags = fields[2] ?? "";
        return flags.includes("master") && !flags.includes("fail") && fields.length > 8;
      })
      .map((fields) => Number((fields[1] ?? "").split("@")[0]?.split(":")[1]));

  // Healthy: every live node says ok, and sees as masters only live nodes, `masters` of them
  // (right after a kill, nodes still say ok until the node timeout has passed).
  const healthy = (timeoutMs = 20_000) =>
    waitUntil("every live node to report cluster_state:ok with live masters only", timeoutMs, async () => {
      const live = nodes.filter((n) => n.alive);
      for (const node of live) {
        const info = await infoOf(node.port);
        if (!info.includes("cluster_state:ok") || !info.includes("cluster_slots_ok:16384")) return false;
        const seen = await mastersSeenBy(node.port);
        if (seen.length !== masters || seen.some((port) => !live.some((n) => n.port === port))) return false;
      }
      return true;
    });
  // Every master with a linked replica: one killed now has a replica ready to take over. Linking
  // takes a second or two; on a loaded two-core machine running the whole suite it once took more
  // than 20 s, so the bound is generous (it only costs time when the cluster never links).
  const replicated = (timeoutMs = 60_000) =>
    waitUntil("every master to have a linked replica", timeoutMs, async () => {
      const links = await Promise.all(nodes.filter((n) => n.alive).map((n) => roleOf(n.port)));
      return links.filter((l) => l === "replica-up").length === masters;
    });
  await healthy();
  await replicated();

  const masterNodes = async (): Promise<ReadonlyArray<ClusterNode>> => {
    const live = nodes.find((n) => n.alive);
    if (live === undefined) return [];
    const ports = await mastersSeenBy(live.port);
    return nodes.filter((n) => ports.includes(n.port));
  };

  const masterOf = async (slot: number): Promise<ClusterNode> => {
    const live = nodes.find((n) => n.alive);
    if (live === undefined) throw new Error("no cluster node is alive");
    const ranges = (await askServer(live.port, (c) => c.call("CLUSTER", "SLOTS"))) as ReadonlyArray<
      [number, number, [string, number, ...Array<unknown>], ...Array<unknown>]
    >;
    const range = ranges.find(([from, to]) => from <= slot && slot <= to);
    const node = nodes.find((n) => n.port === range?.[2][1]);
    if (node === undefined) throw new Error(`no master serves slot ${slot}`);
    return node;
  };

  return {
    nodes,
    seeds: nodes.map((n) => n.address).join(","),
    masters: masterNodes,
    masterOf,
    healthy,
    replicated,
    stop,
  };
};

/**
 * A cluster as the tests' `TestRedis` (test/support/redis.ts), for a suite written against one
 * server that restarts it: `restart` SIGKILLs the master serving `slot` (the data under test),
 * waits for its replica to take over, starts the dead node again (it rejoins as a replica) and
 * waits until every master has a linked replica again. Nothing acknowledged under `replicated`
 * durability is lost by that (ADR 0047); the suite must use it.
 */
export const clusterAsTestRedis = (cluster: TestCluster, slot: number): TestRedis => ({
  url: `redis-cluster://${cluster.seeds}`,
  owned: true,
  kill: () => {
    for (const node of cluster.nodes) node.kill();
  },
  restart: async () => {
    const victim = await cluster.masterOf(slot);
    victim.kill();
    await cluster.healthy(30_000);
    await victim.restart();
    await cluster.replicated(30_000);
  },
  stop: () => cluster.stop(),
});

/** True when this URL (REDIS_URL) names a Redis Cluster rather than one server. */
export const isClusterUrl = (url: string | undefined): boolean =>
  url !== undefined && clusterTargetOf(url) !== null;
