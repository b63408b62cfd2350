/** Paging through a shard log as the AuditSource port hands it out, for verify and time travel. */
import type { AuditSource, RawLogEntry } from "./ports.ts";

/**
 * Reads a shard log in pages, oldest first, without holding more than a page: all of it, or the
 * entries strictly after `after`.
 */
export async function* shardLogEntries(
  source: AuditSource,
  shard: number,
  pageSize = 1_000,
  from = "0-0",
): AsyncGenerator<RawLogEntry> {
  let after = from;
  for (;;) {
    const page = await source.readShardLog(shard, after, pageSize);
    for (const entry of page) yield entry;
    const last = page[page.length - 1];
    if (last === undefined || page.length < pageSize) return;
    after = last.entryId;
  }
}
