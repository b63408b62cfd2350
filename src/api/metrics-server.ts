/**
 * A worker process's `/metrics` (`docket worker --metrics-port`, ADR 0031): a small HTTP server
 * with one route, the process's registry in Prometheus text. A worker has no API to hang it on,
 * and fastify would be most of the cost of a server this small, so it is Node's http. The same
 * bearer tokens as the API guard it when tokens are set (constant-time, auth.ts); it listens on
 * 127.0.0.1 unless told otherwise.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { NamedToken } from "./api-tokens.ts";
import { BearerTokens, CHALLENGE } from "./auth.ts";

export interface MetricsServer {
  /** `http://host:port`, as listened on. */
  readonly url: string;
  close(): Promise<void>;
}

const json = (code: string, message: string) => JSON.stringify({ error: { code, message } });

export const serveMetrics = async (options: {
  readonly text: () => Promise<string>;
  readonly port: number;
  readonly host?: string;
  readonly tokens?: ReadonlyArray<NamedToken>;
}): Promise<MetricsServer> => {
  const tokens = new BearerTokens(options.tokens ?? []);
  const server: Server = createServer((request, response) => {
    const answer = (status: number, type: string, body: string, headers: Record<string, string> = {}) =>
      response.writeHead(status, { "content-type": type, ...headers }).end(body);
    const path = (request.url ?? "").split("?")[0];
    if (tokens.required && tokens.principalOf(request.headers.authorization) === undefined)
      return answer(401, "application/json", json("unauthorized", "a valid bearer token is required"), {
        "www-authenticate": CHALLENGE,
      });
    if (path !== "/metrics") return answer(404, "application/json", json("route_not_found", "only /metrics"));
    if (request.method !== "GET" && request.method !== "HEAD")
      return answer(405, "application/json", json("method_not_allowed", "GET /metrics"));
    options.text().then(
      (text) => answer(200, "text/plain; version=0.0.4; charset=utf-8", text),
      () => answer(500, "application/json", json("internal_error", "metrics could not be collected")),
    );
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
