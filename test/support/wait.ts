/**
 * Polls until a condition holds (integration tests wait for real processes, never sleep blindly):
 * until the probe gives something other than undefined, null or false. Null counts as "not yet"
 * because the read side answers null for a job it has not projected yet.
 */
export const waitFor = async <A>(
  probe: () => Promise<A | undefined | null | false> | A | undefined | null | false,
  what: string,
  timeoutMs = 15_000,
): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
