// Every hot path's statements against years of history: each path runs for real (the apply step,
// the /v1 routes through app.inject, the reconciler's query, the CLI), its SQL and parameters are
// captured on their way to Postgres, and each statement is replayed under EXPLAIN ANALYZE. A scan
// that reads a large table whole, or a large share of it, fails the path: its cost would grow with
// the history (a text[] compared with the char(64) content key once made every apply batch read
// all notifications). A new path is one line in PATHS.
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../../src/api/app.js";
import { listDeliveries } from "../../../src/cli/commands/deliveries.js";
import { commandContext } from "../../../src/cli/run.js";
import type { Config } from "../../../src/config.js";
import type { Db } from "../../../src/db/client.js";
import { applyNotifications } from "../../../src/orders/apply.js";
import { ordersDeps } from "../../../src/orders/deps.js";
import { orderHistory } from "../../../src/orders/history.js";
import type { FanOut, IncomingNotification } from "../../../src/orders/notification.js";
import { staleOrdersQuery } from "../../../src/reconcile/policy.js";
import { deleteFinishedDeliveries, pruneNotifications } from "../../../src/retention/prune.js";
import { backfillStep } from "../../../src/webhooks/delivery/backfill.js";
import {
  claimDue,
  type HeldDelivery,
  recordAttempts,
  releaseHolds,
  renewHolds,
} from "../../../src/webhooks/delivery/delivery-queue.js";
import { insertDeliveries } from "../../../src/webhooks/delivery/delivery-rows.js";
import { queryDatabase } from "../../support/admin.js";
import { type CapturingDb, capturingDb, type Statement } from "../../support/capture.js";
import { testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { FAILED_ORDER_EVERY, growHistory } from "../../support/history.js";
import { orderBody } from "../../support/payzero.js";
import { checkStatements, explain, largeTables, planProblems } from "../../support/plans.js";

/** 100,000 orders, 200,000 notifications, deliveries and attempts. */
const HISTORY_ORDERS = 100_000;
const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";

/** The fan-out as the workers run it; the rows it holds are kept for the delivery paths below. */
let held: HeldDelivery[] = [];
const fanOut: FanOut<HeldDelivery[]> = {
  inTransaction: (tx, notifications) => insertDeliveries(tx, notifications, 60_000),
  afterCommit: (rows) => {
    held = rows;
  },
};

let database: TestDatabase;
let capture: CapturingDb;
let db: Db;
let config: Config;
let app: FastifyInstance;
let resends: IncomingNotification[];

beforeAll(async () => {
  database = await createTestDatabase();
  await queryDatabase(
    database.url,
    `INSERT INTO webhook_endpoints (id, url, msg_types, secret)
     VALUES ('ep-all', 'http://127.0.0.1:9/all', '{}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')`,
  );
  await growHistory(database.url, { orders: HISTORY_ORDERS, prefix: "H-", attempts: true, compact: true });
  // Endpoints added since: one per type, one disabled (the fan-out's join reads them all).
  await queryDatabase(
    database.url,
    `INSERT INTO webhook_endpoints (id, url, msg_types, secret, enabled)
     VALUES ('ep-declare', 'http://127.0.0.1:9/declare', '{DECLARE_STATUS_NOTIFY}', 'whsec_x', true),
            ('ep-off', 'http://127.0.0.1:9/off', '{}', 'whsec_y', false)`,
  );
  const stored = await queryDatabase(
    database.url,
    "SELECT msg_type, msg_body, timestamp FROM notifications WHERE mcht_order_no IN ('H-7', 'H-8')",
  );
  resends = stored.rows.map((r) => incoming(r.msg_type, r.msg_body, BigInt(r.timestamp)));
  config = testConfig();
  capture = capturingDb(database.url);
  db = capture.db;
  app = await buildApiApp({ config, db });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await db?.$disconnect();
  await database?.drop();
});

function incoming(msgType: string, msgBody: string, timestamp = BigInt(Date.now())): IncomingNotification {
  return { msgType, timestamp, msgBody, receivedAt: new Date(), source: "payzero-notify" };
}

let made = 0;
/** Orders never seen, each with its payment and its declaration. */
function newOrders(count: number): IncomingNotification[] {
  return Array.from({ length: count }, () => `N-${++made}`).flatMap((mchtOrderNo) => [
    incoming(PAY, orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" })),
    incoming(DECLARE, orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" })),
  ]);
}

let paid = 0;
/** Payments of old orders that had failed to pay: their history is read back. */
function laterPayments(count: number): IncomingNotification[] {
  return Array.from({ length: count }, () => `H-${FAILED_ORDER_EVERY * ++paid}`).map((mchtOrderNo) =>
    incoming(PAY, orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" })),
  );
}

const apply = (messages: IncomingNotification[]) => applyNotifications(db, messages, fanOut);

async function get(url: string): Promise<{ nextCursor?: string | null }> {
  const res = await app.inject({ url, headers: { authorization: `Bearer ${config.adminToken}` } });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json();
}

/** The list's first page, then the page after it. */
async function twoPages(url: string): Promise<void> {
  const first = await get(url);
  expect(first.nextCursor, `${url} has a second page`).toEqual(expect.any(String));
  await get(`${url}${url.includes("?") ? "&" : "?"}cursor=${first.nextCursor}`);
}

const out = { print: () => {}, error: () => {} };
const cli = () => commandContext({ db, config, out });
const hourAgo = () => new Date(Date.now() - 3_600_000);
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

const PATHS: Array<[string, () => Promise<unknown>]> = [
  [
    "apply: new orders, resends and old orders in one batch",
    () => apply([...newOrders(8), ...resends, ...laterPayments(4)]),
  ],
  ["apply: one message of an old order (the reconciler's way)", () => apply(laterPayments(1))],
  ["apply: resends only", () => apply(resends)],
  ["GET /v1/orders", () => twoPages("/v1/orders")],
  ["GET /v1/orders?payStatus", () => twoPages("/v1/orders?payStatus=PAY_FAILED")],
  ["GET /v1/orders?declareStatus", () => twoPages("/v1/orders?declareStatus=DECLARED")],
  [
    "GET /v1/orders?payStatus&declareStatus",
    () => get("/v1/orders?payStatus=PAY_SUCCEED&declareStatus=NOT_DECLARED"),
  ],
  ["GET /v1/orders/:mchtOrderNo", () => get("/v1/orders/H-77")],
  ["GET /v1/notifications", () => twoPages("/v1/notifications")],
  ["GET /v1/notifications/:id", () => get("/v1/notifications/5")],
  ["GET /v1/notifications?mchtOrderNo", () => get("/v1/notifications?mchtOrderNo=H-99")],
  ["GET /v1/notifications?msgType", () => twoPages(`/v1/notifications?msgType=${DECLARE}`)],
  ["GET /v1/deliveries", () => twoPages("/v1/deliveries")],
  ["GET /v1/deliveries?status=failed", () => twoPages("/v1/deliveries?status=failed")],
  ["GET /v1/deliveries?webhookId", () => twoPages("/v1/deliveries?webhookId=ep-all")],
  ["GET /v1/webhooks", () => get("/v1/webhooks")],
  [
    "deliveries: claim due rows (and fail a disabled endpoint's)",
    () =>
      claimDue(db, {
        total: 64,
        perEndpointDefault: 32,
        perEndpoint: new Map([["ep-all", 4]]),
        leaseMs: 60_000,
      }),
  ],
  [
    "deliveries: claim due rows of a per-order endpoint (the gate looks up each row's order)",
    async () => {
      await db.$executeRaw`UPDATE webhook_endpoints SET ordering = 'per-order' WHERE id = 'ep-declare'`;
      // Its new rows are due, not held: a claim takes them, one per order.
      await apply(newOrders(4));
      await claimDue(db, { total: 64, perEndpointDefault: 32, perEndpoint: new Map(), leaseMs: 60_000 });
      await db.$executeRaw`UPDATE webhook_endpoints SET ordering = 'none' WHERE id = 'ep-declare'`;
    },
  ],
  [
    "deliveries: renew, record and give back held rows",
    async () => {
      await apply(newOrders(4));
      expect(held.length).toBeGreaterThan(0);
      const renewed = (await renewHolds(db, held, 60_000)).filter((h) => h !== null);
      await releaseHolds(db, renewed.slice(1));
      const outcome = {
        ok: false,
        statusCode: 503,
        error: "HTTP 503",
        durationMs: 3,
        responseExcerpt: "down",
      };
      await recordAttempts(
        db,
        renewed.slice(0, 1).map((h) => ({
          claimed: { id: h.id, endpointId: h.endpointId, attemptCount: h.attemptCount },
          attemptedAt: new Date(),
          outcome,
          result: { status: "pending" as const, retryInMs: 5000 },
        })),
      );
    },
  ],
  [
    "POST /v1/deliveries/:id/retry",
    async () => {
      const failed = await db.delivery.findFirstOrThrow({
        where: { status: "failed" },
        select: { id: true },
      });
      const res = await app.inject({
        method: "POST",
        url: `/v1/deliveries/${failed.id}/retry`,
        headers: { authorization: `Bearer ${config.adminToken}` },
      });
      expect(res.statusCode, res.body).toBe(202);
    },
  ],
  [
    "reconcile: the stale orders",
    () => db.order.findMany(staleOrdersQuery(new Date(), config.reconcile, null)),
  ],
  [
    "reconcile: the stale orders after a cursor",
    () =>
      db.order.findMany(
        staleOrdersQuery(new Date(), config.reconcile, { updatedAt: hourAgo(), mchtOrderNo: "" }),
      ),
  ],
  [
    // The history spans 1 to 4 days back: a 2-day cutoff finds work, as a run in production does.
    "retention: a batch of old succeeded deliveries and their attempts",
    () => db.$transaction((tx) => deleteFinishedDeliveries(tx, daysAgo(2), 1000)),
  ],
  [
    "retention: a batch of old notifications' bodies",
    () => db.$transaction((tx) => pruneNotifications(tx, daysAgo(2), 1000)),
  ],
  [
    "orders: one order's timeline (console order page, CLI order)",
    () =>
      orderHistory(
        ordersDeps(db, async () => {}),
        { mchtOrderNo: "H-150" },
      ),
  ],
  [
    "cli: deliveries --status failed",
    () => listDeliveries(cli(), { status: "failed", limit: 50, json: true }),
  ],
  [
    "deliveries: record a throttled attempt (a 429)",
    async () => {
      await apply(newOrders(2));
      const [h] = held;
      await recordAttempts(db, [
        {
          claimed: { id: h!.id, endpointId: h!.endpointId, attemptCount: h!.attemptCount },
          attemptedAt: new Date(),
          outcome: { ok: false, statusCode: 429, error: "HTTP 429", durationMs: 2, responseExcerpt: null },
          result: { status: "pending", retryInMs: 1000, throttled: true },
        },
      ]);
    },
  ],
  [
    "POST /v1/webhooks/:id/backfill",
    async () => {
      const res = await app.inject({
        method: "POST",
        url: "/v1/webhooks/ep-declare/backfill",
        headers: { authorization: `Bearer ${config.adminToken}` },
        payload: { since: new Date(Date.now() - 5 * 365 * 86_400_000).toISOString() },
      });
      expect(res.statusCode, res.body).toBe(202);
    },
  ],
  [
    "backfill: batches of a backfill over the whole history",
    async () => {
      for (let i = 0; i < 2; i++) expect(await backfillStep(db, 500)).not.toBeNull();
    },
  ],
  ["GET /v1/webhooks/:id/backfill", () => get("/v1/webhooks/ep-declare/backfill")],
  [
    "deliveries: claim due rows, backfilled ones among them",
    () => claimDue(db, { total: 64, perEndpointDefault: 32, perEndpoint: new Map(), leaseMs: 60_000 }),
  ],
];

describe("plans against 100,000 orders of history", () => {
  it.each(PATHS)("%s: no large table read whole", async (_name, run) => {
    capture.take();
    await run();
    const statements = capture.take();
    expect(statements.filter((s) => /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)/i.test(s.text))).not.toEqual([]);
    expect(await checkStatements(database.url, statements)).toEqual([]);
  });
});

describe("the plan check", () => {
  it("names a scan of a whole large table, and a large share read through an index", async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const large = await largeTables(client);
      expect(large.get("notifications")).toBeGreaterThanOrEqual(2 * HISTORY_ORDERS * 0.9);
      const whole: Statement = {
        text: "SELECT id FROM notifications WHERE content_key = ANY ($1::text[])",
        values: [["0".repeat(64)]],
      };
      expect(planProblems(await explain(client, whole), large)).toEqual([
        expect.stringMatching(/^Seq Scan on notifications: reads the whole table/),
      ]);
      const share: Statement = {
        text: "SELECT count(*) FROM orders WHERE updated_at > now() - interval '60 days'",
        values: [],
      };
      await client.query("SET enable_seqscan = off");
      expect(planProblems(await explain(client, share), large)).toEqual([
        expect.stringMatching(/^(Index|Index Only|Bitmap Heap) Scan on orders.*: reads \d+ of its \d+ rows/),
      ]);
    } finally {
      await client.end();
    }
  });
});
