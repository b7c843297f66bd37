// What a /v1 caller may do. ADMIN_TOKEN holds every scope; API tokens hold the scopes they were created
// with. A route names the scope it needs in its config (`config: { scope: "orders:expect" }`); one
// that names none needs `read` for GET and `admin` for anything else.
import type { FastifyRequest } from "fastify";
import type { Actor } from "../actor.js";

export const SCOPES = ["admin", "read", "personal-data", "orders:expect"] as const;
export type Scope = (typeof SCOPES)[number];

declare module "fastify" {
  interface FastifyContextConfig {
    /** The scope a /v1 route needs, when not the default of its method (read for GET, else admin). */
    scope?: Scope;
  }
  interface FastifyRequest {
    /** Who called, set by the /v1 auth hook before any handler runs. */
    actor: Actor;
  }
}

export function requiredScope(request: FastifyRequest): Scope {
  return (
    request.routeOptions.config.scope ??
    (request.method === "GET" || request.method === "HEAD" ? "read" : "admin")
  );
}
