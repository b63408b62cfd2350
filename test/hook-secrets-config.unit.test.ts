/** DOCKET_HOOK_SECRET_<SOURCE> opens an inbound hook source (ADR 0038); a refusal never shows the secret. */
import { describe, expect, it } from "vitest";
import { ConfigError, readEnv } from "../src/cli/config.ts";

describe("hook secrets from the environment", () => {
  it("maps DOCKET_HOOK_SECRET_<SOURCE> to a lower-case source, _ as -", () => {
    const env = readEnv({
      DOCKET_HOOK_SECRET_GITHUB: "0123456789abcdef-github",
      DOCKET_HOOK_SECRET_GH_ORG2: "0123456789abcdef-org2!",
      DOCKET_HOOK_SECRET_EMPTY: "",
    });
    expect([...env.hookSecrets.entries()]).toEqual([
      ["github", "0123456789abcdef-github"],
      ["gh-org2", "0123456789abcdef-org2!"],
    ]);
  });

  it("has no sources by default: the route is closed", () => {
    expect(readEnv({}).hookSecrets.size).toBe(0);
  });

  it("refuses a short secret or a bad source without showing the value", () => {
    const secret = "short-secret";
    expect(() => readEnv({ DOCKET_HOOK_SECRET_GITHUB: secret })).toThrow(ConfigError);
    try {
      readEnv({ DOCKET_HOOK_SECRET_GITHUB: secret });
    } catch (error) {
      expect((error as Error).message).toContain("DOCKET_HOOK_SECRET_GITHUB");
      expect((error as Error).message).not.toContain(secret);
    }
    expect(() => readEnv({ "DOCKET_HOOK_SECRET_bad-name": "0123456789abcdef0" })).toThrow(
      /DOCKET_HOOK_SECRET_bad-name/,
    );
  });
});
