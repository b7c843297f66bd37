// Postgres side of delivering: claim a pending row for one attempt, then record how it went.
import type { Db } from "../db/client.js";
import type { AttemptResult } from "./schedule.js";
import type { SendOutcome } from "./send.js";

export function loadDelivery(db: Db, id: bigint) {
  return db.delivery.findUnique({ where: { id }, include: { notification: true, endpoint: true } });
}

/**
 * Takes the row for attempt `attempt + 1`: only one of several jobs for the same row state wins.
 * `leaseUntil` keeps the relay off the row while the attempt runs.
 */
export async function claimAttempt(db: Db, id: bigint, attempt: number, leaseUntil: Date): Promise<boolean> {
  const { count } = await db.delivery.updateMany({
    where: { id, status: "pending", attemptCount: attempt },
    data: { attemptCount: attempt + 1, nextAttemptAt: leaseUntil, updatedAt: new Date() },
  });
  return count === 1;
}

/** The pending row becomes failed without an attempt (its endpoint was disabled meanwhile). */
export async function failWithoutAttempt(db: Db, id: bigint, attempt: number, reason: string): Promise<void> {
  await db.delivery.updateMany({
    where: { id, status: "pending", attemptCount: attempt },
    data: { status: "failed", nextAttemptAt: null, lastError: reason, updatedAt: new Date() },
  });
}

export async function recordAttempt(
  db: Db,
  claimed: { id: bigint; endpointId: string; attemptCount: number },
  attemptedAt: Date,
  outcome: SendOutcome,
  result: AttemptResult,
): Promise<void> {
  const now = new Date();
  await db.$transaction([
    db.deliveryAttempt.create({
      data: {
        deliveryId: claimed.id,
        attemptedAt,
        durationMs: outcome.durationMs,
        statusCode: outcome.statusCode,
        error: outcome.error,
        responseExcerpt: outcome.responseExcerpt,
      },
    }),
    db.delivery.updateMany({
      where: { id: claimed.id, status: "pending", attemptCount: claimed.attemptCount },
      data: {
        status: result.status,
        nextAttemptAt: result.retryAt,
        lastError: outcome.error,
        updatedAt: now,
        ...(outcome.ok ? { succeededAt: now } : {}),
      },
    }),
    outcome.ok
      ? db.webhookEndpoint.updateMany({
          where: { id: claimed.endpointId, failingSince: { not: null } },
          data: { failingSince: null },
        })
      : db.webhookEndpoint.updateMany({
          where: { id: claimed.endpointId, failingSince: null },
          data: { failingSince: attemptedAt },
        }),
  ]);
}
