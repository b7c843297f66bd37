// The console's own answer to a failure: an HTML page with the status kept (a 400 for a bad link, 429,
// 503 while Postgres is out of reach, 500), never a stack or an internal message. The failure is
// classified and logged as the /v1 error handler does (ops/error-reply.ts); only the answer differs.
import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { classifyError } from "../ops/error-reply.js";
import { type Html, html } from "./html.js";
import { BASE, document, page } from "./layout.js";

/** What a person can do about it, by status; a 4xx also shows its own message (it names the input). */
function explanation(statusCode: number, message: string): Html {
  if (statusCode === 503)
    return html`<p>The database is out of reach. Nothing was changed. Try again in a moment.</p>`;
  if (statusCode >= 500)
    return html`<p>Something went wrong on the service's side; it is in the service's log. Nothing shown here was changed by it. Try again, or look at the log.</p>`;
  if (statusCode === 429) return html`<p>Too many requests: ${message}</p>`;
  return html`<p>This request could not be answered: ${message}</p>`;
}

/** The page for `statusCode`: in the console's frame when signed in, bare otherwise (sign-in, assets). */
function sendErrorPage(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  title: string,
  body: Html,
) {
  const doc = request.consoleCtx
    ? page(request.consoleCtx, { title, body })
    : document(title, html`<h1>${title}</h1>${body}<p><a href="${BASE}">Back to the console</a></p>`);
  return reply.code(statusCode).type("text/html; charset=utf-8").send(doc.text);
}

export function consoleErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    const { statusCode, message } = classifyError(error, request.log);
    const title = STATUS_CODES[statusCode] ?? "Error";
    return sendErrorPage(request, reply, statusCode, title, explanation(statusCode, message));
  });
  scope.setNotFoundHandler((request, reply) =>
    sendErrorPage(request, reply, 404, "Not found", html`<p>No such console page.</p>`),
  );
}
