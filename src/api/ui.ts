/**
 * `/ui`: the dashboard (ADR 0041). Its files are built by `npm run build` (scripts/build-ui.mjs:
 * esbuild bundles ui/ into dist/ui) and served here as they are with @fastify/static; `/`
 * redirects to `/ui/`. Public like `/docs` (ADR 0017): a browser cannot send a bearer token when
 * it opens a page, and the files hold no data — every figure the page shows comes from the API,
 * with the token the user typed sent as a bearer header. Every route under UI_PREFIX is marked
 * public as it is registered (auth.ts), so the decision is still made on the route matched.
 *
 * The page runs under a Content-Security-Policy with no inline script and nothing from another
 * origin (@fastify/helmet, registered inside this plugin only, so /docs keeps the policy
 * @fastify/swagger-ui sets for its own page).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyHelmet from "@fastify/helmet";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { CHALLENGE, unauthorized } from "./auth.ts";
import { ApiError } from "./errors.ts";

/** Where the dashboard lives; every route under it serves the dashboard's files. */
export const UI_PREFIX = "/ui";

/**
 * dist/ui at the package's root: this module is src/api/ui.ts when run from source and
 * dist/api/ui.js when installed, both two folders below the root.
 */
export const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "ui");

/** The page's policy: its own scripts, styles, images and API only; no inline script, no frames. */
export const UI_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // The API is often plain HTTP on a LAN address: upgrading its requests would break the page.
  upgradeInsecureRequests: null,
} as const;

/** `/`, with or without a query. */
const ROOT_TARGET = /^\/(\?.*)?$/;

export const registerUi = (app: FastifyInstance, tokensRequired: boolean, root: string = UI_DIR): void => {
  void app.register(async (ui) => {
    await ui.register(fastifyHelmet, {
      contentSecurityPolicy: { useDefaults: false, directives: UI_CSP_DIRECTIVES },
      // HSTS over plain HTTP is ignored by browsers and wrong for an API behind no TLS.
      strictTransportSecurity: false,
    });
    ui.get("/", { config: { public: true } }, async (request, reply) =>
      // The router also matches the asterisk-form target `*` here: that is no page, and is
      // answered like any unknown route (401 without a token).
      {
        if (ROOT_TARGET.test(request.url)) return reply.redirect(`${UI_PREFIX}/`);
        if (!tokensRequired) throw new ApiError(404, "route_not_found", `no route GET ${request.url}`);
        void reply.header("www-authenticate", CHALLENGE);
        throw unauthorized();
      },
    );
    if (existsSync(join(root, "index.html"))) {
      await ui.register(fastifyStatic, {
        root,
        prefix: `${UI_PREFIX}/`,
        // `/ui` answers a redirect to `/ui/`, so the page's relative asset URLs resolve.
        redirect: true,
        index: ["index.html"],
        // The files are not content-hashed: a browser revalidates them (ETag) on each load.
        cacheControl: true,
        maxAge: 0,
      });
      return;
    }
    // Run from source without `npm run build`: say so instead of a bare 404.
    const notBuilt = async (): Promise<never> => {
      throw new ApiError(
        404,
        "ui_not_built",
        "the dashboard is not built: run `npm run build` (`npm start` builds it first)",
      );
    };
    ui.get(UI_PREFIX, notBuilt);
    ui.get(`${UI_PREFIX}/*`, notBuilt);
  });
};
