// The statements of the apply step, each for a whole batch of notifications. Raw SQL: every
// message runs through them, and the bench's profiles showed Prisma's per-query cost dominating.
import { type Order, Prisma } from "../generated/prisma/client.js";
import type { IncomingNotification } from "./notification.js";
import { openBody, openOrder, sealBody, sealOrder, sealSnapshot } from "./personal-data.js";
import type { PendingRetry } from "./retries.js";

export type Tx = Prisma.TransactionClient;

/**
 * Serialises every message of these orders (across worker processes) for the rest of the
 * transaction. Taken in one fixed order (by lock key), so two batches cannot deadlock. Returns
 * Postgres's now(), the one clock every order's times are written with (null when there is no order).
 */
export async function lockOrders(tx: Tx, mchtOrderNos: string[]): Promise<Date | null> {
  if (mchtOrderNos.length === 0) return null;
  const [row] = await tx.$queryRaw<Array<{ now: Date }>>`
    SELECT now()::timestamptz(3) AS now, count(pg_advisory_xact_lock(k))::int AS locked
      FROM (SELECT DISTINCT hashtextextended(o, 0) AS k FROM unnest(${mchtOrderNos}::text[]) AS o ORDER BY k) keys`;
  return row!.now;
}

export interface StoredMessage {
  contentKey: string;
  /** sha256 of the body (null for a row stored before body keys whose body retention had removed). */
  bodyKey: string | null;
  msgType: string;
  timestamp: bigint;
  /** Null once retention removed it: the row then only says the message was seen. */
  msgBody: string | null;
  mchtOrderNo: string | null;
  /** Whether it is part of its order's applied history (retention keeps the bodies the state needs). */
  applied: boolean;
}

/**
 * In one statement: those of these messages already stored (by key, or their body by body key), and
 * the applied history of these orders.
 * The keys are compared as bpchar, the column's own type: compared as text, the unique index on the
 * char(64) column cannot serve and every batch reads the whole table (test/integration/db/plans.test.ts).
 */
export async function storedMessages(
  tx: Tx,
  keys: string[],
  bodyKeys: string[],
  mchtOrderNos: string[],
): Promise<StoredMessage[]> {
  const rows = await tx.$queryRaw<StoredMessage[]>`
    SELECT content_key AS "contentKey", body_key AS "bodyKey", msg_type AS "msgType", timestamp, msg_body AS "msgBody",
           mcht_order_no AS "mchtOrderNo", (applied AND msg_body IS NOT NULL) AS applied
      FROM notifications
     WHERE content_key = ANY (${keys}::bpchar[])
        OR body_key = ANY (${bodyKeys}::bpchar[])
        OR (mcht_order_no = ANY (${mchtOrderNos}::text[]) AND applied AND msg_body IS NOT NULL)`;
  // Only the bodies the state reads are opened: a resend is told apart by its content or body key alone.
  return rows.map((r) => (r.applied ? { ...r, msgBody: openBody(r.contentKey, r.msgBody) } : r));
}

const ORDER_FIELDS = Object.keys(Prisma.OrderScalarFieldEnum) as Array<keyof Order>;
const column = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const ORDER_SELECT = Prisma.raw(ORDER_FIELDS.map((f) => `${column(f)} AS "${f}"`).join(", "));

export async function loadOrders(tx: Tx, mchtOrderNos: string[]): Promise<Map<string, Order>> {
  if (mchtOrderNos.length === 0) return new Map();
  const rows = await tx.$queryRaw<Order[]>`
    SELECT ${ORDER_SELECT} FROM orders WHERE mcht_order_no = ANY (${mchtOrderNos}::text[])`;
  return new Map(rows.map((o) => [o.mchtOrderNo, openOrder(o)]));
}

/**
 * Creates or overwrites these orders (each once), in one statement. What the merchant registered
 * (src/orders/expected.ts, outside the order's lock) is kept as it is in the row.
 */
export async function saveOrders(tx: Tx, orders: Order[]): Promise<void> {
  if (orders.length === 0) return;
  // The erasure (erase.ts) sets personal_data_erased_at under the order's lock, outside this step.
  const kept = new Set(["mchtOrderNo", "createdAt", "expectedAt", "needDeclare", "personalDataErasedAt"]);
  const updated = ORDER_FIELDS.filter((f) => !kept.has(f)).map((f) => `${column(f)} = EXCLUDED.${column(f)}`);
  const rows = orders
    .map((order) => sealOrder(order))
    .map((o) => Prisma.sql`(${Prisma.join(ORDER_FIELDS.map((f) => o[f]))})`);
  await tx.$executeRaw`
    INSERT INTO orders (${Prisma.raw(ORDER_FIELDS.map(column).join(", "))})
    VALUES ${Prisma.join(rows)}
    ON CONFLICT (mcht_order_no) DO UPDATE SET ${Prisma.raw(updated.join(", "))}`;
}

/**
 * Rows, with no status yet, for orders that only problem messages are about so far: the reconciler
 * then asks Payzero about them (as about an order registered as expected). An existing row is left alone.
 */
export async function registerOrders(tx: Tx, mchtOrderNos: string[]): Promise<void> {
  if (mchtOrderNos.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO orders (mcht_order_no, created_at, updated_at)
    SELECT o, now(), now() FROM unnest(${mchtOrderNos}::text[]) AS o
    ON CONFLICT (mcht_order_no) DO NOTHING`;
}

export interface NotificationRow {
  key: string;
  input: IncomingNotification;
  bodyKey: string;
  /** The body as stored (sealed on insert): the input's, its payer fields erased when its order's are. */
  body: string;
  mchtOrderNo: string | null;
  problem: string | null;
  applied: boolean;
  changedOrder: boolean;
  /** The order's state after this message (its JSON view). */
  orderAfter: unknown;
}

export interface InsertedNotification {
  id: bigint;
  /** As Postgres stored it (jsonb orders keys its own way): every send of a delivery shows the same. Sealed. */
  orderAfter: unknown;
}

/**
 * Inserts the rows and returns them by content key. A row whose key another process stored
 * meanwhile (possible only for messages not about an order: those of an order hold its lock) is
 * skipped and is not returned.
 */
export async function insertNotifications(
  tx: Tx,
  rows: NotificationRow[],
): Promise<Map<string, InsertedNotification>> {
  if (rows.length === 0) return new Map();
  const values = rows.map(
    (
      r,
    ) => Prisma.sql`(${r.key}, ${r.bodyKey}, ${r.input.msgType}, ${r.input.timestamp}, ${sealBody(r.key, r.body)},
      ${r.input.source}, ${r.mchtOrderNo}, ${r.problem}, ${r.applied}, ${r.changedOrder},
      ${r.orderAfter === null ? null : JSON.stringify(sealSnapshot(r.key, r.orderAfter))}::jsonb,
      ${r.input.receivedAt}, ${r.input.traceparent ?? null})`,
  );
  const stored = await tx.$queryRaw<Array<InsertedNotification & { contentKey: string }>>`
    INSERT INTO notifications (content_key, body_key, msg_type, timestamp, msg_body, source, mcht_order_no, problem,
                               applied, changed_order, order_after, received_at, traceparent)
    VALUES ${Prisma.join(values)}
    ON CONFLICT (content_key) DO NOTHING
    RETURNING id, content_key AS "contentKey", order_after AS "orderAfter"`;
  return new Map(stored.map((s) => [s.contentKey, s]));
}

/**
 * The pending retry announcements of these orders (src/orders/retries.ts), locked for the rest of the
 * transaction: an announcement made meanwhile waits and then sees whether this one consumed it.
 */
export function pendingRetriesOf(tx: Tx, mchtOrderNos: string[]): Promise<PendingRetry[]> {
  if (mchtOrderNos.length === 0) return Promise.resolve([]);
  return tx.$queryRaw<PendingRetry[]>`
    SELECT mcht_order_no AS "mchtOrderNo", kind, generation FROM order_retries
     WHERE mcht_order_no = ANY (${mchtOrderNos}::text[]) AND consumed_at IS NULL
     FOR UPDATE`;
}

/** Marks these announcements used by the notifications that reported their outcome. */
export async function consumeRetries(
  tx: Tx,
  consumed: Array<PendingRetry & { notificationId: bigint }>,
): Promise<void> {
  if (consumed.length === 0) return;
  await tx.$executeRaw`
    UPDATE order_retries r SET consumed_at = now(), notification_id = c.id
      FROM unnest(${consumed.map((c) => c.mchtOrderNo)}::text[], ${consumed.map((c) => c.kind)}::text[],
                  ${consumed.map((c) => c.generation)}::int[], ${consumed.map((c) => c.notificationId)}::bigint[])
           AS c (mcht_order_no, kind, generation, id)
     WHERE r.mcht_order_no = c.mcht_order_no AND r.kind = c.kind AND r.generation = c.generation
       AND r.consumed_at IS NULL`;
}
