// What the reconciler reads and writes of an order besides applying answers: the newest Payzero
// timestamp it knows of it, and whether Payzero calls it unknown.
import type { Db } from "../db/client.js";

/** The newest Payzero timestamp among the order's applied messages, or null when it has none. */
export async function newestKnown(db: Db, mchtOrderNo: string): Promise<bigint | null> {
  const { _max } = await db.notification.aggregate({
    _max: { timestamp: true },
    where: { mchtOrderNo, applied: true },
  });
  return _max.timestamp;
}

/**
 * Postgres's clock: the one that writes every order's times (the apply step, registrations, markUnknown),
 * so the reconciler measures staleness on it and never compares two hosts' clocks.
 */
export async function databaseNow(db: Db): Promise<Date> {
  const [row] = await db.$queryRaw<Array<{ now: Date }>>`SELECT now() AS now`;
  return row!.now;
}

/**
 * Payzero answered "no such order" on every query path: an order with no status yet is unknown from now
 * on (Postgres's clock), unless it already was (the first such answer counts). An order with a status is
 * known by definition.
 */
export async function markUnknown(db: Db, mchtOrderNo: string): Promise<void> {
  await db.$executeRaw`
    UPDATE orders SET payzero_unknown_since = now()
     WHERE mcht_order_no = ${mchtOrderNo} AND pay_status IS NULL AND declare_status IS NULL
       AND payzero_unknown_since IS NULL`;
}

/** Payzero knows the order after all. */
export async function clearUnknown(db: Db, mchtOrderNo: string): Promise<void> {
  await db.order.updateMany({
    where: { mchtOrderNo, payzeroUnknownSince: { not: null } },
    data: { payzeroUnknownSince: null },
  });
}

/**
 * Orders with a retry announced and not answered yet (src/orders/retries.ts), announced within
 * `maxAgeSeconds` of `now`, the oldest announcement first.
 */
export async function announcedOrders(
  db: Db,
  now: Date,
  maxAgeSeconds: number,
  take: number,
): Promise<string[]> {
  if (take <= 0) return [];
  const rows = await db.orderRetry.findMany({
    where: { consumedAt: null, announcedAt: { gt: new Date(now.getTime() - maxAgeSeconds * 1000) } },
    orderBy: { announcedAt: "asc" },
    distinct: ["mchtOrderNo"],
    take,
    select: { mchtOrderNo: true },
  });
  return rows.map((r) => r.mchtOrderNo);
}
