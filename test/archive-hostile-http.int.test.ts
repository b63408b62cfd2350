/**
 * Reads across tiers (ADR 0034) through the HTTP API when the archive has been tampered with:
 * for jobs whose whole history is only in the archive, every read — the job, its events, its
 * replay, its explanation, its state at a time, the jobs in a status at a time, the whole-log
 * verification — answers a 503 with a stable code (`archive_corrupt`, `archive_behind`) and the
 * contract's error body, at once: never a 500, never a hang, never part of the history as if it
 * were all of it. Each case starts its own API with an archiver in it (real Redis, real archive
 * directory), lets it archive and evict four finished jobs, then tampers with the directory.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { type ArchiveAccess, openApiServer } from "../src/main.ts";
import { startApi } from "./support/api.ts";
import { checkAnswers } from "./support/contract.ts";
import { tempDbPath } from "./support/projection.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { TEST_UI_DIR } from "./support/ui-build.ts";
import { tempDirs } from "./support/temp-dirs.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
const tempDir = tempDirs("docket-hostile-http-");
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const ARCHIVE = (): { archiveDir: string; dataDir: string } => ({
  archiveDir: tempDir(),
  dataDir: tempDir(),
});

/** Four finished jobs that have left Redis (history in the archive only), archived by an API's archiver. */
const evictedJobs = async (access: {
  archiveDir: string;
  dataDir: string;
}): Promise<{ prefix: string; ids: ReadonlyArray<string>; pristine: Map<string, unknown> }> => {
  const api = await startApi(redis.url, {
    archiver: {
      ...access,
      segmentEntries: 3,
      maxAgeMs: 10,
      leaseMs: 60_000,
      pollMs: 20,
      retention: { completedMs: 0, deadLetterMs: 0, cancelledMs: 0 },
    },
  });
  try {
    const ids: Array<string> = [];
    for (let i = 0; i < 4; i++) {
      const submitted = await api.app.inject({
        method: "POST",
        url: "/v1/jobs",
        payload: { type: "echo", payload: { i } },
      });
      ids.push(submitted.json().id as string);
    }
    const { done } = await startWorker(api.engine, { echo: async (payload) => payload }, { burst: true });
    await done;
    await waitFor(async () => {
      for (const id of ids) if ((await api.engine.store.loadHead(id)) !== null) return false;
      return true;
    }, "every job to leave Redis");
    // What each read answers from the untouched archive.
    const pristine = new Map<string, unknown>();
    for (const id of ids)
      for (const read of READS) {
        const reply = await api.app.inject({ method: "GET", url: `/v1/jobs/${id}${read}` });
        expect(reply.statusCode).toBe(200);
        pristine.set(`${id}${read}`, reply.json());
      }
    return { prefix: api.prefix, ids, pristine };
  } finally {
    await api.stop();
  }
};

/** An API on the deployment's Redis and archive that has read nothing of the archive yet. */
const readerApi = async (prefix: string, access: ArchiveAccess) => {
  const server = await openApiServer({
    redisUrl: redis.url,
    prefix,
    shards: 1,
    leaseMs: 2_000,
    dbPath: tempDbPath(),
    archive: access,
    projector: { blockMs: 50, retryInitialMs: 50, retryMaxMs: 500 },
    uiDir: TEST_UI_DIR,
  });
  checkAnswers(server.app);
  return server;
};

const READS = ["", "/events", "/replay", "/explain", "/state?at=2099-01-01T00:00:00.000Z"] as const;

/** The answer, or status 0 after 15 s (a read that hangs: a bound far above any real read). */
const answer = async (
  app: FastifyInstance,
  method: "GET" | "POST",
  url: string,
  payload?: object,
): Promise<{ status: number; body: unknown }> => {
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000));
  const reply = await Promise.race([
    app.inject({ method, url, ...(payload === undefined ? {} : { payload }) }),
    timeout,
  ]);
  return reply === undefined
    ? { status: 0, body: "no answer in 15 s" }
    : { status: reply.statusCode, body: reply.json() };
};

const codeOf = (body: unknown): string | undefined => (body as { error?: { code?: string } }).error?.code;

const fifo = (path: string): void => {
  unlinkSync(path);
  execFileSync("mkfifo", [path]);
};

const CASES: ReadonlyArray<{
  readonly name: string;
  readonly tamper: (shardDir: string, segments: ReadonlyArray<string>) => void;
  readonly code: "archive_corrupt" | "archive_behind";
}> = [
  {
    name: "an entry rewritten in a segment",
    tamper: (dir, segments) => {
      const file = join(dir, segments[0] as string, "segment.jsonl");
      writeFileSync(file, readFileSync(file, "utf8").replace('"seq","1"', '"seq","7"'));
    },
    code: "archive_corrupt",
  },
  {
    name: "a checkpoint replaced by garbage",
    tamper: (dir, segments) => writeFileSync(join(dir, segments[0] as string, "checkpoint"), "garbage\n"),
    code: "archive_corrupt",
  },
  {
    name: "the first segment deleted",
    tamper: (dir, segments) => rmSync(join(dir, segments[0] as string), { recursive: true }),
    code: "archive_corrupt",
  },
  {
    name: "a middle segment deleted",
    tamper: (dir, segments) => rmSync(join(dir, segments[1] as string), { recursive: true }),
    code: "archive_corrupt",
  },
  {
    name: "the last segment deleted",
    tamper: (dir, segments) => rmSync(join(dir, segments.at(-1) as string), { recursive: true }),
    code: "archive_behind",
  },
  {
    name: "the whole shard directory deleted",
    tamper: (dir) => rmSync(dir, { recursive: true }),
    code: "archive_behind",
  },
  {
    name: "a segment file replaced by a FIFO",
    tamper: (dir, segments) => fifo(join(dir, segments[0] as string, "segment.jsonl")),
    code: "archive_corrupt",
  },
  {
    name: "a checkpoint replaced by a FIFO",
    tamper: (dir, segments) => fifo(join(dir, segments[0] as string, "checkpoint")),
    code: "archive_corrupt",
  },
];

describe("reads of archived history from a tampered archive", () => {
  it.each(CASES)(
    "$name: each read answers exactly what it did, or 503 $code at once; never a 500, a hang or part of it",
    async ({ tamper, code }) => {
      const access = ARCHIVE();
      const { prefix, ids, pristine } = await evictedJobs(access);
      const shardDir = join(access.archiveDir, prefix, "shard-0");
      const segments = readdirSync(shardDir)
        .filter((name) => /^[0-9]{12}$/.test(name))
        .sort();
      expect(segments.length).toBeGreaterThanOrEqual(4);
      tamper(shardDir, segments);
      const server = await readerApi(prefix, access);
      try {
        let refused = 0;
        for (const id of ids)
          for (const read of READS) {
            const got = await answer(server.app, "GET", `/v1/jobs/${id}${read}`);
            if (got.status === 200) expect(got.body).toEqual(pristine.get(`${id}${read}`));
            else {
              expect({ read, status: got.status, code: codeOf(got.body) }).toEqual({
                read,
                status: 503,
                code,
              });
              refused++;
            }
          }
        // The tampering is seen: the job whose history starts in the first segment is refused.
        expect(refused).toBeGreaterThan(0);
        // Scans of the whole log meet it whatever the job.
        const listed = await answer(
          server.app,
          "GET",
          "/v1/jobs?status=completed&at=2099-01-01T00:00:00.000Z",
        );
        expect([listed.status, codeOf(listed.body)]).toEqual([503, code]);
        const verified = await answer(server.app, "POST", "/v1/audit/verify", {});
        expect([verified.status, codeOf(verified.body)]).toEqual([503, code]);
      } finally {
        await server.close();
      }
    },
    60_000,
  );

  it("a signing key or a trusted key that is a FIFO: every read of an archived job answers 503 archive_key_unusable at once", async () => {
    const access = ARCHIVE();
    const { prefix, ids } = await evictedJobs(access);
    const fifoKey = join(tempDir(), "key.pem");
    execFileSync("mkfifo", [fifoKey]);
    for (const keys of [{ signingKeyPath: fifoKey }, { trustedKeyPaths: [fifoKey] }]) {
      const server = await readerApi(prefix, { ...access, ...keys });
      try {
        for (const read of READS) {
          const got = await answer(server.app, "GET", `/v1/jobs/${ids[0]}${read}`);
          expect({ read, status: got.status, code: codeOf(got.body) }).toEqual({
            read,
            status: 503,
            code: "archive_key_unusable",
          });
        }
      } finally {
        await server.close();
      }
    }
  }, 60_000);
});
