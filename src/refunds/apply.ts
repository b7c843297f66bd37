// What one answer of the refund status query (9.2) changes, in one transaction: the refund row, and
// when its status moved, a notification (REFUND_STATUS_NOTIFY, source payzero-query) with its delivery
// rows, exactly as the apply step stores Payzero's messages (src/orders/apply.ts).
import type { Db } from "../db/client.js";
import type { Refund } from "../generated/prisma/client.js";
import { insertNotifications, loadOrders, type Tx } from "../orders/apply-sql.js";
import { orderJson } from "../orders/json.js";
import type { FanOut, IncomingNotification, StoredNotification } from "../orders/notification.js";
import { openSnapshot } from "../orders/personal-data.js";
import { queryBodyKey, unsignedKey } from "../payzero/envelope.js";
import type { QueriedRefund } from "../payzero/query-api.js";
import { isFinalRefundStatus, isRefundProgress, REFUND_STATUS_NOTIFY } from "../payzero/refund.js";
import { nextPollAt } from "./schedule.js";

export interface RefundAnswerResult {
  /** The status moved: a notification was stored and fanned out. */
  changed: boolean;
  refundStatus: string | null;
  /** Asked about again later. */
  polling: boolean;
}

/** Payzero's answer about a registered refund: recorded, and a new event when its status moved. */
export async function applyRefundAnswer(
  db: Db,
  mchtRefundOrderNo: string,
  answer: QueriedRefund,
  askedAt: Date,
  maxAgeSeconds: number,
  fanOut: FanOut,
): Promise<RefundAnswerResult> {
  // Set inside the transaction, so not narrowed to null by TypeScript.
  let outbox = null as { rows: unknown } | null;
  const result = await db.$transaction(async (tx) => {
    const { refund, now } = await lockRefund(tx, mchtRefundOrderNo);
    const status = answer.dto.refundStatus;
    const changed = isRefundProgress(refund.refundStatus, status);
    const version = changed ? refund.version + 1 : refund.version;
    const refundStatus = changed ? status : refund.refundStatus;
    const polls = refund.polls + 1;
    const next = nextPollAt(polls, isFinalRefundStatus(refundStatus), refund.createdAt, now, maxAgeSeconds);
    await tx.refund.update({
      where: { mchtRefundOrderNo },
      data: {
        polls,
        nextPollAt: next,
        lastError: null,
        ...(changed && {
          refundStatus,
          version,
          refundAmount: answer.dto.refundAmount ?? refund.refundAmount,
          updatedAt: now,
        }),
      },
    });
    if (changed) {
      const input: IncomingNotification = {
        msgType: REFUND_STATUS_NOTIFY,
        // Payzero's answer carries no time: the moment it was recorded (Postgres's clock) stands in.
        timestamp: BigInt(now.getTime()),
        msgBody: answer.msgBody,
        receivedAt: askedAt,
        source: "payzero-query",
      };
      outbox = { rows: await storeEvent(tx, refund, input, version, fanOut) };
    }
    return { changed, refundStatus, polling: next !== null };
  });
  if (outbox) fanOut.afterCommit(outbox.rows);
  return result;
}

/** A failed query: one more step of the backoff, the error kept for GET /v1/refunds/:no. */
export async function recordRefundFailure(
  db: Db,
  mchtRefundOrderNo: string,
  error: string,
  maxAgeSeconds: number,
): Promise<void> {
  await db.$transaction(async (tx) => {
    const { refund, now } = await lockRefund(tx, mchtRefundOrderNo);
    const polls = refund.polls + 1;
    await tx.refund.update({
      where: { mchtRefundOrderNo },
      data: {
        polls,
        lastError: error.slice(0, 500),
        nextPollAt: nextPollAt(polls, false, refund.createdAt, now, maxAgeSeconds),
      },
    });
  });
}

async function lockRefund(tx: Tx, mchtRefundOrderNo: string): Promise<{ refund: Refund; now: Date }> {
  const [row] = await tx.$queryRaw<Array<{ now: Date }>>`
    SELECT now()::timestamptz(3) AS now FROM refunds WHERE mcht_refund_order_no = ${mchtRefundOrderNo} FOR UPDATE`;
  const refund = await tx.refund.findUniqueOrThrow({ where: { mchtRefundOrderNo } });
  return { refund, now: row!.now };
}

/**
 * The notification row of a change and its delivery rows. Its key is the body's and the refund's
 * version, so each change is one event (webhook-id) however often it is recorded. Its order_after is
 * the order as it stands: a refund changes neither the order's state nor its version.
 */
async function storeEvent(
  tx: Tx,
  refund: Refund,
  input: IncomingNotification,
  version: number,
  fanOut: FanOut,
): Promise<unknown> {
  const order = (await loadOrders(tx, [refund.mchtOrderNo])).get(refund.mchtOrderNo);
  const key = unsignedKey(input.msgType, input.msgBody, BigInt(version));
  const inserted = await insertNotifications(tx, [
    {
      key,
      bodyKey: queryBodyKey(input.msgType, input.msgBody),
      input,
      body: input.msgBody,
      mchtOrderNo: refund.mchtOrderNo,
      problem: null,
      applied: false,
      changedOrder: false,
      orderAfter: order ? orderJson(order) : null,
    },
  ]);
  const row = inserted.get(key);
  if (!row) return fanOut.inTransaction(tx, []);
  const stored: StoredNotification = {
    id: row.id,
    contentKey: key,
    msgType: input.msgType,
    timestamp: input.timestamp,
    msgBody: input.msgBody,
    source: input.source,
    orderAfter: openSnapshot(key, row.orderAfter),
    traceparent: null,
  };
  return fanOut.inTransaction(tx, [stored]);
}
