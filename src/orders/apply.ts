// The apply step: one transaction stores a batch of notifications once each, derives each order's
// state from the order's whole history, and inserts the delivery rows (fan-out). Shared by the
// notification worker (batches) and the reconciler (one at a time). Messages of a batch are taken
// in order, each seeing the ones before it, exactly as if they had come one per transaction.
import { createHash } from "node:crypto";
import type { Db } from "../db/client.js";
import type { Order } from "../generated/prisma/client.js";
import { contentKey } from "../payzero/envelope.js";
import { type ParsedBody, parseOrderResult } from "../payzero/orderResult.js";
import {
  type InsertedNotification,
  insertNotifications,
  loadOrders,
  lockOrders,
  type NotificationRow,
  registerOrders,
  type StoredMessage,
  saveOrders,
  storedMessages,
} from "./apply-sql.js";
import { MAX_ORDER_NO_LENGTH } from "./expected.js";
import { orderJson } from "./json.js";
import type { FanOut, IncomingNotification, StoredNotification } from "./notification.js";
import {
  deriveOrder,
  ORDER_MSG_TYPES,
  type OrderMessage,
  type OrderState,
  sameState,
} from "./order-state.js";
import { erasePayerFromBody, openSnapshot, withoutPayer } from "./personal-data.js";

export interface ApplyResult {
  duplicate: boolean;
  notificationId: bigint | null;
  changedOrder: boolean;
  /** Why the message was stored without being applied to an order, or what of it was kept how when applied. */
  problem?: string | null;
  /** Applied to its order (its statuses count); false for a problem and for a message not about an order. */
  applied?: boolean;
  /** The order's statuses after this message (absent for duplicates and problems). */
  order?: { payStatus: string | null; declareStatus: string | null } | null;
}

const DUPLICATE: ApplyResult = { duplicate: true, notificationId: null, changedOrder: false };

export async function applyNotification(db: Db, input: IncomingNotification, fanOut: FanOut) {
  const [result] = await applyNotifications(db, [input], fanOut);
  return result!;
}

/** One result per input, in order. */
export async function applyNotifications(
  db: Db,
  inputs: IncomingNotification[],
  fanOut: FanOut,
): Promise<ApplyResult[]> {
  const messages = inputs.map(prepare);
  let outbox: unknown = null;
  const results = await db.$transaction(
    async (tx) => {
      const orderNos = [...new Set(messages.flatMap((m) => (m.applies ? [m.mchtOrderNo!] : [])))];
      const now = await lockOrders(tx, orderNos);
      const stored = await storedMessages(
        tx,
        messages.flatMap((m) => [m.key, m.repeatKey]),
        orderNos,
      );
      // `now` is null only when no message is about an order, and then no order row is written.
      const planned = plan(messages, stored, await loadOrders(tx, orderNos), now ?? new Date());
      await saveOrders(tx, planned.orders);
      await registerOrders(tx, planned.problemOrders);
      const inserted = await insertNotifications(tx, planned.rows);
      const notifications = planned.rows.flatMap((r) => {
        const row = inserted.get(r.key);
        return row ? [asStored(r, row)] : [];
      });
      outbox = await fanOut.inTransaction(tx, notifications);
      return planned.results.map((r) =>
        r && inserted.has(r.key) ? { ...r.result, notificationId: inserted.get(r.key)!.id } : DUPLICATE,
      );
    },
    { maxWait: 10_000, timeout: 20_000 },
  );
  fanOut.afterCommit(outbox);
  return results;
}

function asStored(row: NotificationRow, inserted: InsertedNotification): StoredNotification {
  return {
    id: inserted.id,
    contentKey: row.key,
    msgType: row.input.msgType,
    timestamp: row.input.timestamp,
    msgBody: row.body,
    source: row.input.source,
    orderAfter: openSnapshot(row.key, inserted.orderAfter),
    traceparent: row.input.traceparent ?? null,
  };
}

interface Prepared {
  input: IncomingNotification;
  key: string;
  /** Its key should the same body come again as a new state (see repeatKey). */
  repeatKey: string;
  parsed: ParsedBody;
  problem: string | null;
  mchtOrderNo: string | null;
  /** About an order, and applied to it. */
  applies: boolean;
}

function prepare(input: IncomingNotification): Prepared {
  const parsed = parseOrderResult(input.msgBody);
  const known = ORDER_MSG_TYPES.includes(input.msgType);
  // The statuses decide: a malformed field the state does not need is reported, not a reason to drop them.
  const problem = !known
    ? `unknown msgType ${input.msgType}`
    : !parsed.ok
      ? parsed.problem
      : parsed.kept.length > 0
        ? parsed.kept.join("; ")
        : null;
  const mchtOrderNo = parsed.ok ? parsed.dto.mchtOrderNo : parsed.mchtOrderNo;
  const key = contentKey(input.msgType, input.msgBody);
  const repeatKey = repeatContentKey(input.msgType, input.msgBody, input.timestamp);
  return { input, key, repeatKey, parsed, problem, mchtOrderNo, applies: known && parsed.ok };
}

/**
 * The content key of a body that was stored before and comes again as a new state: a re-declaration
 * (section 8.1) failing again for the same reason, with the same data, has a byte-identical msgBody.
 * Payzero's timestamp tells the occurrences apart, so receivers get a new webhook-id (msg_<key>) for it,
 * while every copy of this occurrence (a resend, a retried job) gets this same key again.
 */
export function repeatContentKey(msgType: string, msgBody: string, timestamp: bigint): string {
  return createHash("sha256").update(`${msgType}\n${msgBody}\n${timestamp}`, "utf8").digest("hex");
}

interface Plan {
  orders: Order[];
  /** Orders only problem messages of this batch are about (among those with a usable order number). */
  problemOrders: string[];
  rows: NotificationRow[];
  /** Per input: null for a duplicate, else what to answer once its row has an id. */
  results: Array<{ key: string; result: ApplyResult } | null>;
}

/** Takes the messages in order, in memory: which are duplicates, and each order's state after each. */
function plan(messages: Prepared[], stored: StoredMessage[], before: Map<string, Order>, now: Date): Plan {
  const seen = new Set(stored.map((s) => s.contentKey));
  const histories = new Map<string, OrderMessage[]>();
  const current = new Map(before);
  const changed = new Set<string>();
  const out: Plan = { orders: [], problemOrders: [], rows: [], results: [] };
  const problemOrders = new Set<string>();
  for (const m of messages) {
    // A body stored before is a duplicate, unless it comes again as a new state (not stored yet either).
    const again = seen.has(m.key) && !seen.has(m.repeatKey) && isNewState(m, stored, histories, current);
    const key = !seen.has(m.key) ? m.key : again ? m.repeatKey : null;
    if (key === null) {
      out.results.push(null);
      continue;
    }
    seen.add(key);
    let order: Order | undefined;
    let changedOrder = false;
    // An order whose personal data was erased keeps it erased: what a later message (or the
    // reconciler) brings again is neither stored nor forwarded.
    const erased = m.mchtOrderNo !== null && !!current.get(m.mchtOrderNo)?.personalDataErasedAt;
    if (m.applies && m.parsed.ok) {
      const orderNo = m.mchtOrderNo!;
      const history = histories.get(orderNo) ?? historyOf(stored, orderNo);
      history.push({
        contentKey: key,
        msgType: m.input.msgType,
        timestamp: m.input.timestamp,
        dto: erased ? withoutPayer(m.parsed.dto) : m.parsed.dto,
      });
      histories.set(orderNo, history);
      const state = deriveOrder(history);
      const previous = current.get(orderNo);
      changedOrder = previous === undefined || !sameState(state, previous);
      order = changedOrder ? withRegistration(state, previous, now) : previous!;
      current.set(orderNo, order);
      if (changedOrder) changed.add(orderNo);
    }
    // A status Payzero sent that could not be read: the order exists all the same, and the reconciler asks.
    if (!m.applies && m.mchtOrderNo !== null && ORDER_MSG_TYPES.includes(m.input.msgType))
      if (m.mchtOrderNo.length <= MAX_ORDER_NO_LENGTH) problemOrders.add(m.mchtOrderNo);
    const orderAfter = order ? orderJson(order) : null;
    out.rows.push({
      key,
      input: m.input,
      body: erased ? erasePayerFromBody(m.input.msgBody) : m.input.msgBody,
      mchtOrderNo: m.mchtOrderNo,
      problem: m.problem,
      applied: m.applies,
      changedOrder,
      orderAfter,
    });
    out.results.push({
      key,
      result: {
        duplicate: false,
        notificationId: null,
        changedOrder,
        problem: m.problem,
        applied: m.applies,
        order: orderAfter
          ? { payStatus: orderAfter.payStatus, declareStatus: orderAfter.declareStatus }
          : null,
      },
    });
  }
  out.orders = [...changed].map((no) => current.get(no)!);
  out.problemOrders = [...problemOrders].filter((no) => !current.has(no));
  return out;
}

/**
 * Whether a body stored before, come again, is a new state rather than a resend: it is if, taken as one
 * more message at its own timestamp, it changes the order's pay or declare status. A resend never does
 * when Payzero keeps a message's timestamp across resends: it sits at or before a copy already applied.
 * (A resend stamped anew would count when the order's status moved in between; see docs/payzero.md, "Order state".)
 */
function isNewState(
  m: Prepared,
  stored: StoredMessage[],
  histories: Map<string, OrderMessage[]>,
  current: Map<string, Order>,
): boolean {
  if (!m.applies || !m.parsed.ok) return false;
  const orderNo = m.mchtOrderNo!;
  const before = current.get(orderNo);
  const history = histories.get(orderNo) ?? historyOf(stored, orderNo);
  const after = deriveOrder([
    ...history,
    { contentKey: m.repeatKey, msgType: m.input.msgType, timestamp: m.input.timestamp, dto: m.parsed.dto },
  ]);
  return (
    before === undefined ||
    after.payStatus !== before.payStatus ||
    after.declareStatus !== before.declareStatus
  );
}

/**
 * The derived state with what the merchant registered (POST /v1/orders/expected), which the apply step
 * never overwrites (saveOrders keeps those columns), and one version more than before: the caller holds
 * the order's lock, so no two changes get the same version. A message about the order means Payzero knows it.
 */
function withRegistration(state: OrderState, previous: Order | undefined, now: Date): Order {
  return {
    ...state,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    expectedAt: previous?.expectedAt ?? null,
    needDeclare: previous?.needDeclare ?? null,
    payzeroUnknownSince: null,
    version: (previous?.version ?? 0) + 1,
    personalDataErasedAt: previous?.personalDataErasedAt ?? null,
  };
}

/** The order's applied messages among those stored (with their bodies: retention keeps what it needs). */
export function historyOf(stored: StoredMessage[], mchtOrderNo: string): OrderMessage[] {
  const history: OrderMessage[] = [];
  for (const s of stored) {
    if (!s.applied || s.mchtOrderNo !== mchtOrderNo || s.msgBody === null) continue;
    const parsed = parseOrderResult(s.msgBody);
    if (parsed.ok)
      history.push({ contentKey: s.contentKey, msgType: s.msgType, timestamp: s.timestamp, dto: parsed.dto });
  }
  return history;
}
