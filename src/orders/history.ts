// The timeline operation: one order (payer masked) with everything that happened to it, oldest first:
// its notifications (never their bodies, which hold the payer's data in full), the deliveries of each
// and their attempts, and its refunds. The console draws its timeline from it, the CLI's `order` prints it.

import { parseRefundResult, REFUND_STATUS_NOTIFY } from "../payzero/refund.js";
import { refundsOf } from "../refunds/read.js";
import type { Refusal } from "../refusal.js";
import { deliveryInclude, deliveryView } from "../webhooks/delivery/view.js";
import type { OrdersDeps } from "./deps.js";
import { orderJson } from "./json.js";
import { maskPayer } from "./mask.js";
import { openBody, openOrder } from "./personal-data.js";

/** Notifications shown at most; `truncated` says when there are more. */
export const HISTORY_LIMIT = 500;

export interface Statuses {
  payStatus: string | null;
  declareStatus: string | null;
}

/** The order (masked) and its history oldest first; a 404 when neither exists. */
export async function orderHistory(deps: OrdersDeps, input: { mchtOrderNo: string }) {
  const { db } = deps;
  const { mchtOrderNo } = input;
  const [order, notifications, refunds] = await Promise.all([
    db.order.findUnique({ where: { mchtOrderNo } }),
    db.notification.findMany({
      where: { mchtOrderNo },
      orderBy: { id: "asc" },
      take: HISTORY_LIMIT,
      include: {
        deliveries: {
          orderBy: { id: "asc" },
          include: {
            ...deliveryInclude,
            endpoint: { select: { url: true, description: true, enabled: true } },
          },
        },
      },
    }),
    refundsOf(deps, mchtOrderNo),
  ]);
  if (!order && notifications.length === 0) return { code: 404, message: "no such order" } satisfies Refusal;
  return {
    order: order ? maskPayer(orderJson(openOrder(order))) : null,
    truncated: notifications.length === HISTORY_LIMIT,
    refunds,
    notifications: notifications.map((n) => ({
      id: String(n.id),
      msgType: n.msgType,
      payzeroTime: new Date(Number(n.timestamp)),
      /** Payzero's, ms since the epoch, as sent. */
      timestamp: n.timestamp,
      receivedAt: n.receivedAt,
      storedAt: n.storedAt,
      source: n.source,
      problem: n.problem,
      applied: n.applied,
      changedOrder: n.changedOrder,
      statusesAfter: statusesOf(n.orderAfter),
      refund: n.msgType === REFUND_STATUS_NOTIFY ? refundOf(openBody(n.contentKey, n.msgBody)) : null,
      deliveries: n.deliveries.map((d) => ({
        ...deliveryView(d),
        endpoint: d.endpoint,
      })),
    })),
  };
}

export type OrderHistory = Exclude<Awaited<ReturnType<typeof orderHistory>>, Refusal>;
export type MaskedOrder = NonNullable<OrderHistory["order"]>;
export type HistoryNotification = OrderHistory["notifications"][number];
export type HistoryDelivery = HistoryNotification["deliveries"][number];

/** Only the statuses of the stored order snapshot: the rest holds the payer's data in full. */
function statusesOf(orderAfter: unknown): Statuses | null {
  if (orderAfter === null || typeof orderAfter !== "object") return null;
  const o = orderAfter as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  return { payStatus: text(o.payStatus), declareStatus: text(o.declareStatus) };
}

/** A refund event's refund and status (its body holds no personal data); null once pruned. */
function refundOf(msgBody: string | null): { mchtRefundOrderNo: string; refundStatus: string } | null {
  if (msgBody === null) return null;
  try {
    const parsed = parseRefundResult(JSON.parse(msgBody));
    return parsed.ok
      ? { mchtRefundOrderNo: parsed.dto.mchtRefundOrderNo, refundStatus: parsed.dto.refundStatus }
      : null;
  } catch {
    return null;
  }
}
