/**
 * Temporary directories for one test file, removed once its tests are done. Call at the top of
 * the file: `const tempDir = tempDirs("docket-archive-")`, then `tempDir()` for a new one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export const tempDirs = (prefix: string): (() => string) => {
  const dirs: Array<string> = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
};
