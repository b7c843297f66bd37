// Which endpoints a message goes to: its msgType, and the statuses its msgBody reports. Pure.
// An endpoint without a msgType filter takes the types Payzero sends, and the refund events the service
// finds by asking Payzero; any other msgType (Payzero does not sign msgType, so a received message
// naming REFUND_STATUS_NOTIFY is one of these) goes only to endpoints that name it.
// A filter is a condition the message must meet: a message whose body carries no such status (not
// an order, or the field null) does not meet it. Both message types carry the whole orderResultDto,
// so a PAY_STATUS_NOTIFY has a declareStatus too, and a DECLARE_STATUS_NOTIFY a payStatus.

import { PAYZERO_MSG_TYPES } from "../../payzero/envelope.js";
import { REFUND_STATUS_NOTIFY } from "../../payzero/refund.js";

/** The stored message as the filters see it: its type, and who vouches for it (notification.ts). */
export interface FilteredMessage {
  msgType: string;
  source: string;
}

/** What an endpoint without a msgType filter takes. */
export function forwardedByDefault({ msgType, source }: FilteredMessage): boolean {
  return (
    PAYZERO_MSG_TYPES.includes(msgType) || (msgType === REFUND_STATUS_NOTIFY && source === "payzero-query")
  );
}

export interface MessageStatuses {
  payStatus: string | null;
  declareStatus: string | null;
}

export function messageStatuses(msgBody: string): MessageStatuses {
  let body: unknown;
  try {
    body = JSON.parse(msgBody);
  } catch {
    return { payStatus: null, declareStatus: null };
  }
  const record = body !== null && typeof body === "object" ? (body as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  return { payStatus: text(record.payStatus), declareStatus: text(record.declareStatus) };
}

export interface EndpointFilters {
  msgTypes: string[];
  payStatuses: string[];
  declareStatuses: string[];
}

/** The rule the fan-out's SQL applies (insertDeliveries), for code that decides in memory. */
export function takes(e: EndpointFilters, m: FilteredMessage, s: MessageStatuses): boolean {
  const within = (list: string[], value: string | null) =>
    list.length === 0 || (value !== null && list.includes(value));
  const typeTaken = e.msgTypes.length === 0 ? forwardedByDefault(m) : e.msgTypes.includes(m.msgType);
  return typeTaken && within(e.payStatuses, s.payStatus) && within(e.declareStatuses, s.declareStatus);
}
