/**
 * The offline audit commands as real processes, given hostile paths and files (no Redis, no
 * API): each answers within seconds with a documented exit code and a message naming the problem
 * — 2 for a path that is not what the option wants, 1 with a named finding for an archive or a
 * bundle that does not verify — never "OK" for something that verified nothing, never a hang,
 * never a stack trace.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsArchiveStore } from "../src/infra/archive/fs-archive-store.ts";
import { archiveEntries, syntheticEntries, testSigner } from "./support/archive.ts";
import { type DocketRun, killLeftovers, spawnDocket } from "./support/docket.ts";

let dir: string;
let archive: string;
let publicKey: string;

/** Run docket; a run still going after `timeoutMs` is killed and reported as status "hung". */
const docket = async (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<Omit<DocketRun, "status"> & { status: number | null | "hung" }> => {
  const run = spawnDocket(args, { env });
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => {
      run.child.kill("SIGKILL");
      resolve("hung");
    }, timeoutMs);
  });
  const status = await Promise.race([run.exited, hung]);
  clearTimeout(timer);
  return { status, stdout: run.stdout(), stderr: run.stderr() };
};

/** A copy of the sealed archive to tamper with. */
const copyOfArchive = (): string => {
  const copy = mkdtempSync(join(dir, "copy-"));
  execFileSync("cp", ["-a", `${archive}/.`, copy]);
  return copy;
};

const segmentFile = (root: string, segment: number, file = "segment.jsonl"): string =>
  join(root, "shard-0", String(segment).padStart(12, "0"), file);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "docket-offline-hostile-"));
  archive = join(dir, "archive");
  const signer = testSigner();
  await archiveEntries(new FsArchiveStore(archive), syntheticEntries(3), { signer, segmentEntries: 10 });
  publicKey = join(dir, "public.pem");
  writeFileSync(publicKey, signer.publicKeyPem);
});
afterAll(() => {
  killLeftovers();
  rmSync(dir, { recursive: true, force: true });
});

const verifyArchive = (path: string) => docket(["audit", "verify", "--archive", path, "--key", publicKey]);

describe("docket audit verify --archive with hostile paths", () => {
  it("the sealed archive verifies (exit 0)", async () => {
    const run = await verifyArchive(archive);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("OK");
  });

  it("a path that does not exist, or is a file, is a usage error (exit 2), never OK", async () => {
    for (const path of [join(dir, "nowhere"), publicKey, join(dir, "archive%2F..%2Fnowhere")]) {
      const run = await verifyArchive(path);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain("--archive:");
      expect(run.stdout).not.toContain("OK");
    }
  });

  it("a directory holding no segment — empty, a shard's own directory — is archive_empty (exit 1), never OK", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty, { recursive: true });
    for (const path of [empty, join(archive, "shard-0")]) {
      const run = await verifyArchive(path);
      expect(run.status, `${path}: ${run.stdout}${run.stderr}`).toBe(1);
      expect(run.stdout).toContain("archive_empty");
    }
  });

  it("the directory holding the archives (DOCKET_ARCHIVE_DIR itself, the easy mistake) is a usage error naming the archive in it (exit 2)", async () => {
    const run = await verifyArchive(dir);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(
      `--archive: ${dir} holds the archives of a deployment (DOCKET_ARCHIVE_DIR); verify ${archive}`,
    );
    expect(run.stdout).not.toContain("OK");
  });

  it("a segment or a shard renamed out of its spelling (so nothing reads it) is stray_entry (exit 1); .tmp-* and other files are not", async () => {
    const renamed: ReadonlyArray<[string, string]> = [
      // The last segment (3 of 0..3): nothing after it would have noticed it gone.
      [join("shard-0", "000000000003"), join("shard-0", "000000000003.bak")],
      [join("shard-0", "000000000002"), join("shard-0", "2")],
      ["shard-0", "shard-00"],
    ];
    for (const [from, to] of renamed) {
      const copy = copyOfArchive();
      renameSync(join(copy, from), join(copy, to));
      const run = await verifyArchive(copy);
      expect(run.status, `${to}: ${run.stdout}`).toBe(1);
      expect(run.stdout).toMatch(new RegExp(`stray_entry +${to.replace(/[.]/g, "\\.")} looks like`));
    }
    const copy = copyOfArchive();
    mkdirSync(join(copy, "shard-0", ".tmp-1-abc"));
    writeFileSync(join(copy, "README"), "backup notes\n");
    const run = await verifyArchive(copy);
    expect(run.status, run.stdout).toBe(0);
  }, 60_000);

  it("a segment file that is a FIFO, a link to /dev/zero or to another file, or a directory is segment_unreadable (exit 1) at once, echoing nothing of the file", async () => {
    const cases: ReadonlyArray<[string, (path: string) => void, RegExp]> = [
      ["a FIFO", (path) => execFileSync("mkfifo", [path]), /not a regular file \(a FIFO\)/],
      ["a link to /dev/zero", (path) => symlinkSync("/dev/zero", path), /is a symbolic link/],
      ["a link to /etc/passwd", (path) => symlinkSync("/etc/passwd", path), /is a symbolic link/],
      ["a directory", (path) => mkdirSync(path), /not a regular file \(a directory\)/],
    ];
    for (const [kind, make, reason] of cases)
      for (const file of ["segment.jsonl", "checkpoint"]) {
        const copy = copyOfArchive();
        const path = segmentFile(copy, 1, file);
        unlinkSync(path);
        make(path);
        const run = await verifyArchive(copy);
        expect(run.status, `${kind} as ${file}: ${run.stderr}`).toBe(1);
        expect(run.stdout).toMatch(new RegExp(`segment_unreadable .*${reason.source}`));
        expect(run.stdout).not.toContain("root:");
        expect(run.stderr).toBe("");
      }
  }, 60_000);
});

describe("signing and public keys that are not key files", () => {
  /** Hostile key paths: what each is, and what the message must say about it. */
  const hostileKeys = (): ReadonlyArray<[string, string, RegExp]> => {
    const keys = mkdtempSync(join(dir, "keys-"));
    const fifo = join(keys, "fifo.pem");
    execFileSync("mkfifo", [fifo]);
    const huge = join(keys, "huge.pem");
    writeFileSync(huge, "");
    truncateSync(huge, 300 * 1024 * 1024); // sparse: 300 MB that cost nothing to make
    return [
      ["a FIFO", fifo, /not a regular file \(a FIFO\)/],
      ["/dev/zero", "/dev/zero", /not a regular file \(a device\)/],
      ["a directory", keys, /not a regular file \(a directory\)/],
      ["a 300 MB file", huge, /314572800 bytes: a PEM key is under/],
    ];
  };

  it("DOCKET_SIGNING_KEY naming a FIFO, /dev/zero, a directory or a huge file: audit key says what it is, a configuration error (exit 2), at once", async () => {
    for (const [kind, path, reason] of hostileKeys()) {
      const run = await docket(["audit", "key"], { DOCKET_SIGNING_KEY: path, DOCKET_DATA_DIR: dir }, 10_000);
      expect(run.status, `${kind}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`cannot read the signing key ${path}`);
      expect(run.stderr).toMatch(reason);
      expect(run.stdout).toBe("");
    }
  }, 60_000);

  it("--key naming a FIFO, /dev/zero, a directory or a huge file is a usage error (exit 2) at once", async () => {
    for (const [kind, path, reason] of hostileKeys()) {
      const run = await docket(["audit", "verify", "--archive", archive, "--key", path], {}, 10_000);
      expect(run.status, `${kind}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`--key: cannot read ${path}`);
      expect(run.stderr).toMatch(reason);
    }
  }, 60_000);

  it("a public key, an encrypted key or an RSA key as DOCKET_SIGNING_KEY: refused as a configuration error (exit 2), naming the file and why", async () => {
    const keys = mkdtempSync(join(dir, "pem-"));
    const ed = generateKeyPairSync("ed25519");
    const cases: ReadonlyArray<[string, string, RegExp]> = [
      ["public", ed.publicKey.export({ format: "pem", type: "spki" }).toString(), /it is a public key/],
      [
        "encrypted",
        ed.privateKey
          .export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: "secret" })
          .toString(),
        /it is encrypted/,
      ],
      [
        "rsa",
        generateKeyPairSync("rsa", { modulusLength: 1024 })
          .privateKey.export({ format: "pem", type: "pkcs8" })
          .toString(),
        /cannot sign checkpoints: not an Ed25519 key \(rsa\)/,
      ],
    ];
    for (const [name, pem, reason] of cases) {
      const path = join(keys, `${name}.pem`);
      writeFileSync(path, pem, { mode: 0o600 });
      const run = await docket(["audit", "key"], { DOCKET_SIGNING_KEY: path, DOCKET_DATA_DIR: dir }, 10_000);
      expect(run.status, `${name}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`the signing key ${path}`);
      expect(run.stderr).toMatch(reason);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  }, 60_000);

  it("docket api with an unusable signing key, or a data directory that cannot be made, stops at start as a configuration error (exit 2)", async () => {
    const notADirectory = join(dir, "a-file");
    writeFileSync(notADirectory, "");
    // Nothing answers on port 1: each refusal must come before Redis is needed.
    const noRedis = { REDIS_URL: "redis://127.0.0.1:1", DOCKET_DATA_DIR: dir };
    const badKey = await docket(["api"], { ...noRedis, DOCKET_SIGNING_KEY: "/dev/zero" }, 10_000);
    expect(badKey.status, badKey.stderr).toBe(2);
    expect(badKey.stderr).toContain("cannot read the signing key /dev/zero");
    const badDataDir = await docket(
      ["api"],
      { ...noRedis, DOCKET_DATA_DIR: join(notADirectory, "data") },
      10_000,
    );
    expect(badDataDir.status, badDataDir.stderr).toBe(2);
    expect(badDataDir.stderr).toContain("for the projection database (DOCKET_DB");
    expect(badDataDir.stderr).toContain("ENOTDIR");
  }, 30_000);
});

describe("docket audit verify --file with hostile files", () => {
  it("a path with nothing to read is a usage error (exit 2), a directory pointed at --archive", async () => {
    const missing = await docket(
      ["audit", "verify", "--file", join(dir, "no-such-bundle.ndjson")],
      {},
      10_000,
    );
    expect(missing.status, missing.stderr).toBe(2);
    expect(missing.stderr).toContain("--file: cannot open");
    const directory = await docket(["audit", "verify", "--file", archive], {}, 10_000);
    expect(directory.status, directory.stderr).toBe(2);
    expect(directory.stderr).toContain(`--file: ${archive} is a directory`);
    expect(directory.stderr).toContain(`--archive ${archive}`);
    for (const run of [missing, directory]) expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it("/dev/zero (no newline, ever): the first line is refused as too long (exit 1) within seconds", async () => {
    const run = await docket(["audit", "verify", "--file", "/dev/zero"], {}, 20_000);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/invalid_header +line 1 is longer than 67108864 characters/);
  }, 30_000);

  it("a 100 MB line: refused once past the bound (exit 1) within seconds, not joined piece by piece for a minute", async () => {
    const file = join(dir, "long-line.ndjson");
    writeFileSync(file, `${"a".repeat(100 * 1024 * 1024)}\n{}\n`);
    try {
      const run = await docket(["audit", "verify", "--file", file], {}, 20_000);
      expect(run.status, run.stderr).toBe(1);
      expect(run.stdout).toMatch(/line 1 is longer than 67108864 characters/);
    } finally {
      rmSync(file, { force: true });
    }
  }, 30_000);

  it("a bundle of 200,000 junk lines: exit 1, every failure counted, the first 1,000 listed", async () => {
    const file = join(dir, "junk.ndjson");
    writeFileSync(file, "x\n".repeat(200_000));
    try {
      const run = await docket(["audit", "verify", "--file", file], {}, 60_000);
      expect(run.status, run.stderr).toBe(1);
      expect(run.stdout).toContain("FAILED (200000 failures");
      expect(run.stdout).toContain("… and 199000 more failures, not listed");
      expect(run.stdout.split("\n").length).toBeLessThan(1_100);
    } finally {
      rmSync(file, { force: true });
    }
  }, 90_000);
});
