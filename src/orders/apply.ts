// The apply step: one transaction stores a notification once, derives its order's state from the
// order's whole history, and inserts the outbox rows (fan-out). Shared by the notification worker
// and the reconciler. Every message runs these statements, so they are raw SQL, merged where one
// statement can do the work of two (the bench's profiles: Prisma's per-query cost dominated).
import type { Db } from "../db/client.js";
import { type Order, Prisma } from "../generated/prisma/client.js";
import { contentKey, DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../payzero/envelope.js";
import { type OrderResultDto, parseOrderResult } from "../payzero/orderResult.js";
import type { FanOut } from "./fanout.js";
import { orderJson } from "./json.js";
import { deriveOrder, ORDER_MSG_TYPES, type OrderMessage, type OrderState } from "./rules.js";

export interface IncomingNotification {
  msgType: string;
  /** Payzero's, ms since the epoch. */
  timestamp: bigint;
  msgBody: string;
  receivedAt: Date;
  source: "payzero-notify" | "payzero-query";
}

export interface ApplyResult {
  duplicate: boolean;
  notificationId: bigint | null;
  changedOrder: boolean;
  /** Why the message was stored without being applied to an order. */
  problem?: string | null;
  /** The order's statuses after this message (absent for duplicates and problems). */
  order?: { payStatus: string | null; declareStatus: string | null } | null;
}

type Tx = Prisma.TransactionClient;

const DUPLICATE: ApplyResult = { duplicate: true, notificationId: null, changedOrder: false };

export async function applyNotification(
  db: Db,
  input: IncomingNotification,
  fanOut: FanOut,
): Promise<ApplyResult> {
  const key = contentKey(input.msgType, input.msgBody);
  const parsed = parseOrderResult(input.msgBody);
  const known = ORDER_MSG_TYPES.includes(input.msgType);
  const problem = !known ? `unknown msgType ${input.msgType}` : parsed.ok ? null : parsed.problem;
  const mchtOrderNo = parsed.ok ? parsed.dto.mchtOrderNo : parsed.mchtOrderNo;
  let deliveryIds: bigint[] = [];
  try {
    const result = await db.$transaction(
      async (tx) => {
        if (problem === null) await lockOrder(tx, mchtOrderNo!);
        const seen = await storedMessages(tx, key, problem === null ? mchtOrderNo : null);
        if (seen.some((m) => m.contentKey === key)) return DUPLICATE;
        const applied =
          problem === null && parsed.ok ? await applyToOrder(tx, key, input, parsed.dto, seen) : null;
        const id = await insertNotification(tx, key, input, mchtOrderNo, problem, applied);
        deliveryIds = await fanOut.inTransaction(tx, { id, msgType: input.msgType });
        return {
          duplicate: false,
          notificationId: id,
          changedOrder: applied?.changed ?? false,
          problem,
          order: applied
            ? { payStatus: applied.orderAfter.payStatus, declareStatus: applied.orderAfter.declareStatus }
            : null,
        };
      },
      { maxWait: 10_000, timeout: 20_000 },
    );
    if (!result.duplicate) await fanOut.afterCommit(deliveryIds);
    return result;
  } catch (err) {
    // Two copies of a message that is not about an order raced past the lookup: the unique key decided.
    if (isUniqueViolation(err)) return DUPLICATE;
    throw err;
  }
}

/** Serialises every message of one order (across worker processes) for the rest of the transaction. */
async function lockOrder(tx: Tx, mchtOrderNo: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${mchtOrderNo}, 0))`;
}

interface StoredMessage {
  contentKey: string;
  msgType: string;
  timestamp: bigint;
  msgBody: string;
}

/** In one statement: this message if it is already stored, and the order's applied history. */
function storedMessages(tx: Tx, key: string, mchtOrderNo: string | null): Promise<StoredMessage[]> {
  return tx.$queryRaw<StoredMessage[]>`
    SELECT content_key AS "contentKey", msg_type AS "msgType", timestamp, msg_body AS "msgBody"
      FROM notifications
     WHERE content_key = ${key}
        OR (mcht_order_no = ${mchtOrderNo}::text AND problem IS NULL
            AND msg_type IN (${PAY_STATUS_NOTIFY}, ${DECLARE_STATUS_NOTIFY}))`;
}

type Applied = { changed: boolean; orderAfter: ReturnType<typeof orderJson> };

async function applyToOrder(
  tx: Tx,
  key: string,
  input: IncomingNotification,
  dto: OrderResultDto,
  history: StoredMessage[],
): Promise<Applied> {
  const messages: OrderMessage[] = [
    { contentKey: key, msgType: input.msgType, timestamp: input.timestamp, dto },
  ];
  for (const h of history) {
    const parsed = parseOrderResult(h.msgBody);
    if (parsed.ok) messages.push({ ...h, dto: parsed.dto });
  }
  const state = deriveOrder(messages);
  const changed = await upsertChangedOrder(tx, state);
  if (changed) return { changed: true, orderAfter: orderJson(changed) };
  const [before] = await tx.$queryRaw<Order[]>`
    SELECT ${ORDER_SELECT} FROM orders WHERE mcht_order_no = ${dto.mchtOrderNo}`;
  return { changed: false, orderAfter: orderJson(before!) };
}

const ORDER_FIELDS = Object.keys(Prisma.OrderScalarFieldEnum) as Array<keyof Order>;
const column = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const ORDER_SELECT = Prisma.raw(ORDER_FIELDS.map((f) => `${column(f)} AS "${f}"`).join(", "));

/**
 * Creates the order or writes its new state, in one statement; null when the stored state already
 * equals `state` (nothing written, updatedAt kept), so the usual case needs no read first.
 */
async function upsertChangedOrder(tx: Tx, state: OrderState): Promise<Order | null> {
  const now = new Date();
  const row: Record<string, unknown> = { ...state, createdAt: now, updatedAt: now };
  const fields = ORDER_FIELDS.filter((f) => f in row);
  const compared = fields.filter((f) => f !== "mchtOrderNo" && f !== "createdAt" && f !== "updatedAt");
  const updated = [...compared, "updatedAt"].map((f) => `${column(f)} = EXCLUDED.${column(f)}`);
  const list = (prefix: string) => compared.map((f) => `${prefix}.${column(f)}`).join(", ");
  const [order] = await tx.$queryRaw<Order[]>`
    INSERT INTO orders AS o (${Prisma.raw(fields.map(column).join(", "))})
    VALUES (${Prisma.join(fields.map((f) => row[f]))})
    ON CONFLICT (mcht_order_no) DO UPDATE SET ${Prisma.raw(updated.join(", "))}
     WHERE (${Prisma.raw(list("o"))}) IS DISTINCT FROM (${Prisma.raw(list("EXCLUDED"))})
    RETURNING ${ORDER_SELECT}`;
  return order ?? null;
}

async function insertNotification(
  tx: Tx,
  key: string,
  input: IncomingNotification,
  mchtOrderNo: string | null,
  problem: string | null,
  applied: Applied | null,
): Promise<bigint> {
  const orderAfter = applied ? JSON.stringify(applied.orderAfter) : null;
  const [stored] = await tx.$queryRaw<Array<{ id: bigint }>>`
    INSERT INTO notifications (content_key, msg_type, timestamp, msg_body, source, mcht_order_no, problem,
                               changed_order, order_after, received_at)
    VALUES (${key}, ${input.msgType}, ${input.timestamp}, ${input.msgBody}, ${input.source}, ${mchtOrderNo},
            ${problem}, ${applied?.changed ?? false}, ${orderAfter}::jsonb, ${input.receivedAt})
    RETURNING id`;
  return stored!.id;
}

/** P2002 from the client; a raw statement's reaches us as P2010 carrying the driver's error kind. */
function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, meta } = err as {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
  };
  return (
    code === "P2002" ||
    (code === "P2010" && meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation")
  );
}
