// A delivery as /v1/deliveries shows it (schemas/deliveries.ts), with its attempts: BigInt ids as
// decimal strings, times as ISO. The console and the CLI show the same.
import { webhookMessageId } from "./payload.js";

/** What deliveryView needs of a row: the delivery, its notification's key and type, its attempts. */
export const deliveryInclude = {
  notification: { select: { msgType: true, contentKey: true } },
  attempts: { orderBy: { id: "asc" } },
} as const;

interface DeliveryRow {
  id: bigint;
  notificationId: bigint;
  endpointId: string;
  status: string;
  attemptCount: number;
  throttledCount: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  succeededAt: Date | null;
  notification: { msgType: string; contentKey: string };
  attempts: Array<{
    id: bigint;
    attemptedAt: Date;
    durationMs: number;
    statusCode: number | null;
    error: string | null;
    responseExcerpt: string | null;
  }>;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function deliveryView(d: DeliveryRow) {
  return {
    id: String(d.id),
    webhookId: d.endpointId,
    notificationId: String(d.notificationId),
    msgType: d.notification.msgType,
    messageId: webhookMessageId(d.notification.contentKey),
    status: d.status as "pending" | "succeeded" | "failed",
    attemptCount: d.attemptCount,
    throttledCount: d.throttledCount,
    nextAttemptAt: iso(d.nextAttemptAt),
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    succeededAt: iso(d.succeededAt),
    attempts: d.attempts.map((a) => ({
      id: String(a.id),
      attemptedAt: a.attemptedAt.toISOString(),
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      error: a.error,
      responseExcerpt: a.responseExcerpt,
    })),
  };
}
