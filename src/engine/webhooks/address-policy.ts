/**
 * Where webhooks may be delivered (ADR 0038): SSRF is the attack. Deny by default every
 * address that is not the public internet — loopback, private (RFC 1918, unique local),
 * link-local (where cloud metadata lives: 169.254.169.254, fd00:ec2::254), carrier-grade NAT,
 * multicast, reserved, unspecified, IPv4-mapped and NAT64 IPv6 (which spell an IPv4 address
 * another way) — unless the deployment allows private addresses or lists the ranges it allows.
 *
 * The check applies to the address actually connected to: the sender resolves the host name
 * itself and checks every resolved address (DNS rebinding: a name that resolved to a public
 * address when the subscription was made may resolve to 127.0.0.1 at delivery). The URL check
 * at subscription time only refuses early what could never be delivered.
 */
import { BlockList, isIP } from "node:net";

export interface AddressPolicy {
  /** DOCKET_WEBHOOK_ALLOW_PRIVATE=1: deliver anywhere (tests, a closed network). */
  readonly allowPrivate: boolean;
  /** DOCKET_WEBHOOK_ALLOW: addresses or CIDR ranges allowed although not public. */
  readonly allow: ReadonlyArray<string>;
}

export const DENY_PRIVATE: AddressPolicy = { allowPrivate: false, allow: [] };

const NOT_PUBLIC: ReadonlyArray<readonly [string, number, "ipv4" | "ipv6"]> = [
  ["0.0.0.0", 8, "ipv4"],
  ["10.0.0.0", 8, "ipv4"],
  ["100.64.0.0", 10, "ipv4"],
  ["127.0.0.0", 8, "ipv4"],
  ["169.254.0.0", 16, "ipv4"],
  ["172.16.0.0", 12, "ipv4"],
  ["192.0.0.0", 24, "ipv4"],
  ["192.0.2.0", 24, "ipv4"],
  ["192.168.0.0", 16, "ipv4"],
  ["198.18.0.0", 15, "ipv4"],
  ["198.51.100.0", 24, "ipv4"],
  ["203.0.113.0", 24, "ipv4"],
  ["224.0.0.0", 4, "ipv4"],
  ["240.0.0.0", 4, "ipv4"],
  ["::", 128, "ipv6"],
  ["::1", 128, "ipv6"],
  ["::ffff:0:0", 96, "ipv6"],
  ["64:ff9b::", 96, "ipv6"],
  ["100::", 64, "ipv6"],
  ["2001:db8::", 32, "ipv6"],
  ["fc00::", 7, "ipv6"],
  ["fe80::", 10, "ipv6"],
  ["ff00::", 8, "ipv6"],
];

const notPublic = new BlockList();
for (const [network, prefix, type] of NOT_PUBLIC) notPublic.addSubnet(network, prefix, type);

/** A CIDR range or a single address, as DOCKET_WEBHOOK_ALLOW lists them; null when neither. */
export const parseAllowEntry = (
  entry: string,
): { readonly network: string; readonly prefix: number; readonly type: "ipv4" | "ipv6" } | null => {
  const [network = "", prefixText] = entry.trim().split("/");
  const version = isIP(network);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > max) return null;
  return { network, prefix, type: version === 4 ? "ipv4" : "ipv6" };
};

/** Whether an IP address (as resolved) may be delivered to under `policy`. */
export const addressAllowed = (address: string, policy: AddressPolicy): boolean => {
  const version = isIP(address);
  if (version === 0) return false;
  if (policy.allowPrivate) return true;
  const type = version === 4 ? "ipv4" : "ipv6";
  if (!notPublic.check(address, type)) return true;
  return policy.allow.some((entry) => {
    const range = parseAllowEntry(entry);
    if (range === null || range.type !== type) return false;
    const list = new BlockList();
    list.addSubnet(range.network, range.prefix, range.type);
    return list.check(address, type);
  });
};

/**
 * Checks a subscription's URL: http or https, a host, no credentials, and (when the host is an
 * address or `localhost`) an address the policy allows. Answers the parsed URL or the problem.
 */
export const checkWebhookUrl = (
  text: string,
  policy: AddressPolicy,
): { readonly url: URL } | { readonly problem: string } => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: "not a URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { problem: "only http and https URLs" };
  if (url.hostname === "") return { problem: "no host" };
  if (url.username !== "" || url.password !== "")
    return { problem: "credentials in the URL are not allowed" };
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host) !== 0;
  const local = /(^|\.)localhost\.?$/i.test(host);
  if ((literal || local) && !addressAllowed(literal ? host : "127.0.0.1", policy))
    return {
      problem: `${host} is not a public address (loopback, private, link-local and metadata addresses are refused unless DOCKET_WEBHOOK_ALLOW_PRIVATE=1 or DOCKET_WEBHOOK_ALLOW lists them)`,
    };
  return { url };
};
