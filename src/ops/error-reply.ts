// The one error answer of the HTTP layer, in the shape of Fastify's own: { statusCode, error, message }.
// Routes answer with sendError; hooks and handlers may throw httpError instead, and the error handler
// formats that, Fastify's validation errors, the rate limit's 429 and anything unexpected alike. The
// receiver alone answers Payzero in plain text (its own error handler, ingest/route.ts).
import { STATUS_CODES } from "node:http";
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { Type } from "typebox";
import { isDatabaseUnavailable } from "../db/client.js";

export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String({ description: "the status's reason phrase" }),
  message: Type.String({ description: "what was wrong, for a person to read" }),
});

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 429 | 502 | 503 | 504;

function errorReply(statusCode: number, message: string) {
  return { statusCode, error: STATUS_CODES[statusCode] ?? "Error", message };
}

export function sendError(reply: FastifyReply, statusCode: ErrorStatus, message: string) {
  return reply.code(statusCode).send(errorReply(statusCode, message));
}

/** An error to throw from a hook or handler: answered with `statusCode` and its message. */
export function httpError(statusCode: ErrorStatus, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode });
}

/**
 * What an error is answered with: 4xx keep their message; Postgres out of reach is a 503 (try again),
 * not a fault of the service; anything else is logged whole (with its stack) and answered without
 * internals. The /v1 answer is JSON (answerErrors); the console renders the same as a page.
 */
export function classifyError(
  error: FastifyError,
  log: Pick<FastifyBaseLogger, "error">,
): { statusCode: number; message: string } {
  if (isDatabaseUnavailable(error)) {
    log.error({ err: error }, "request failed: database unavailable");
    return { statusCode: 503, message: "database unavailable" };
  }
  const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
  if (status < 500) return { statusCode: status, message: error.message };
  log.error({ err: error }, "request failed");
  const message = status === 500 ? "internal error" : (STATUS_CODES[status] ?? "error").toLowerCase();
  return { statusCode: status, message };
}

export function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { statusCode, message } = classifyError(error, request.log);
    return reply.code(statusCode).send(errorReply(statusCode, message));
  });
}
