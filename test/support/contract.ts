/**
 * Every answer an integration test gets from the API is checked against the contract
 * (src/contract, ADR 0026): `checkAnswers(app)` adds an `onSend` hook that looks up the
 * operation for the route fastify matched, finds the answer listed for the status, and decodes
 * a JSON body with its schema (excess fields refused at every depth) or checks the media type
 * of a stream. A status the operation does not list, a body its schema refuses, or a route with
 * no operation is recorded; `contract-setup.ts` fails the test that got it (after the test, so
 * the test's own assertions still run). `startApi` checks every app it starts.
 * test/api-contract.int.test.ts checks that every route has an operation.
 */
import { appendFileSync } from "node:fs";
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import type { FastifyInstance } from "fastify";
import { DOCS_PREFIX } from "../../src/api/docs.ts";
import { UI_PREFIX } from "../../src/api/ui.ts";
import { type Answer, operationOf, UNROUTED } from "../../src/contract/index.ts";
import { firstIssue } from "../../src/engine/shared/index.ts";

const violations: Array<string> = [];

/**
 * With CONTRACT_COVERAGE_FILE set, each checked answer's `METHOD route status` is appended to it:
 * which operations and statuses a test run exercised (for measuring, not asserted).
 */
const coverageFile = process.env.CONTRACT_COVERAGE_FILE;

const isUnder = (url: string, prefix: string): boolean => url === prefix || url.startsWith(`${prefix}/`);

/**
 * A route of a page, not an API operation: the documentation UI (src/api/docs.ts), the dashboard
 * (src/api/ui.ts) and `/`, which redirects to it. All public; their answers are HTML and files.
 */
export const isPageRoute = (url: string): boolean =>
  isUnder(url, DOCS_PREFIX) || isUnder(url, UI_PREFIX) || url === "/";

/** What is wrong with an answer, or null when the contract allows it. */
export const contractProblem = (answer: {
  readonly method: string;
  /** The route fastify matched (its pattern, `/v1/jobs/:id`); undefined when none did. */
  readonly route: string | undefined;
  readonly status: number;
  readonly contentType: string | undefined;
  /** The serialized body; undefined when not text (a stream). */
  readonly body: string | undefined;
}): string | null => {
  // The documentation UI and the dashboard (HTML, scripts, styles) are pages, not API operations.
  if (answer.route !== undefined && isPageRoute(answer.route)) return null;
  const operation = answer.route === undefined ? undefined : operationOf(answer.method, answer.route);
  if (answer.route !== undefined && operation === undefined)
    return `no operation for ${answer.method} ${answer.route} in the contract`;
  const listed: Answer | undefined = (operation?.responses ?? UNROUTED)[answer.status];
  if (listed === undefined) return `status ${answer.status} is not listed for this operation`;
  // A HEAD answer carries no body; its status is what is checked.
  if (answer.method === "HEAD") return null;
  if (!("schema" in listed))
    return answer.contentType?.startsWith(listed.mediaType) === true
      ? null
      : `content-type ${answer.contentType} is not ${listed.mediaType}`;
  if (answer.body === undefined) return "a JSON answer was expected, not a stream";
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return `the body is not JSON: ${answer.body.slice(0, 100)}`;
  }
  const decoded = Schema.decodeUnknownResult(listed.schema as Schema.Codec<unknown, unknown>)(parsed, {
    onExcessProperty: "error",
  });
  if (Result.isSuccess(decoded)) return null;
  const { field, message } = firstIssue(decoded.failure);
  return `the body does not match the schema at ${field}: ${message} (${answer.body.slice(0, 300)})`;
};

const textOf = (payload: unknown): string | undefined =>
  typeof payload === "string" ? payload : Buffer.isBuffer(payload) ? payload.toString("utf8") : undefined;

export const checkAnswers = (app: FastifyInstance): void => {
  app.addHook("onSend", async (request, reply, payload) => {
    const contentType = reply.getHeader("content-type");
    const problem = contractProblem({
      method: request.method,
      route: request.routeOptions.url,
      status: reply.statusCode,
      contentType: typeof contentType === "string" ? contentType : undefined,
      body: textOf(payload),
    });
    if (coverageFile !== undefined)
      appendFileSync(
        coverageFile,
        `${request.method} ${request.routeOptions.url ?? "(no route)"} ${reply.statusCode}\n`,
      );
    if (problem !== null)
      violations.push(`${request.method} ${request.url} → ${reply.statusCode}: ${problem}`);
    return payload;
  });
};

/** The violations recorded since the last call (and forget them). */
export const takeViolations = (): ReadonlyArray<string> => violations.splice(0);
