/**
 * `/docs`: Swagger UI over the API's OpenAPI document (the one `/openapi.json` serves, generated
 * from src/contract), served from the files @fastify/swagger-ui ships — nothing is fetched from a
 * CDN, so the page works on a machine without Internet access. @fastify/swagger runs in static
 * mode: it publishes the given document as it is and reads nothing off the routes.
 *
 * Public like `/openapi.json` (ADR 0017): a browser cannot send a bearer token when it opens a
 * page, and the page and its assets hold nothing but the public document. Every route under
 * DOCS_PREFIX is marked public when it is registered (auth.ts), so the decision is still made on
 * the route the router matched. Calls made from the page's "Try it out" need the token like any
 * other (its "Authorize" button takes one).
 */
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { openApiDocument } from "./openapi.ts";

/** Where the UI lives; every route under it is the UI's (HTML, scripts, styles, the document). */
export const DOCS_PREFIX = "/docs";

export const registerDocs = (app: FastifyInstance): void => {
  void app.register(async (docs) => {
    await docs.register(fastifySwagger, {
      mode: "static",
      specification: { document: openApiDocument() as never },
    });
    await docs.register(fastifySwaggerUi, {
      routePrefix: DOCS_PREFIX,
      // A Content-Security-Policy that allows the UI's own scripts and styles only.
      staticCSP: true,
      uiConfig: { deepLinking: false, persistAuthorization: false },
    });
  });
};
