// Payzero's status codes (appendix A.1 and A.2 of the QuickPay API), in the order an order moves through them.

export const PAY_STATUSES = [
  "INIT_FEE_PENDING",
  "NOT_PAYED",
  "PAY_APPLIED",
  "PAY_SMS_CONFIRMED",
  "PAY_FAILED",
  "PAY_SUCCEED",
] as const;

export const DECLARE_STATUSES = [
  "NOT_DECLARED",
  "PENDING_DECLARE",
  "DECLARING",
  "DECLARE_FAILED",
  "DECLARED",
] as const;

/** Terminal successes: never replaced by an earlier state, whatever the timestamps say. */
export const PAY_SUCCEED = "PAY_SUCCEED";
export const DECLARED = "DECLARED";
/** Not in appendix A.1 but in section 2.5's example rows: an order that will never be paid. */
export const PAY_CANCELLED = "PAY_CANCELLED";

/** Position in the lifecycle; unknown statuses (the doc's own example shows PAY_CANCELLED) rank -1. */
export function payStatusRank(status: string): number {
  return (PAY_STATUSES as readonly string[]).indexOf(status);
}

export function declareStatusRank(status: string): number {
  return (DECLARE_STATUSES as readonly string[]).indexOf(status);
}
