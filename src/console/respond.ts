// Answers of the console routes: a rendered page, or a redirect carrying a notice key. Notices are
// fixed texts the query names, so nothing a link carries is ever shown as a message.
import type { FastifyReply } from "fastify";
import type { Html } from "./html.js";

/** The path with ?notice= (or &notice=) added. */
export function withNotice(path: string, notice: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}notice=${notice}`;
}

export function sendPage(reply: FastifyReply, doc: Html) {
  return reply.type("text/html; charset=utf-8").send(doc.text);
}

const NOTICES: Record<string, string> = {
  retried: "Retry sent: the delivery gets one attempt now. Reload to see it.",
  "retried-all": "Every failed delivery of the endpoint gets one attempt now.",
  created: "Endpoint added. Its signing secret is below, shown this once.",
  saved: "Endpoint saved.",
  "saved-headers-dropped":
    "Endpoint saved. Its URL now points to another scheme, host or port, so its stored headers were removed: add them again if the new destination needs them.",
  enabled: "Endpoint enabled.",
  disabled: "Endpoint disabled: it gets no deliveries until enabled.",
  "token-revoked": "Token revoked: /v1 refuses it from now on.",
  rotated:
    "Secret rotated: the new one is below, shown this once. Deliveries are signed with the old secret too until the time shown.",
  "queried-changed": "Payzero answered with a new state: applied below and forwarded (source payzero-query).",
  "queried-unchanged": "Payzero answered: nothing new.",
  "queried-unknown": "Payzero does not know this order (neither /order/queryOrder nor /order/feedback).",
  "retry-announced":
    "Retry announced: the next notification of its kind is forwarded as a new event, and the reconciler asks about the order until it comes.",
};

export function noticeOf(query: Record<string, string | undefined>): { notice?: string } {
  const notice = query.notice ? NOTICES[query.notice] : undefined;
  return notice ? { notice } : {};
}
