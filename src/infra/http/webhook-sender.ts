/**
 * The webhook sender (ADR 0038): one HTTP(S) POST per attempt, hardened against SSRF.
 *
 * - The host name is resolved here, every resolved address is checked against the address
 *   policy, and the connection goes to a checked address (the `lookup` hook): a name that
 *   rebinds to 127.0.0.1 or 169.254.169.254 between subscription and delivery is refused.
 *   A literal address in the URL is checked before connecting (Node skips lookup for those).
 * - http and https only; redirects are never followed (a 3xx is a failed attempt).
 * - One time limit for the whole attempt, connect to last byte; no connection reuse.
 * - The response body is read up to a small cap and then dropped: only the status is kept.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import {
  type AddressPolicy,
  addressAllowed,
  type SendOutcome,
  type SendRequest,
  type WebhookSender,
} from "../../engine/webhooks/index.ts";

/** How much of a response body is read before the connection is dropped. */
export const RESPONSE_BODY_CAP_BYTES = 4096;

class AddressRefused extends Error {}

/** A `lookup` that resolves every address and refuses the connection unless all are allowed. */
const checkedLookup =
  (policy: AddressPolicy): LookupFunction =>
  (hostname, options, callback) => {
    dnsLookup(
      hostname,
      { all: true, family: options.family ?? 0 },
      (error, addresses: Array<LookupAddress>) => {
        if (error !== null) {
          callback(error, "", 0);
          return;
        }
        const refused = addresses.find((a) => !addressAllowed(a.address, policy));
        if (refused !== undefined || addresses.length === 0) {
          callback(
            new AddressRefused(
              `address_not_allowed: ${hostname} resolves to ${refused?.address ?? "nothing"}`,
            ),
            "",
            0,
          );
          return;
        }
        if (options.all === true)
          (callback as unknown as (e: null, a: Array<LookupAddress>) => void)(null, addresses);
        else callback(null, addresses[0]?.address ?? "", addresses[0]?.family ?? 4);
      },
    );
  };

export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly policy: AddressPolicy) {}

  send(request: SendRequest): Promise<SendOutcome> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return Promise.resolve({ error: "invalid_url" });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return Promise.resolve({ error: "invalid_url" });
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    if (isIP(host) !== 0 && !addressAllowed(host, this.policy))
      return Promise.resolve({ error: `address_not_allowed: ${host}` });
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: SendOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const outgoing = send(
        url,
        {
          method: "POST",
          agent: false,
          lookup: checkedLookup(this.policy),
          headers: { ...request.headers, "content-length": Buffer.byteLength(request.body) },
        },
        (response: IncomingMessage) => {
          let read = 0;
          response.on("data", (chunk: Buffer) => {
            read += chunk.length;
            // Enough: the status is all that is kept; a huge or endless body is not our business.
            if (read > RESPONSE_BODY_CAP_BYTES) {
              settle({ status: response.statusCode ?? 0 });
              outgoing.destroy();
            }
          });
          response.on("end", () => settle({ status: response.statusCode ?? 0 }));
          response.on("error", () => settle({ status: response.statusCode ?? 0 }));
        },
      );
      const timer = setTimeout(() => {
        settle({ error: `timeout after ${request.timeoutMs} ms` });
        outgoing.destroy();
      }, request.timeoutMs);
      outgoing.on("error", (error: Error) => {
        const cause = error instanceof AddressRefused ? error.message : `network_error: ${error.message}`;
        settle({ error: cause.slice(0, 500) });
      });
      outgoing.end(request.body);
    });
  }
}
