/** Polls until a condition holds (integration tests wait for real processes, never sleep blindly). */
export const waitFor = async <A>(
  probe: () => Promise<A | undefined | false> | A | undefined | false,
  what: string,
  timeoutMs = 15_000,
): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
