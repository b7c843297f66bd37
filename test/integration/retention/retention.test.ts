// Retention on a database the test ages: notifications applied for real, with their delivery rows and
// attempts, then moved 100 days back. What is finished and old goes; what is pending, failed, recent,
// or needed by an order's state stays; orders, the history views and duplicates keep working.
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import type { Config } from "../../../src/config.js";
import { createDb, type Db } from "../../../src/db/client.js";
import { registry } from "../../../src/ops/metrics.js";
import { applyNotifications } from "../../../src/orders/apply.js";
import type { FanOut, IncomingNotification } from "../../../src/orders/notification.js";
import { pruneOnce } from "../../../src/retention/prune.js";
import { startRetention } from "../../../src/retention/runner.js";
import { insertDeliveries } from "../../../src/webhooks/delivery/delivery-rows.js";
import { queryDatabase } from "../../support/admin.js";
import { testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { orderBody } from "../../support/payzero.js";
import { cli } from "../cli/support.js";

const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";
const DAY = 86_400_000;

let database: TestDatabase;
let db: Db;
let config: Config;
let app: FastifyInstance;

const fanOut: FanOut<unknown> = {
  inTransaction: (tx, notifications) => insertDeliveries(tx, notifications, 60_000),
  afterCommit: () => {},
};

const sql = async (text: string) => (await queryDatabase(database.url, text)).rows;

function message(msgType: string, fields: Record<string, unknown>, timestamp: number): IncomingNotification {
  return {
    msgType,
    timestamp: BigInt(timestamp),
    msgBody: fields.raw === undefined ? orderBody(fields as { mchtOrderNo: string }) : String(fields.raw),
    receivedAt: new Date(),
    source: "payzero-notify",
  };
}

const T0 = Date.now() - 100 * DAY;
const A1 = message(PAY, { mchtOrderNo: "A", payStatus: "PAY_APPLIED" }, T0 + 1);
const A2 = message(PAY, { mchtOrderNo: "A", payStatus: "PAY_SUCCEED", paymentOrderNo: "P-A" }, T0 + 2);
const A3 = message(
  DECLARE,
  { mchtOrderNo: "A", payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" },
  T0 + 3,
);
const B1 = message(PAY, { mchtOrderNo: "B", payStatus: "PAY_SUCCEED" }, T0 + 4);
const C1 = message(PAY, { mchtOrderNo: "C", payStatus: "PAY_SUCCEED" }, T0 + 5);
const ODD = message("SOMETHING_NEW", { raw: "not an order" }, T0 + 6);
const D1 = message(PAY, { mchtOrderNo: "D", payStatus: "PAY_SUCCEED" }, Date.now());

/** Ages everything stored so far (but D's) by 100 days; B's delivery failed, C's is still retrying. */
async function ageHistory(): Promise<void> {
  await sql(`INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_ms, status_code)
             SELECT id, created_at, 5, 200 FROM deliveries`);
  await sql(`INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_ms, status_code)
             SELECT d.id, d.created_at, 5, 503 FROM deliveries d JOIN notifications n ON n.id = d.notification_id
              WHERE n.mcht_order_no IN ('B', 'C')`);
  await sql(`UPDATE deliveries SET status = 'succeeded', succeeded_at = now(), next_attempt_at = NULL`);
  await sql(`UPDATE deliveries d SET status = 'failed', succeeded_at = NULL, last_error = 'HTTP 503'
               FROM notifications n WHERE n.id = d.notification_id AND n.mcht_order_no = 'B'`);
  await sql(`UPDATE deliveries d SET status = 'pending', succeeded_at = NULL, next_attempt_at = now() + interval '1 hour'
               FROM notifications n WHERE n.id = d.notification_id AND n.mcht_order_no = 'C'`);
  const old = "now() - interval '100 days'";
  await sql(
    `UPDATE notifications SET received_at = ${old}, stored_at = ${old} WHERE mcht_order_no IS DISTINCT FROM 'D'`,
  );
  await sql(`UPDATE deliveries d SET created_at = ${old}, updated_at = ${old},
                    succeeded_at = CASE WHEN d.status = 'succeeded' THEN ${old} END
               FROM notifications n WHERE n.id = d.notification_id AND n.mcht_order_no IS DISTINCT FROM 'D'`);
  await sql(`UPDATE delivery_attempts a SET attempted_at = ${old}
               FROM deliveries d JOIN notifications n ON n.id = d.notification_id
              WHERE a.delivery_id = d.id AND n.mcht_order_no IS DISTINCT FROM 'D'`);
}

async function notificationsByOrder() {
  const rows = await sql(`SELECT n.mcht_order_no, n.msg_type, n.timestamp, n.msg_body IS NOT NULL AS body,
                                 n.order_after IS NOT NULL AS order_after, n.pruned_at IS NOT NULL AS pruned,
                                 (SELECT count(*)::int FROM deliveries d WHERE d.notification_id = n.id) AS deliveries,
                                 (SELECT count(*)::int FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
                                   WHERE d.notification_id = n.id) AS attempts
                            FROM notifications n ORDER BY n.timestamp`);
  return rows.map((r) => ({
    order: r.mcht_order_no ?? r.msg_type,
    at: Number(r.timestamp) - T0,
    body: r.body,
    orderAfter: r.order_after,
    pruned: r.pruned,
    deliveries: r.deliveries,
    attempts: r.attempts,
  }));
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, 4);
  // Names SOMETHING_NEW: a msgType Payzero does not send goes only to endpoints that name it.
  await sql(`INSERT INTO webhook_endpoints (id, url, msg_types, secret)
             VALUES ('ep-1', 'http://127.0.0.1:9/hook', '{PAY_STATUS_NOTIFY,DECLARE_STATUS_NOTIFY,SOMETHING_NEW}',
                     'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')`);
  // One at a time, each its own batch, as Payzero sent them.
  for (const m of [A1, A2, A3, B1, C1, ODD]) await applyNotifications(db, [m], fanOut);
  await ageHistory();
  await applyNotifications(db, [D1], fanOut);
  await sql(`UPDATE deliveries d SET status = 'succeeded', succeeded_at = now(), next_attempt_at = NULL
               FROM notifications n WHERE n.id = d.notification_id AND n.mcht_order_no = 'D'`);
  config = testConfig();
  app = await buildApiApp({ config, db });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.$disconnect();
  await database?.drop();
});

async function v1(url: string) {
  const res = await app.inject({ url, headers: { authorization: `Bearer ${config.adminToken}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function metric(kind: string): Promise<number> {
  const m = await registry.getSingleMetric("pzn_retention_removed_total")!.get();
  return m.values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

describe("retention on a history 100 days old", () => {
  let ordersBefore: unknown[];

  it("stops at once while another process holds the retention lock", async () => {
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT pg_advisory_xact_lock(1886092910, 1)");
      const result = await pruneOnce(db, { days: 30, batchSize: 2, pauseMs: 0 });
      expect(result).toEqual({
        deliveries: 0,
        deliveryAttempts: 0,
        notificationBodies: 0,
        personalData: 0,
        busy: true,
      });
      await other.query("ROLLBACK");
    } finally {
      await other.end();
    }
    expect((await notificationsByOrder()).every((n) => n.body && !n.pruned)).toBe(true);
  });

  it("removes old finished deliveries, their attempts and unneeded bodies, in batches; counts them in /metrics", async () => {
    ordersBefore = await sql("SELECT * FROM orders ORDER BY mcht_order_no");
    const before = { deliveries: await metric("deliveries"), bodies: await metric("notification_bodies") };
    // The worker role's way: batches of 2, the first run a second after start.
    const retention = startRetention({
      config: {
        ...testConfig(),
        retention: { days: 30, personalDataDays: 0, intervalSeconds: 1, batchSize: 2 },
      },
      db,
      log: pino({ level: "silent" }),
    });
    const deadline = Date.now() + 30_000;
    const lastRun = async () =>
      (await registry.getSingleMetric("pzn_retention_last_run_timestamp_seconds")!.get()).values[0]?.value ??
      0;
    while ((await lastRun()) === 0) {
      expect(Date.now(), "no retention run finished").toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    await retention.stop();

    expect(await notificationsByOrder()).toEqual([
      // Order A: its first message's body goes; the two its state comes from stay (order_after goes).
      { order: "A", at: 1, body: false, orderAfter: false, pruned: true, deliveries: 0, attempts: 0 },
      { order: "A", at: 2, body: true, orderAfter: false, pruned: true, deliveries: 0, attempts: 0 },
      { order: "A", at: 3, body: true, orderAfter: false, pruned: true, deliveries: 0, attempts: 0 },
      // B's delivery failed (unresolved), C's is pending: untouched, attempts included.
      { order: "B", at: 4, body: true, orderAfter: true, pruned: false, deliveries: 1, attempts: 2 },
      { order: "C", at: 5, body: true, orderAfter: true, pruned: false, deliveries: 1, attempts: 2 },
      {
        order: "SOMETHING_NEW",
        at: 6,
        body: false,
        orderAfter: false,
        pruned: true,
        deliveries: 0,
        attempts: 0,
      },
      // Recent: untouched.
      expect.objectContaining({ order: "D", body: true, orderAfter: true, pruned: false, deliveries: 1 }),
    ]);
    expect(await sql("SELECT * FROM orders ORDER BY mcht_order_no")).toEqual(ordersBefore);
    expect(await metric("deliveries")).toBe(before.deliveries + 4);
    expect(await metric("notification_bodies")).toBe(before.bodies + 2);
    expect(await metric("delivery_attempts")).toBeGreaterThanOrEqual(4);
    const text = await registry.metrics();
    expect(text).toMatch(/pzn_retention_removed_total\{kind="delivery_attempts"\} \d+/);
  });

  it("finds nothing more to remove on the next run", async () => {
    const before = await notificationsByOrder();
    expect(await pruneOnce(db, { days: 30, batchSize: 2, pauseMs: 0 })).toEqual({
      deliveries: 0,
      deliveryAttempts: 0,
      notificationBodies: 0,
      personalData: 0,
      busy: false,
    });
    expect(await notificationsByOrder()).toEqual(before);
  });

  it("keeps the order and its history answering on /v1", async () => {
    const order = await v1("/v1/orders/A");
    expect(order).toMatchObject({ mchtOrderNo: "A", payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" });
    const history = await v1("/v1/notifications?mchtOrderNo=A");
    expect(history.items).toHaveLength(3);
    const first = history.items.find((n: { timestamp: number }) => n.timestamp === T0 + 1);
    expect(first).toMatchObject({ msgType: PAY, msgBody: null, prunedAt: expect.any(String) });
  });

  it("takes a resend of a pruned message for the duplicate it is: not stored, not forwarded", async () => {
    const deliveries = (await sql("SELECT count(*)::int AS n FROM deliveries"))[0].n;
    for (const resend of [A1, ODD]) {
      const [result] = await applyNotifications(db, [{ ...resend, receivedAt: new Date() }], fanOut);
      expect(result).toMatchObject({ duplicate: true });
    }
    expect((await sql("SELECT count(*)::int AS n FROM deliveries"))[0].n).toBe(deliveries);
    expect(await sql("SELECT * FROM orders ORDER BY mcht_order_no")).toEqual(ordersBefore);
  });

  it("refuses to replay a notification whose body is gone, and replays one whose body was kept", async () => {
    const [pruned, kept] = await sql(
      `SELECT id FROM notifications WHERE mcht_order_no = 'A' AND timestamp IN (${T0 + 1}, ${T0 + 2}) ORDER BY timestamp`,
    );
    const refused = await cli({ db, config }, "replay", String(pruned.id));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/body was removed by retention/);
    expect(await sql(`SELECT id FROM deliveries WHERE notification_id = ${pruned.id}`)).toEqual([]);
    const replayed = await cli({ db, config }, "replay", String(kept.id), "--json");
    expect(replayed.code, replayed.stderr).toBe(0);
    await sql(`DELETE FROM deliveries WHERE notification_id = ${kept.id}`);
  });

  it("applies the order's next message as the whole history would have", async () => {
    const declared = message(
      DECLARE,
      { mchtOrderNo: "A", payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" },
      Date.now(),
    );
    const [result] = await applyNotifications(db, [declared], fanOut);
    expect(result).toMatchObject({ duplicate: false, changedOrder: true });
    expect(await v1("/v1/orders/A")).toMatchObject({
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARED",
      // Still A2's PAY_SUCCEED, whose body was kept.
      payStatusAt: T0 + 2,
    });
    const fresh = await sql(
      `SELECT count(*)::int AS n FROM deliveries d JOIN notifications n ON n.id = d.notification_id
        WHERE n.mcht_order_no = 'A'`,
    );
    expect(fresh[0].n).toBe(1);
  });
});
