// Postgres side of delivering: claim a pending row for one attempt, then record how it went.
import type { Db } from "../db/client.js";
import type { PayloadSource } from "./payload.js";
import type { AttemptResult } from "./schedule.js";
import type { EndpointSecrets } from "./secret.js";
import type { SendOutcome } from "./send.js";

export interface LoadedDelivery {
  id: bigint;
  status: string;
  attemptCount: number;
  endpointId: string;
  endpoint: { url: string; enabled: boolean } & EndpointSecrets;
  notification: PayloadSource;
}

/** One flat row of the join below: the delivery's own columns, its endpoint's and its notification's. */
type LoadedRow = Omit<LoadedDelivery, "endpoint" | "notification"> &
  LoadedDelivery["endpoint"] &
  PayloadSource;

/** The rows, their endpoints and notifications, in one statement for a batch of attempts. */
export async function loadDeliveries(db: Db, ids: bigint[]): Promise<Map<bigint, LoadedDelivery>> {
  const rows = await db.$queryRaw<LoadedRow[]>`
    SELECT d.id, d.status, d.attempt_count AS "attemptCount", d.endpoint_id AS "endpointId",
           e.url, e.secret, e.enabled, e.previous_secret AS "previousSecret",
           e.previous_secret_expires_at AS "previousSecretExpiresAt",
           n.content_key AS "contentKey", n.msg_type AS "msgType", n.timestamp, n.msg_body AS "msgBody",
           n.source, n.order_after AS "orderAfter"
      FROM deliveries d
      JOIN webhook_endpoints e ON e.id = d.endpoint_id
      JOIN notifications n ON n.id = d.notification_id
     WHERE d.id = ANY (${ids}::bigint[])`;
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        status: r.status,
        attemptCount: r.attemptCount,
        endpointId: r.endpointId,
        endpoint: {
          url: r.url,
          enabled: r.enabled,
          secret: r.secret,
          previousSecret: r.previousSecret,
          previousSecretExpiresAt: r.previousSecretExpiresAt,
        },
        notification: r,
      },
    ]),
  );
}

export interface Claim {
  id: bigint;
  /** Attempts made so far: the claim is for attempt `attempt + 1`. */
  attempt: number;
  /** Keeps the relay off the row while the attempt runs. */
  leaseUntil: Date;
}

/**
 * Takes each row for its next attempt, in one statement; true where this claim won. Of several
 * claims for the same row state (duplicate jobs), only one ever wins, here or in another batch.
 */
export async function claimAttempts(db: Db, claims: Claim[]): Promise<boolean[]> {
  const won = await db.$queryRaw<Array<{ id: bigint; attempt: number }>>`
    UPDATE deliveries d
       SET attempt_count = c.attempt + 1, next_attempt_at = c.lease_until, updated_at = ${new Date()}
      FROM unnest(${claims.map((c) => c.id)}::bigint[], ${claims.map((c) => c.attempt)}::int[],
                  ${claims.map((c) => c.leaseUntil)}::timestamptz[]) AS c (id, attempt, lease_until)
     WHERE d.id = c.id AND d.status = 'pending' AND d.attempt_count = c.attempt
    RETURNING d.id, c.attempt`;
  // By row and attempt: a stale claim for the same row in this batch must not take the winner's answer.
  const unclaimed = new Set(won.map((w) => `${w.id}:${w.attempt}`));
  // The same claim twice in this batch: the statement updated the row once, and the first claim has it.
  return claims.map((c) => unclaimed.delete(`${c.id}:${c.attempt}`));
}

/** The pending row becomes failed without an attempt (its endpoint was disabled meanwhile). */
export async function failWithoutAttempt(db: Db, id: bigint, attempt: number, reason: string): Promise<void> {
  await db.delivery.updateMany({
    where: { id, status: "pending", attemptCount: attempt },
    data: { status: "failed", nextAttemptAt: null, lastError: reason, updatedAt: new Date() },
  });
}

export interface AttemptRecord {
  /** The delivery as claimed: attemptCount already counts this attempt. */
  claimed: { id: bigint; endpointId: string; attemptCount: number };
  attemptedAt: Date;
  outcome: SendOutcome;
  result: AttemptResult;
}

/**
 * The attempt rows, the deliveries' new states and the endpoints' failingSince, in one statement
 * for a batch of attempts (atomic on its own, so no transaction round trips).
 */
export async function recordAttempts(db: Db, records: AttemptRecord[]): Promise<void> {
  const now = new Date();
  const col = <T>(f: (r: AttemptRecord) => T) => records.map(f);
  const endpoints = endpointHealth(records);
  await db.$executeRaw`
    WITH a (delivery_id, attempt_count, attempted_at, duration_ms, status_code, error, response_excerpt,
            status, retry_at, ok) AS (
      SELECT * FROM unnest(${col((r) => r.claimed.id)}::bigint[], ${col((r) => r.claimed.attemptCount)}::int[],
        ${col((r) => r.attemptedAt)}::timestamptz[], ${col((r) => r.outcome.durationMs)}::int[],
        ${col((r) => r.outcome.statusCode)}::int[], ${col((r) => r.outcome.error)}::text[],
        ${col((r) => r.outcome.responseExcerpt)}::text[], ${col((r) => r.result.status)}::text[],
        ${col((r) => r.result.retryAt)}::timestamptz[], ${col((r) => r.outcome.ok)}::boolean[])
    ), attempt AS (
      INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_ms, status_code, error, response_excerpt)
      SELECT delivery_id, attempted_at, duration_ms, status_code, error, response_excerpt FROM a
    ), delivery AS (
      UPDATE deliveries d
         SET status = a.status, next_attempt_at = a.retry_at, last_error = a.error, updated_at = ${now},
             succeeded_at = CASE WHEN a.ok THEN ${now}::timestamptz ELSE d.succeeded_at END
        FROM a
       WHERE d.id = a.delivery_id AND d.status = 'pending' AND d.attempt_count = a.attempt_count
    )
    UPDATE webhook_endpoints e
       SET failing_since = CASE WHEN h.ok THEN NULL WHEN h.reset THEN h.since ELSE COALESCE(e.failing_since, h.since) END
      FROM unnest(${endpoints.map((h) => h.endpointId)}::text[], ${endpoints.map((h) => h.ok)}::boolean[],
                  ${endpoints.map((h) => h.reset)}::boolean[], ${endpoints.map((h) => h.since)}::timestamptz[])
           AS h (endpoint_id, ok, reset, since)
     WHERE e.id = h.endpoint_id
       AND e.failing_since IS DISTINCT FROM
           (CASE WHEN h.ok THEN NULL WHEN h.reset THEN h.since ELSE COALESCE(e.failing_since, h.since) END)`;
}

interface EndpointHealth {
  endpointId: string;
  /** The last attempt succeeded: failingSince is cleared. */
  ok: boolean;
  /** A success came before the failures at the end: failingSince restarts at `since`. */
  reset: boolean;
  /** The first failure after the last success. */
  since: Date | null;
}

/** Per endpoint, what this batch's attempts (in time order) say about failingSince. Pure. */
export function endpointHealth(records: AttemptRecord[]): EndpointHealth[] {
  const byEndpoint = new Map<string, EndpointHealth>();
  const inOrder = [...records].sort((a, b) => a.attemptedAt.getTime() - b.attemptedAt.getTime());
  for (const r of inOrder) {
    const id = r.claimed.endpointId;
    const h = byEndpoint.get(id) ?? { endpointId: id, ok: false, reset: false, since: null };
    if (r.outcome.ok) Object.assign(h, { ok: true, reset: true, since: null });
    else if (h.ok || h.since === null) Object.assign(h, { ok: false, since: r.attemptedAt });
    byEndpoint.set(id, h);
  }
  return [...byEndpoint.values()];
}
