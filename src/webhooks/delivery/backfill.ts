// Backfill: deliveries to one endpoint for the stored notifications received in [since, until) that
// it subscribes to and has none of (a system joining late). The request only writes a backfill row;
// the worker processes create the deliveries in batches, each batch one transaction that holds the
// backfill row (FOR UPDATE SKIP LOCKED), so two processes never run the same batch and a crash
// mid-batch leaves the cursor where the last committed batch put it.
//
// Order and pace: a backfilled delivery is due at its notification's received_at, so the claim (oldest
// due first per endpoint) sends them oldest first, at the endpoint's rate limit. A batch is created
// only while the endpoint has fewer than a batch of pending deliveries, so a retry of a live delivery
// waits behind at most about two batches; live deliveries themselves are dispatched by the process
// that stored them, next to the claimed ones, and do not wait for the backfill at all.
import type { Db } from "../../db/client.js";
import { Prisma } from "../../generated/prisma/client.js";
import { openBody } from "../../orders/personal-data.js";
import type { Refusal } from "../../refusal.js";
import { messageStatuses, takes } from "../endpoints/filters.js";

/** An ISO 8601 time with a date and a time of day; undefined when not one. */
export function parseIsoTime(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(text))
    return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : new Date(at);
}

export interface BackfillRow {
  id: bigint;
  endpointId: string;
  since: Date;
  until: Date;
  status: string;
  scanned: number;
  created: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** Checks the range and the endpoint, then writes the backfill row (the workers do the rest). */
export async function startBackfill(
  db: Db,
  endpointId: string,
  since: Date,
  until: Date,
): Promise<BackfillRow | Refusal> {
  if (until.getTime() <= since.getTime()) return { code: 400, message: "until must be after since" };
  return db.$transaction(async (tx) => {
    // Locked: two requests at once cannot both start a backfill of this endpoint.
    const [endpoint] = await tx.$queryRaw<Array<{ enabled: boolean }>>`
      SELECT enabled FROM webhook_endpoints WHERE id = ${endpointId} FOR UPDATE`;
    if (!endpoint) return { code: 404, message: "no such webhook" } as const;
    if (!endpoint.enabled) return { code: 409, message: "the webhook is disabled: enable it first" } as const;
    const running = await tx.webhookBackfill.findFirst({
      where: { endpointId, status: "running" },
      select: { id: true },
    });
    if (running)
      return { code: 409, message: `backfill ${running.id} of this webhook is still running` } as const;
    return tx.webhookBackfill.create({ data: { endpointId, since, until } });
  });
}

interface Claimed {
  id: bigint;
  endpointId: string;
  until: Date;
  since: Date;
  cursorReceivedAt: Date | null;
  cursorNotificationId: bigint | null;
  msgTypes: string[];
  payStatuses: string[];
  declareStatuses: string[];
}

/**
 * One batch of one running backfill whose endpoint is enabled and has fewer than `batch` pending
 * deliveries; what it did, or null when no backfill had work for this process.
 */
export async function backfillStep(
  db: Db,
  batch: number,
): Promise<{ backfillId: bigint; scanned: number; created: number; done: boolean } | null> {
  return db.$transaction(
    async (tx) => {
      const [b] = await tx.$queryRaw<Claimed[]>`
        SELECT b.id, b.endpoint_id AS "endpointId", b.since, b.until, b.cursor_received_at AS "cursorReceivedAt",
               b.cursor_notification_id AS "cursorNotificationId", e.msg_types AS "msgTypes",
               e.pay_statuses AS "payStatuses", e.declare_statuses AS "declareStatuses"
          FROM webhook_backfills b JOIN webhook_endpoints e ON e.id = b.endpoint_id
         WHERE b.status = 'running' AND e.enabled
           AND (SELECT count(*) FROM (SELECT 1 FROM deliveries d
                                       WHERE d.endpoint_id = b.endpoint_id AND d.status = 'pending'
                                       LIMIT ${batch}) p) < ${batch}
         ORDER BY b.id
         LIMIT 1
           FOR UPDATE OF b SKIP LOCKED`;
      if (!b) return null;
      const after =
        b.cursorReceivedAt && b.cursorNotificationId !== null
          ? Prisma.sql`(n.received_at, n.id) > (${b.cursorReceivedAt}, ${b.cursorNotificationId})`
          : Prisma.sql`n.received_at >= ${b.since}`;
      // The endpoint's filters as the fan-out applies them (filters.ts): the statuses are read from
      // each body here, in memory, since a stored body need not be JSON. A body retention removed
      // has nothing left to send.
      const rows = await tx.$queryRaw<
        Array<{
          id: bigint;
          receivedAt: Date;
          msgType: string;
          contentKey: string;
          msgBody: string | null;
          source: string;
        }>
      >`
        SELECT n.id, n.received_at AS "receivedAt", n.msg_type AS "msgType", n.content_key AS "contentKey",
               n.msg_body AS "msgBody", n.source
          FROM notifications n
         WHERE ${after} AND n.received_at < ${b.until}
         ORDER BY n.received_at, n.id
         LIMIT ${batch}`;
      const wanted = rows.filter(
        (n) => n.msgBody !== null && takes(b, n, messageStatuses(openBody(n.contentKey, n.msgBody))),
      );
      const created =
        wanted.length === 0
          ? 0
          : await tx.$executeRaw`
              INSERT INTO deliveries (notification_id, endpoint_id, next_attempt_at, backfill_id)
              SELECT id, ${b.endpointId}, received_at, ${b.id}
                FROM unnest(${wanted.map((n) => n.id)}::bigint[], ${wanted.map((n) => n.receivedAt)}::timestamptz[])
                     AS n (id, received_at)
               ORDER BY received_at, id
              ON CONFLICT (notification_id, endpoint_id) DO NOTHING`;
      const last = rows[rows.length - 1];
      const r = { scanned: rows.length, created, lastAt: last?.receivedAt ?? null, lastId: last?.id ?? null };
      const { scanned, lastAt, lastId } = r;
      const done = scanned < batch;
      await tx.$executeRaw`
        UPDATE webhook_backfills
           SET scanned = scanned + ${scanned}, created = created + ${created},
               cursor_received_at = COALESCE(${lastAt}::timestamptz, cursor_received_at),
               cursor_notification_id = COALESCE(${lastId}::bigint, cursor_notification_id),
               status = CASE WHEN ${done} THEN 'done' ELSE status END,
               finished_at = CASE WHEN ${done} THEN now() ELSE finished_at END, updated_at = now()
         WHERE id = ${b.id}`;
      return { backfillId: b.id, scanned, created, done };
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
}

export interface BackfillProgress extends BackfillRow {
  deliveries: { pending: number; succeeded: number; failed: number };
}

/** The endpoint's backfills, newest first, each with its deliveries counted by status. */
export async function backfillsOf(db: Db, endpointId: string, limit = 20): Promise<BackfillProgress[]> {
  const rows = await db.webhookBackfill.findMany({
    where: { endpointId },
    orderBy: { id: "desc" },
    take: limit,
  });
  if (rows.length === 0) return [];
  const counts = await db.$queryRaw<Array<{ backfillId: bigint; status: string; n: number }>>`
    SELECT backfill_id AS "backfillId", status, count(*)::int AS n FROM deliveries
     WHERE backfill_id = ANY (${rows.map((r) => r.id)}::bigint[])
     GROUP BY backfill_id, status`;
  return rows.map((row) => {
    const deliveries = { pending: 0, succeeded: 0, failed: 0 };
    for (const c of counts)
      if (c.backfillId === row.id && c.status in deliveries)
        deliveries[c.status as keyof typeof deliveries] = c.n;
    return { ...row, deliveries };
  });
}
