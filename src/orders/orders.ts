// Operations on orders for the three doors (/v1, the console, the CLI): one order, a page of orders.
// Each returns the view /v1 shows (orders/json.ts) or a Refusal, the payer's fields masked
// (orders/mask.ts) unless the caller may see personal data.
import { pageOf } from "../db/page.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { RefundJson } from "../refunds/json.js";
import { refundsOf } from "../refunds/read.js";
import type { Refusal } from "../refusal.js";
import type { OrdersDeps } from "./deps.js";
import { type OrderJson, orderJson } from "./json.js";
import { maskPayer } from "./mask.js";
import { openOrder } from "./personal-data.js";

/** The order as shown: the payer's fields masked unless `personalData`. */
const shown = (personalData: boolean) => (order: OrderJson) => (personalData ? order : maskPayer(order));

/** One order, with the refunds registered for it (src/refunds). */
export async function getOrder(
  deps: OrdersDeps,
  input: { mchtOrderNo: string; personalData: boolean },
): Promise<(OrderJson & { refunds: RefundJson[] }) | Refusal> {
  const order = await deps.db.order.findUnique({ where: { mchtOrderNo: input.mchtOrderNo } });
  if (!order) return { code: 404, message: "no such order" };
  const view = shown(input.personalData)(orderJson(openOrder(order)));
  return { ...view, refunds: await refundsOf(deps, order.mchtOrderNo) };
}

export interface OrderFilter {
  /** Order numbers starting with this text (taken literally: no wildcard). */
  prefix?: string;
  payStatus?: string;
  declareStatus?: string;
  /** The last mchtOrderNo of the previous page. */
  after?: string;
  limit: number;
  /** Payer fields unmasked. */
  personalData: boolean;
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
  return { items: items.map((o) => orderJson(openOrder(o))).map(shown(f.personalData)), next };
}
