/**
 * Who may call the API, and who they are (ADR 0017).
 *
 * Authorisation is decided on the route the router matched, never on the URL text: the router
 * decodes and normalises the path (`/%761/jobs` is `/v1/jobs`, an absolute-form target is its
 * path), so any check on `request.url` can be spelled around. Deny by default: when tokens are
 * configured, every request needs one — routes, unknown paths and requests the router refused —
 * except on a route whose config says `public: true` (the allow-list: `/health`,
 * `/openapi.json` and the documentation UI under `/docs`). An unauthenticated caller learns nothing but 401, not even which routes exist.
 *
 * The token's name is the request's principal (`request.principal`), recorded as the actor id of
 * the events it causes; without tokens every request is `anonymous`. Tokens are compared in
 * constant time: both sides are hashed to equal-length digests, and every configured token is
 * compared whether or not an earlier one matched, so timing tells neither content, length nor
 * which token matched. Without tokens, only requests addressed to localhost or an IP address
 * are served (host-check.ts: DNS rebinding).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ANONYMOUS_PRINCIPAL, type NamedToken, tokenListProblem } from "./api-tokens.ts";
import { ApiError } from "./errors.ts";
import { registerHostCheck } from "./host-check.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** On the allow-list: served without a token. Everything else needs one (deny by default). */
    readonly public?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated name (the token's), or `anonymous` when the API runs without tokens. */
    principal: string;
  }
}

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/** Compares a presented token with every configured one; the name of the one it equals. */
export class BearerTokens {
  private readonly digests: ReadonlyArray<{ readonly name: string; readonly digest: Buffer }>;

  constructor(tokens: ReadonlyArray<NamedToken>) {
    const problem = tokenListProblem(tokens);
    if (problem !== undefined) throw new Error(`invalid API tokens: ${problem}`);
    this.digests = tokens.map(({ name, token }) => ({ name, digest: digest(token) }));
  }

  /** False when the API runs without tokens: everyone is `anonymous`. */
  get required(): boolean {
    return this.digests.length > 0;
  }

  /** The principal an `Authorization` header proves, or undefined. */
  principalOf(authorization: string | undefined): string | undefined {
    const match = authorization === undefined ? null : /^Bearer +(\S+)$/i.exec(authorization.trim());
    // No token presented compares as "", which no configured token (1 or more characters) equals.
    const presented = digest(match?.[1] ?? "");
    let principal: string | undefined;
    for (const { name, digest: expected } of this.digests) {
      // No early exit: the work done does not depend on which token (if any) matches.
      const equal = timingSafeEqual(expected, presented);
      if (equal) principal ??= name;
    }
    return principal;
  }
}

/** The `WWW-Authenticate` challenge of every 401 (RFC 6750). */
export const CHALLENGE = 'Bearer realm="docket"';

export const unauthorized = (): ApiError =>
  new ApiError(401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer <token>)");

/** Whether the route a request matched is on the allow-list. Unknown routes never are. */
const isPublicRoute = (request: FastifyRequest): boolean =>
  !request.is404 && request.routeOptions.config.public === true;

/** A route as registered: what the allow-list and the tests enumerate. */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly public: boolean;
}

const routeTables = new WeakMap<FastifyInstance, Array<RouteEntry>>();

/** Every route registered on `app` since `registerAuth` (fastify's automatic HEAD routes too). */
export const routesOf = (app: FastifyInstance): ReadonlyArray<RouteEntry> => routeTables.get(app) ?? [];

/** Whether a route's URL is `prefix` or lies under it. */
const isUnder = (url: string, prefix: string): boolean => url === prefix || url.startsWith(`${prefix}/`);

/**
 * Register before any route, so that every route is listed and guarded. Routes registered under
 * one of `publicPrefixes` (routes a plugin makes, which cannot be given a config of their own:
 * the documentation UI) are marked public as they are registered, so the decision is still made
 * on the route the router matched, never on the URL text.
 */
export const registerAuth = (
  app: FastifyInstance,
  tokens: BearerTokens,
  publicPrefixes: ReadonlyArray<string> = [],
): void => {
  const routes: Array<RouteEntry> = [];
  routeTables.set(app, routes);
  app.addHook("onRoute", (route) => {
    if (publicPrefixes.some((prefix) => isUnder(route.url, prefix)))
      route.config = { ...route.config, public: true };
    for (const method of [route.method].flat())
      routes.push({ method, url: route.url, public: route.config?.public === true });
  });
  app.decorateRequest("principal", ANONYMOUS_PRINCIPAL);
  if (!tokens.required) {
    registerHostCheck(app);
    return;
  }
  app.addHook("onRequest", async (request, reply) => {
    if (isPublicRoute(request)) return;
    const principal = tokens.principalOf(request.headers.authorization);
    if (principal === undefined) {
      void reply.header("www-authenticate", CHALLENGE);
      throw unauthorized();
    }
    request.principal = principal;
  });
};
