/**
 * One work stream and its consumer group, kept as Redis keeps them, for the memory adapters:
 * entries in id order, the group's last delivered entry, and its pending entries list (owner and
 * delivery time of each entry delivered and not yet acknowledged). The methods are the stream
 * commands Docket's Redis adapter uses (XADD, XGROUP CREATE, XREADGROUP, XACK, XDEL, XPENDING,
 * XCLAIM … JUSTID, XAUTOCLAIM), with Redis 7.0's semantics where they matter (noted at each).
 * Times are given by the caller: the storage's clock.
 */

/** A work entry: its job and the job's head when it was queued (JSON text, parsed per read). */
export interface StreamEntry {
  readonly id: string;
  readonly jobId: string;
  readonly head: string;
}

interface StoredEntry extends StreamEntry {
  /** The entry's place in its storage's id sequence: ids increase as entries are added. */
  readonly serial: number;
}

interface Pending {
  consumer: string;
  deliveredAtMs: number;
}

interface Group {
  /** Serial of the last entry delivered with `>`: later ones are new to the group. */
  lastDelivered: number;
  /** In delivery order, which is id order (XAUTOCLAIM changes an entry's owner in place). */
  readonly pending: Map<string, Pending>;
}

/** What Redis answers a group command on a stream or group that does not exist. */
export class NoGroupError extends Error {
  constructor(stream: string) {
    super(`NOGROUP no consumer group on work stream ${stream} (ensureGroups was not called for its queue)`);
    this.name = "NoGroupError";
  }
}

/** XAUTOCLAIM looks at up to this many pending entries per entry it may return (Redis's default). */
const AUTOCLAIM_ATTEMPTS_FACTOR = 10;

export class WorkStream {
  private readonly entries = new Map<string, StoredEntry>();
  private group: Group | undefined;

  constructor(readonly name: string) {}

  /** XLEN. */
  get length(): number {
    return this.entries.size;
  }

  /** The summary count of XPENDING (0 without a group, where Redis answers NOGROUP). */
  get pendingCount(): number {
    return this.group?.pending.size ?? 0;
  }

  /** XGROUP CREATE … 0 MKSTREAM: entries already there are new to the group; a second call is a no-op. */
  createGroup(): void {
    this.group ??= { lastDelivered: 0, pending: new Map() };
  }

  /** XADD with an id the storage hands out (`0-<serial>`, increasing across all streams). */
  add(serial: number, jobId: string, head: string): string {
    const id = `0-${serial}`;
    this.entries.set(id, { id, serial, jobId, head });
    return id;
  }

  /** Whether XREADGROUP with `>` would return something now. */
  hasNew(): boolean {
    const group = this.requireGroup();
    for (const entry of this.entries.values()) if (entry.serial > group.lastDelivered) return true;
    return false;
  }

  /** XREADGROUP GROUP … consumer COUNT count STREAMS stream `>`: new entries, now pending to `consumer`. */
  readNew(consumer: string, count: number, nowMs: number): Array<StreamEntry> {
    const group = this.requireGroup();
    const read: Array<StreamEntry> = [];
    for (const entry of this.entries.values()) {
      // COUNT 0 asks for everything, as in Redis.
      if (count > 0 && read.length >= count) break;
      if (entry.serial <= group.lastDelivered) continue;
      group.lastDelivered = entry.serial;
      group.pending.set(entry.id, { consumer, deliveredAtMs: nowMs });
      read.push(entry);
    }
    return read;
  }

  /** XACK: the entry leaves the pending list, whoever owned it. */
  ack(id: string): void {
    this.group?.pending.delete(id);
  }

  /** XDEL: the entry leaves the stream (not the pending list: that is XACK's). */
  delete(id: string): void {
    this.entries.delete(id);
  }

  /** The consumer an entry is pending to (XPENDING stream group id id 1), if any. */
  ownerOf(id: string): string | undefined {
    return this.requireGroup().pending.get(id)?.consumer;
  }

  /**
   * XCLAIM stream group owner 0 id JUSTID, by the entry's owner: resets its idle time. As in
   * Redis 7, an entry deleted from the stream is dropped from the pending list instead.
   */
  touch(id: string, nowMs: number): void {
    const group = this.requireGroup();
    const pending = group.pending.get(id);
    if (pending === undefined) return;
    if (this.entries.has(id)) pending.deliveredAtMs = nowMs;
    else group.pending.delete(id);
  }

  /**
   * XAUTOCLAIM stream group consumer minIdle 0-0 COUNT count: pending entries idle at least
   * `minIdleMs`, oldest first, now owned by `consumer` with their idle time reset. As in
   * Redis 7.0, an entry deleted from the stream is dropped from the pending list whatever its
   * idle time and counts against COUNT, and at most COUNT × 10 pending entries are looked at.
   */
  autoclaim(consumer: string, minIdleMs: number, count: number, nowMs: number): Array<StreamEntry> {
    const group = this.requireGroup();
    const claimed: Array<StreamEntry> = [];
    let left = count;
    let attempts = count * AUTOCLAIM_ATTEMPTS_FACTOR;
    for (const [id, pending] of group.pending) {
      if (attempts-- <= 0 || left <= 0) break;
      const entry = this.entries.get(id);
      if (entry === undefined) {
        group.pending.delete(id);
        left -= 1;
        continue;
      }
      if (minIdleMs > 0 && nowMs - pending.deliveredAtMs < minIdleMs) continue;
      pending.consumer = consumer;
      pending.deliveredAtMs = nowMs;
      claimed.push(entry);
      left -= 1;
    }
    return claimed;
  }

  private requireGroup(): Group {
    if (this.group === undefined) throw new NoGroupError(this.name);
    return this.group;
  }
}
