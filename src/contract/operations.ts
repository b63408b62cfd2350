/**
 * The API's one table of operations: for each route its method, path, whether it is public (no
 * token), what it takes (path, query, headers, body) and what it answers, per status
 * (operation.ts says the shape). The OpenAPI document is generated from this table
 * (src/api/openapi.ts); the API's integration tests decode every answer they get against the
 * entry for its route and status (test/support/contract.ts); a test fails when fastify registers
 * a route this table does not list, or the other way round.
 */
import { AUDIT_OPERATIONS } from "./audit-operations.ts";
import { JOB_OPERATIONS } from "./job-operations.ts";
import { anyRequest, type Answer, error, type Operation } from "./operation.ts";
import { OPERATOR_OPERATIONS } from "./operator-operations.ts";
import { SCHEDULE_OPERATIONS } from "./schedule-operations.ts";
import { HOOK_OPERATIONS, WEBHOOK_OPERATIONS } from "./webhook-operations.ts";

export type { Answer, HeaderParameter, Operation } from "./operation.ts";

export const OPERATIONS: ReadonlyArray<Operation> = [
  ...JOB_OPERATIONS,
  ...AUDIT_OPERATIONS,
  ...OPERATOR_OPERATIONS,
  ...SCHEDULE_OPERATIONS,
  ...WEBHOOK_OPERATIONS,
  ...HOOK_OPERATIONS,
];

/** The operation for a route as fastify names it (`HEAD` answers as its `GET`), if any. */
export const operationOf = (method: string, path: string): Operation | undefined => {
  const wanted = method === "HEAD" ? "GET" : method;
  return OPERATIONS.find((operation) => operation.method === wanted && operation.path === path);
};

/**
 * What an answer to a request that matched no route may be: an error body (404
 * `route_not_found`, or the refusals every request may get first).
 */
export const UNROUTED: Readonly<Record<number, Answer>> = {
  ...anyRequest,
  404: error("No such route (`route_not_found`)"),
  405: error("Method not allowed"),
};
