/** Webhook configuration from the environment (ADR 0038): inbound hook sources, outbound policy; secrets never shown. */
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

describe("outbound webhook settings from the environment", () => {
  it("refuse private addresses by default, with no job webhook secret", () => {
    expect(readEnv({}).webhooks).toEqual({
      allowPrivate: false,
      allow: [],
      jobSecret: undefined,
      maxAttempts: undefined,
      timeoutMs: undefined,
    });
  });

  it("read the allowance, the allow-list, the job secret and the retry settings", () => {
    const env = readEnv({
      DOCKET_WEBHOOK_ALLOW_PRIVATE: "1",
      DOCKET_WEBHOOK_ALLOW: "10.1.0.0/16, fd00::/8,192.168.1.7",
      DOCKET_WEBHOOK_SECRET: "job-webhook-secret-0123",
      DOCKET_WEBHOOK_MAX_ATTEMPTS: "5",
      DOCKET_WEBHOOK_TIMEOUT_MS: "2500",
    });
    expect(env.webhooks).toEqual({
      allowPrivate: true,
      allow: ["10.1.0.0/16", "fd00::/8", "192.168.1.7"],
      jobSecret: "job-webhook-secret-0123",
      maxAttempts: 5,
      timeoutMs: 2500,
    });
  });

  it("refuse a bad allow-list entry and a short job secret (not shown)", () => {
    expect(() => readEnv({ DOCKET_WEBHOOK_ALLOW: "10.0.0.0/33" })).toThrow(/DOCKET_WEBHOOK_ALLOW/);
    expect(() => readEnv({ DOCKET_WEBHOOK_ALLOW: "example.com" })).toThrow(/DOCKET_WEBHOOK_ALLOW/);
    expect(() => readEnv({ DOCKET_WEBHOOK_ALLOW_PRIVATE: "yes" })).toThrow(/DOCKET_WEBHOOK_ALLOW_PRIVATE/);
    expect(() => readEnv({ DOCKET_WEBHOOK_SECRET: "tiny" })).toThrow(/value not shown/);
  });
});
