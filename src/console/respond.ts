// Answers of the console routes: a rendered page, or a redirect carrying a notice key (notices.ts).
import type { FastifyReply } from "fastify";
import type { Html } from "./html.js";

/** The path with ?notice= (or &notice=) added. */
export function withNotice(path: string, notice: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}notice=${notice}`;
}

export function sendPage(reply: FastifyReply, doc: Html) {
  return reply.type("text/html; charset=utf-8").send(doc.text);
}
