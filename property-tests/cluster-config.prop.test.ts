/**
 * The Redis Cluster settings at the configuration boundary (src/infra/redis/cluster-url.ts,
 * src/cli/config.ts): whatever REDIS_CLUSTER_NODES, REDIS_URL and DOCKET_DURABILITY hold, the
 * configuration either accepts them or refuses them with a ConfigError naming the variable —
 * never another exception — and a cluster URL's password never comes out of its redaction.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/cli/config-error.ts";
import { readEnv } from "../src/cli/config.ts";
import { redactUrl } from "../src/infra/redact-url.ts";
import { clusterTargetOf, redisTargetUrl } from "../src/infra/redis/cluster-url.ts";

/** Hostile text: any code points (lone surrogates included), separators, escapes, huge ports. */
const nodeText = fc.tuple(
  fc.oneof(
    fc.constantFrom("127.0.0.1", "[::1]", "redis-a", "", "[zz]", "h:o:s:t"),
    fc.string({ maxLength: 8 }),
  ),
  fc.oneof(fc.integer({ min: -5, max: 70_000 }).map(String), fc.constantFrom("", "1e3", "0x10", "６３７９")),
);
const hostile = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc
    .tuple(fc.array(nodeText, { maxLength: 6 }), fc.constantFrom(",", ", ", ",,"))
    .map(([nodes, separator]) => nodes.map(([host, port]) => `${host}:${port}`).join(separator)),
);

const password = fc.string({ minLength: 6, maxLength: 30, unit: "grapheme" }).filter((p) => p.trim() === p);

describe("cluster configuration", () => {
  it("any REDIS_CLUSTER_NODES, REDIS_URL or DOCKET_DURABILITY is accepted or refused with a ConfigError, never anything else", () => {
    fc.assert(
      fc.property(
        hostile,
        hostile,
        fc.oneof(hostile, fc.constantFrom("async", "replicated:3", "fsync")),
        (nodes, url, durability) => {
          for (const env of [
            { REDIS_CLUSTER_NODES: nodes },
            { REDIS_URL: `redis-cluster://${url}` },
            { DOCKET_DURABILITY: durability },
          ]) {
            try {
              const read = readEnv(env);
              // Accepted: what every process then connects with parses as a cluster (or a server).
              if ("REDIS_CLUSTER_NODES" in env || "REDIS_URL" in env)
                expect(clusterTargetOf(read.redisUrl)?.nodes.length ?? 0).toBeGreaterThan(0);
            } catch (error) {
              expect(error).toBeInstanceOf(ConfigError);
            }
          }
        },
      ),
    );
  });

  it("an accepted cluster node list keeps every node, each with a port from 1 to 65535", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom("127.0.0.1", "redis-a.internal", "[::1]"),
            fc.integer({ min: 1, max: 65_535 }),
          ),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (nodes) => {
          const target = clusterTargetOf(
            redisTargetUrl("redis://127.0.0.1:6379", nodes.map(([h, p]) => `${h}:${p}`).join(",")),
          );
          expect(target?.nodes).toEqual(
            nodes.map(([h, p]) => ({ host: h.replace(/^\[|\]$/g, ""), port: p })),
          );
        },
      ),
    );
  });

  it("REDIS_URL's password reaches the cluster target intact and never appears in the redacted cluster URL", () => {
    fc.assert(
      fc.property(password, (p) => {
        const url = redisTargetUrl(
          `redis://:${encodeURIComponent(p)}@127.0.0.1:6379`,
          "10.0.0.1:7000,10.0.0.2:7000",
        );
        expect(clusterTargetOf(url)?.password).toBe(p);
        const shown = redactUrl(url);
        expect(shown).not.toContain(p);
        expect(shown).not.toContain(encodeURIComponent(p));
        expect(shown).toContain("10.0.0.2:7000");
      }),
    );
  });
});
