// Drift check: every model and every column of schema.prisma goes through the generated client
// against the migrated database. A column the migration lacks (or types differently) fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import { Prisma } from "../../../src/generated/prisma/client.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";

let tdb: TestDatabase;
let db: Db;
beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDb(tdb.url, 2);
});
afterAll(async () => {
  await db.$disconnect();
  await tdb.drop();
});

describe("schema.prisma matches the migrations", () => {
  it("round-trips every column of every model", async () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const order = {
      mchtOrderNo: "SCHEMA-1",
      paymentAmount: 9_007_199_254_740_993n,
      payerName: "周Xx",
      payerNumber: "610327198509271234",
      payerPhone: "13800138000",
      subject: "口红",
      payStatus: "PAY_SUCCEED",
      payStatusAt: 1555816968018n,
      declareStatus: "DECLARED",
      declareStatusAt: 1555816999999n,
      declareFailReason: "原因",
      paymentOrderNo: "111906650000561884",
      verDept: "1",
      payType: "2",
      initRequest: "req",
      initResponse: "{}",
      paymentDatetime: "20190411213822",
      customsPayCompanyName: "通联",
      customsPayCompanyCode: "312228034T",
      createdAt: at,
      updatedAt: at,
      expectedAt: at,
      needDeclare: false,
      payzeroUnknownSince: at,
      version: 7,
      personalDataErasedAt: at,
    };
    expect(await db.order.create({ data: order })).toEqual(order);

    const notification = {
      contentKey: "a".repeat(64),
      bodyKey: "d".repeat(64),
      msgType: "PAY_STATUS_NOTIFY",
      timestamp: 1555816968018n,
      msgBody: '{"mchtOrderNo":"SCHEMA-1"}',
      source: "payzero-query",
      mchtOrderNo: "SCHEMA-1",
      problem: "none",
      applied: true,
      changedOrder: true,
      orderAfter: { mchtOrderNo: "SCHEMA-1", paymentAmount: 1 },
      receivedAt: at,
      storedAt: at,
      prunedAt: at,
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    };
    const n = await db.notification.create({ data: notification });
    expect(n).toEqual({ id: n.id, ...notification });

    const retry = {
      mchtOrderNo: "SCHEMA-1",
      kind: "declare",
      generation: 3,
      announcedAt: at,
      consumedAt: at,
      notificationId: n.id,
    };
    expect(await db.orderRetry.create({ data: retry })).toEqual(retry);

    const endpoint = {
      id: "ep_schema",
      url: "https://erp.example/hooks",
      msgTypes: ["PAY_STATUS_NOTIFY", "DECLARE_STATUS_NOTIFY"],
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      previousSecret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
      previousSecretExpiresAt: at,
      enabled: false,
      description: "ERP",
      failingSince: at,
      createdAt: at,
      updatedAt: at,
      headers: "enc:v1:0123abcd:sealed",
      payStatuses: ["PAY_SUCCEED", "PAY_FAILED"],
      declareStatuses: ["DECLARED"],
      rateLimitPerSecond: 50,
      throttledUntil: at,
      ordering: "per-order",
    };
    expect(await db.webhookEndpoint.create({ data: endpoint })).toEqual(endpoint);

    const delivery = {
      notificationId: n.id,
      endpointId: endpoint.id,
      status: "failed",
      attemptCount: 3,
      nextAttemptAt: at,
      manualRetry: true,
      lastError: "timeout",
      createdAt: at,
      updatedAt: at,
      succeededAt: at,
      throttledCount: 2,
      backfillId: 7n,
      waiting: true,
    };
    const d = await db.delivery.create({ data: delivery });
    expect(d).toEqual({ id: d.id, ...delivery });

    const backfill = {
      endpointId: endpoint.id,
      since: at,
      until: at,
      status: "done",
      cursorReceivedAt: at,
      cursorNotificationId: n.id,
      scanned: 12,
      created: 3,
      createdAt: at,
      updatedAt: at,
      finishedAt: at,
    };
    const b = await db.webhookBackfill.create({ data: backfill });
    expect(b).toEqual({ id: b.id, ...backfill });

    const attempt = {
      deliveryId: d.id,
      attemptedAt: at,
      durationMs: 1234,
      statusCode: 502,
      error: "bad gateway",
      responseExcerpt: "<html>",
    };
    const a = await db.deliveryAttempt.create({ data: attempt });
    expect(a).toEqual({ id: a.id, ...attempt });

    const entry = {
      id: 1n,
      at,
      actorKind: "token",
      actorId: "admin",
      actorName: "ADMIN_TOKEN",
      action: "order.expect",
      target: "SCHEMA-1",
      summary: { expected: 1, added: 1 },
      prevHash: "0".repeat(64),
      hash: "f".repeat(64),
    };
    expect(await db.auditEntry.create({ data: entry })).toEqual(entry);
    const refund = {
      mchtRefundOrderNo: "SCHEMA-R1",
      mchtOrderNo: "SCHEMA-1",
      refundAmount: 1225n,
      refundStatus: "REFUND_REQUESTED",
      version: 1,
      polls: 2,
      nextPollAt: at,
      lastError: "timeout",
      createdAt: at,
      updatedAt: at,
    };
    expect(await db.refund.create({ data: refund })).toEqual(refund);
    // The migration's one head row.
    expect(await db.auditHead.findMany()).toEqual([{ id: 1, entries: 0n, lastHash: "0".repeat(64) }]);

    const token = {
      id: "tok_0123456789abcdef",
      name: "erp",
      scopes: ["orders:expect", "read"],
      tokenHash: "a".repeat(64),
      createdAt: at,
      lastUsedAt: at,
      revokedAt: at,
    };
    expect(await db.apiToken.create({ data: token })).toEqual(token);
  });

  it("has no column, and no table, that the schema does not know", async () => {
    const models: Record<string, Record<string, string>> = {
      notifications: Prisma.NotificationScalarFieldEnum,
      orders: Prisma.OrderScalarFieldEnum,
      webhook_endpoints: Prisma.WebhookEndpointScalarFieldEnum,
      deliveries: Prisma.DeliveryScalarFieldEnum,
      delivery_attempts: Prisma.DeliveryAttemptScalarFieldEnum,
      webhook_backfills: Prisma.WebhookBackfillScalarFieldEnum,
      audit_log: Prisma.AuditEntryScalarFieldEnum,
      audit_head: Prisma.AuditHeadScalarFieldEnum,
      api_tokens: Prisma.ApiTokenScalarFieldEnum,
      refunds: Prisma.RefundScalarFieldEnum,
      order_retries: Prisma.OrderRetryScalarFieldEnum,
    };
    expect(Object.keys(models)).toHaveLength(Object.keys(Prisma.ModelName).length);
    const rows = await db.$queryRaw<Array<{ table_name: string; columns: bigint }>>`
      SELECT table_name, count(*) AS columns FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' GROUP BY table_name`;
    const inDb = Object.fromEntries(rows.map((r) => [r.table_name, Number(r.columns)]));
    const inSchema = Object.fromEntries(
      Object.entries(models).map(([t, fields]) => [t, Object.keys(fields).length]),
    );
    expect(inDb).toEqual(inSchema);
  });

  it("applies the defaults the schema declares", async () => {
    const n = await db.notification.create({
      data: { contentKey: "b".repeat(64), msgType: "X", timestamp: 1n, msgBody: "x", receivedAt: new Date() },
    });
    expect(n).toMatchObject({
      source: "payzero-notify",
      changedOrder: false,
      problem: null,
      orderAfter: null,
    });
    const e = await db.webhookEndpoint.create({ data: { id: "ep_defaults", url: "http://x", secret: "s" } });
    expect(e).toMatchObject({
      enabled: true,
      msgTypes: [],
      payStatuses: [],
      declareStatuses: [],
      headers: null,
      failingSince: null,
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
    const d = await db.delivery.create({ data: { notificationId: n.id, endpointId: e.id } });
    expect(d).toMatchObject({ status: "pending", attemptCount: 0, nextAttemptAt: null, succeededAt: null });
  });

  it("keeps the unique keys the idempotency rests on", async () => {
    const data = {
      contentKey: "c".repeat(64),
      msgType: "X",
      timestamp: 1n,
      msgBody: "x",
      receivedAt: new Date(),
    };
    const n = await db.notification.create({ data });
    await expect(db.notification.create({ data })).rejects.toThrow();
    await db.webhookEndpoint.create({ data: { id: "ep_unique", url: "http://x", secret: "s" } });
    await db.delivery.create({ data: { notificationId: n.id, endpointId: "ep_unique" } });
    await expect(
      db.delivery.create({ data: { notificationId: n.id, endpointId: "ep_unique" } }),
    ).rejects.toThrow();
  });
});
