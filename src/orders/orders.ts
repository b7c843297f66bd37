// Operations on orders for the three doors (/v1, the console, the CLI): one order, a page of orders.
// Each returns the view /v1 shows (orders/json.ts) or a Refusal; the console and the CLI mask the
// payer themselves (orders/mask.ts), as they always did.
import { pageOf } from "../db/page.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { Refusal } from "../refusal.js";
import type { OrdersDeps } from "./deps.js";
import { type OrderJson, orderJson } from "./json.js";
import { openOrder } from "./personal-data.js";

export async function getOrder(
  { db }: OrdersDeps,
  input: { mchtOrderNo: string },
): Promise<OrderJson | Refusal> {
  const order = await db.order.findUnique({ where: { mchtOrderNo: input.mchtOrderNo } });
  return order ? orderJson(openOrder(order)) : { code: 404, message: "no such order" };
}

export interface OrderFilter {
  /** Order numbers starting with this text (taken literally: no wildcard). */
  prefix?: string;
  payStatus?: string;
  declareStatus?: string;
  /** The last mchtOrderNo of the previous page. */
  after?: string;
  limit: number;
}

export interface OrderPage {
  items: OrderJson[];
  /** The last item's mchtOrderNo when there are more; null on the last page. */
  next: string | null;
}

/** Orders by status (and prefix), in mchtOrderNo order. */
export async function listOrders({ db }: OrdersDeps, f: OrderFilter): Promise<OrderPage> {
  const mchtOrderNo: Prisma.StringFilter = {};
  // Prisma passes startsWith to LIKE as it is: its wildcards must match only themselves.
  if (f.prefix) mchtOrderNo.startsWith = f.prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  if (f.after !== undefined) mchtOrderNo.gt = f.after;
  const rows = await db.order.findMany({
    where: {
      ...((f.prefix || f.after !== undefined) && { mchtOrderNo }),
      ...(f.payStatus && { payStatus: f.payStatus }),
      ...(f.declareStatus && { declareStatus: f.declareStatus }),
    },
    orderBy: { mchtOrderNo: "asc" },
    take: f.limit + 1,
  });
  const { items, next } = pageOf(rows, f.limit, (row) => row.mchtOrderNo);
  return { items: items.map((o) => orderJson(openOrder(o))), next };
}
