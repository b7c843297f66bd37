// The operator console under /console: server-rendered pages and POST forms, no client script.
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import { formValidatorCompiler } from "../api/validation.js";
import { assetRoutes } from "./assets.js";
import { auditRoutes } from "./audit.js";
import { authGate } from "./auth.js";
import { deliveryRoutes } from "./deliveries.js";
import type { ConsoleDeps } from "./deps.js";
import { endpointRoutes } from "./endpoints.js";
import { consoleErrors } from "./error-page.js";
import { BASE } from "./layout.js";
import { orderRoutes } from "./orders.js";
import { overviewRoutes } from "./overview.js";
import { securityHeaders } from "./security.js";
import { memorySessionStore, redisSessionStore, sessionSecret, sessions } from "./session.js";
import { tokenRoutes } from "./tokens.js";

export type { ConsoleDeps } from "./deps.js";

const EIGHT_HOURS_MS = 8 * 3600 * 1000;

export function consoleUi(deps: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(
      async (scope) => {
        await scope.register(cookie);
        await scope.register(formbody, { bodyLimit: 64 * 1024 });
        // The sign-in's limit (its route's config.rateLimit) counts where buildApp's limiter does.
        scope.addHook("onRequest", securityHeaders);
        // Failures and unknown paths answer with the console's own HTML page, not /v1's JSON.
        consoleErrors(scope);
        // Query strings, params and form bodies are checked against their TypeBox schemas, as on /v1
        // (a form's lone value where a list belongs is a list of one).
        scope.setValidatorCompiler(formValidatorCompiler);
        // Console pages are not part of the /v1 API document.
        scope.addHook("onRoute", (route) => {
          route.schema = { ...route.schema, hide: true };
        });
        const now = deps.now ?? Date.now;
        authGate(scope, {
          adminToken: deps.config.adminToken,
          sessions: sessions({
            secret: sessionSecret(deps.config),
            adminToken: deps.config.adminToken,
            lifetimeMs: deps.sessionLifetimeMs ?? EIGHT_HOURS_MS,
            store:
              deps.sessionStore ??
              (deps.redis ? redisSessionStore(deps.redis, deps.config.redisPrefix) : memorySessionStore()),
          }),
          now,
          recordWrite: deps.audit.recordWrite,
        });
        assetRoutes(scope);
        orderRoutes(scope, deps);
        deliveryRoutes(scope, deps);
        endpointRoutes(scope, deps);
        overviewRoutes(scope, deps);
        auditRoutes(scope, deps);
        tokenRoutes(scope, deps);
      },
      { prefix: BASE },
    );
  };
}
