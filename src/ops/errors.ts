// Request guards and the error answer shared by every route.
import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";

/** Postgres text cannot hold NUL: refuse it at the door rather than fail (500) deep inside. */
export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook("onRequest", async (request, reply) => {
    if (/%00/i.test(request.url)) {
      return reply.code(400).type("text/plain; charset=utf-8").send("the URL contains a NUL character");
    }
  });
  app.addHook("preValidation", async (request, reply) => {
    if (containsNul(request.body)) {
      return reply.code(400).type("text/plain; charset=utf-8").send("the body contains a NUL character");
    }
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

/** 4xx keep their message; anything else is logged and answered without internals. */
export function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status < 500) {
      return reply
        .code(status)
        .send({ statusCode: status, error: STATUS_CODES[status] ?? "Error", message: error.message });
    }
    request.log.error({ err: error }, "request failed");
    return reply
      .code(status)
      .send({ statusCode: status, error: "Internal Server Error", message: "internal error" });
  });
}
