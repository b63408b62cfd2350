/**
 * Webhook signatures, both directions (ADR 0038). Pure: the time comes in as data.
 *
 * Outbound (Docket → receiver): `Docket-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * t + "." + body)>`, the scheme Stripe made familiar. The timestamp is inside the MAC, so a
 * receiver that refuses a `t` older than its tolerance refuses a replayed delivery; several `v1=`
 * entries may appear (secret rotation) and any one matching is enough.
 *
 * Inbound (GitHub → Docket): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`.
 *
 * Every comparison is constant-time over equal-length digests (`timingSafeEqual`), so timing
 * tells nothing about how much of a forged signature was right.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The replay window a receiver should use when it has no reason to pick another: 5 minutes. */
export const DEFAULT_WEBHOOK_TOLERANCE_S = 300;

/** Longest signature header looked at: anything longer is refused unparsed. */
const MAX_SIGNATURE_HEADER = 4096;

const HEX_SHA256 = /^[0-9a-f]{64}$/;

const hmacHex = (secret: string | Uint8Array, ...parts: ReadonlyArray<string | Uint8Array>): Buffer => {
  const mac = createHmac("sha256", secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

/** Constant-time: whether `presentedHex` is the hex of `expected` (same length checked first). */
const sameDigest = (expected: Buffer, presentedHex: string): boolean => {
  if (!HEX_SHA256.test(presentedHex)) return false;
  return timingSafeEqual(expected, Buffer.from(presentedHex, "hex"));
};

/** The `Docket-Signature` header value for one delivery attempt at `unixSeconds`. */
export const signWebhook = (secret: string, unixSeconds: number, body: string | Uint8Array): string => {
  const t = String(Math.floor(unixSeconds));
  return `t=${t},v1=${hmacHex(secret, t, ".", body).toString("hex")}`;
};

export type WebhookVerification =
  | { readonly valid: true; readonly timestamp: number }
  | {
      readonly valid: false;
      readonly reason: "malformed_header" | "no_matching_signature" | "timestamp_outside_tolerance";
    };

/**
 * Checks a `Docket-Signature` header against the raw body as received (the exact bytes: a body
 * parsed and re-serialised is a different body). `toleranceS` is the replay window: a `t` more
 * than that many seconds from `nowS`, either way, is refused even with a valid MAC.
 */
export const verifyWebhookSignature = (
  secret: string,
  header: string | undefined,
  body: string | Uint8Array,
  toleranceS: number,
  nowS: number,
): WebhookVerification => {
  if (typeof header !== "string" || header.length > MAX_SIGNATURE_HEADER)
    return { valid: false, reason: "malformed_header" };
  let t: string | undefined;
  const signatures: Array<string> = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === "t") t = value;
    else if (key === "v1") signatures.push(value);
  }
  if (t === undefined || !/^\d{1,12}$/.test(t) || signatures.length === 0)
    return { valid: false, reason: "malformed_header" };
  const expected = hmacHex(secret, t, ".", body);
  // Every presented signature is compared, matching or not: the work does not depend on which.
  let matched = false;
  for (const signature of signatures) if (sameDigest(expected, signature)) matched = true;
  if (!matched) return { valid: false, reason: "no_matching_signature" };
  const timestamp = Number(t);
  if (!(Math.abs(nowS - timestamp) <= toleranceS))
    return { valid: false, reason: "timestamp_outside_tolerance" };
  return { valid: true, timestamp };
};

/** The `X-Hub-Signature-256` value GitHub sends for `body` (tests and tools sign with it). */
export const signGithubHook = (secret: string, body: string | Uint8Array): string =>
  `sha256=${hmacHex(secret, body).toString("hex")}`;

/** Whether a GitHub `X-Hub-Signature-256` header signs exactly these raw body bytes. */
export const verifyGithubSignature = (
  secret: string,
  header: string | undefined,
  body: Uint8Array,
): boolean => {
  if (typeof header !== "string" || !header.startsWith("sha256=")) return false;
  return sameDigest(hmacHex(secret, body), header.slice("sha256=".length));
};
