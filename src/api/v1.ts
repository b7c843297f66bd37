// The /v1 query and admin API: every route behind the bearer token.
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { bearerAuth } from "./auth.js";

export interface V1Deps {
  config: Config;
  db: Db;
}

/** Route modules of /v1; each receives the app scoped under /v1 with auth already applied. */
export type V1RouteModule = (app: FastifyInstance, deps: V1Deps) => Promise<void>;

export function v1Api(deps: V1Deps, modules: V1RouteModule[]) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(
      async (v1) => {
        // A scope-level hook ahead of auth, so guessing tokens is throttled too (global: true would
        // attach it per route, after auth has already answered 401).
        await v1.register(rateLimit, { global: false });
        v1.addHook(
          "onRequest",
          v1.rateLimit({ max: deps.config.v1RateLimitPerMinute, timeWindow: "1 minute" }),
        );
        const auth = bearerAuth(deps.config.adminToken);
        v1.addHook("onRoute", (route) => {
          route.schema = { ...route.schema, security: [{ bearerAuth: [] }] };
        });
        v1.addHook("onRequest", auth);
        // Unknown /v1 paths need the token too: without it, nothing is revealed about what exists.
        v1.setNotFoundHandler({ preHandler: auth }, (_request, reply) =>
          reply.code(404).send({ statusCode: 404, error: "Not Found", message: "no such route" }),
        );
        for (const mod of modules) await mod(v1, deps);
      },
      { prefix: "/v1" },
    );
  };
}
