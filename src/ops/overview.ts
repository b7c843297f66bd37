// The operation behind the console's overview, its Postgres half: processing lag and stored
// notifications, delivery attempts and states, failing or disabled endpoints, over the last hour and
// day. The time-window queries read only the newest SCAN_LIMIT rows by id, so the page stays cheap on
// a large table. (Queue depth and the reconciler's runs come from Redis: console/overview-data.ts.)
import type { Db } from "../db/client.js";
import type { OrdersDeps } from "../orders/deps.js";

export const SCAN_LIMIT = 50_000;

interface Window {
  since: Date;
  bucketMs: number;
  buckets: number;
}

export interface Lag {
  stored: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

async function processingLag(db: Db, since: Date): Promise<Lag> {
  const [row] = await db.$queryRaw<
    Array<{ n: number; p50: number | null; p95: number | null; max: number | null }>
  >`
    SELECT count(*)::int AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY lag) AS p95,
           max(lag) AS max
      FROM (SELECT extract(epoch FROM stored_at - received_at)::float8 AS lag, received_at
              FROM notifications ORDER BY id DESC LIMIT ${SCAN_LIMIT}) r
     WHERE received_at >= ${since}`;
  return { stored: row?.n ?? 0, p50: row?.p50 ?? null, p95: row?.p95 ?? null, max: row?.max ?? null };
}

/** Delivery attempts per bucket: [succeeded, failed], oldest bucket first. */
async function attemptSeries(db: Db, w: Window): Promise<Array<[number, number]>> {
  const rows = await db.$queryRaw<Array<{ b: number; ok: number; bad: number }>>`
    SELECT floor((extract(epoch FROM attempted_at) * 1000 - ${w.since.getTime()}) / ${w.bucketMs})::int AS b,
           count(*) FILTER (WHERE status_code BETWEEN 200 AND 299)::int AS ok,
           count(*) FILTER (WHERE status_code IS NULL OR status_code NOT BETWEEN 200 AND 299)::int AS bad
      FROM (SELECT attempted_at, status_code FROM delivery_attempts ORDER BY id DESC LIMIT ${SCAN_LIMIT}) a
     WHERE attempted_at >= ${w.since}
     GROUP BY 1`;
  const series = Array.from({ length: w.buckets }, (): [number, number] => [0, 0]);
  for (const r of rows) if (series[r.b]) series[r.b] = [r.ok, r.bad];
  return series;
}

/** Deliveries by state now, and how many became failed within each window. */
async function deliveryStates(db: Db, hourAgo: Date, dayAgo: Date) {
  const [byStatus, failedHour, failedDay] = await Promise.all([
    db.delivery.groupBy({ by: ["status"], _count: { _all: true } }),
    db.delivery.count({ where: { status: "failed", updatedAt: { gte: hourAgo } } }),
    db.delivery.count({ where: { status: "failed", updatedAt: { gte: dayAgo } } }),
  ]);
  const count = (s: string) => byStatus.find((r) => r.status === s)?._count._all ?? 0;
  return { pending: count("pending"), failed: count("failed"), failedHour, failedDay };
}

async function troubledEndpoints(db: Db) {
  return db.webhookEndpoint.findMany({
    select: { id: true, url: true, description: true, enabled: true, failingSince: true },
    where: { OR: [{ enabled: false }, { failingSince: { not: null } }] },
    orderBy: { id: "asc" },
    take: 50,
  });
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The figures of the last hour and the last day before `now` (ms since the epoch). */
export async function overviewFigures({ db }: Pick<OrdersDeps, "db">, now: number) {
  const hourAgo = new Date(now - HOUR);
  const dayAgo = new Date(now - 24 * HOUR);
  const [lagHour, lagDay, attemptsHour, attemptsDay, states, troubled] = await Promise.all([
    processingLag(db, hourAgo),
    processingLag(db, dayAgo),
    attemptSeries(db, { since: hourAgo, bucketMs: 5 * MINUTE, buckets: 12 }),
    attemptSeries(db, { since: dayAgo, bucketMs: HOUR, buckets: 24 }),
    deliveryStates(db, hourAgo, dayAgo),
    troubledEndpoints(db),
  ]);
  return { lagHour, lagDay, attemptsHour, attemptsDay, states, troubled };
}
