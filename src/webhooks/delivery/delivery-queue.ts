// Postgres is the delivery queue: rows are held by one process at a time (a lease in next_attempt_at),
// claimed when due, and their attempts recorded. Every statement here serves a batch of rows.
import type { Db } from "../../db/client.js";
import { Prisma } from "../../generated/prisma/client.js";
import { openBody, openSnapshot } from "../../orders/personal-data.js";
import type { EndpointSecrets } from "../endpoints/secret.js";
import type { SendOutcome } from "../transports/publisher.js";
import type { PayloadSource } from "./payload.js";
import type { AttemptResult } from "./retry-schedule.js";

/** A pending delivery as one process holds it for its next attempt. */
export interface HeldDelivery {
  id: bigint;
  endpointId: string;
  /** Attempts recorded so far: this one is attempt `attemptCount + 1`. */
  attemptCount: number;
  /** Re-armed by hand: this attempt is the last. */
  manualRetry: boolean;
  /** 429 answers so far (not counted in attemptCount). */
  throttledCount: number;
  /** As stored: secrets and headers sealed (see endpoint-sealing.ts). */
  endpoint: { url: string; headers: string | null } & EndpointSecrets & EndpointPace;
  notification: PayloadSource;
  /** The row's next_attempt_at as this hold wrote it: conditions every later change of the row. */
  heldUntil: Date;
  /** Local clock (ms) until which the hold is certain (taken before the statement that set it). */
  localDeadline: number;
}

/** How fast an endpoint may be sent to, as the row was held. */
interface EndpointPace {
  rateLimitPerSecond: number | null;
  /** A 429 asked for no attempt before then. */
  throttledUntil: Date | null;
  /** "per-order": the claim holds one delivery of an order at a time (see claimDue). */
  ordering: string;
}

/** The endpoint columns a hold returns (the fan-out's insert returns them too). */
export const ENDPOINT_COLUMNS = Prisma.sql`e.url, e.secret, e.previous_secret AS "previousSecret",
  e.previous_secret_expires_at AS "previousSecretExpiresAt", e.rate_limit_per_second AS "rateLimitPerSecond",
  e.throttled_until AS "throttledUntil", e.headers, e.ordering`;

/** The columns a hold returns, named as HeldDelivery's flat parts (see held()). */
const HELD_COLUMNS = Prisma.sql`d.id, d.endpoint_id AS "endpointId", d.attempt_count AS "attemptCount",
  d.manual_retry AS "manualRetry", d.throttled_count AS "throttledCount", d.next_attempt_at AS "heldUntil",
  ${ENDPOINT_COLUMNS}, n.content_key AS "contentKey", n.msg_type AS "msgType", n.timestamp, n.msg_body AS "msgBody", n.source,
  n.order_after AS "orderAfter", n.traceparent`;

export type HeldRow = Omit<HeldDelivery, "endpoint" | "notification" | "localDeadline"> &
  HeldDelivery["endpoint"] &
  PayloadSource;

export function held(r: HeldRow, localDeadline: number): HeldDelivery {
  return {
    id: r.id,
    endpointId: r.endpointId,
    attemptCount: r.attemptCount,
    manualRetry: r.manualRetry,
    throttledCount: r.throttledCount ?? 0,
    heldUntil: r.heldUntil,
    localDeadline,
    endpoint: {
      url: r.url,
      secret: r.secret,
      previousSecret: r.previousSecret,
      previousSecretExpiresAt: r.previousSecretExpiresAt,
      headers: r.headers,
      rateLimitPerSecond: r.rateLimitPerSecond ?? null,
      throttledUntil: r.throttledUntil ?? null,
      ordering: r.ordering ?? "none",
    },
    notification: r,
  };
}

export const interval = (ms: number) => Prisma.sql`make_interval(secs => ${ms / 1000})`;

/**
 * FROM and WHERE of an update of held rows, each only while it is still exactly this hold (same
 * attempt count, same next_attempt_at): a row another process took since is left alone.
 */
function stillHeld(holds: HeldDelivery[]): Prisma.Sql {
  return Prisma.sql`
      FROM unnest(${holds.map((h) => h.id)}::bigint[], ${holds.map((h) => h.attemptCount)}::int[],
                  ${holds.map((h) => h.heldUntil)}::timestamptz[]) AS h (id, attempt_count, held_until)
     WHERE d.id = h.id AND d.status = 'pending' AND d.attempt_count = h.attempt_count
       AND d.next_attempt_at = h.held_until`;
}

/**
 * How long a claim sets aside a per-order delivery that waits for an earlier one: it is not looked at
 * again before then, unless the earlier one ends (recordAttempts wakes it at once). Bounds the wait
 * should a wake be missed (the earlier one ended while the claim that set this one aside ran).
 */
const SET_ASIDE_MS = 30_000;

export interface ClaimRequest {
  /** Most rows in all. */
  total: number;
  /** Most rows of one endpoint, unless `perEndpoint` says otherwise for it. */
  perEndpointDefault: number;
  perEndpoint: Map<string, number>;
  leaseMs: number;
}

/**
 * Whether delivery `d` of a per-order endpoint must wait: another delivery of the same order to the
 * same endpoint is still pending (due, held, or waiting for a retry) and comes earlier, by the
 * order's version after each message, then by notification id (the order in which they were
 * applied, under the order's lock). A delivery whose notification carries no order version (not
 * about an order, a test event, pruned) never waits and holds none back. Reads notifications by
 * (mcht_order_no, id) and deliveries by (notification_id, endpoint_id): a few rows per order.
 */
const waitsForEarlier = Prisma.sql`EXISTS (
      SELECT 1 FROM notifications dn
        JOIN notifications pn ON pn.mcht_order_no = dn.mcht_order_no AND pn.id <> dn.id
        JOIN deliveries p ON p.notification_id = pn.id AND p.endpoint_id = d.endpoint_id
       WHERE dn.id = d.notification_id AND p.status = 'pending'
         AND ((pn.order_after ->> 'version')::int, pn.id) < ((dn.order_after ->> 'version')::int, dn.id))`;

/**
 * Claims due rows (oldest first within each endpoint, endpoints in random order so none starves) and
 * holds them for `leaseMs`; endpoints a 429 throttled are skipped until their throttled_until; in the same statement, due rows of disabled endpoints fail without an
 * attempt. SKIP LOCKED: processes claiming at once each get other rows, none waits for another.
 * A per-order endpoint's row is claimed only while no earlier one of its order is pending
 * (waitsForEarlier): the gate is this statement, so it holds across worker processes. A row that
 * waits is set aside (`waiting`, due in SET_ASIDE_MS) so that later claims do not look at it again;
 * recordAttempts makes it due when the earlier one succeeds or fails for good.
 */
export async function claimDue(db: Db, req: ClaimRequest): Promise<HeldDelivery[]> {
  const localDeadline = Date.now() + req.leaseMs;
  const limited = [...req.perEndpoint];
  const rows = await db.$queryRaw<HeldRow[]>`
    WITH disabled AS (
      UPDATE deliveries d
         SET status = 'failed', next_attempt_at = NULL, last_error = 'endpoint disabled', updated_at = now()
        FROM webhook_endpoints e
       WHERE e.id = d.endpoint_id AND NOT e.enabled AND d.status = 'pending' AND d.next_attempt_at <= now()
    ), set_aside AS (
      UPDATE deliveries d
         SET next_attempt_at = now() + ${interval(SET_ASIDE_MS)}, waiting = true, updated_at = now()
       WHERE d.id IN (
             SELECT d.id FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
              WHERE e.enabled AND e.ordering = 'per-order' AND d.status = 'pending'
                AND d.next_attempt_at <= now() AND ${waitsForEarlier}
                FOR UPDATE OF d SKIP LOCKED)
    ), limits (endpoint_id, n) AS (
      SELECT * FROM unnest(${limited.map(([id]) => id)}::text[], ${limited.map(([, n]) => n)}::int[])
    ), due AS (
      SELECT c.id
        FROM (SELECT id, ordering FROM webhook_endpoints
               WHERE enabled AND (throttled_until IS NULL OR throttled_until <= now()) ORDER BY random()) e
        LEFT JOIN limits l ON l.endpoint_id = e.id
       CROSS JOIN LATERAL (
             SELECT d.id FROM deliveries d
              WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.next_attempt_at <= now()
                AND (e.ordering <> 'per-order' OR NOT ${waitsForEarlier})
              ORDER BY d.next_attempt_at
              LIMIT COALESCE(l.n, ${req.perEndpointDefault})
                FOR UPDATE SKIP LOCKED) c
       LIMIT ${req.total}
    )
    UPDATE deliveries d
       SET next_attempt_at = now() + ${interval(req.leaseMs)}, waiting = false, updated_at = now()
      FROM due, webhook_endpoints e, notifications n
     WHERE d.id = due.id AND e.id = d.endpoint_id AND n.id = d.notification_id
    RETURNING ${HELD_COLUMNS}`;
  return rows.map((r) =>
    held(
      {
        ...r,
        msgBody: openBody(r.contentKey, r.msgBody),
        orderAfter: openSnapshot(r.contentKey, r.orderAfter),
      },
      localDeadline,
    ),
  );
}

/** Each hold extended by `leaseMs` (null where the row is no longer this hold's: another process took it). */
export async function renewHolds(
  db: Db,
  holds: HeldDelivery[],
  leaseMs: number,
): Promise<Array<HeldDelivery | null>> {
  const localDeadline = Date.now() + leaseMs;
  const renewed = await db.$queryRaw<Array<{ id: bigint; was: Date; heldUntil: Date }>>`
    UPDATE deliveries d
       SET next_attempt_at = now() + ${interval(leaseMs)}, updated_at = now()
    ${stillHeld(holds)}
    RETURNING d.id, h.held_until AS was, d.next_attempt_at AS "heldUntil"`;
  // By row and hold: a stale copy of the same row in this batch must not take the current one's answer.
  const won = new Map(renewed.map((r) => [`${r.id}:${r.was.getTime()}`, r.heldUntil]));
  return holds.map((h) => {
    const key = `${h.id}:${h.heldUntil.getTime()}`;
    const heldUntil = won.get(key);
    // The same hold twice in one batch: the statement renewed it once, and the first copy has it.
    won.delete(key);
    return heldUntil ? { ...h, heldUntil, localDeadline } : null;
  });
}

/** Gives held rows back, due now, for any process to claim (overflow, stop). */
export async function releaseHolds(db: Db, holds: HeldDelivery[]): Promise<void> {
  if (holds.length === 0) return;
  await db.$executeRaw`
    UPDATE deliveries d
       SET next_attempt_at = now(), updated_at = now()
    ${stillHeld(holds)}`;
}

/** Gives held rows back due at `until` (their endpoint is throttled), without an attempt. */
export async function deferHolds(db: Db, holds: HeldDelivery[], until: Date): Promise<void> {
  if (holds.length === 0) return;
  await db.$executeRaw`
    UPDATE deliveries d
       SET next_attempt_at = ${until}, updated_at = now()
    ${stillHeld(holds)}`;
}

export interface AttemptRecord {
  /** The delivery as held: attemptCount does not count this attempt yet. */
  claimed: { id: bigint; endpointId: string; attemptCount: number };
  attemptedAt: Date;
  outcome: SendOutcome;
  result: AttemptResult;
}

/**
 * The attempt rows, the deliveries' new states and the endpoints' failingSince and throttledUntil, in
 * one statement for a batch of attempts (atomic on its own, so no transaction round trips). A row
 * whose attempt count moved meanwhile (another process took it over after this hold lapsed) keeps its
 * state. A throttled attempt (a 429 within WEBHOOK_THROTTLE_LIMIT) is an attempt row like any other,
 * but counts in throttled_count instead of attempt_count, so it uses up none of the retry schedule
 * (and a manual retry stays armed).
 */
export async function recordAttempts(db: Db, records: AttemptRecord[]): Promise<void> {
  const now = new Date();
  const col = <T>(f: (r: AttemptRecord) => T) => records.map(f);
  const endpoints = endpointHealth(records);
  await db.$executeRaw`
    WITH a (delivery_id, attempts_before, attempted_at, duration_ms, status_code, error, response_excerpt,
            status, retry_in_ms, ok, throttled) AS (
      SELECT * FROM unnest(${col((r) => r.claimed.id)}::bigint[], ${col((r) => r.claimed.attemptCount)}::int[],
        ${col((r) => r.attemptedAt)}::timestamptz[], ${col((r) => r.outcome.durationMs)}::int[],
        ${col((r) => r.outcome.statusCode)}::int[], ${col((r) => r.outcome.error)}::text[],
        ${col((r) => r.outcome.responseExcerpt)}::text[], ${col((r) => r.result.status)}::text[],
        ${col((r) => r.result.retryInMs)}::int[], ${col((r) => r.outcome.ok)}::boolean[],
        ${col((r) => r.result.throttled === true)}::boolean[])
    ), attempt AS (
      INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_ms, status_code, error, response_excerpt)
      SELECT delivery_id, attempted_at, duration_ms, status_code, error, response_excerpt FROM a
    ), delivery AS (
      UPDATE deliveries d
         SET status = a.status, attempt_count = a.attempts_before + CASE WHEN a.throttled THEN 0 ELSE 1 END,
             throttled_count = d.throttled_count + CASE WHEN a.throttled THEN 1 ELSE 0 END,
             manual_retry = a.throttled AND d.manual_retry,
             next_attempt_at = now() + make_interval(secs => a.retry_in_ms / 1000.0), last_error = a.error,
             updated_at = ${now}, succeeded_at = CASE WHEN a.ok THEN ${now}::timestamptz ELSE d.succeeded_at END
        FROM a
       WHERE d.id = a.delivery_id AND d.status = 'pending' AND d.attempt_count = a.attempts_before
      RETURNING d.id, d.endpoint_id, d.notification_id, d.status
    ), woken AS (
      -- The deliveries set aside behind one that ended (per-order endpoints): due now.
      UPDATE deliveries w
         SET next_attempt_at = now(), waiting = false, updated_at = ${now}
        FROM delivery ended
        JOIN notifications en ON en.id = ended.notification_id
        JOIN notifications wn ON wn.mcht_order_no = en.mcht_order_no
       WHERE ended.status <> 'pending' AND w.notification_id = wn.id AND w.endpoint_id = ended.endpoint_id
         AND w.waiting AND w.status = 'pending'
    )
    UPDATE webhook_endpoints e
       SET failing_since = CASE WHEN h.ok THEN NULL WHEN h.reset THEN h.since ELSE COALESCE(e.failing_since, h.since) END,
           throttled_until = GREATEST(e.throttled_until, h.throttled_until)
      FROM unnest(${endpoints.map((h) => h.endpointId)}::text[], ${endpoints.map((h) => h.ok)}::boolean[],
                  ${endpoints.map((h) => h.reset)}::boolean[], ${endpoints.map((h) => h.since)}::timestamptz[],
                  ${endpoints.map((h) => h.throttledUntil)}::timestamptz[])
           AS h (endpoint_id, ok, reset, since, throttled_until)
     WHERE e.id = h.endpoint_id
       AND (e.failing_since IS DISTINCT FROM
              (CASE WHEN h.ok THEN NULL WHEN h.reset THEN h.since ELSE COALESCE(e.failing_since, h.since) END)
            OR h.throttled_until > COALESCE(e.throttled_until, '-infinity'))`;
}

interface EndpointHealth {
  endpointId: string;
  /** The last attempt succeeded: failingSince is cleared. */
  ok: boolean;
  /** A success came before the failures at the end: failingSince restarts at `since`. */
  reset: boolean;
  /** The first failure after the last success. */
  since: Date | null;
  /** The latest "not before" a 429 of this batch asked for. */
  throttledUntil: Date | null;
}

/**
 * Per endpoint, what this batch's attempts (in time order) say about failingSince (a 429 is a failure
 * too: an endpoint that answers nothing else is disabled like any failing one) and throttledUntil. Pure.
 */
function endpointHealth(records: AttemptRecord[]): EndpointHealth[] {
  const byEndpoint = new Map<string, EndpointHealth>();
  const inOrder = [...records].sort((a, b) => a.attemptedAt.getTime() - b.attemptedAt.getTime());
  for (const r of inOrder) {
    const id = r.claimed.endpointId;
    const h = byEndpoint.get(id) ?? {
      endpointId: id,
      ok: false,
      reset: false,
      since: null,
      throttledUntil: null,
    };
    if (r.outcome.ok) Object.assign(h, { ok: true, reset: true, since: null });
    else if (h.ok || h.since === null) Object.assign(h, { ok: false, since: r.attemptedAt });
    const until =
      r.result.throttled && r.result.retryInMs !== null ? r.attemptedAt.getTime() + r.result.retryInMs : null;
    if (until !== null && until > (h.throttledUntil?.getTime() ?? 0)) h.throttledUntil = new Date(until);
    byEndpoint.set(id, h);
  }
  return [...byEndpoint.values()];
}
