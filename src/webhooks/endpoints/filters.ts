// Which endpoints a message goes to: its msgType, and the statuses its msgBody reports. Pure.
// An endpoint without a msgType filter takes the types Payzero sends; any other msgType (Payzero does
// not sign msgType) goes only to endpoints that name it.
// A filter is a condition the message must meet: a message whose body carries no such status (not
// an order, or the field null) does not meet it. Both message types carry the whole orderResultDto,
// so a PAY_STATUS_NOTIFY has a declareStatus too, and a DECLARE_STATUS_NOTIFY a payStatus.

import { PAYZERO_MSG_TYPES } from "../../payzero/envelope.js";

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
export function takes(e: EndpointFilters, msgType: string, s: MessageStatuses): boolean {
  const within = (list: string[], value: string | null) =>
    list.length === 0 || (value !== null && list.includes(value));
  const typeTaken =
    e.msgTypes.length === 0 ? PAYZERO_MSG_TYPES.includes(msgType) : e.msgTypes.includes(msgType);
  return typeTaken && within(e.payStatuses, s.payStatus) && within(e.declareStatuses, s.declareStatus);
}
