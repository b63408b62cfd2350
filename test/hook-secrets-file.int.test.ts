/** DOCKET_HOOK_SECRETS_FILE (ADR 0038): a real JSON file of inbound hook secrets; refusals never show a secret. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/cli/config.ts";
import { hookSecretsOf } from "../src/cli/hook-secrets.ts";

describe("hook secrets from a file (DOCKET_HOOK_SECRETS_FILE)", () => {
  const write = (content: string): string => {
    const dir = mkdtempSync(join(tmpdir(), "docket-hook-secrets-"));
    const path = join(dir, "hooks.json");
    writeFileSync(path, content);
    return path;
  };

  it("adds the file's sources; a variable wins for the same source", () => {
    const path = write(JSON.stringify({ github: "from-the-file-0123456", gitea: "gitea-secret-0123456789" }));
    const secrets = hookSecretsOf(new Map([["github", "from-the-environment-01"]]), path);
    expect([...secrets.entries()].sort()).toEqual([
      ["gitea", "gitea-secret-0123456789"],
      ["github", "from-the-environment-01"],
    ]);
  });

  it("refuses a bad file, source or secret without showing any secret", () => {
    expect(() => hookSecretsOf(new Map(), write("not json"))).toThrow(ConfigError);
    expect(() => hookSecretsOf(new Map(), write("[]"))).toThrow(/JSON object/);
    expect(() =>
      hookSecretsOf(new Map(), write(JSON.stringify({ "Bad Name": "0123456789abcdef0" }))),
    ).toThrow(/Bad Name/);
    const short = "tiny-secret";
    try {
      hookSecretsOf(new Map(), write(JSON.stringify({ github: short })));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain("github");
      expect((error as Error).message).not.toContain(short);
    }
  });
});
