/** A clock that moves only when a test moves it: idle times, due times and leases on demand. */
import type { Clock } from "../../src/engine/shared/index.ts";

export class ManualClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
