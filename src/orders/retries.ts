// Retries the merchant announces (POST /v1/orders/:mchtOrderNo/retries, CLI `order retry`, the console's
// order page). After PAY_FAILED a merchant may have Payzero pay again (sections 2.7, 4.2, 5.5, 6.2), and
// after DECLARE_FAILED declare again (8.1). A retry that fails the same way is notified with content
// identical to the first failure, which the apply step would take for Payzero's resend of it. Announced,
// the next notification of that kind about the order is a new event: stored under a key of its own,
// forwarded with a new webhook-id, order.version +1. The apply step consumes the announcement under the
// order's lock (apply.ts), so it is used once however many workers or copies race for it.
import type { Actor } from "../actor.js";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../payzero/envelope.js";
import { DECLARED, PAY_CANCELLED, PAY_SUCCEED } from "../payzero/statuses.js";
import type { Refusal } from "../refusal.js";
import type { OrdersDeps } from "./deps.js";
import { expectOrders, orderNosProblem } from "./expected.js";
import { type OrderJson, orderJson } from "./json.js";
import { maskPayer } from "./mask.js";
import { openOrder } from "./personal-data.js";

export const RETRY_KINDS = ["pay", "declare"] as const;
export type RetryKind = (typeof RETRY_KINDS)[number];

/** The kind of retry a message type reports the outcome of, or null. */
export function retryKindOf(msgType: string): RetryKind | null {
  return msgType === PAY_STATUS_NOTIFY ? "pay" : msgType === DECLARE_STATUS_NOTIFY ? "declare" : null;
}

/** A pending announcement, as the apply step reads it. */
export interface PendingRetry {
  mchtOrderNo: string;
  kind: RetryKind;
  generation: number;
}

/** Why the order's state (null: not known here) allows no retry of this kind, or undefined. Pure. */
export function retryConflict(
  kind: RetryKind,
  order: { payStatus: string | null; declareStatus: string | null } | null,
): string | undefined {
  if (kind === "pay") {
    if (order?.payStatus === PAY_SUCCEED || order?.payStatus === PAY_CANCELLED)
      return `the order is ${order.payStatus}: sections 2.7, 4.2, 5.5 and 6.2 pay again an unpaid or failed order only`;
    return undefined;
  }
  if (order?.payStatus !== PAY_SUCCEED)
    return `the order is ${order?.payStatus ?? "not known to be paid"}: section 8.1 declares paid orders only`;
  if (order.declareStatus === DECLARED) return "the order is DECLARED already: nothing to declare again";
  return undefined;
}

export interface AnnouncedRetry {
  mchtOrderNo: string;
  kind: RetryKind;
  /** 1 for the order's first announcement of this kind, +1 for each after the previous one was consumed. */
  generation: number;
  announcedAt: string;
  /** False when this kind's announcement was still pending: it stands, unchanged (idempotent). */
  added: boolean;
  /** The order was not known: it is registered as expected (POST /v1/orders/expected). */
  registered: boolean;
  /** The order as it stands, the payer's data masked (an orders:expect token reads no personal data). */
  order: OrderJson | null;
}

/**
 * Records that the merchant asked Payzero to pay or declare the order again. 400 for a bad kind or
 * number, 409 when the order's state allows no such retry (retryConflict); nothing written then. A
 * pay retry of an order not known here registers it as expected, so the reconciler asks about it.
 */
export async function announceRetry(
  deps: OrdersDeps,
  actor: Actor,
  input: { mchtOrderNo: string; kind: string },
): Promise<AnnouncedRetry | Refusal> {
  const { mchtOrderNo, kind } = input;
  const badNo = orderNosProblem([mchtOrderNo]);
  if (badNo) return { code: 400, message: badNo.replace("mchtOrderNos[0]", "mchtOrderNo") };
  if (!(RETRY_KINDS as readonly string[]).includes(kind))
    return { code: 400, message: `kind must be "pay" or "declare", not ${JSON.stringify(kind)}` };
  const retryKind = kind as RetryKind;
  const before = await deps.db.order.findUnique({ where: { mchtOrderNo } });
  const conflict = retryConflict(retryKind, before);
  if (conflict) return { code: 409, message: `no ${retryKind} retry of ${mchtOrderNo}: ${conflict}` };
  const registered = before === null && (await expectOrders(deps.db, [mchtOrderNo], null)).added > 0;
  const previous = await deps.db.orderRetry.findUnique({
    where: { mchtOrderNo_kind: { mchtOrderNo, kind: retryKind } },
  });
  const added = previous === null || previous.consumedAt !== null;
  // A pending announcement stands as it is; a consumed one is followed by the next generation.
  const [row] = await deps.db.$queryRaw<Array<{ generation: number; announcedAt: Date }>>`
    INSERT INTO order_retries (mcht_order_no, kind) VALUES (${mchtOrderNo}, ${retryKind})
    ON CONFLICT (mcht_order_no, kind) DO UPDATE
       SET generation = order_retries.generation + (order_retries.consumed_at IS NOT NULL)::int,
           announced_at = CASE WHEN order_retries.consumed_at IS NULL THEN order_retries.announced_at ELSE now() END,
           notification_id = CASE WHEN order_retries.consumed_at IS NULL THEN order_retries.notification_id END,
           consumed_at = NULL
    RETURNING generation, announced_at AS "announcedAt"`;
  await deps.recordWrite({
    actor,
    action: "order.retry",
    target: mchtOrderNo,
    summary: { kind: retryKind, generation: row!.generation, added, registered },
  });
  const order = await deps.db.order.findUnique({ where: { mchtOrderNo } });
  return {
    mchtOrderNo,
    kind: retryKind,
    generation: row!.generation,
    announcedAt: row!.announcedAt.toISOString(),
    added,
    registered,
    order: order ? maskPayer(orderJson(openOrder(order))) : null,
  };
}

/** The order's pending announcements (its order page, GET …/retries is not needed: they show there). */
export async function pendingRetries(deps: OrdersDeps, mchtOrderNo: string) {
  return deps.db.orderRetry.findMany({
    where: { mchtOrderNo, consumedAt: null },
    orderBy: { kind: "asc" },
    select: { kind: true, generation: true, announcedAt: true },
  });
}
