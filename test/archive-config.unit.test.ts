/** The archive's configuration: defaults that work on one laptop, and refusals that name the variable. */
import { describe, expect, it } from "vitest";
import { ConfigError, readEnv } from "../src/cli/config.ts";

describe("archive configuration", () => {
  it("defaults: an archiver in the API, the archive and the key under the data directory", () => {
    expect(readEnv({ DOCKET_DATA_DIR: "/srv/docket" }).archive).toEqual({
      inApi: true,
      dir: "/srv/docket/archive",
      segmentEntries: 10_000,
      maxAgeMs: 60_000,
      leaseMs: 15_000,
      signingKeyPath: undefined,
      dataDir: "/srv/docket",
      trustedKeyPaths: [],
      retention: {
        completedMs: 86_400_000,
        deadLetterMs: 604_800_000,
        cancelledMs: 86_400_000,
        idempotencyKeysMs: 86_400_000,
      },
    });
    expect(
      readEnv({
        DOCKET_ARCHIVER: "off",
        DOCKET_ARCHIVE_DIR: "/mnt/archive",
        DOCKET_ARCHIVE_SEGMENT_ENTRIES: "500",
        DOCKET_SIGNING_KEY: "/etc/docket/key.pem",
      }).archive,
    ).toMatchObject({
      inApi: false,
      dir: "/mnt/archive",
      segmentEntries: 500,
      signingKeyPath: "/etc/docket/key.pem",
    });
  });

  it.each([
    ["DOCKET_ARCHIVER", "maybe", "expected on or off"],
    ["DOCKET_ARCHIVE_SEGMENT_ENTRIES", "0", "from 1 to 1000000"],
    ["DOCKET_ARCHIVE_MAX_AGE_MS", "soon", "milliseconds"],
    ["DOCKET_ARCHIVE_LEASE_MS", "10", "from 1000"],
  ])("%s=%s is refused, naming the variable", (name, value, expected) => {
    expect(() => readEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => readEnv({ [name]: value })).toThrow(new RegExp(`invalid ${name}=.*${expected}`));
  });

  it("retention durations: exactly what is written, up to 3650d; anything else refused, naming the variable and the bound", () => {
    const retained = (value: string) =>
      readEnv({ DOCKET_RETAIN_COMPLETED: value }).archive.retention.completedMs;
    expect(retained("0s")).toBe(0);
    expect(retained("500ms")).toBe(500);
    expect(retained("3650d")).toBe(315_360_000_000);
    expect(retained("315360000000ms")).toBe(315_360_000_000);
    const keys = (value?: string) =>
      readEnv(value === undefined ? {} : { DOCKET_RETAIN_IDEMPOTENCY_KEYS: value }).archive.retention
        .idempotencyKeysMs;
    expect(keys()).toBe(86_400_000);
    expect(keys("0s")).toBe(0);
    expect(keys("7d")).toBe(604_800_000);
    for (const value of [
      "0",
      "-1s",
      "1e3s",
      "24.5h",
      "24H",
      "２４h",
      "",
      "3651d",
      "315360000001ms",
      "99999999999d",
      "9007199254740993ms",
    ])
      for (const name of [
        "DOCKET_RETAIN_COMPLETED",
        "DOCKET_RETAIN_DEAD",
        "DOCKET_RETAIN_CANCELLED",
        "DOCKET_RETAIN_IDEMPOTENCY_KEYS",
      ])
        expect(() => readEnv({ [name]: value }), `${name}=${value}`).toThrow(
          new RegExp(`invalid ${name}=.*at most 3650d`),
        );
  });

  it("a refused value is shown cut to 100 characters, saying how long it was", () => {
    const huge = `${"9".repeat(100_000)}d`;
    let message = "";
    try {
      readEnv({ DOCKET_RETAIN_DEAD: huge });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`invalid DOCKET_RETAIN_DEAD="${"9".repeat(100)}"… (100001 characters)`);
    expect(message.length).toBeLessThan(400);
  });
});
