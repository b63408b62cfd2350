/**
 * The engine's clock: every room reads time through it, so tests and the model suite can drive
 * time, and the domain gets it as data (DESIGN §2). The composition root passes `systemClock`.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
