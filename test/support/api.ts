/**
 * The whole server side for API tests: the real API (fastify, via `inject`) on a real Redis and
 * a real SQLite file in a temp folder, plus a test engine on the same prefix for workers.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { DEFAULT_PRINCIPAL, type NamedToken } from "../../src/api/api-tokens.ts";
import type { ApiLimits } from "../../src/api/limits.ts";
import type { Durability } from "../../src/infra/redis/durability.ts";
import {
  type ApiServer,
  type ArchiverSettings,
  openApiServer,
  type WebhookSettings,
} from "../../src/main.ts";
import { checkAnswers } from "./contract.ts";
import { makeEngine, type TestEngine } from "./engine.ts";
import { tempDbPath } from "./projection.ts";
import { uniquePrefix } from "./redis.ts";
import { TEST_UI_DIR } from "./ui-build.ts";

export interface TestApi extends ApiServer {
  readonly prefix: string;
  readonly dbPath: string;
  readonly engine: TestEngine;
  stop(): Promise<void>;
}

export const startApi = async (
  redisUrl: string,
  options: {
    /** One token, principal `default` (as DOCKET_API_TOKEN). */
    readonly token?: string;
    /** Named tokens (as DOCKET_API_TOKENS). */
    readonly tokens?: ReadonlyArray<NamedToken>;
    readonly limits?: Partial<ApiLimits>;
    /** An archiver in the API process (ADR 0028), with its retention (ADR 0034). */
    readonly archiver?: ArchiverSettings;
    /** Inbound hook sources and their secrets (ADR 0038). */
    readonly hookSecrets?: ReadonlyMap<string, string>;
    /** Outbound webhooks' settings (ADR 0038). */
    readonly webhooks?: WebhookSettings;
    /** DOCKET_SHARDS (default 1). */
    readonly shards?: number;
    /** DOCKET_DURABILITY (default async). */
    readonly durability?: Durability;
  } = {},
): Promise<TestApi> => {
  const tokens = [
    ...(options.token === undefined ? [] : [{ name: DEFAULT_PRINCIPAL, token: options.token }]),
    ...(options.tokens ?? []),
  ];
  const prefix = uniquePrefix();
  const dbPath = tempDbPath();
  const server = await openApiServer({
    redisUrl,
    prefix,
    shards: options.shards ?? 1,
    leaseMs: 2_000,
    ...(options.durability === undefined ? {} : { durability: options.durability }),
    dbPath,
    tokens,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.archiver === undefined ? {} : { archiver: options.archiver }),
    ...(options.hookSecrets === undefined ? {} : { hookSecrets: options.hookSecrets }),
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
    projector: { blockMs: 50, retryInitialMs: 50, retryMaxMs: 500 },
    uiDir: TEST_UI_DIR,
  });
  // Every answer this app gives is decoded against the API contract (test/support/contract.ts).
  checkAnswers(server.app);
  const engine = await makeEngine(redisUrl, {
    prefix,
    shards: options.shards ?? 1,
    ...(options.durability === undefined ? {} : { durability: options.durability }),
  });
  return {
    ...server,
    prefix,
    dbPath,
    engine,
    stop: async () => {
      await server.close();
      await engine.close();
      rmSync(dirname(dbPath), { recursive: true, force: true });
    },
  };
};
