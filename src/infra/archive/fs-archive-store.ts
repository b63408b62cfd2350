/**
 * The ArchiveStore on a local directory (docs/archive-format.md, ADR 0028):
 *
 *   <root>/shard-<n>/<segment, 12 digits>/segment.jsonl   one canonical-JSON line per entry
 *   <root>/shard-<n>/<segment, 12 digits>/checkpoint      the signed checkpoint (note text)
 *
 * A commit writes both files into a temporary directory `<root>/shard-<n>/.tmp-…`, fsyncs each
 * file and that directory, then renames the directory to its final name and fsyncs the shard's
 * directory. rename(2) will not replace a directory that is not empty, so a segment number is
 * taken once (a second writer gets SegmentExists), and both files appear together or not at all.
 * A temporary directory left by a crash is never read and is swept by the next archiver.
 *
 * The archive holds job payloads: directories are made 0700 and files 0600, as the data
 * directory's other files (an operator may open them up for a backup agent).
 *
 * The fencing check (a committed checkpoint with a higher token refuses the commit) reads the
 * shard's last checkpoint just before the rename: a stale archiver that wakes up after a later
 * term has written is refused by the token.
 *
 * Reads take regular files only, no larger than the archiver can write, and no symbolic link
 * (`readArchiveFile`): the directory may have been tampered with, and a FIFO in a segment's place
 * would block the read (and the thread-pool thread under it) for good, a link to /dev/zero would
 * never end, a link to another file would have its start echoed in a finding.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:buffer";
import { constants as fs } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { kindOf } from "./file-kind.ts";
import { parseCheckpointBody, parseSignedNote } from "../../domain/index.ts";
import {
  type ArchiveStore,
  ArchiveUnavailable,
  FencedOut,
  type SegmentFiles,
  SegmentExists,
} from "../../engine/archive/index.ts";

const SEGMENT_NAME = /^[0-9]{12}$/;
const SHARD_NAME = /^shard-(0|[1-9][0-9]{0,5})$/;
export const SEGMENT_FILE = "segment.jsonl";
export const CHECKPOINT_FILE = "checkpoint";

/** errno codes that mean "the medium will not take this write now": archiving pauses on them. */
const UNAVAILABLE = new Set([
  "ENOSPC",
  "EDQUOT",
  "EROFS",
  "EACCES",
  "EPERM",
  "ENOTDIR",
  "EIO",
  "EEXIST",
  "EFBIG",
]);

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/** The medium's refusal as ArchiveUnavailable (archiving pauses); anything else as it is. */
const asUnavailable = (location: string, error: unknown): unknown => {
  const code = codeOf(error);
  return code !== undefined && UNAVAILABLE.has(code)
    ? new ArchiveUnavailable({
        code,
        message: `the archive at ${location} refuses: ${(error as Error).message}`,
      })
    : error;
};

export interface FsArchiveStoreOptions {
  /**
   * Called at each step of a commit (test hook: the crash tests stop the process there and kill
   * it). Steps: "files-written", "files-synced", "renamed", "committed".
   */
  readonly onStep?: (step: string) => Promise<void> | void;
}

export class FsArchiveStore implements ArchiveStore {
  readonly location: string;

  constructor(
    root: string,
    private readonly options: FsArchiveStoreOptions = {},
  ) {
    this.location = resolve(root);
  }

  private shardDir(shard: number): string {
    return join(this.location, `shard-${shard}`);
  }

  private segmentDir(shard: number, segment: number): string {
    return join(this.shardDir(shard), String(segment).padStart(12, "0"));
  }

  async segments(shard: number): Promise<ReadonlyArray<number>> {
    let names: Array<string>;
    try {
      names = await readdir(this.shardDir(shard));
    } catch (error) {
      if (codeOf(error) === "ENOENT") return [];
      throw asUnavailable(this.location, error);
    }
    return names
      .filter((name) => SEGMENT_NAME.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  }

  async shardsPresent(): Promise<ReadonlyArray<number>> {
    let names: Array<string>;
    try {
      names = await readdir(this.location);
    } catch (error) {
      if (codeOf(error) === "ENOENT") return [];
      throw asUnavailable(this.location, error);
    }
    const shards = names.flatMap((name) => {
      const match = SHARD_NAME.exec(name);
      return match === null ? [] : [Number(match[1])];
    });
    return shards.sort((a, b) => a - b);
  }

  async strays(): Promise<ReadonlyArray<string>> {
    const listing = async (dir: string): Promise<ReadonlyArray<string>> => {
      try {
        return await readdir(dir);
      } catch (error) {
        if (codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR") return [];
        throw asUnavailable(this.location, error);
      }
    };
    const found: Array<string> = [];
    for (const name of await listing(this.location))
      if (name.startsWith("shard-") && !SHARD_NAME.test(name)) found.push(name);
    for (const shard of await this.shardsPresent())
      for (const name of await listing(this.shardDir(shard)))
        if (/^[0-9]/.test(name) && !SEGMENT_NAME.test(name)) found.push(`shard-${shard}/${name}`);
    return found.sort();
  }

  async read(shard: number, segment: number): Promise<SegmentFiles> {
    const dir = this.segmentDir(shard, segment);
    const [segmentText, checkpoint] = await Promise.all([
      readArchiveFile(join(dir, SEGMENT_FILE), MAX_SEGMENT_BYTES),
      readArchiveFile(join(dir, CHECKPOINT_FILE), MAX_CHECKPOINT_BYTES),
    ]);
    return { segment: segmentText, checkpoint };
  }

  readCheckpoint(shard: number, segment: number): Promise<string> {
    return readArchiveFile(join(this.segmentDir(shard, segment), CHECKPOINT_FILE), MAX_CHECKPOINT_BYTES);
  }

  async commit(shard: number, segment: number, files: SegmentFiles, fence: number): Promise<void> {
    const shardDir = this.shardDir(shard);
    const final = this.segmentDir(shard, segment);
    let temp: string | undefined;
    try {
      await this.ensureDir(shardDir);
      const existing = await this.segments(shard);
      if (existing.includes(segment)) throw new SegmentExists({ shard, segment });
      temp = join(shardDir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
      await mkdir(temp, { mode: 0o700 });
      await writeSynced(join(temp, SEGMENT_FILE), files.segment);
      await writeSynced(join(temp, CHECKPOINT_FILE), files.checkpoint);
      await this.options.onStep?.("files-written");
      await syncDir(temp);
      await this.options.onStep?.("files-synced");
      await this.checkFence(shard, fence);
      try {
        await rename(temp, final);
      } catch (error) {
        if (codeOf(error) === "ENOTEMPTY" || codeOf(error) === "EEXIST")
          throw new SegmentExists({ shard, segment });
        throw error;
      }
      temp = undefined;
      await this.options.onStep?.("renamed");
      await syncDir(shardDir);
      await this.options.onStep?.("committed");
    } catch (error) {
      if (temp !== undefined) await rm(temp, { recursive: true, force: true }).catch(() => undefined);
      const code = codeOf(error);
      if (code !== undefined && UNAVAILABLE.has(code))
        throw new ArchiveUnavailable({
          code,
          message: `the archive at ${this.location} refuses writes: ${(error as Error).message}`,
        });
      throw error;
    }
  }

  async sweep(shard: number): Promise<void> {
    let names: Array<string>;
    try {
      names = await readdir(this.shardDir(shard));
    } catch {
      return;
    }
    for (const name of names)
      if (name.startsWith(".tmp-"))
        await rm(join(this.shardDir(shard), name), { recursive: true, force: true });
  }

  /** Refuse the commit when the shard's last checkpoint was written by a later lease term. */
  private async checkFence(shard: number, fence: number): Promise<void> {
    const last = (await this.segments(shard)).at(-1);
    if (last === undefined) return;
    const checkpoint = await readArchiveFile(
      join(this.segmentDir(shard, last), CHECKPOINT_FILE),
      MAX_CHECKPOINT_BYTES,
    );
    const note = parseSignedNote(checkpoint);
    const body = typeof note === "string" ? note : parseCheckpointBody(note.body);
    if (typeof body !== "string" && body.fence > fence)
      throw new FencedOut({ shard, fence, newer: body.fence });
  }

  /** mkdir -p, fsyncing each parent a directory was created in, so the new entry is durable. */
  private async ensureDir(dir: string): Promise<void> {
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created === undefined) return;
    // `created` is the first directory made: its parent and each one down to `dir` gained an entry.
    const stop = resolve(created, "..");
    const chain: Array<string> = [];
    for (let d = resolve(dir); ; d = resolve(d, "..")) {
      chain.push(d);
      if (d === stop || d === resolve(d, "..")) break;
    }
    for (const d of chain) await syncDir(d);
  }
}

/**
 * The largest segment file the archiver can write: its text is one JavaScript string (at most
 * MAX_STRING_LENGTH UTF-16 units, each at most 3 bytes of UTF-8). Anything larger is not a segment.
 */
export const MAX_SEGMENT_BYTES = constants.MAX_STRING_LENGTH * 3;
/** A checkpoint is a few hundred bytes (a body and a signature line or a few). */
export const MAX_CHECKPOINT_BYTES = 64 * 1024;

/**
 * A file of the archive as text: a regular file of at most `maxBytes`, or an error naming the
 * path and what it is instead. Opened without blocking (a FIFO's open would wait for a writer),
 * then checked on the open descriptor, so what is read is what was checked.
 */
export const readArchiveFile = async (path: string, maxBytes: number): Promise<string> => {
  // No symbolic link either: the archiver writes none, and one pointing at another file of the
  // host would have a reader echo the start of that file in its finding ("not JSON: 'root:x:0'…").
  const handle = await open(path, fs.O_RDONLY | fs.O_NONBLOCK | fs.O_NOFOLLOW).catch((error: unknown) => {
    throw codeOf(error) === "ELOOP"
      ? Object.assign(new Error(`${path} is a symbolic link, which an archive never holds`), {
          code: "ELOOP",
        })
      : error;
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile())
      throw Object.assign(new Error(`${path} is not a regular file (${kindOf(stats)})`), { code: "ENOTREG" });
    if (stats.size > maxBytes)
      throw Object.assign(
        new Error(`${path} is ${stats.size} bytes, more than such a file can be (${maxBytes})`),
        {
          code: "EFBIG",
        },
      );
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
};

const writeSynced = async (path: string, text: string): Promise<void> => {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, "wx", 0o600);
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle?.close();
  }
};

const syncDir = async (path: string): Promise<void> => {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};
