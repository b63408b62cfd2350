/**
 * How the typed client talks to the API: one `fetch` per call (Node ≥ 18's global), the bearer
 * token and actor claim on every request, a timeout, JSON in and out, and every non-2xx answer
 * turned into a DocketApiError. The answer's type is the contract's for the route; the client
 * trusts the server to keep it (the API's integration tests decode every answer against it).
 */
import { errorOf } from "./errors.ts";
import type { DocketClientOptions } from "./types.ts";

export type Method = "GET" | "POST" | "DELETE";

export class Transport {
  private readonly baseUrl: string;

  /** Whole-log operations (verify, export, projection rebuild/check) take as long as the log. */
  readonly wholeLogTimeoutMs: number;

  constructor(private readonly options: DocketClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.wholeLogTimeoutMs = options.wholeLogTimeoutMs ?? 30 * 60_000;
  }

  /** A JSON answer of the type the contract gives the route (`A`). */
  async call<A>(
    method: Method,
    path: string,
    options: {
      readonly body?: unknown;
      readonly headers?: Readonly<Record<string, string>>;
      readonly timeoutMs?: number;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<A> {
    const response = await this.send(method, path, options);
    return this.json<A>(method, path, response);
  }

  /** The answer's body as JSON; a non-2xx answer is thrown as a DocketApiError. */
  async json<A>(method: Method, path: string, response: Response): Promise<A> {
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw errorOf(`${method} ${path}`, response.status, parsed);
    // The one place an answer takes its type: the route's contract schema (see the module header).
    return parsed as A;
  }

  send(
    method: Method,
    path: string,
    options: {
      readonly body?: unknown;
      readonly headers?: Readonly<Record<string, string>>;
      /** 0: none (a stream that lasts as long as its reader wants). */
      readonly timeoutMs?: number;
      /** Ends the request, and the reading of its answer, instead of the timeout. */
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 30_000;
    const signal = options.signal ?? (timeoutMs === 0 ? undefined : AbortSignal.timeout(timeoutMs));
    // The API refuses a state-changing request without the JSON media type (a browser could send
    // it cross-origin without a preflight), so every POST carries a JSON body, `{}` at least.
    const sent = options.body === undefined && method !== "GET" ? {} : options.body;
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        accept: "application/json",
        ...(sent === undefined ? {} : { "content-type": "application/json" }),
        ...(this.options.token === undefined ? {} : { authorization: `Bearer ${this.options.token}` }),
        ...(this.options.actor === undefined ? {} : { "docket-actor": this.options.actor }),
        ...options.headers,
      },
      ...(sent === undefined ? {} : { body: JSON.stringify(sent) }),
      ...(signal === undefined ? {} : { signal }),
    });
  }
}
