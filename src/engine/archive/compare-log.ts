/**
 * The sealed ranges of the archive against the shard logs in Redis (ADR 0029): entry by entry,
 * every archived segment must still be in the log exactly as sealed. An attacker with write
 * access to Redis who rewrites a job's events and the log consistently — re-hashing every
 * envelope, so the log's own checks pass — is caught here for every sealed range, because the
 * archive's entries are signed. Once the archiver has trimmed the log (ADR 0034), the entries
 * before the log's first one are the archive's alone: they are counted as trimmed, and what is
 * still in both is compared.
 */
import { archivedEntryLine, compareStreamIds, parseArchivedEntryLine } from "../../domain/index.ts";
import type { ArchiveStore, ShardLogReader } from "./ports.ts";

export interface LogDifference {
  readonly shard: number;
  readonly segment: number;
  /** The first entry where the log and the archive part ways. */
  readonly entryId: string;
  readonly problem: string;
}

export interface LogComparison {
  readonly ok: boolean;
  /** Archived entries compared with the log. */
  readonly compared: number;
  /** Archived entries no longer in the log: trimmed, before its first entry. */
  readonly trimmed: number;
  /** The first difference of each segment that has one. */
  readonly differences: ReadonlyArray<LogDifference>;
}

export const compareArchiveWithLog = async (options: {
  readonly store: ArchiveStore;
  readonly log: ShardLogReader;
}): Promise<LogComparison> => {
  const { store, log } = options;
  const differences: Array<LogDifference> = [];
  let compared = 0;
  let trimmed = 0;
  for (const shard of await store.shardsPresent()) {
    let afterId = "0-0";
    // Trimming removes a prefix of the log: what sealed entries precede its first are gone from it.
    const first = (await log.readAfter(shard, "0-0", 1))[0]?.id ?? null;
    for (const segment of await store.segments(shard)) {
      const text = (await store.read(shard, segment)).segment;
      const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : [];
      const sealedLines = lines.map(parseArchivedEntryLine);
      const gone = sealedLines.filter(
        (sealed) => typeof sealed !== "string" && (first === null || compareStreamIds(sealed.id, first) < 0),
      ).length;
      trimmed += gone;
      const live = await log.readAfter(shard, afterId, lines.length);
      for (const [i, line] of lines.entries()) {
        if (i < gone) continue;
        compared += 1;
        const sealed = sealedLines[i] as ReturnType<typeof parseArchivedEntryLine>;
        const current = live[i - gone];
        const id = typeof sealed === "string" ? `line ${i + 1}` : sealed.id;
        const problem =
          typeof sealed === "string"
            ? `the archived line does not parse (${sealed}); verify the archive first`
            : current === undefined
              ? "archived, but the log ends before it"
              : current.id !== sealed.id
                ? `the log has entry ${current.id} where the archive has ${sealed.id}`
                : archivedEntryLine(current) !== line
                  ? "the log's entry differs from the sealed one"
                  : undefined;
        if (problem !== undefined) {
          differences.push({ shard, segment, entryId: id, problem });
          break;
        }
      }
      const last = sealedLines[sealedLines.length - 1] ?? "no lines";
      if (typeof last !== "string") afterId = last.id;
    }
  }
  return { ok: differences.length === 0, compared, trimmed, differences };
};
