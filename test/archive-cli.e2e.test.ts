/**
 * The auditor's archive commands as real processes, offline: `docket audit key` prints the
 * public key only; `docket audit verify --archive` passes a sealed archive with that key, fails
 * (exit 1, the finding named) on an edited segment and on another key; `docket audit prove`
 * shows a job's events in signed segments.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Handlers } from "../src/engine/worker/index.ts";
import { archiveDirOf } from "../src/main.ts";
import { killLeftovers, runDocket } from "./support/docket.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;
let dir: string;
let env: Record<string, string>;
let deployment: string;
let jobId: string;

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  for (let i = 0; i < 5; i++) {
    const { jobId: id } = await engine.jobs.submit({ type: "echo", payload: { i } }, apiActor);
    jobId = id;
  }
  const handlers: Handlers = { echo: async (payload) => payload };
  const { done } = await startWorker(engine, handlers, { burst: true });
  await done;
  dir = mkdtempSync(join(tmpdir(), "docket-archive-cli-"));
  env = {
    REDIS_URL: redis.url,
    DOCKET_PREFIX: engine.prefix,
    DOCKET_DATA_DIR: dir,
    DOCKET_ARCHIVE_SEGMENT_ENTRIES: "4",
    DOCKET_ARCHIVE_MAX_AGE_MS: "10",
  };
  deployment = archiveDirOf(join(dir, "archive"), engine.prefix);
  const sealed = await runDocket(["archiver", "--once"], { env });
  expect(sealed.status, sealed.stderr).toBe(0);
  firstStart = sealed.stdout + sealed.stderr;
});
/** What the first `docket archiver` said (it made the key). */
let firstStart = "";
afterAll(async () => {
  killLeftovers();
  await engine.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the signing key, as the archiver starts", () => {
  it("a key it makes is said once, with where it is; a key file others may read is warned of at every start", async () => {
    expect(firstStart).toContain(`made the archive's signing key ${join(dir, "archive-signing-key.pem")}`);
    expect(firstStart).not.toMatch(/read by other users/);
    const again = await runDocket(["archiver", "--once"], { env });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).not.toMatch(/made the archive's signing key|read by other users/);

    const shared = join(dir, "shared-key.pem");
    writeFileSync(shared, readFileSync(join(dir, "archive-signing-key.pem")));
    chmodSync(shared, 0o644);
    const lax = await runDocket(["archiver", "--once"], { env: { ...env, DOCKET_SIGNING_KEY: shared } });
    expect(lax.status, lax.stderr).toBe(0);
    expect(lax.stdout + lax.stderr).toContain(
      `the signing key ${shared} can be read by other users (mode 0644): whoever reads it can sign checkpoints; chmod 600 it`,
    );
    chmodSync(shared, 0o600);
    const strict = await runDocket(["archiver", "--once"], { env: { ...env, DOCKET_SIGNING_KEY: shared } });
    expect(strict.status, strict.stderr).toBe(0);
    expect(strict.stdout + strict.stderr).not.toMatch(/read by other users/);
  });
});

describe("docket audit key / verify --archive / prove", () => {
  it("audit key prints the public key, never the private one", async () => {
    const run = await runDocket(["audit", "key"], { env });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    expect(readFileSync(join(dir, "archive-signing-key.pem"), "utf8")).toContain("PRIVATE KEY");
  });

  it("audit verify --archive passes a sealed archive with the public key, with no Redis", async () => {
    const pub = join(dir, "public.pem");
    writeFileSync(pub, (await runDocket(["audit", "key"], { env })).stdout);
    const run = await runDocket(["audit", "verify", "--archive", deployment, "--key", pub], {
      env: { REDIS_URL: "redis://127.0.0.1:1", DOCKET_DATA_DIR: join(dir, "elsewhere") },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Verify archive ${deployment}: OK`);
    expect(run.stdout).toContain("15 entries, 5 jobs");
  });

  it("audit verify --archive fails and names the finding: another key (unknown_key), an edited segment (root_mismatch)", async () => {
    const other = join(dir, "other.pem");
    writeFileSync(other, generateKeyPairSync("ed25519").publicKey.export({ format: "pem", type: "spki" }));
    const wrongKey = await runDocket(["audit", "verify", "--archive", deployment, "--key", other, "--json"], {
      env,
    });
    expect(wrongKey.status).toBe(1);
    expect((JSON.parse(wrongKey.stdout) as { findings: Array<{ code: string }> }).findings[0]?.code).toBe(
      "unknown_key",
    );

    const segment = join(deployment, "shard-0", "000000000001", "segment.jsonl");
    const original = readFileSync(segment, "utf8");
    writeFileSync(segment, original.replace("echo", "evil"));
    const edited = await runDocket(["audit", "verify", "--archive", deployment], { env });
    writeFileSync(segment, original);
    expect(edited.status).toBe(1);
    expect(edited.stdout).toMatch(/FAILED[\s\S]*root_mismatch/);
  });

  it("audit verify --archive --compare-redis also compares every sealed entry with the shard log", async () => {
    const run = await runDocket(["audit", "verify", "--archive", deployment, "--compare-redis", "--json"], {
      env,
    });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { redis: { compared: number; trimmed: number } };
    expect(report).toMatchObject({ ok: true, redis: { ok: true, differences: [] } });
    // Every sealed entry is either still in Redis (and equal) or was trimmed after sealing.
    expect(report.redis.compared + report.redis.trimmed).toBe(15);
  });

  it("audit prove shows each of a job's events in a signed segment", async () => {
    const run = await runDocket(["audit", "prove", jobId, "--json"], { env });
    expect(run.status, run.stderr).toBe(0);
    const proof = JSON.parse(run.stdout) as {
      ok: boolean;
      events: Array<{ seq: number; included: boolean; signed: boolean }>;
    };
    expect(proof.ok).toBe(true);
    expect(proof.events.map((e) => [e.seq, e.included, e.signed])).toEqual([
      [1, true, true],
      [2, true, true],
      [3, true, true],
    ]);
    const missing = await runDocket(["audit", "prove", "no-such-job"], { env });
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain("no event of it is in the archive");
  });
});

describe("docket audit verify --archive --witness", () => {
  interface Report {
    ok: boolean;
    shards: Array<{ shard: number; lastSegment: number | null }>;
    findings: Array<{ shard: number; segment: number; code: string }>;
    witness: { checked: number; kept: Array<{ shard: number; segment: number }> };
  }
  const segmentDir = (root: string, shard: number, segment: number) =>
    join(root, `shard-${shard}`, String(segment).padStart(12, "0"));

  it("keeps each shard's newest checkpoint; a copy cut back by its last segment verifies alone but not against them (exit 1); a witness it cannot use exits 2", async () => {
    const witness = join(dir, "witness");
    const first = await runDocket(
      ["audit", "verify", "--archive", deployment, "--witness", witness, "--json"],
      {
        env,
      },
    );
    expect(first.status, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as Report;
    const shards = report.shards.filter((s) => s.lastSegment !== null);
    expect(shards.length).toBeGreaterThan(0);
    expect(report.witness).toEqual({
      dir: witness,
      checked: 0,
      kept: shards.map((s) => ({ shard: s.shard, segment: s.lastSegment })),
    });
    for (const s of shards)
      expect(readFileSync(join(witness, `shard-${s.shard}.checkpoint`), "utf8")).toBe(
        readFileSync(join(segmentDir(deployment, s.shard, s.lastSegment as number), "checkpoint"), "utf8"),
      );

    const again = await runDocket(["audit", "verify", "--archive", deployment, "--witness", witness], {
      env,
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      `witness ${witness}: ${shards.length} kept checkpoint(s) checked; nothing newer to keep`,
    );

    // A copy of the archive without shard 0's last segment: nothing left in it names that segment.
    const cut = join(dir, "cut");
    cpSync(deployment, cut, { recursive: true });
    const last = shards[0] as { shard: number; lastSegment: number };
    rmSync(segmentDir(cut, last.shard, last.lastSegment), { recursive: true });
    const alone = await runDocket(["audit", "verify", "--archive", cut], { env });
    expect(alone.status, alone.stdout).toBe(0);
    expect(alone.stdout).toContain("--witness <dir>");
    const kept = readFileSync(join(witness, `shard-${last.shard}.checkpoint`), "utf8");
    const caught = await runDocket(["audit", "verify", "--archive", cut, "--witness", witness, "--json"], {
      env,
    });
    expect(caught.status).toBe(1);
    const failed = JSON.parse(caught.stdout) as Report;
    expect(failed.findings.map((f) => [f.shard, f.segment, f.code])).toEqual([
      [last.shard, last.lastSegment, "kept_checkpoint_missing"],
    ]);
    expect(failed.witness.kept).toEqual([]);
    expect(readFileSync(join(witness, `shard-${last.shard}.checkpoint`), "utf8")).toBe(kept);

    const junk = join(dir, "junk-witness");
    mkdirSync(junk);
    writeFileSync(join(junk, "shard-0.checkpoint"), "docket/elsewhere\n");
    const unusable = await runDocket(["audit", "verify", "--archive", deployment, "--witness", junk], {
      env,
    });
    expect(unusable.status).toBe(2);
    expect(unusable.stderr).toContain(
      `--witness: ${join(junk, "shard-0.checkpoint")} is not a signed checkpoint`,
    );

    // Kept inside the archive, the witness's files would be strays there: refused, nothing written.
    const inside = join(deployment, "witness");
    const refused = await runDocket(["audit", "verify", "--archive", deployment, "--witness", inside], {
      env,
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`--witness: ${inside} is inside the archive ${deployment}`);
    expect(existsSync(inside)).toBe(false);
    const itself = await runDocket(
      ["audit", "verify", "--archive", deployment, "--witness", `${deployment}/`],
      { env },
    );
    expect(itself.status).toBe(2);

    const withoutArchive = await runDocket(["audit", "verify", "--witness", witness], { env });
    expect(withoutArchive.status).toBe(2);
    expect(withoutArchive.stderr).toContain("--witness applies only to --archive");
  });
});
