// Which endpoints a message goes to beyond its msgType: the statuses its msgBody reports. Pure.
// A filter is a condition the message must meet: a message whose body carries no such status (not
// an order, or the field null) does not meet it. Both message types carry the whole orderResultDto,
// so a PAY_STATUS_NOTIFY has a declareStatus too, and a DECLARE_STATUS_NOTIFY a payStatus.

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
  return (
    within(e.msgTypes, msgType) &&
    within(e.payStatuses, s.payStatus) &&
    within(e.declareStatuses, s.declareStatus)
  );
}
