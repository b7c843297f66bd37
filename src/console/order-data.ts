// What the order pages read: a page of orders by prefix and status, and one order with everything that
// happened to it (notifications, the deliveries of each, their attempts). Payer data masked as the CLI does.

import { deliveryInclude, deliveryView } from "../api/views/deliveries.js";
import { maskPayer } from "../cli/mask.js";
import type { Db } from "../db/client.js";
import type { Prisma } from "../generated/prisma/client.js";
import { orderJson } from "../orders/json.js";

const ORDERS_PER_PAGE = 50;
const HISTORY_LIMIT = 500;

export interface OrderFilter {
  prefix: string;
  payStatus: string;
  declareStatus: string;
  /** The last mchtOrderNo of the previous page. */
  after: string;
}

export async function findOrders(db: Db, f: OrderFilter) {
  const mchtOrderNo: Prisma.StringFilter = {};
  // Prisma passes startsWith to LIKE as it is: its wildcards must match only themselves.
  if (f.prefix) mchtOrderNo.startsWith = f.prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  if (f.after) mchtOrderNo.gt = f.after;
  const rows = await db.order.findMany({
    where: {
      ...((f.prefix || f.after) && { mchtOrderNo }),
      ...(f.payStatus && { payStatus: f.payStatus }),
      ...(f.declareStatus && { declareStatus: f.declareStatus }),
    },
    orderBy: { mchtOrderNo: "asc" },
    take: ORDERS_PER_PAGE + 1,
  });
  const items = rows.slice(0, ORDERS_PER_PAGE).map((o) => maskPayer(orderJson(o)));
  const last = items.at(-1);
  return { items, next: rows.length > ORDERS_PER_PAGE && last ? last.mchtOrderNo : null };
}

export type MaskedOrder = ReturnType<typeof maskPayer<ReturnType<typeof orderJson>>>;

/** The order (masked) and its history oldest first; null when neither exists. */
export async function loadOrder(db: Db, mchtOrderNo: string) {
  const [order, notifications] = await Promise.all([
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
  ]);
  if (!order && notifications.length === 0) return null;
  return {
    order: order ? maskPayer(orderJson(order)) : null,
    truncated: notifications.length === HISTORY_LIMIT,
    notifications: notifications.map((n) => ({
      id: String(n.id),
      msgType: n.msgType,
      payzeroTime: new Date(Number(n.timestamp)),
      receivedAt: n.receivedAt,
      storedAt: n.storedAt,
      source: n.source,
      problem: n.problem,
      applied: n.applied,
      changedOrder: n.changedOrder,
      statusesAfter: statusesOf(n.orderAfter),
      deliveries: n.deliveries.map((d) => ({
        ...deliveryView(d),
        endpoint: d.endpoint,
      })),
    })),
  };
}

type OrderHistory = NonNullable<Awaited<ReturnType<typeof loadOrder>>>;
export type HistoryNotification = OrderHistory["notifications"][number];
export type HistoryDelivery = HistoryNotification["deliveries"][number];

export interface Statuses {
  payStatus: string | null;
  declareStatus: string | null;
}

/** Only the statuses of the stored order snapshot: the rest holds the payer's data in full. */
function statusesOf(orderAfter: unknown): Statuses | null {
  if (orderAfter === null || typeof orderAfter !== "object") return null;
  const o = orderAfter as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  return { payStatus: text(o.payStatus), declareStatus: text(o.declareStatus) };
}
