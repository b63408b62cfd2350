/**
 * The engine's clock: the rooms read the time through it and hand it to the domain as data
 * (DESIGN §2). The composition root passes `systemClock` unless told otherwise (tests may).
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
