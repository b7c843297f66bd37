// Registering a refund the merchant applied for with Payzero (section 9.1) so that the service asks
// about it (9.2) until it is final and forwards every change (POST /v1/refunds, CLI `refund register`).
// The service never applies for a refund itself: it moves no money.
import type { Actor } from "../actor.js";
import { registerOrders } from "../orders/apply-sql.js";
import type { OrdersDeps } from "../orders/deps.js";
import { MAX_ORDER_NO_LENGTH } from "../orders/expected.js";
import type { Refusal } from "../refusal.js";
import { type RefundJson, refundJson } from "./json.js";

export interface RefundInput {
  mchtRefundOrderNo: string;
  mchtOrderNo: string;
  /** Fen, as applied for; absent: Payzero's answer says it. */
  refundAmount?: number | null;
}

export interface RegisteredRefund {
  refund: RefundJson;
  /** False when it was registered before (the same refund of the same order): nothing changed. */
  created: boolean;
}

function numberProblem(name: string, value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return `${name} is required`;
  if (value.length > MAX_ORDER_NO_LENGTH) return `${name} is longer than ${MAX_ORDER_NO_LENGTH} characters`;
  if (value.includes("\u0000") || /\p{Cs}/u.test(value)) return `${name} is not text (NUL or lone surrogate)`;
  return undefined;
}

/** The first problem of the input, or undefined. Pure. */
export function refundInputProblem(input: RefundInput): string | undefined {
  const amount = input.refundAmount;
  return (
    numberProblem("mchtRefundOrderNo", input.mchtRefundOrderNo) ??
    numberProblem("mchtOrderNo", input.mchtOrderNo) ??
    (amount !== undefined && amount !== null && !(Number.isSafeInteger(amount) && amount > 0)
      ? "refundAmount must be a positive integer (fen)"
      : undefined)
  );
}

/**
 * Registers the refund, idempotently on mchtRefundOrderNo: the same refund again changes nothing (200),
 * the same number for another order or another amount is refused (409). An order the service has not
 * seen yet gets a row with no status (as a problem message's order does), so its page shows the
 * refund and the reconciler asks about it. Asked about at the next
 * poll run (src/refunds/schedule.ts).
 */
export async function registerRefund(
  deps: OrdersDeps,
  actor: Actor,
  input: RefundInput,
): Promise<RegisteredRefund | Refusal> {
  const problem = refundInputProblem(input);
  if (problem) return { code: 400, message: problem };
  const amount = input.refundAmount ?? null;
  const [inserted] = await deps.db.$queryRaw<Array<{ mchtRefundOrderNo: string }>>`
    INSERT INTO refunds (mcht_refund_order_no, mcht_order_no, refund_amount, next_poll_at)
    VALUES (${input.mchtRefundOrderNo}, ${input.mchtOrderNo}, ${amount === null ? null : BigInt(amount)}, now())
    ON CONFLICT (mcht_refund_order_no) DO NOTHING
    RETURNING mcht_refund_order_no AS "mchtRefundOrderNo"`;
  const row = await deps.db.refund.findUniqueOrThrow({
    where: { mchtRefundOrderNo: input.mchtRefundOrderNo },
  });
  if (!inserted) {
    if (row.mchtOrderNo !== input.mchtOrderNo)
      return { code: 409, message: `refund ${row.mchtRefundOrderNo} is registered for another order` };
    if (amount !== null && row.refundAmount !== null && row.refundAmount !== BigInt(amount))
      return {
        code: 409,
        message: `refund ${row.mchtRefundOrderNo} is registered with another refundAmount`,
      };
    return { refund: refundJson(row), created: false };
  }
  await registerOrders(deps.db, [input.mchtOrderNo]);
  await deps.recordWrite({
    actor,
    action: "refund.register",
    target: input.mchtRefundOrderNo,
    summary: { mchtOrderNo: input.mchtOrderNo, refundAmount: amount },
  });
  return { refund: refundJson(row), created: true };
}
