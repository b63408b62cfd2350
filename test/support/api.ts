/**
 * The whole server side for API tests: the real API (fastify, via `inject`) on a real Redis and
 * a real SQLite file in a temp folder, plus a test engine on the same prefix for workers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ApiServer, openApiServer } from "../../src/main.ts";
import { makeEngine, type TestEngine } from "./engine.ts";
import { uniquePrefix } from "./redis.ts";

export interface TestApi extends ApiServer {
  readonly prefix: string;
  readonly dbPath: string;
  readonly engine: TestEngine;
  stop(): Promise<void>;
}

export const startApi = async (
  redisUrl: string,
  options: { readonly token?: string } = {},
): Promise<TestApi> => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(join(tmpdir(), "docket-api-"));
  const dbPath = join(dir, "docket.sqlite");
  const server = await openApiServer({
    redisUrl,
    prefix,
    shards: 1,
    leaseMs: 2_000,
    dbPath,
    ...(options.token === undefined ? {} : { token: options.token }),
    projector: { blockMs: 50, retryInitialMs: 50, retryMaxMs: 500 },
  });
  const engine = await makeEngine(redisUrl, { prefix });
  return {
    ...server,
    prefix,
    dbPath,
    engine,
    stop: async () => {
      await server.close();
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
