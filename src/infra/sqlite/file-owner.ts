/**
 * Who owns a projection file. node-sqlite3-wasm locks a database by creating a `<file>.lock`
 * directory and removes it on close; a process that dies without closing (SIGKILL, OOM, power)
 * leaves it behind and every later open fails with "database is locked". So the owner also
 * writes `<file>.owner` (pid and host); a lock whose owner process is gone on this host is stale
 * and may be broken. A lock without a readable owner is never broken automatically.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";

interface Owner {
  readonly pid: number;
  readonly host: string;
}

const ownerPath = (path: string): string => `${path}.owner`;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

const readOwner = (path: string): Owner | null => {
  try {
    const owner = JSON.parse(readFileSync(ownerPath(path), "utf8")) as Partial<Owner>;
    return typeof owner.pid === "number" && typeof owner.host === "string"
      ? { pid: owner.pid, host: owner.host }
      : null;
  } catch {
    return null;
  }
};

export const recordOwner = (path: string): void =>
  writeFileSync(ownerPath(path), JSON.stringify({ pid: process.pid, host: hostname() }));

export const forgetOwner = (path: string): void => rmSync(ownerPath(path), { force: true });

/** Break the lock if its recorded owner is a dead process on this host; true if it did. */
export const breakStaleLock = (path: string): boolean => {
  const owner = readOwner(path);
  if (owner === null || owner.host !== hostname() || owner.pid === process.pid || isAlive(owner.pid))
    return false;
  rmSync(`${path}.lock`, { recursive: true, force: true });
  forgetOwner(path);
  return true;
};
