/**
 * HTTP/1.1 requests written byte for byte on a TCP socket, for request targets no client
 * library sends as given: absolute-form (`GET http://host/v1/jobs`), dot segments, double
 * slashes, odd percent-encodings. `inject` and `fetch` normalise some of these away.
 */
import { connect } from "node:net";

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body when the response declared its length; "" for streams (SSE), which are cut. */
  readonly body: string;
}

export interface RawRequest {
  readonly method: string;
  /** The request target exactly as it goes on the wire. */
  readonly target: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Send one request on a fresh connection and read the answer's status, headers and body. */
export const rawRequest = (port: number, request: RawRequest): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (outcome: RawResponse | Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const tryParse = (ended: boolean) => {
      const headEnd = received.indexOf("\r\n\r\n");
      if (headEnd < 0) {
        if (ended) settle(new Error(`connection closed before a full response: ${received.toString()}`));
        return;
      }
      const [statusLine = "", ...lines] = received.subarray(0, headEnd).toString("latin1").split("\r\n");
      const status = Number(statusLine.split(" ")[1]);
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = headers["content-length"];
      const body = received.subarray(headEnd + 4);
      if (request.method === "HEAD") settle({ status, headers, body: "" });
      else if (length === undefined) settle({ status, headers, body: ended ? body.toString("utf8") : "" });
      else if (body.length >= Number(length))
        settle({ status, headers, body: body.subarray(0, Number(length)).toString("utf8") });
      else if (ended) settle(new Error("connection closed inside the body"));
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse(false);
    });
    socket.on("end", () => tryParse(true));
    socket.on("error", (error) => settle(error));
    const body = request.body ?? "";
    const headers: Record<string, string> = {
      host: `127.0.0.1:${port}`,
      connection: "close",
      ...(body === "" ? {} : { "content-length": String(Buffer.byteLength(body)) }),
      ...request.headers,
    };
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.write(`${request.method} ${request.target} HTTP/1.1\r\n${head}\r\n${body}`);
  });
