/**
 * Webhook signatures checked against an independent HMAC computation: `openssl dgst` in a child
 * process, not node:crypto, so a mistake shared by signer and verifier cannot pass.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  signGithubHook,
  signWebhook,
  verifyGithubSignature,
  verifyWebhookSignature,
} from "../src/domain/index.ts";

const opensslHmac = (secret: string, data: Buffer): string => {
  const out = execFileSync("openssl", ["dgst", "-sha256", "-hmac", secret, "-hex"], { input: data });
  const hex = /([0-9a-f]{64})\s*$/.exec(out.toString("utf8"))?.[1];
  if (hex === undefined) throw new Error(`unexpected openssl output: ${out.toString("utf8")}`);
  return hex;
};

describe("Docket-Signature", () => {
  const secret = "whsec_test-secret";
  const body = JSON.stringify({ type: "JobCompleted", text: "héllo ✓ \u{1F600}" });

  it("signs t + '.' + body exactly as openssl computes HMAC-SHA256", () => {
    const header = signWebhook(secret, 1_700_000_000, body);
    const expected = opensslHmac(secret, Buffer.from(`1700000000.${body}`, "utf8"));
    expect(header).toBe(`t=1700000000,v1=${expected}`);
  });

  it("verifies a header computed by openssl, inside the replay window", () => {
    const hex = opensslHmac(secret, Buffer.from(`1700000000.${body}`, "utf8"));
    const result = verifyWebhookSignature(secret, `t=1700000000,v1=${hex}`, body, 300, 1_700_000_299);
    expect(result).toEqual({ valid: true, timestamp: 1_700_000_000 });
  });

  it("refuses a valid signature older than the tolerance (a replay)", () => {
    const header = signWebhook(secret, 1_700_000_000, body);
    expect(verifyWebhookSignature(secret, header, body, 300, 1_700_000_301)).toEqual({
      valid: false,
      reason: "timestamp_outside_tolerance",
    });
  });

  it("refuses a changed body, a wrong secret and a changed timestamp", () => {
    const header = signWebhook(secret, 1_700_000_000, body);
    const now = 1_700_000_000;
    expect(verifyWebhookSignature(secret, header, `${body} `, 300, now).valid).toBe(false);
    expect(verifyWebhookSignature("other", header, body, 300, now).valid).toBe(false);
    const shifted = header.replace("t=1700000000", "t=1700000001");
    expect(verifyWebhookSignature(secret, shifted, body, 300, now).valid).toBe(false);
  });

  it("accepts any one of several v1 signatures (secret rotation)", () => {
    const good = signWebhook(secret, 1_700_000_000, body).split("v1=")[1];
    const header = `t=1700000000,v1=${"0".repeat(64)},v1=${good}`;
    expect(verifyWebhookSignature(secret, header, body, 300, 1_700_000_000).valid).toBe(true);
  });

  it.each([
    undefined,
    "",
    "t=1700000000",
    "v1=abcd",
    "t=abc,v1=" + "0".repeat(64),
    "t=1700000000,v1=zz",
    "t=1700000000,v1=" + "0".repeat(63),
    "x".repeat(10_000),
  ])("refuses the malformed header %j", (header) => {
    expect(verifyWebhookSignature(secret, header, body, 300, 1_700_000_000).valid).toBe(false);
  });
});

describe("X-Hub-Signature-256 (GitHub)", () => {
  const secret = "It's a Secret to Everybody";
  // GitHub's documented example: this payload and secret give this signature.
  const payload = Buffer.from("Hello, World!", "utf8");
  const documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  it("matches GitHub's documented example and openssl", () => {
    expect(signGithubHook(secret, payload)).toBe(documented);
    expect(`sha256=${opensslHmac(secret, payload)}`).toBe(documented);
    expect(verifyGithubSignature(secret, documented, payload)).toBe(true);
  });

  it("refuses a missing, malformed or wrong signature, and other bytes", () => {
    expect(verifyGithubSignature(secret, undefined, payload)).toBe(false);
    expect(verifyGithubSignature(secret, documented.slice(7), payload)).toBe(false);
    expect(verifyGithubSignature(secret, documented.toUpperCase(), payload)).toBe(false);
    expect(verifyGithubSignature(secret, "sha256=" + "0".repeat(64), payload)).toBe(false);
    expect(verifyGithubSignature(secret, documented, Buffer.from("Hello, World?", "utf8"))).toBe(false);
  });
});
