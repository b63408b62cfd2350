/**
 * An auditor's witness directory (`docket audit verify --archive … --witness <dir>`, ADR 0029):
 * the last checkpoint of each shard as the previous verification found it, one file per shard,
 * `shard-<n>.checkpoint`, holding the checkpoint's signed note exactly as the archive has it.
 * Files of other names are not ours and are left alone.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { MAX_CHECKPOINT_BYTES, readArchiveFile } from "./fs-archive-store.ts";

const KEPT = /^shard-(0|[1-9]\d{0,8})\.checkpoint$/;

/** The name a shard's kept checkpoint has in the directory. */
export const keptCheckpointName = (shard: number): string => `shard-${shard}.checkpoint`;

/** The kept checkpoints' texts, by file name (none when the directory does not exist yet). */
export const readWitnessDir = async (
  dir: string,
): Promise<ReadonlyArray<{ readonly name: string; readonly text: string }>> => {
  let names: ReadonlyArray<string>;
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const kept: Array<{ name: string; text: string }> = [];
  for (const name of names.filter((n) => KEPT.test(n)).sort())
    kept.push({ name, text: await readArchiveFile(join(dir, name), MAX_CHECKPOINT_BYTES) });
  return kept;
};

/**
 * Keeps `text` as shard `shard`'s checkpoint: written to a temporary file, fsynced, renamed over
 * the old one, so the directory always holds a whole checkpoint per shard, old or new.
 */
export const keepCheckpoint = async (dir: string, shard: number, text: string): Promise<void> => {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  const handle = await open(temp, "wx", 0o644);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, join(dir, keptCheckpointName(shard)));
  const parent = await open(dir, "r");
  try {
    await parent.sync();
  } finally {
    await parent.close();
  }
};
