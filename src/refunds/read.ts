// Reading refunds for the three doors: one refund, an order's refunds.
import type { OrdersDeps } from "../orders/deps.js";
import type { Refusal } from "../refusal.js";
import { type RefundJson, refundJson } from "./json.js";

export async function getRefund(
  { db }: OrdersDeps,
  input: { mchtRefundOrderNo: string },
): Promise<RefundJson | Refusal> {
  const row = await db.refund.findUnique({ where: { mchtRefundOrderNo: input.mchtRefundOrderNo } });
  return row ? refundJson(row) : { code: 404, message: "no such refund" };
}

/** The order's refunds, oldest registration first. */
export async function refundsOf({ db }: OrdersDeps, mchtOrderNo: string): Promise<RefundJson[]> {
  const rows = await db.refund.findMany({
    where: { mchtOrderNo },
    orderBy: [{ createdAt: "asc" }, { mchtRefundOrderNo: "asc" }],
  });
  return rows.map(refundJson);
}
