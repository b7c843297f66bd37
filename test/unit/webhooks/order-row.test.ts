// The pure parts of database destinations: the row an event carries, and whether a table fits.
import { describe, expect, it } from "vitest";
import { databaseTarget } from "../../../src/webhooks/transports/database-url.js";
import {
  databaseEvent,
  EVENT_COLUMNS,
  type ExistingColumn,
  orderColumns,
  tableProblem,
} from "../../../src/webhooks/transports/order-row.js";

const order = {
  mchtOrderNo: "O-1",
  payStatus: "PAY_SUCCEED",
  payStatusAt: 1_700_000_000_000,
  declareStatus: "DECLARED",
  declareStatusAt: 1_700_000_100_000,
  declareFailReason: null,
  paymentAmount: 35302,
  paymentOrderNo: "111906650000561884",
  payerName: "周Xx",
  payerNumber: "610327198509271234",
  payerPhone: "13800138000",
  subject: "not kept",
  version: 3,
  updatedAt: "2026-12-07T13:00:00.000Z",
};
const body = (o: unknown) => JSON.stringify({ id: "msg_1", type: "PAY_STATUS_NOTIFY", order: o });

describe("databaseEvent", () => {
  it("carries the order's row, payer fields only when asked for", () => {
    const without = databaseEvent("msg_1", "PAY_STATUS_NOTIFY", body(order), false);
    expect(without.order).toEqual({
      mcht_order_no: "O-1",
      pay_status: "PAY_SUCCEED",
      pay_status_at: 1_700_000_000_000,
      declare_status: "DECLARED",
      declare_status_at: 1_700_000_100_000,
      declare_fail_reason: null,
      payment_amount: 35302,
      payment_order_no: "111906650000561884",
      version: 3,
      updated_at: new Date("2026-12-07T13:00:00.000Z"),
    });
    const withPayer = databaseEvent("msg_1", "PAY_STATUS_NOTIFY", body(order), true);
    expect(withPayer.order).toMatchObject({ payer_name: "周Xx", payer_phone: "13800138000" });
  });

  it("has no row for an event without an order (a refund, a test event) or without a version", () => {
    expect(databaseEvent("msg_2", "REFUND_STATUS_NOTIFY", body(null), true).order).toBeNull();
    expect(databaseEvent("msg_3", "X", JSON.stringify({ id: "msg_3" }), true).order).toBeNull();
    expect(databaseEvent("msg_4", "X", body({ ...order, version: undefined }), true).order).toBeNull();
  });
});

const column = (name: string, dataType: string, more: Partial<ExistingColumn> = {}): ExistingColumn => ({
  name,
  dataType,
  nullable: true,
  hasDefault: false,
  generated: false,
  ...more,
});
const fitting = [
  column("webhook_id", "text", { nullable: false }),
  column("type", "character varying", { nullable: false }),
  column("payload", "jsonb", { nullable: false }),
  column("received_at", "timestamp with time zone", { nullable: false, hasDefault: true }),
];

describe("tableProblem", () => {
  it("accepts a fitting table, extra nullable columns included", () => {
    expect(
      tableProblem("t_events", EVENT_COLUMNS, [...fitting, column("note", "text")], ["webhook_id"]),
    ).toBe(undefined);
  });

  it.each([
    ["a missing column", fitting.slice(1), ["webhook_id"], /has no column webhook_id/],
    [
      "a type that cannot hold the values",
      [...fitting.slice(0, 2), column("payload", "integer"), fitting[3]!],
      ["webhook_id"],
      /payload is integer/,
    ],
    ["another primary key", fitting, ["webhook_id", "type"], /primary key must be \(webhook_id\) alone/],
    [
      "a NOT NULL column the service does not fill",
      [...fitting, column("tenant", "text", { nullable: false })],
      ["webhook_id"],
      /tenant is NOT NULL without a default/,
    ],
    ["no table", [], [], /does not exist/],
  ])("refuses %s", (_, existing, key, message) => {
    expect(tableProblem("t_events", EVENT_COLUMNS, existing as ExistingColumn[], key as string[])).toMatch(
      message,
    );
  });

  it("wants the payer columns only with personalData", () => {
    expect(orderColumns(false).map((c) => c.name)).not.toContain("payer_name");
    expect(orderColumns(true).map((c) => c.name)).toContain("payer_name");
  });
});

describe("databaseTarget", () => {
  it("reads the connection, table and options; the pool's identity leaves the table out", () => {
    const a = databaseTarget("mysql://u:p%40ss@db.internal/shop?table=orders&personalData=true");
    expect(a).toMatchObject({ kind: "mysql", host: "db.internal", port: 3306, user: "u", password: "p@ss" });
    expect(a).toMatchObject({ database: "shop", table: "orders", personalData: true, ssl: false });
    const b = databaseTarget("mysql://u:p%40ss@db.internal/shop?table=others");
    expect(b.connectionKey).toBe(a.connectionKey);
    expect(databaseTarget("postgresql://u@db/shop?table=t").port).toBe(5432);
  });
});
