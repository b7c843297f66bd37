// Request guards every route has: NUL characters refused, slow bodies cut.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { httpError } from "./error-reply.js";

/**
 * Postgres text cannot hold NUL: refuse it at the door rather than fail (500) deep inside. Thrown,
 * so each route's error handler answers it in that route's format (JSON, or the receiver's text).
 */
export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook("onRequest", async (request) => {
    if (/%00/i.test(request.url)) throw httpError(400, "the URL contains a NUL character");
  });
  app.addHook("preValidation", async (request) => {
    if (containsNul(request.body)) throw httpError(400, "the body contains a NUL character");
  });
}

/**
 * Node's requestTimeout stops counting once the headers are in, so a client could trickle a body a
 * byte at a time for ever: its connection is closed when the body is still incomplete after `ms`,
 * even when the request was answered before its body (refused by a hook, or a body-less route).
 * Register before any hook that may answer.
 */
export function cutSlowBodies(app: FastifyInstance, ms: number): void {
  const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();
  app.addHook("onRequest", async (request) => {
    const timer = setTimeout(() => {
      if (request.raw.complete || request.raw.destroyed) return;
      request.log.warn({ timeoutMs: ms }, "request body still incomplete: connection closed");
      request.raw.destroy();
    }, ms);
    timers.set(request, timer.unref());
  });
  app.addHook("onResponse", async (request) => {
    if (request.raw.complete !== false) clearTimeout(timers.get(request));
  });
}

function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (value === null || typeof value !== "object" || depth > 64) return false;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes("\u0000") || containsNul(v, depth + 1)) return true;
  }
  return false;
}
