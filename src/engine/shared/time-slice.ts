/**
 * Cooperative yielding for long work on the API's one thread. SQLite (node-sqlite3-wasm) is
 * synchronous, and folding or comparing a large log is CPU work: done in one go, it would hold
 * the event loop for seconds and `/health`, SSE and every other request with it. Long loops
 * call `slice.due()` and, when their slice is spent, `await yieldToEventLoop()`.
 */

/** Let the event loop run (I/O, timers, other requests) before the next piece of work. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** How long a piece of work may hold the event loop before it yields (ms). */
export const SLICE_MS = 10;

/** Tracks how long the current slice of work has run. */
export class TimeSlice {
  private began = performance.now();

  constructor(private readonly budgetMs = SLICE_MS) {}

  /** True once the slice has run for its budget (then the caller yields and calls `next`). */
  due(): boolean {
    return performance.now() - this.began >= this.budgetMs;
  }

  /** Yield if the slice is spent; a new slice begins after. */
  async yieldIfDue(): Promise<void> {
    if (!this.due()) return;
    await yieldToEventLoop();
    this.began = performance.now();
  }
}
