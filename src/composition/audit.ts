/**
 * The auditor's tools bound to Redis, read-only (docs/audit.md). Part of the composition root (main.ts).
 */
import { type AuditSource, type AuditTools, auditTools } from "../engine/audit/index.ts";
import { connect, readyOrClosed } from "../infra/redis/connection.ts";
import { RedisAuditSource } from "../infra/redis/redis-audit-source.ts";
import { archivedLogOf } from "./archived-log.ts";
import type { DocketConfig, RedisWiring } from "./engine.ts";

/** The auditor's tools (read-only) on an open connection, and the source they read. */
export const composeAudit = (
  wiring: Omit<RedisWiring, "blockingClient">,
): AuditTools & { readonly source: AuditSource } => {
  const source = new RedisAuditSource(wiring.client, {
    prefix: wiring.prefix,
    shards: wiring.shards,
    ...(wiring.archive === undefined ? {} : { archive: wiring.archive }),
  });
  return { source, ...auditTools(source) };
};

/**
 * The auditor's tools (replay, time travel, explain, verify, export) bound to Redis; read-only.
 * The offline bundle verifier needs no store: `verifyBundle` from the audit room's face.
 */
export const openAudit = async (
  config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards" | "archive">,
): Promise<AuditTools & { close(): Promise<void> }> => {
  const client = await readyOrClosed(connect({ url: config.redisUrl }));
  const { source: _source, ...tools } = composeAudit({
    client,
    prefix: config.prefix,
    shards: config.shards,
    ...(config.archive === undefined ? {} : { archive: archivedLogOf(config.archive, config.prefix) }),
  });
  return { ...tools, close: async () => void client.disconnect() };
};
