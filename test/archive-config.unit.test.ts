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
      retention: { completedMs: 86_400_000, deadLetterMs: 604_800_000, cancelledMs: 86_400_000 },
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
});
