// Payzero's refunds (section 9): the statuses of appendix A.8 in the order a refund moves through them,
// and the answer of the refund status query (9.2) read. Pure. The service never applies for a refund
// (9.1, POST /order/refund): the merchant does, and registers it here to have it watched.

export const REFUND_STATUS_NOTIFY = "REFUND_STATUS_NOTIFY";

/** Appendix A.8, in lifecycle order; the last two are final. */
const REFUND_STATUSES = ["REFUND_INIT", "REFUND_REQUESTED", "REFUND_SUCCEED", "REFUND_FAILED"] as const;
const REFUND_SUCCEED = "REFUND_SUCCEED";
const REFUND_FAILED = "REFUND_FAILED";

export function isFinalRefundStatus(status: string | null): boolean {
  return status === REFUND_SUCCEED || status === REFUND_FAILED;
}

/** Position in the lifecycle; unknown statuses rank -1 (stored and forwarded, never final). */
export function refundStatusRank(status: string): number {
  return (REFUND_STATUSES as readonly string[]).indexOf(status);
}

/**
 * Whether Payzero's answer is a change worth an event: a status other than the stored one that does not
 * go back (a final status stays; a known status never gives way to an earlier known one).
 */
export function isRefundProgress(stored: string | null, answered: string): boolean {
  if (stored === null) return true;
  if (answered === stored || isFinalRefundStatus(stored)) return false;
  const [from, to] = [refundStatusRank(stored), refundStatusRank(answered)];
  return from < 0 || to < 0 || to > from;
}

/** The data of a 9.2 answer (the 9.1 answer has the same shape). */
export interface RefundResultDto {
  mchtOrderNo: string | null;
  mchtRefundOrderNo: string;
  /** Fen. */
  refundAmount: number | null;
  refundStatus: string;
}

export type ParsedRefund = { ok: true; dto: RefundResultDto } | { ok: false; problem: string };

/** Reads a 9.2 `data` (already JSON-decoded). */
export function parseRefundResult(data: unknown): ParsedRefund {
  if (data === null || typeof data !== "object" || Array.isArray(data))
    return { ok: false, problem: "data is not an object" };
  const d = data as Record<string, unknown>;
  if (typeof d.mchtRefundOrderNo !== "string" || d.mchtRefundOrderNo === "")
    return { ok: false, problem: "mchtRefundOrderNo is missing" };
  if (typeof d.refundStatus !== "string" || d.refundStatus === "")
    return { ok: false, problem: "refundStatus is missing" };
  const amount =
    typeof d.refundAmount === "number"
      ? d.refundAmount
      : typeof d.refundAmount === "string" && /^\d{1,15}$/.test(d.refundAmount)
        ? Number(d.refundAmount)
        : null;
  return {
    ok: true,
    dto: {
      mchtOrderNo: typeof d.mchtOrderNo === "string" ? d.mchtOrderNo : null,
      mchtRefundOrderNo: d.mchtRefundOrderNo,
      refundAmount: amount !== null && Number.isSafeInteger(amount) && amount >= 0 ? amount : null,
      refundStatus: d.refundStatus,
    },
  };
}
