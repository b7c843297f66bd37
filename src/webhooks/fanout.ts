// The outbox: delivery rows written in the notification's own transaction, enqueued after commit.
import type { Queue } from "bullmq";
import type { Logger } from "pino";
import type { Prisma } from "../generated/prisma/client.js";
import type { FanOut, StoredNotification } from "../orders/fanout.js";
import { ENQUEUE_WAIT_MS, errorMessage, withTimeout } from "../util.js";
import { addAttempts, attemptJob, type DeliveryJob } from "./queue.js";

/** Enabled endpoints that take this msgType (an empty list means every type). */
export function subscribedTo(msgType: string): Prisma.WebhookEndpointWhereInput {
  return { enabled: true, OR: [{ msgTypes: { isEmpty: true } }, { msgTypes: { has: msgType } }] };
}

/** One row per notification and subscribed endpoint, in one statement (it runs in every apply transaction). */
export async function insertDeliveries(
  tx: Prisma.TransactionClient,
  notifications: StoredNotification[],
): Promise<bigint[]> {
  if (notifications.length === 0) return [];
  // The same filter as subscribedTo(). Fanning the same notification out again adds nothing.
  const rows = await tx.$queryRaw<Array<{ id: bigint }>>`
    INSERT INTO deliveries (notification_id, endpoint_id, next_attempt_at)
    SELECT n.id, e.id, ${new Date()}::timestamptz
      FROM unnest(${notifications.map((n) => n.id)}::bigint[], ${notifications.map((n) => n.msgType)}::text[])
           AS n (id, msg_type)
      JOIN webhook_endpoints e
        ON e.enabled AND (cardinality(e.msg_types) = 0 OR n.msg_type = ANY (e.msg_types))
     ORDER BY n.id, e.id
    ON CONFLICT (notification_id, endpoint_id) DO NOTHING
    RETURNING id`;
  return rows.map((r) => r.id);
}

export function createFanOut(queue: Queue<DeliveryJob>, log: Logger): FanOut {
  return {
    inTransaction: insertDeliveries,
    afterCommit: async (deliveryIds) => {
      if (deliveryIds.length === 0) return;
      try {
        await withTimeout(
          addAttempts(
            queue,
            deliveryIds.map((id) => attemptJob(id, 0)),
          ),
          ENQUEUE_WAIT_MS,
        );
      } catch (err) {
        // Never fails the caller: the rows are committed and the relay enqueues them.
        log.warn(
          { err: errorMessage(err), deliveries: deliveryIds.length },
          "delivery enqueue failed; relay will retry",
        );
      }
    },
  };
}
