// The overview's numbers: processing lag and stored notifications, delivery attempts and states, failing
// or disabled endpoints (Postgres); queue depth and the reconciler's last runs (Redis). The time-window
// queries read only the newest SCAN_LIMIT rows by id, so the page stays cheap on a large table.
import type { Queue } from "bullmq";
import type { Db } from "../db/client.js";

export const SCAN_LIMIT = 50_000;

export interface Window {
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

export async function processingLag(db: Db, since: Date): Promise<Lag> {
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
export async function attemptSeries(db: Db, w: Window): Promise<Array<[number, number]>> {
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
export async function deliveryStates(db: Db, hourAgo: Date, dayAgo: Date) {
  const [byStatus, failedHour, failedDay] = await Promise.all([
    db.delivery.groupBy({ by: ["status"], _count: { _all: true } }),
    db.delivery.count({ where: { status: "failed", updatedAt: { gte: hourAgo } } }),
    db.delivery.count({ where: { status: "failed", updatedAt: { gte: dayAgo } } }),
  ]);
  const count = (s: string) => byStatus.find((r) => r.status === s)?._count._all ?? 0;
  return { pending: count("pending"), failed: count("failed"), failedHour, failedDay };
}

export function troubledEndpoints(db: Db) {
  return db.webhookEndpoint.findMany({
    where: { OR: [{ enabled: false }, { failingSince: { not: null } }] },
    orderBy: { id: "asc" },
    take: 50,
  });
}

export type QueueDepth = Record<string, number> | null;

/** null: no receiver queue in this process. */
export async function queueDepth(queue: Queue | undefined): Promise<QueueDepth> {
  return queue ? queue.getJobCounts("waiting", "delayed", "active", "failed") : null;
}

export interface ReconcileRun {
  finishedAt: Date;
  ok: boolean;
  result: { queried?: number; changed?: number; failed?: number } | null;
  reason: string | null;
}

/** The last runs BullMQ kept (100 completed and 100 failed at most), newest first; null: reconciler off. */
export async function reconcileRuns(queue: Queue | undefined, take = 10): Promise<ReconcileRun[] | null> {
  if (!queue) return null;
  const jobs = await queue.getJobs(["completed", "failed"], 0, take - 1);
  return jobs
    .filter((j) => j.finishedOn !== undefined)
    .map((j) => ({
      finishedAt: new Date(j.finishedOn!),
      ok: !j.failedReason,
      result: (j.returnvalue as ReconcileRun["result"]) ?? null,
      reason: j.failedReason || null,
    }))
    .sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime())
    .slice(0, take);
}
