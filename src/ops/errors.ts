// Request guards and the error answer shared by every route.
import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyInstance } from "fastify";

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
