// What a /v1 caller may do. ADMIN_TOKEN holds every scope; API tokens hold the scopes they were created
// with (src/tokens). A route names the scope it needs in its config (`config: { scope: "orders:expect" }`);
// one that names none needs `read` for GET and `admin` for anything else. `admin` grants every scope;
// `personal-data` adds the payer's fields unmasked to what `read` shows.
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
    /** What the caller may do, set with the actor. */
    scopes: readonly Scope[];
  }
}

/** The scope a route of this method needs when its config names none. */
export function defaultScope(method: string | readonly string[]): Scope {
  const methods = typeof method === "string" ? [method] : method;
  return methods.every((m) => m === "GET" || m === "HEAD") ? "read" : "admin";
}

export function requiredScope(request: FastifyRequest): Scope {
  return request.routeOptions.config.scope ?? defaultScope(request.method);
}

/** Whether scopes held grant the scope needed. */
export function grants(held: readonly Scope[], needed: Scope): boolean {
  return held.includes("admin") || held.includes(needed);
}

/** Whether the caller sees payer fields unmasked (ADMIN_TOKEN, `admin`, or `personal-data`). */
export function seesPersonalData(request: FastifyRequest): boolean {
  return grants(request.scopes, "personal-data");
}
