// Who may use the /v1 API: Authorization: Bearer <ADMIN_TOKEN>, compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { adminTokenActor } from "../actor.js";
import { sendError } from "../ops/error-reply.js";

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

export function isAuthorized(header: string | undefined, adminToken: string): boolean {
  if (adminToken === "" || header === undefined) return false;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!), digest(adminToken));
}

export function bearerAuth(adminToken: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!isAuthorized(request.headers.authorization, adminToken)) {
      reply.header("www-authenticate", 'Bearer realm="payzero-notify"');
      await sendError(reply, 401, "missing or wrong bearer token");
      return;
    }
    request.actor = adminTokenActor;
  };
}
