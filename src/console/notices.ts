// Notices after an action's redirect: the query names one of these fixed texts, so nothing a link
// carries is ever shown as a message.
const NOTICES: Record<string, string> = {
  retried: "Retry sent: the delivery gets one attempt now. Reload to see it.",
  "retried-all": "Every failed delivery of the endpoint gets one attempt now.",
  created: "Endpoint added. Its secret is below, behind “Show secret”.",
  saved: "Endpoint saved.",
  enabled: "Endpoint enabled.",
  disabled: "Endpoint disabled: it gets no deliveries until enabled.",
  rotated: "Secret rotated. Deliveries are signed with the old secret too until the time shown.",
};

export function noticeOf(query: Record<string, string | undefined>): { notice?: string } {
  const notice = query.notice ? NOTICES[query.notice] : undefined;
  return notice ? { notice } : {};
}
