/**
 * Reports where only the latest value of each kind matters (a job's progress, its meta): each
 * kind is written at most about once per interval (which may grow with time: `intervalMs` is
 * asked at each report), so a handler reporting in a tight loop cannot flood its job's history.
 * A report that comes sooner is held, and replaced by any later one of its kind. What is held is written when an interval has passed, or at once by `flush` (before
 * the attempt's next other record) — always all of it, in the order the held reports were made,
 * so the history keeps the order in which the handler reported.
 */
export class LatestWins<K extends string, V> {
  private readonly held = new Map<K, { readonly value: V; readonly order: number }>();
  private readonly lastWriteAt = new Map<K, number>();
  private made = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    /** The least time between two writes of a kind, as of `nowMs`. */
    private readonly intervalMs: (nowMs: number) => number,
    private readonly now: () => number,
    /** Queues the write (the job's chain keeps writes in order); resolves once it settled. */
    private readonly write: (kind: K, value: V) => Promise<unknown>,
  ) {}

  /** Write `value` now if its kind's interval has passed and nothing is held, else hold it. */
  offer(kind: K, value: V): Promise<unknown> {
    if (this.closed) return Promise.resolve();
    const now = this.now();
    const intervalMs = this.intervalMs(now);
    const waitMs = (this.lastWriteAt.get(kind) ?? Number.NEGATIVE_INFINITY) + intervalMs - now;
    if (waitMs <= 0 && this.held.size === 0) return this.writeNow(kind, value);
    this.held.set(kind, { value, order: this.made++ });
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), Math.max(0, Math.min(waitMs, intervalMs)));
      this.timer.unref?.();
    }
    return Promise.resolve();
  }

  /** Queue the writes of everything held now, in the order it was reported. */
  flush(): Promise<unknown> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const held = [...this.held].sort(([, a], [, b]) => a.order - b.order);
    this.held.clear();
    if (this.closed) return Promise.resolve();
    return Promise.all(held.map(([kind, { value }]) => this.writeNow(kind, value)));
  }

  /** The attempt has ended: drop what is held, write nothing more. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held.clear();
    this.closed = true;
  }

  private writeNow(kind: K, value: V): Promise<unknown> {
    this.lastWriteAt.set(kind, this.now());
    return this.write(kind, value);
  }
}
