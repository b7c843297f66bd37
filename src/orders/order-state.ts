// How an order's state follows from its notifications (pure). The state is derived from the whole
// set of applied messages, never from their arrival order, so retries, duplicates and reordering
// cannot change the outcome.
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../payzero/envelope.js";
import type { OrderResultDto } from "../payzero/orderResult.js";
import { DECLARED, declareStatusRank, PAY_SUCCEED, payStatusRank } from "../payzero/statuses.js";

export interface OrderMessage {
  contentKey: string;
  msgType: string;
  timestamp: bigint;
  dto: OrderResultDto;
}

export interface OrderState extends Omit<OrderResultDto, "payStatus" | "declareStatus"> {
  payStatus: string | null;
  payStatusAt: bigint | null;
  declareStatus: string | null;
  declareStatusAt: bigint | null;
}

interface Dimension {
  ownType: string;
  success: string;
  status: (dto: OrderResultDto) => string | null;
  rank: (status: string) => number;
}

const PAY: Dimension = {
  ownType: PAY_STATUS_NOTIFY,
  success: PAY_SUCCEED,
  status: (d) => d.payStatus,
  rank: payStatusRank,
};
const DECLARE: Dimension = {
  ownType: DECLARE_STATUS_NOTIFY,
  success: DECLARED,
  status: (d) => d.declareStatus,
  rank: declareStatusRank,
};

export function deriveOrder(messages: readonly OrderMessage[]): OrderState {
  const newest = (list: readonly OrderMessage[]) => maxBy(list, (m) => [m.timestamp, m.contentKey]);
  const latest = newest(messages);
  if (!latest) throw new Error("deriveOrder needs at least one message");
  const pay = winner(messages, PAY);
  const declare = winner(messages, DECLARE);
  // The other fields come with the statuses: from the newer of the messages that set the status their
  // own type is about, never from one whose status lost (a stale PAY_FAILED after PAY_SUCCEED has no
  // payment order number). A status carried over from the other type sets them only when nothing else does.
  const own = [
    pay?.msgType === PAY.ownType ? pay : undefined,
    declare?.msgType === DECLARE.ownType ? declare : undefined,
  ];
  const setters = (list: Array<OrderMessage | undefined>) =>
    list.filter((m): m is OrderMessage => m !== undefined);
  const source = newest(setters(own)) ?? newest(setters([pay, declare])) ?? latest;
  const { payStatus: _p, declareStatus: _d, ...descriptive } = source.dto;
  return {
    ...descriptive,
    payStatus: pay ? PAY.status(pay.dto) : null,
    payStatusAt: pay ? pay.timestamp : null,
    declareStatus: declare ? DECLARE.status(declare.dto) : null,
    declareStatusAt: declare ? declare.timestamp : null,
    // The fail reason belongs to the declaration status it came with.
    declareFailReason: declare ? declare.dto.declareFailReason : latest.dto.declareFailReason,
  };
}

/**
 * The message whose status a dimension shows. A terminal success is never replaced by an earlier
 * state; otherwise the newest timestamp wins. Messages of the other type (a PAY_STATUS_NOTIFY for
 * the declare status, and the other way round) count only where they move the status forward and
 * are newer than every message of the dimension's own type.
 */
function winner(messages: readonly OrderMessage[], dim: Dimension): OrderMessage | undefined {
  const withStatus = messages.filter((m) => dim.status(m.dto) !== null);
  const order = statusOrder(dim);
  const own = ownWinner(messages, dim);
  if (own && dim.status(own.dto) === dim.success) return own;
  // Each message of the other type on its own: the newest of them may be behind while an older one counts.
  const counts = (m: OrderMessage) => {
    if (!own) return true;
    const status = dim.status(m.dto)!;
    if (status === dim.success) return true;
    return m.timestamp > own.timestamp && dim.rank(status) > dim.rank(dim.status(own.dto)!);
  };
  const other = maxBy(
    withStatus.filter((m) => m.msgType !== dim.ownType && counts(m)),
    order,
  );
  return other ?? own;
}

const statusOrder = (dim: Dimension) => (m: OrderMessage) => [
  dim.status(m.dto) === dim.success ? 1 : 0,
  m.timestamp,
  dim.rank(dim.status(m.dto)!),
  m.contentKey,
];

/** The message of the dimension's own type whose status wins among those of its type. */
function ownWinner(messages: readonly OrderMessage[], dim: Dimension): OrderMessage | undefined {
  return maxBy(
    messages.filter((m) => m.msgType === dim.ownType && dim.status(m.dto) !== null),
    statusOrder(dim),
  );
}

/**
 * The messages of an order's history its state still needs when the bodies of the others are removed
 * (retention, src/retention): each dimension's winner and the winner among its own type (against which
 * the other type's messages are weighed), and the newest message. These, plus any later message (newer
 * than all of them), give the state the whole history plus that message gives, and each message of the
 * whole history, come again, changes nothing (it is still a resend). test/unit/orders/order-state.test.ts checks both.
 */
export function messagesStateNeeds(messages: readonly OrderMessage[]): Set<string> {
  const needed = new Set<string>();
  const add = (m: OrderMessage | undefined) => {
    if (m) needed.add(m.contentKey);
  };
  add(maxBy(messages, (m) => [m.timestamp, m.contentKey]));
  for (const dim of [PAY, DECLARE]) {
    add(winner(messages, dim));
    add(ownWinner(messages, dim));
  }
  return needed;
}

type Key = Array<number | bigint | string>;

function maxBy<T>(items: readonly T[], key: (item: T) => Key): T | undefined {
  let best: T | undefined;
  let bestKey: Key = [];
  for (const item of items) {
    const k = key(item);
    if (best === undefined || compareKeys(k, bestKey) > 0) {
      best = item;
      bestKey = k;
    }
  }
  return best;
}

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

/** Whether two states differ in anything the order shows. */
export function sameState(a: OrderState, b: OrderState): boolean {
  return (Object.keys(a) as Array<keyof OrderState>).every((k) => a[k] === b[k]);
}
