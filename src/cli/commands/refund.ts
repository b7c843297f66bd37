// `refund register` and `refund show`: like POST /v1/refunds and GET /v1/refunds/:mchtRefundOrderNo.

import type { RefundJson } from "../../refunds/json.js";
import { getRefund } from "../../refunds/read.js";
import { registerRefund } from "../../refunds/register.js";
import { isRefusal } from "../../refusal.js";
import { type CommandContext, EXIT, printJson } from "../context.js";
import { cell } from "../table.js";

export async function registerRefundCommand(
  { orders, actor, out }: CommandContext,
  opts: { json: boolean; mchtRefundOrderNo: string; mchtOrderNo: string; refundAmount: number | null },
): Promise<number> {
  const result = await registerRefund(orders, actor, opts);
  if (isRefusal(result)) {
    out.error(cell(result.message, 300));
    return EXIT.notFound;
  }
  if (opts.json) printJson(out, result.refund);
  else
    out.print(
      `${result.created ? "registered" : "already registered"}: ${describe(result.refund)}; polled until final`,
    );
  return EXIT.ok;
}

export async function showRefundCommand(
  { orders, out }: CommandContext,
  opts: { json: boolean; mchtRefundOrderNo: string },
): Promise<number> {
  const refund = await getRefund(orders, opts);
  if (isRefusal(refund)) {
    out.error(refund.message);
    return EXIT.notFound;
  }
  if (opts.json) printJson(out, refund);
  else {
    out.print(describe(refund));
    out.print(
      `polls: ${refund.polls}, next: ${refund.nextPollAt ?? (refund.final ? "none (final)" : "none (given up)")}`,
    );
    if (refund.lastError) out.print(`last error: ${cell(refund.lastError, 300)}`);
  }
  return EXIT.ok;
}

function describe(r: RefundJson): string {
  const amount = r.refundAmount === null ? "amount unknown" : `${r.refundAmount} fen`;
  return `refund ${cell(r.mchtRefundOrderNo, 200)} of order ${cell(r.mchtOrderNo, 200)}, ${amount}, status ${r.refundStatus ?? "not answered yet"}`;
}
