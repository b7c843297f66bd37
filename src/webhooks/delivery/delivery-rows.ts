// Fan-out: the delivery rows of a batch of notifications, written in the transaction that stored them
// and held by this process, which dispatches them as soon as that transaction commits.
import type { Prisma } from "../../generated/prisma/client.js";
import type { FanOut, StoredNotification } from "../../orders/notification.js";
import { PAYZERO_MSG_TYPES } from "../../payzero/envelope.js";
import { REFUND_STATUS_NOTIFY } from "../../payzero/refund.js";
import {
  type FilteredMessage,
  forwardedByDefault,
  type MessageStatuses,
  messageStatuses,
} from "../endpoints/filters.js";
import { ENDPOINT_COLUMNS, type HeldDelivery, type HeldRow, held, interval } from "./delivery-queue.js";
import type { Dispatcher } from "./dispatcher.js";
import type { PayloadSource } from "./payload.js";

/**
 * Enabled endpoints that take this message: its msgType and statuses (an empty list means any; no
 * msgType filter takes only the types Payzero sends; see filters.ts).
 */
export function subscribedTo(
  message: FilteredMessage,
  statuses: MessageStatuses,
): Prisma.WebhookEndpointWhereInput {
  const within = (field: "payStatuses" | "declareStatuses", value: string | null) =>
    value === null
      ? { [field]: { isEmpty: true } }
      : { OR: [{ [field]: { isEmpty: true } }, { [field]: { has: value } }] };
  return {
    enabled: true,
    AND: [
      forwardedByDefault(message)
        ? { OR: [{ msgTypes: { isEmpty: true } }, { msgTypes: { has: message.msgType } }] }
        : { msgTypes: { has: message.msgType } },
      within("payStatuses", statuses.payStatus),
      within("declareStatuses", statuses.declareStatus),
    ],
  };
}

type InsertedRow = Omit<HeldRow, keyof PayloadSource> & { notificationId: bigint };

/**
 * One row per notification and subscribed endpoint, in one statement, held by this process for
 * `leaseMs` (the time it may take to send them; past it any process may claim them). Rows of
 * per-order endpoints are not held (returned, but due at once): a claim takes them, which is where the
 * gate that keeps an order's deliveries in order is (claimDue).
 */
export async function insertDeliveries(
  tx: Prisma.TransactionClient,
  notifications: StoredNotification[],
  leaseMs: number,
): Promise<HeldDelivery[]> {
  if (notifications.length === 0) return [];
  // Before the statement: the hold is certain until then + leaseMs on this process's clock.
  const localDeadline = Date.now() + leaseMs;
  // The same filter as subscribedTo(). Fanning the same notification out again adds nothing.
  const statuses = notifications.map((n) => messageStatuses(n.msgBody));
  const rows = await tx.$queryRaw<InsertedRow[]>`
    WITH inserted AS (
      INSERT INTO deliveries (notification_id, endpoint_id, next_attempt_at)
      SELECT n.id, e.id,
             statement_timestamp() + CASE WHEN e.ordering = 'per-order' THEN interval '0' ELSE ${interval(leaseMs)} END
        FROM unnest(${notifications.map((n) => n.id)}::bigint[], ${notifications.map((n) => n.msgType)}::text[],
                    ${statuses.map((s) => s.payStatus)}::text[], ${statuses.map((s) => s.declareStatus)}::text[],
                    ${notifications.map((n) => n.source)}::text[])
             AS n (id, msg_type, pay_status, declare_status, source)
        JOIN webhook_endpoints e
          ON e.enabled
         -- No msgType filter: forwardedByDefault (filters.ts): the types Payzero sends (it does not sign
         -- msgType) and the refund events found by asking Payzero.
         AND ((cardinality(e.msg_types) = 0
               AND (n.msg_type = ANY (${[...PAYZERO_MSG_TYPES]}::text[])
                    OR (n.msg_type = ${REFUND_STATUS_NOTIFY} AND n.source = 'payzero-query')))
              OR n.msg_type = ANY (e.msg_types))
         -- A NULL status (none in the message) is not = ANY of a list: only endpoints without that filter.
         AND (cardinality(e.pay_statuses) = 0 OR n.pay_status = ANY (e.pay_statuses))
         AND (cardinality(e.declare_statuses) = 0 OR n.declare_status = ANY (e.declare_statuses))
       ORDER BY n.id, e.id
      ON CONFLICT (notification_id, endpoint_id) DO NOTHING
      RETURNING id, notification_id, endpoint_id, next_attempt_at
    )
    SELECT i.id, i.notification_id AS "notificationId", i.endpoint_id AS "endpointId", 0 AS "attemptCount",
           false AS "manualRetry", 0 AS "throttledCount", i.next_attempt_at AS "heldUntil", ${ENDPOINT_COLUMNS}
      FROM inserted i JOIN webhook_endpoints e ON e.id = i.endpoint_id
     ORDER BY i.id`;
  const byId = new Map(notifications.map((n) => [n.id, n]));
  // The notification's fields first: the row's own id (the delivery's) wins.
  return rows.map((r) => held({ ...byId.get(r.notificationId)!, ...r }, localDeadline));
}

const perOrder = (row: HeldDelivery) => row.endpoint.ordering === "per-order";

/** `claimSoon` asks this process's poller for a claim (the per-order rows wait for one). */
export function createFanOut(
  dispatcher: Dispatcher,
  leaseMs: number,
  claimSoon: () => void,
): FanOut<HeldDelivery[]> {
  return {
    inTransaction: (tx, notifications) => insertDeliveries(tx, notifications, leaseMs),
    afterCommit: (rows) => {
      const sendNow = rows.filter((r) => !perOrder(r));
      dispatcher.submit(sendNow);
      if (sendNow.length < rows.length) claimSoon();
    },
  };
}

/**
 * Fan-out for a process that sends nothing itself (the api role's POST …/query, the CLI): its rows are due
 * at once, and a worker process's claim sends them.
 */
export const claimedFanOut: FanOut<HeldDelivery[]> = {
  inTransaction: (tx, notifications) => insertDeliveries(tx, notifications, 0),
  afterCommit: () => {},
};
