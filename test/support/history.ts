// Years of history in a few SQL statements: finished orders, their two notifications each, a
// delivery per notification and enabled endpoint, an attempt per delivery. Shared by the plan test
// (test/integration/db/plans.test.ts) and the bench's history phase, which need tables the size production
// reaches, fast (generate_series, no client round trip per row), with fresh statistics.
import pg from "pg";

export interface HistoryOptions {
  /** Orders to add; each brings two notifications (payment, then declaration). */
  orders: number;
  /** Prefix of their mchtOrderNos, distinct from any other run's. */
  prefix: string;
  /** Over how many days back the orders are spread (the newest is a day old). */
  days?: number;
  /** One attempt row per delivery (the /v1 deliveries list reads them). */
  attempts?: boolean;
  /** Short bodies and no order_after: 3× faster to write, and narrower rows only make a scan of the whole table look cheaper to the planner. */
  compact?: boolean;
}

/** One in this many orders failed to pay (unfinished); one in this many deliveries failed. */
export const FAILED_ORDER_EVERY = 50;
const FAILED_DELIVERY_EVERY = 200;

// $1 orders, $2 prefix, $3 days. Order i was last changed (3 days × (n − i) / n) + 1 day ago.
const SERIES = `
  FROM generate_series(1, $1::int) AS i,
       LATERAL (SELECT now() - interval '1 day' - ($1::int - i) * ($3::int * interval '1 day') / $1::int AS t) AS at,
       LATERAL (SELECT $2::text || i AS no, (extract(epoch FROM at.t) * 1000)::bigint AS ms,
                       i % ${FAILED_ORDER_EVERY} = 0 AS failed) AS o`;

const FULL_BODY = (payStatus: string, declareStatus: string) => `json_build_object(
    'mchtOrderNo', o.no, 'paymentAmount', 1000 + i % 90000, 'payerName', '周Xx',
    'payerNumber', '610327198509271234', 'payerPhone', '13800138000', 'subject', 'YYYYYYYY-口红',
    'payStatus', ${payStatus}, 'declareStatus', ${declareStatus}, 'declareFailReason', NULL,
    'paymentOrderNo', 'P' || o.no, 'verDept', NULL, 'payType', '2',
    'initRequest', 'https://vsp.allinpay.com/apiweb/qpay/payapplyagree[data:{amount=1}]',
    'initResponse', '{"retcode":"SUCCESS"}', 'paymentDatetime', '20190411213822',
    'customsPayCompanyName', '通联支付网络服务股份有限公司', 'customsPayCompanyCode', '312228034T')::text`;
const COMPACT_BODY = (payStatus: string, declareStatus: string) =>
  `json_build_object('mchtOrderNo', o.no, 'payStatus', ${payStatus}, 'declareStatus', ${declareStatus})::text`;

const PAY = "CASE WHEN o.failed THEN 'PAY_FAILED' ELSE 'PAY_SUCCEED' END";
const DECLARE = "CASE WHEN o.failed THEN 'NOT_DECLARED' ELSE 'DECLARED' END";

const ORDERS = `
  INSERT INTO orders (mcht_order_no, payment_amount, payer_name, payer_number, payer_phone, subject,
                      pay_status, pay_status_at, declare_status, declare_status_at, payment_order_no,
                      pay_type, payment_datetime, created_at, updated_at)
  SELECT o.no, 1000 + i % 90000, '周Xx', '610327198509271234', '13800138000', 'YYYYYYYY-口红',
         ${PAY}, o.ms - 60000, ${DECLARE}, o.ms, 'P' || o.no, '2', '20190411213822',
         at.t - interval '1 hour', at.t
  ${SERIES}`;

const NOTIFICATIONS = (compact: boolean) => {
  const body = compact ? COMPACT_BODY : FULL_BODY;
  return `
  INSERT INTO notifications (content_key, msg_type, timestamp, msg_body, source, mcht_order_no,
                             changed_order, order_after, received_at, stored_at)
  SELECT encode(sha256(convert_to(m.msg_type || E'\\n' || m.body, 'UTF8')), 'hex'), m.msg_type, m.ms,
         m.body, 'payzero-notify', o.no, true, ${compact ? "NULL" : "m.body::jsonb"}, m.at, m.at
  ${SERIES},
       LATERAL (VALUES ('PAY_STATUS_NOTIFY', o.ms - 60000, at.t - interval '1 minute',
                        ${body(PAY, "'NOT_DECLARED'")}),
                       ('DECLARE_STATUS_NOTIFY', o.ms, at.t, ${body(PAY, DECLARE)}))
         AS m (msg_type, ms, at, body)
  ORDER BY m.at`;
};

// Only this run's notifications: ids above what was there before.
const DELIVERIES = `
  INSERT INTO deliveries (notification_id, endpoint_id, status, attempt_count, next_attempt_at,
                          last_error, created_at, updated_at, succeeded_at)
  SELECT n.id, e.id, CASE WHEN failed THEN 'failed' ELSE 'succeeded' END, CASE WHEN failed THEN 9 ELSE 1 END,
         NULL, CASE WHEN failed THEN 'HTTP 503' END, n.stored_at, n.stored_at,
         CASE WHEN failed THEN NULL ELSE n.stored_at END
    FROM notifications n CROSS JOIN webhook_endpoints e,
         LATERAL (SELECT n.id % ${FAILED_DELIVERY_EVERY} = 0 AS failed) AS f
   WHERE n.id > $1 AND e.enabled
   ORDER BY n.id, e.id`;

const ATTEMPTS = `
  INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_ms, status_code, error, response_excerpt)
  SELECT d.id, d.updated_at, 12, CASE WHEN d.status = 'failed' THEN 503 ELSE 200 END, NULL, 'ok'
    FROM deliveries d WHERE d.id > $1 ORDER BY d.id`;

/** Adds the history to the database at `url` and refreshes the planner's statistics (ANALYZE). */
export async function growHistory(url: string, opts: HistoryOptions): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Rows consistent by construction: skip the per-row foreign-key triggers (needs a superuser,
    // as the tests and the bench are).
    await client.query("SET session_replication_role = replica");
    const series = [opts.orders, opts.prefix, opts.days ?? 3 * 365];
    const maxId = async (table: string) =>
      String((await client.query(`SELECT coalesce(max(id), 0) AS id FROM ${table}`)).rows[0].id);
    const lastNotification = await maxId("notifications");
    const lastDelivery = await maxId("deliveries");
    await client.query(ORDERS, series);
    await client.query(NOTIFICATIONS(opts.compact ?? false), series);
    await client.query(DELIVERIES, [lastNotification]);
    if (opts.attempts) await client.query(ATTEMPTS, [lastDelivery]);
    // A sample of 300,000 rows a table (100 by default: 30,000): the plans test's 100k orders are
    // read whole, so its plans do not change with a random sample from one run to the next.
    await client.query("SET default_statistics_target = 1000");
    await client.query("ANALYZE");
  } finally {
    await client.end();
  }
}
