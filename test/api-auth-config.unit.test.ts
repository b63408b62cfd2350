/**
 * The API's tokens from the environment (ADR 0017): DOCKET_API_TOKEN is principal `default`,
 * DOCKET_API_TOKENS is `name:token,…`. A bad value is a ConfigError naming the variable (the CLI
 * exits 2) that never shows a token, nor any part of an entry (a misplaced `:` makes a token
 * look like a name). Principal names and the constant-time comparison are checked here too.
 */
import * as crypto from "node:crypto";
import * as Result from "effect/Result";
import { describe, expect, it, vi } from "vitest";
import { acceptedTokens, parseNamedTokens, tokenListProblem } from "../src/api/api-tokens.ts";
import { BearerTokens } from "../src/api/auth.ts";
import { ConfigError, readEnv } from "../src/cli/config.ts";

// Count the constant-time comparisons BearerTokens makes (the real function still answers).
vi.mock("node:crypto", async (importOriginal) => {
  const real = await importOriginal<typeof crypto>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const tokensOf = (env: Record<string, string>) => readEnv(env).apiTokens;

const refusal = (env: Record<string, string>): string => {
  try {
    readEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe("DOCKET_API_TOKEN and DOCKET_API_TOKENS", () => {
  it("no token, or empty ones, means no auth", () => {
    expect(tokensOf({})).toEqual([]);
    expect(tokensOf({ DOCKET_API_TOKEN: "", DOCKET_API_TOKENS: "" })).toEqual([]);
  });

  it("the single token is principal `default`, and still what the CLI presents", () => {
    const env = readEnv({ DOCKET_API_TOKEN: "s3cret" });
    expect(env.apiTokens).toEqual([{ name: "default", token: "s3cret" }]);
    expect(env.token).toBe("s3cret");
  });

  it("named tokens, alongside the single one; a token may contain ':'", () => {
    expect(tokensOf({ DOCKET_API_TOKEN: "one", DOCKET_API_TOKENS: "ci:two,alice@corp:th:r:ee" })).toEqual([
      { name: "default", token: "one" },
      { name: "ci", token: "two" },
      { name: "alice@corp", token: "th:r:ee" },
    ]);
  });

  it("a single token equal to a named one is that principal (the CLI can share the API's shell)", () => {
    expect(tokensOf({ DOCKET_API_TOKEN: "two", DOCKET_API_TOKENS: "ci:two,ops:three" })).toEqual([
      { name: "ci", token: "two" },
      { name: "ops", token: "three" },
    ]);
  });

  const SECRET = "Sup3rSecretValue";
  const BAD: ReadonlyArray<readonly [string, Record<string, string>, RegExp]> = [
    ["not name:token", { DOCKET_API_TOKENS: SECRET }, /entry 1 of 1 is not name:token/],
    ["an empty entry", { DOCKET_API_TOKENS: `a:${SECRET},` }, /entry 2 of 2 is not name:token/],
    ["an empty token", { DOCKET_API_TOKENS: "ci:" }, /entry 1 of 1: the token must be/],
    ["an empty name", { DOCKET_API_TOKENS: `:${SECRET}` }, /entry 1 of 1: the name must be/],
    ["a name outside the charset", { DOCKET_API_TOKENS: `c i:${SECRET}` }, /the name must be/],
    ["a name starting with a dot", { DOCKET_API_TOKENS: `.ci:${SECRET}` }, /the name must be/],
    ["a name over 64 characters", { DOCKET_API_TOKENS: `${"n".repeat(65)}:${SECRET}` }, /the name must be/],
    ["a token with a space", { DOCKET_API_TOKENS: `ci:${SECRET} x` }, /the token must be/],
    ["a non-ASCII token", { DOCKET_API_TOKENS: `ci:${SECRET}é` }, /the token must be/],
    [
      "a duplicate name",
      { DOCKET_API_TOKENS: `ci:${SECRET},ci:${SECRET}2` },
      /entries 1 and 2 have the same name/,
    ],
    [
      "a duplicate token",
      { DOCKET_API_TOKENS: `ci:${SECRET},ops:${SECRET}` },
      /entries 1 and 2 have the same token/,
    ],
    ["the reserved name", { DOCKET_API_TOKENS: `anonymous:${SECRET}` }, /"anonymous" is reserved/],
    [
      "`default` under another token than DOCKET_API_TOKEN",
      { DOCKET_API_TOKEN: `${SECRET}1`, DOCKET_API_TOKENS: `default:${SECRET}` },
      /entry 1 is named "default", the principal of the single token/,
    ],
  ];

  for (const [what, env, reason] of BAD)
    it(`refuses ${what}, naming the variable and showing no value`, () => {
      const message = refusal(env);
      expect(message).toMatch(/^invalid DOCKET_API_TOKENS \(values not shown\): /);
      expect(message).toMatch(reason);
      expect(message).not.toContain(SECRET);
      expect(message).not.toContain("ci:");
    });

  it("refuses a single token with a space or a control character, without showing it", () => {
    for (const token of [`${SECRET} x`, `${SECRET}\n`, `${SECRET}\u0000`]) {
      const message = refusal({ DOCKET_API_TOKEN: token });
      expect(message).toMatch(/^invalid DOCKET_API_TOKEN \(value not shown\): must be/);
      expect(message).not.toContain(SECRET);
    }
  });
});

describe("the token list the API accepts", () => {
  it("buildApp's check refuses what the configuration refuses", () => {
    expect(tokenListProblem([{ name: "ci", token: "a" }])).toBeUndefined();
    expect(tokenListProblem([{ name: "anonymous", token: "a" }])).toMatch(/reserved/);
    expect(() => new BearerTokens([{ name: "bad name", token: "a" }])).toThrow(/the name must be/);
    expect(
      () =>
        new BearerTokens([
          { name: "a", token: "x" },
          { name: "b", token: "x" },
        ]),
    ).toThrow(/same token/);
  });

  it("parse and accept compose", () => {
    const parsed = parseNamedTokens("a:1,b:2");
    expect(Result.isSuccess(parsed)).toBe(true);
    const accepted = Result.flatMap(parsed, (named) => acceptedTokens("0", named));
    expect(Result.getOrThrow(accepted).map((t) => t.name)).toEqual(["default", "a", "b"]);
  });
});

describe("BearerTokens", () => {
  const tokens = new BearerTokens([
    { name: "default", token: "zero" },
    { name: "ci", token: "one" },
    { name: "alice", token: "two:with:colons" },
  ]);

  it("names the principal of each configured token, whatever its position", () => {
    expect(tokens.principalOf("Bearer zero")).toBe("default");
    expect(tokens.principalOf("Bearer one")).toBe("ci");
    expect(tokens.principalOf("bearer two:with:colons")).toBe("alice");
    expect(tokens.principalOf("  BEARER   one  ")).toBe("ci");
  });

  it("knows nobody for anything else", () => {
    for (const header of [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "one",
      "Basic one",
      "Bearer one two",
      "Bearer on",
      "Bearer one1",
      "Bearer ONE",
      "Bearer ci",
      "Bearerone",
    ])
      expect(tokens.principalOf(header), String(header)).toBeUndefined();
  });

  it("compares the presented token with every configured one, matching or not (no early exit)", () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    for (const header of [
      "Bearer zero",
      "Bearer one",
      "Bearer two:with:colons",
      "Bearer nobody",
      undefined,
    ]) {
      compare.mockClear();
      tokens.principalOf(header);
      expect(compare, String(header)).toHaveBeenCalledTimes(3);
      // Equal-length digests on both sides: the token's length does not change the work.
      for (const [a, b] of compare.mock.calls) expect([a.byteLength, b.byteLength]).toEqual([32, 32]);
    }
  });

  it("with no tokens nothing is required", () => {
    expect(new BearerTokens([]).required).toBe(false);
    expect(tokens.required).toBe(true);
  });
});
