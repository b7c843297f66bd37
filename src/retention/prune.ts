// Retention (RETENTION_DAYS): what one run removes, in small batches, each its own short transaction.
// Orders are kept whole. What goes, once older than the cutoff:
//  - succeeded deliveries and their attempts (pending and failed ones stay, attempts included: a failed
//    delivery is unresolved until it is retried by hand and succeeds, or its endpoint is deleted);
//  - the bodies (msg_body, order_after) of notifications none of whose deliveries is pending or failed. The row
//    stays, slim: its content key keeps a resend of an old message a duplicate (not forwarded again),
//    and the order's history still lists it. The bodies its order's state needs are kept
//    (messagesStateNeeds): the next message of that order is then applied exactly as before.
// And, once PERSONAL_DATA_RETENTION_DAYS have passed since an order's state last changed while final
// (paid and declared, paid and not to be declared, cancelled), its payer's personal data, everywhere it
// is stored (src/orders/erase.ts). Either part runs only when its setting is above 0.

import type { Db } from "../db/client.js";
import { Prisma } from "../generated/prisma/client.js";
import { historyOf } from "../orders/apply.js";
import { lockOrders, storedMessages, type Tx } from "../orders/apply-sql.js";
import { erasePayers } from "../orders/erase.js";
import { messagesStateNeeds } from "../orders/order-state.js";
import { DECLARED, PAY_CANCELLED, PAY_SUCCEED } from "../payzero/statuses.js";

export interface PruneSettings {
  /** RETENTION_DAYS; 0: deliveries and bodies are kept. */
  days: number;
  /** PERSONAL_DATA_RETENTION_DAYS; 0 (or absent): personal data is kept until erased by hand. */
  personalDataDays?: number;
  /** RECONCILE_AWAIT_DECLARATION: false, a paid order is final without a declaration (as for the reconciler). */
  awaitDeclaration?: boolean;
  /** Rows per statement. */
  batchSize: number;
  /** Pause between two batches, so the hot path keeps Postgres to itself most of the time. */
  pauseMs: number;
}

export interface PruneResult {
  deliveries: number;
  deliveryAttempts: number;
  notificationBodies: number;
  /** Orders whose payer's personal data was erased (PERSONAL_DATA_RETENTION_DAYS). */
  personalData: number;
  /** Another process held the retention lock: this run stopped where it was. */
  busy: boolean;
}

/**
 * One retention lock for every process (the two-int4 key form: a key space apart from the orders'
 * bigint locks). Taken per batch transaction: one batch at a time across the workers.
 */
const LOCK = Prisma.sql`pg_try_advisory_xact_lock(1886092910, 1)`;

/** Runs batches until nothing older than the cutoff is left, `shouldStop` says so, or another process prunes. */
export async function pruneOnce(
  db: Db,
  settings: PruneSettings,
  shouldStop: () => boolean = () => false,
  now = new Date(),
): Promise<PruneResult> {
  const cutoff = new Date(now.getTime() - settings.days * 86_400_000);
  const personalDays = settings.personalDataDays ?? 0;
  const personalCutoff = new Date(now.getTime() - personalDays * 86_400_000);
  const result: PruneResult = {
    deliveries: 0,
    deliveryAttempts: 0,
    notificationBodies: 0,
    personalData: 0,
    busy: false,
  };
  const pause = () => new Promise((resolve) => setTimeout(resolve, settings.pauseMs));
  const steps: Array<(tx: Tx, limit: number) => Promise<Batch>> = [];
  if (settings.days > 0)
    steps.push(
      (tx, limit) => deleteFinishedDeliveries(tx, cutoff, limit),
      (tx, limit) => pruneNotifications(tx, cutoff, limit),
    );
  if (personalDays > 0)
    steps.push((tx, limit) =>
      eraseFinishedOrders(tx, personalCutoff, limit, settings.awaitDeclaration ?? true),
    );
  for (const step of steps) {
    for (;;) {
      if (shouldStop()) return result;
      const batch = await db.$transaction(
        async (tx) => {
          const [{ locked }] = await tx.$queryRaw<[{ locked: boolean }]>`SELECT ${LOCK} AS locked`;
          return locked ? step(tx, settings.batchSize) : null;
        },
        { timeout: 30_000 },
      );
      if (batch === null) return { ...result, busy: true };
      result.deliveries += batch.deliveries ?? 0;
      result.deliveryAttempts += batch.deliveryAttempts ?? 0;
      result.notificationBodies += batch.notificationBodies ?? 0;
      result.personalData += batch.personalData ?? 0;
      if (batch.examined < settings.batchSize) break;
      await pause();
    }
  }
  return result;
}

type Batch = Partial<Omit<PruneResult, "busy">> & { examined: number };

/** Succeeded deliveries older than the cutoff, with their attempts. */
export async function deleteFinishedDeliveries(tx: Tx, cutoff: Date, limit: number): Promise<Batch> {
  const [row] = await tx.$queryRaw<[{ deliveries: number; attempts: number }]>`
    WITH batch AS (
      SELECT id FROM deliveries
       WHERE status = 'succeeded' AND succeeded_at < ${cutoff}
       ORDER BY succeeded_at LIMIT ${limit} FOR UPDATE SKIP LOCKED),
    attempts AS (DELETE FROM delivery_attempts a USING batch WHERE a.delivery_id = batch.id RETURNING 1),
    gone AS (DELETE FROM deliveries d USING batch WHERE d.id = batch.id RETURNING 1)
    SELECT (SELECT count(*) FROM gone)::int AS deliveries, (SELECT count(*) FROM attempts)::int AS attempts`;
  return { deliveries: row.deliveries, deliveryAttempts: row.attempts, examined: row.deliveries };
}

interface Candidate {
  id: bigint;
  contentKey: string;
  mchtOrderNo: string | null;
  applied: boolean;
}

/**
 * The bodies of old notifications no delivery still needs (every one succeeded, or none was made), except
 * those their order's state needs. A succeeded delivery never sends again (only failed ones are retried;
 * `replay` refuses a notification without its body), so its row may outlive the body.
 */
export async function pruneNotifications(tx: Tx, cutoff: Date, limit: number): Promise<Batch> {
  const candidates = await tx.$queryRaw<Candidate[]>`
    SELECT id, content_key AS "contentKey", mcht_order_no AS "mchtOrderNo",
           (applied AND msg_body IS NOT NULL) AS applied
      FROM notifications n
     WHERE pruned_at IS NULL AND received_at < ${cutoff}
       AND NOT EXISTS (SELECT 1 FROM deliveries d
                        WHERE d.notification_id = n.id AND d.status IN ('pending', 'failed'))
     ORDER BY pruned_at, received_at -- the index's order: Postgres sorts by it only when asked so
     LIMIT ${limit} FOR UPDATE OF n SKIP LOCKED`;
  if (candidates.length === 0) return { notificationBodies: 0, examined: 0 };
  const orderNos = [
    ...new Set(candidates.flatMap((c) => (c.applied && c.mchtOrderNo ? [c.mchtOrderNo] : []))),
  ];
  // The orders' own lock: no message of theirs is applied meanwhile, so what is kept is what it will read.
  await lockOrders(tx, orderNos);
  const stored = await storedMessages(tx, [], [], orderNos);
  const needed = new Set<string>();
  for (const orderNo of orderNos)
    for (const key of messagesStateNeeds(historyOf(stored, orderNo))) needed.add(key);
  const keep = candidates.filter((c) => needed.has(c.contentKey)).map((c) => c.id);
  const ids = candidates.map((c) => c.id);
  const [row] = await tx.$queryRaw<[{ removed: number }]>`
    WITH pruned AS (
      UPDATE notifications SET pruned_at = now(), order_after = NULL,
             msg_body = CASE WHEN id = ANY (${keep}::bigint[]) THEN msg_body END
       WHERE id = ANY (${ids}::bigint[])
      RETURNING msg_body IS NULL AS removed)
    SELECT count(*) FILTER (WHERE removed)::int AS removed FROM pruned`;
  return { notificationBodies: row.removed, examined: candidates.length };
}

/**
 * The personal data of orders final since before the cutoff (their state last changed then) and not
 * erased yet. No row lock here: erasePayers takes the orders' own locks first, as the apply step does.
 */
async function eraseFinishedOrders(
  tx: Tx,
  cutoff: Date,
  limit: number,
  awaitDeclaration: boolean,
): Promise<Batch> {
  const declared = awaitDeclaration
    ? Prisma.sql`(declare_status = ${DECLARED} OR need_declare = false)`
    : Prisma.sql`true`;
  const rows = await tx.$queryRaw<Array<{ mchtOrderNo: string }>>`
    SELECT mcht_order_no AS "mchtOrderNo" FROM orders
     WHERE personal_data_erased_at IS NULL AND updated_at < ${cutoff}
       AND (pay_status = ${PAY_CANCELLED} OR (pay_status = ${PAY_SUCCEED} AND ${declared}))
     ORDER BY updated_at LIMIT ${limit}`;
  const erased = await erasePayers(
    tx,
    rows.map((r) => r.mchtOrderNo),
  );
  return { personalData: erased.orders, examined: rows.length };
}
