// The outbox: delivery rows written in the notification's own transaction, enqueued after commit.
import type { Queue } from "bullmq";
import type { Logger } from "pino";
import type { Prisma } from "../generated/prisma/client.js";
import type { FanOut, StoredNotification } from "../orders/fanout.js";
import { addAttempts, attemptJob, type DeliveryJob } from "./queue.js";
import { ENQUEUE_WAIT_MS, errorMessage, withTimeout } from "./util.js";

/** Enabled endpoints that take this msgType (an empty list means every type). */
export function subscribedTo(msgType: string): Prisma.WebhookEndpointWhereInput {
  return { enabled: true, OR: [{ msgTypes: { isEmpty: true } }, { msgTypes: { has: msgType } }] };
}

export async function insertDeliveries(
  tx: Prisma.TransactionClient,
  notification: StoredNotification,
): Promise<bigint[]> {
  const endpoints = await tx.webhookEndpoint.findMany({
    where: subscribedTo(notification.msgType),
    select: { id: true },
  });
  if (endpoints.length === 0) return [];
  const now = new Date();
  const rows = await tx.delivery.createManyAndReturn({
    data: endpoints.map((e) => ({ notificationId: notification.id, endpointId: e.id, nextAttemptAt: now })),
    // Fanning the same notification out again adds nothing: one row per (notification, endpoint).
    skipDuplicates: true,
    select: { id: true },
  });
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
