/**
 * DNS rebinding guard for an API that runs without tokens (ADR 0017 amendment).
 *
 * Without a token, anything that can reach the port can use the API, and a web page can reach a
 * loopback port through the visitor's browser: it points a DNS name it controls at 127.0.0.1
 * after the page has loaded ("rebinding"), and the browser then treats the API as same-origin
 * with the page, so it may read answers. Such requests always carry the attacker's DNS name in
 * `Host`. So, without tokens, only requests addressed to an IP literal or to `localhost` (which
 * browsers resolve to loopback themselves) are served. With tokens nothing changes: a page can
 * never learn a bearer token, which a browser does not send by itself.
 */
import { isIP } from "node:net";
import type { FastifyInstance } from "fastify";
import { ApiError } from "./errors.ts";

/** A `Host` a rebinding page cannot produce: an IP literal, `localhost` or `*.localhost`. */
export const isRebindingSafeHost = (hostname: string): boolean => {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const literal = name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
  return isIP(literal) !== 0;
};

/** Register only when the API has no tokens; public routes (`/health`) stay reachable. */
export const registerHostCheck = (app: FastifyInstance): void => {
  app.addHook("onRequest", async (request) => {
    if (!request.is404 && request.routeOptions.config.public === true) return;
    if (!isRebindingSafeHost(request.hostname))
      throw new ApiError(
        403,
        "host_not_allowed",
        "without an API token only requests addressed to localhost or an IP address are served " +
          "(a DNS name could be a rebinding attack); set DOCKET_API_TOKEN to serve other names",
      );
  });
};
