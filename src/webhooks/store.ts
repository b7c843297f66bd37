// Postgres side of delivering: claim a pending row for one attempt, then record how it went.
import type { Db } from "../db/client.js";
import type { PayloadSource } from "./payload.js";
import type { AttemptResult } from "./schedule.js";
import type { SendOutcome } from "./send.js";

export interface LoadedDelivery {
  id: bigint;
  status: string;
  attemptCount: number;
  endpointId: string;
  endpoint: { url: string; secret: string; enabled: boolean };
  notification: PayloadSource;
}

/** One flat row of the join below: the delivery's own columns, its endpoint's and its notification's. */
type LoadedRow = Omit<LoadedDelivery, "endpoint" | "notification"> &
  LoadedDelivery["endpoint"] &
  PayloadSource;

/** The row, its endpoint and its notification in one statement (every attempt reads them). */
export async function loadDelivery(db: Db, id: bigint): Promise<LoadedDelivery | null> {
  const rows = await db.$queryRaw<LoadedRow[]>`
    SELECT d.id, d.status, d.attempt_count AS "attemptCount", d.endpoint_id AS "endpointId",
           e.url, e.secret, e.enabled,
           n.content_key AS "contentKey", n.msg_type AS "msgType", n.timestamp, n.msg_body AS "msgBody",
           n.source, n.order_after AS "orderAfter"
      FROM deliveries d
      JOIN webhook_endpoints e ON e.id = d.endpoint_id
      JOIN notifications n ON n.id = d.notification_id
     WHERE d.id = ${id}`;
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    status: r.status,
    attemptCount: r.attemptCount,
    endpointId: r.endpointId,
    endpoint: { url: r.url, secret: r.secret, enabled: r.enabled },
    notification: r,
  };
}

/**
 * Takes the row for attempt `attempt + 1`: only one of several jobs for the same row state wins.
 * `leaseUntil` keeps the relay off the row while the attempt runs.
 */
export async function claimAttempt(db: Db, id: bigint, attempt: number, leaseUntil: Date): Promise<boolean> {
  const count = await db.$executeRaw`
    UPDATE deliveries SET attempt_count = ${attempt + 1}, next_attempt_at = ${leaseUntil}, updated_at = ${new Date()}
     WHERE id = ${id} AND status = 'pending' AND attempt_count = ${attempt}`;
  return count === 1;
}

/** The pending row becomes failed without an attempt (its endpoint was disabled meanwhile). */
export async function failWithoutAttempt(db: Db, id: bigint, attempt: number, reason: string): Promise<void> {
  await db.delivery.updateMany({
    where: { id, status: "pending", attemptCount: attempt },
    data: { status: "failed", nextAttemptAt: null, lastError: reason, updatedAt: new Date() },
  });
}

/**
 * The attempt row, the delivery's new state and the endpoint's failingSince in one statement
 * (atomic on its own, so no transaction round trips).
 */
export async function recordAttempt(
  db: Db,
  claimed: { id: bigint; endpointId: string; attemptCount: number },
  attemptedAt: Date,
  outcome: SendOutcome,
  result: AttemptResult,
): Promise<void> {
  const now = new Date();
  await db.$executeRaw`
    WITH attempt AS (
      INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_ms, status_code, error, response_excerpt)
      VALUES (${claimed.id}, ${attemptedAt}, ${outcome.durationMs}, ${outcome.statusCode}, ${outcome.error},
              ${outcome.responseExcerpt})
    ), delivery AS (
      UPDATE deliveries
         SET status = ${result.status}, next_attempt_at = ${result.retryAt}, last_error = ${outcome.error},
             updated_at = ${now}, succeeded_at = CASE WHEN ${outcome.ok} THEN ${now}::timestamptz ELSE succeeded_at END
       WHERE id = ${claimed.id} AND status = 'pending' AND attempt_count = ${claimed.attemptCount}
    )
    UPDATE webhook_endpoints
       SET failing_since = CASE WHEN ${outcome.ok} THEN NULL ELSE ${attemptedAt}::timestamptz END
     WHERE id = ${claimed.endpointId}
       AND (CASE WHEN ${outcome.ok} THEN failing_since IS NOT NULL ELSE failing_since IS NULL END)`;
}
