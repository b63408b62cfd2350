/**
 * Requests Node's HTTP parser refuses before fastify sees them (a request target with a space or
 * a bare `%`, an over-long header block, a client too slow to send its headers): the answer is
 * written on the socket directly, so it gets the API's error shape here, with a stable code, like
 * every other error (errors.ts).
 */
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

const ANSWERS: Readonly<
  Record<string, { readonly status: number; readonly code: string; readonly message: string }>
> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: "request_timeout",
    message: "the request took too long to arrive",
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: "headers_too_large",
    message: "the request's headers are too large",
  },
};

const MALFORMED = { status: 400, code: "malformed_request", message: "the request is not valid HTTP/1.1" };

/** fastify's `clientErrorHandler`: answer in JSON when the socket can still take it, then close. */
export const answerClientError = (error: Error & { code?: string }, socket: Socket): void => {
  // A reset connection has nobody left to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const answer =
    (error.code !== undefined && Object.hasOwn(ANSWERS, error.code) ? ANSWERS[error.code] : undefined) ??
    MALFORMED;
  const body = JSON.stringify({ error: { code: answer.code, message: answer.message } });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
};
