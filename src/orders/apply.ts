// The apply step: one transaction stores a batch of notifications once each, derives each order's
// state from the order's whole history, and inserts the delivery rows (fan-out). Shared by the
// notification worker (batches) and the reconciler (one at a time). Messages of a batch are taken
// in order, each seeing the ones before it, exactly as if they had come one per transaction.
import type { Db } from "../db/client.js";
import type { Order } from "../generated/prisma/client.js";
import { bodyKey, PAYZERO_MSG_TYPES, queryBodyKey, signedKey, unsignedKey } from "../payzero/envelope.js";
import { type ParsedBody, parseOrderResult } from "../payzero/orderResult.js";
import {
  consumeRetries,
  type InsertedNotification,
  insertNotifications,
  loadOrders,
  lockOrders,
  type NotificationRow,
  pendingRetriesOf,
  registerOrders,
  type StoredMessage,
  saveOrders,
  storedMessages,
} from "./apply-sql.js";
import { MAX_ORDER_NO_LENGTH } from "./expected.js";
import { orderJson } from "./json.js";
import { takenType } from "./message-type.js";
import type { FanOut, IncomingNotification, StoredNotification } from "./notification.js";
import { deriveOrder, type OrderMessage, type OrderState, sameState } from "./order-state.js";
import { erasePayerFromBody, openSnapshot, withoutPayer } from "./personal-data.js";
import { type PendingRetry, retryKindOf } from "./retries.js";

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
        messages.map((m) => m.key),
        messages.map((m) => m.bodyKey),
        orderNos,
      );
      const retries = await pendingRetriesOf(tx, orderNos);
      // `now` is null only when no message is about an order, and then no order row is written.
      const planned = plan(messages, stored, await loadOrders(tx, orderNos), retries, now ?? new Date());
      await saveOrders(tx, planned.orders);
      await registerOrders(tx, planned.problemOrders);
      const inserted = await insertNotifications(tx, planned.rows);
      await consumeRetries(
        tx,
        planned.consumed.flatMap((c) => {
          const row = inserted.get(c.key);
          return row ? [{ ...c.retry, notificationId: row.id }] : [];
        }),
      );
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
  /** As it came, but for msgType: the type it is taken as (message-type.ts). */
  input: IncomingNotification;
  /** Its identity: from its sign, or, unsigned, from its type, body and timestamp (payzero/envelope.ts). */
  key: string;
  /** Finds a copy of the same body stored under another timestamp or sign. */
  bodyKey: string;
  parsed: ParsedBody;
  problem: string | null;
  mchtOrderNo: string | null;
  /** About an order, and applied to it. */
  applies: boolean;
}

function prepare(incoming: IncomingNotification): Prepared {
  const parsed = parseOrderResult(incoming.msgBody);
  const taken = takenType(incoming.msgType, parsed.ok ? parsed.dto : null);
  const input = { ...incoming, msgType: taken.msgType };
  const known = PAYZERO_MSG_TYPES.includes(input.msgType);
  // The statuses decide: a malformed field the state does not need is reported, not a reason to drop them.
  const notes = parsed.ok ? [...(taken.note ? [taken.note] : []), ...parsed.kept] : [];
  const problem = !known
    ? `unknown msgType ${input.msgType}`
    : !parsed.ok
      ? parsed.problem
      : notes.length > 0
        ? notes.join("; ")
        : null;
  const mchtOrderNo = parsed.ok ? parsed.dto.mchtOrderNo : parsed.mchtOrderNo;
  const key = input.sign ? signedKey(input.sign) : unsignedKey(input.msgType, input.msgBody, input.timestamp);
  return {
    input,
    key,
    // The reconciler types its findings itself (one answer may be stored as both types): its body key
    // keeps them apart. A notification's is its body alone, whatever msgType came with it.
    bodyKey:
      input.source === "payzero-query" ? queryBodyKey(input.msgType, input.msgBody) : bodyKey(input.msgBody),
    parsed,
    problem,
    mchtOrderNo,
    applies: known && parsed.ok,
  };
}

interface Plan {
  orders: Order[];
  /** Orders only problem messages of this batch are about (among those with a usable order number). */
  problemOrders: string[];
  rows: NotificationRow[];
  /** Per input: null for a duplicate, else what to answer once its row has an id. */
  results: Array<{ key: string; result: ApplyResult } | null>;
  /** Announced retries whose outcome a message of this batch reports, with that message's key. */
  consumed: Array<{ key: string; retry: PendingRetry }>;
}

/** Takes the messages in order, in memory: which are duplicates, and each order's state after each. */
function plan(
  messages: Prepared[],
  stored: StoredMessage[],
  before: Map<string, Order>,
  retries: PendingRetry[],
  now: Date,
): Plan {
  const seen = new Set(stored.map((s) => s.contentKey));
  const seenBodies = new Set(stored.flatMap((s) => (s.bodyKey === null ? [] : [s.bodyKey])));
  const pending = new Map(retries.map((r) => [`${r.kind}\n${r.mchtOrderNo}`, r]));
  const histories = new Map<string, OrderMessage[]>();
  const current = new Map(before);
  const changed = new Set<string>();
  const out: Plan = { orders: [], problemOrders: [], rows: [], results: [], consumed: [] };
  const problemOrders = new Set<string>();
  for (const m of messages) {
    // The first message of an announced retry's kind (retries.ts) reports the retry's outcome.
    const kind = m.applies ? retryKindOf(m.input.msgType) : null;
    const retry = kind ? pending.get(`${kind}\n${m.mchtOrderNo}`) : undefined;
    // A copy of a message stored before (same sign, whatever its msgType) is a duplicate; so is its
    // body under another timestamp or sign, unless it comes again as a new state, or as an announced
    // retry's outcome: Payzero's answer to a new attempt, failing the same way, is the same body again
    // under a new timestamp (a copy with a stored timestamp is a resend all the same).
    const sameBody = seenBodies.has(m.bodyKey) && !isNewState(m, stored, histories, current);
    const announced = sameBody && retry !== undefined && !isStoredCopy(m, stored);
    const duplicate = seen.has(m.key) || (sameBody && !announced);
    if (duplicate) {
      out.results.push(null);
      continue;
    }
    const key = m.key;
    seen.add(key);
    seenBodies.add(m.bodyKey);
    if (retry) {
      pending.delete(`${retry.kind}\n${retry.mchtOrderNo}`);
      out.consumed.push({ key, retry });
    }
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
      // An announced retry's outcome is an event of the order even when it shows the same state again.
      changedOrder = previous === undefined || announced || !sameState(state, previous);
      order = changedOrder ? withRegistration(state, previous, now) : previous!;
      current.set(orderNo, order);
      if (changedOrder) changed.add(orderNo);
    }
    // A status Payzero sent that could not be read: the order exists all the same, and the reconciler asks.
    if (!m.applies && m.mchtOrderNo !== null && PAYZERO_MSG_TYPES.includes(m.input.msgType))
      if (m.mchtOrderNo.length <= MAX_ORDER_NO_LENGTH) problemOrders.add(m.mchtOrderNo);
    const orderAfter = order ? orderJson(order) : null;
    out.rows.push({
      key,
      bodyKey: m.bodyKey,
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

/** A copy of a stored message: the same body with the same Payzero timestamp (a resend keeps it). */
function isStoredCopy(m: Prepared, stored: StoredMessage[]): boolean {
  return stored.some((s) => s.bodyKey === m.bodyKey && s.timestamp === m.input.timestamp);
}

/**
 * Whether a body stored before, come again, is a new state rather than a resend: it is if, taken as one
 * more message at its own timestamp, it changes the order's pay or declare status. A resend never does
 * when Payzero keeps a message's timestamp across resends: it sits at or before a copy already applied
 * (and a copy with the same sign never gets here: it is a duplicate by its key).
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
    { contentKey: m.key, msgType: m.input.msgType, timestamp: m.input.timestamp, dto: m.parsed.dto },
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
