// The /v1 query and admin API: every route behind the bearer token, declared with the TypeBox type
// provider and checked by TypeBox (validation.ts), errors answered in the one shape of ops/error-reply.ts.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { AuditDeps } from "../audit/deps.js";
import type { Config } from "../config.js";
import { sendError } from "../ops/error-reply.js";
import type { OrdersDeps } from "../orders/deps.js";
import type { TokensDeps } from "../tokens/deps.js";
import type { WebhookDeps } from "../webhooks/deps.js";
import { v1Auth } from "./bearer-auth.js";
import { defaultScope } from "./scopes.js";
import { v1ValidatorCompiler } from "./validation.js";

export interface V1Deps {
  config: Config;
  /** The orders operations' deps (orders, expected orders, notifications). */
  orders: OrdersDeps;
  /** What the endpoint, delivery and backfill operations need. */
  webhooks: WebhookDeps;
  /** The audit log's operations (list). */
  audit: AuditDeps;
  /** The API token operations (create, list, revoke), and the lookup of the auth hook. */
  tokens: TokensDeps;
}

/** The app scoped under /v1, auth applied, handlers typed from their TypeBox schemas. */
type V1App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A file of /v1 routes (one per URL: orders.ts, webhooks.ts …). */
export type V1RouteModule = (app: V1App, deps: V1Deps) => Promise<void>;

export function v1Api(deps: V1Deps, modules: readonly V1RouteModule[]) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(
      async (v1) => {
        // A scope-level hook ahead of auth, so guessing tokens is throttled too (global: true would
        // attach it per route, after auth has already answered 401). The limiter is buildApp's
        // (server.ts): counted in Redis, shared by every api process.
        v1.addHook(
          "onRequest",
          v1.rateLimit({ max: deps.config.v1RateLimitPerMinute, timeWindow: "1 minute" }),
        );
        // Set by auth before any handler; null until then (fastify wants reference decorations null).
        v1.decorateRequest("actor", null as never);
        v1.decorateRequest("scopes", null as never);
        const auth = v1Auth(deps.config.adminToken, deps.tokens.db);
        // The document names each route's scope (OpenAPI 3.1: a bearer scheme's list holds roles).
        v1.addHook("onRoute", (route) => {
          const scope = route.config?.scope ?? defaultScope(route.method);
          const description = route.schema?.description;
          route.schema = {
            ...route.schema,
            security: [{ bearerAuth: [scope] }],
            description: `${description ? `${description} ` : ""}Scope: \`${scope}\`.`,
          };
        });
        v1.addHook("onRequest", auth);
        // Unknown /v1 paths need the token too: without it, nothing is revealed about what exists.
        v1.setNotFoundHandler({ preHandler: auth }, (_request, reply) =>
          sendError(reply, 404, "no such route"),
        );
        v1.setValidatorCompiler(v1ValidatorCompiler);
        const typed = v1.withTypeProvider<TypeBoxTypeProvider>();
        for (const mod of modules) await mod(typed, deps);
      },
      { prefix: "/v1" },
    );
  };
}
