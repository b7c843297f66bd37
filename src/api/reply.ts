// The error answer of the /v1 routes, in the shape of Fastify's own (ErrorReply).
import type { FastifyReply } from "fastify";

const reasons: Record<number, string> = { 400: "Bad Request", 404: "Not Found", 409: "Conflict" };

export function sendError(reply: FastifyReply, statusCode: 400 | 404 | 409, message: string) {
  return reply.code(statusCode).send({ statusCode, error: reasons[statusCode] ?? "Error", message });
}
