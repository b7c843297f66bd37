// Who may use the /v1 API: Authorization: Bearer <ADMIN_TOKEN> (compared in constant time; every scope)
// or Bearer <an API token> (src/tokens: looked up by its hash, with its own scopes). A token without
// the scope the route needs gets 403 naming it.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { adminTokenActor } from "../actor.js";
import type { Db } from "../db/client.js";
import { sendError } from "../ops/error-reply.js";
import { authenticateToken } from "../tokens/authenticate.js";
import { grants, requiredScope, SCOPES } from "./scopes.js";

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Bearer ([^\s]+)$/i.exec(header.trim())?.[1];
}

export function isAuthorized(header: string | undefined, adminToken: string): boolean {
  if (adminToken === "") return false;
  const token = bearerToken(header);
  return token !== undefined && timingSafeEqual(digest(token), digest(adminToken));
}

async function refuse(reply: FastifyReply): Promise<void> {
  reply.header("www-authenticate", 'Bearer realm="payzero-notify"');
  await sendError(reply, 401, "missing or wrong bearer token");
}

/** ADMIN_TOKEN only: what /openapi.json and /docs take when they sit behind a token. */
export function bearerAuth(adminToken: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!isAuthorized(request.headers.authorization, adminToken)) return refuse(reply);
  };
}

/** The /v1 hook: sets request.actor and request.scopes, or answers 401 (who?) or 403 (not allowed). */
export function v1Auth(adminToken: string, db: Db) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isAuthorized(request.headers.authorization, adminToken)) {
      request.actor = adminTokenActor;
      request.scopes = SCOPES;
      return;
    }
    const value = bearerToken(request.headers.authorization);
    const token = value === undefined ? null : await authenticateToken(db, value);
    if (!token) return refuse(reply);
    request.actor = { kind: "token", id: token.id, name: token.name };
    request.scopes = token.scopes;
    const needed = requiredScope(request);
    if (!grants(token.scopes, needed))
      await sendError(reply, 403, `this token lacks the scope "${needed}" that this route needs`);
  };
}
