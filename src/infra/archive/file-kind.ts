/**
 * What a path that should be a regular file is instead, in words, for the refusals of key files
 * and archive files (a FIFO, a device or a directory where a file was expected).
 */
import type { Stats } from "node:fs";

export const kindOf = (stats: Stats): string =>
  stats.isDirectory()
    ? "a directory"
    : stats.isFIFO()
      ? "a FIFO"
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? "a device"
        : stats.isSocket()
          ? "a socket"
          : "not a file";
