// `order`: state and history from the real apply step, payer data never printed in full.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import { applyNotification } from "../../../src/orders/apply.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { testConfig } from "../../support/config.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { orderBody } from "../../support/payzero.js";
import { cli, json } from "./support.js";

let tdb: TestDatabase;
let db: Db;
const config = testConfig();
beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDb(tdb.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

const FULL_PAYER = ["周Xx", "610327198509271234", "13800138000"];

async function apply(msgBody: string, timestamp: number) {
  const input = { msgType: PAY_STATUS_NOTIFY, msgBody, timestamp: BigInt(timestamp), receivedAt: new Date() };
  return applyNotification(db, { ...input, source: "payzero-notify" }, noFanOut);
}

describe("order", () => {
  it("shows the state and the history oldest first, with the payer masked in table and JSON", async () => {
    const late = await apply(orderBody({ mchtOrderNo: "PO-1", payStatus: "PAY_SUCCEED" }), 1_554_990_600_000);
    const early = await apply(
      orderBody({ mchtOrderNo: "PO-1", payStatus: "PAY_APPLIED" }),
      1_554_990_000_000,
    );
    const broken = await apply(orderBody({ mchtOrderNo: "PO-1", paymentAmount: 1.5 }), 1_554_990_900_000);
    // Applied all the same: the amount is not what the state needs (docs/payzero.md, "Order state").
    expect([late.changedOrder, early.changedOrder, broken.applied, broken.problem]).toEqual([
      true,
      false,
      true,
      "paymentAmount is not a whole number of fen: left out (msgBody has it)",
    ]);
    const deps = { db, config };

    const table = await cli(deps, "order", "PO-1");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/pay status +PAY_SUCCEED at 2019-04-11T13:50:00.000Z/);
    expect(table.stdout).toMatch(/amount +35302 fen \(353.02 CNY\)/);
    expect(table.stdout).toContain("周**  6103**********1234  138****8000");
    const rows = table.stdout.split("\n").filter((l) => /^\d+ +PAY_STATUS_NOTIFY/.test(l));
    expect(rows.map((l) => l.split(/ +/)[0])).toEqual(
      [late, early, broken].map((r) => String(r.notificationId)),
    );
    expect(rows[0]).toMatch(
      /2019-04-11T13:50:00.000Z +\S+ +yes +- +payzero-notify +0 ok\/0 failed\/0 pending/,
    );
    expect(rows[1]).toMatch(/2019-04-11T13:40:00.000Z +\S+ +no +-/);
    expect(rows[2]).toContain("paymentAmount is not a whole number of fen");

    const machine = await cli(deps, "order", "PO-1", "--json");
    const parsed = json<{ order: Record<string, unknown>; notifications: Array<Record<string, unknown>> }>(
      machine,
    );
    expect(parsed.order).toMatchObject({
      payerName: "周**",
      payerNumber: "6103**********1234",
      payerPhone: "138****8000",
      payStatus: "PAY_SUCCEED",
      paymentAmount: 35302,
    });
    expect(parsed.notifications.map((n) => n.timestampIso)).toEqual([
      "2019-04-11T13:50:00.000Z",
      "2019-04-11T13:40:00.000Z",
      "2019-04-11T13:55:00.000Z",
    ]);
    expect(parsed.notifications[0]).not.toHaveProperty("msgBody");

    for (const output of [table.stdout, table.stderr, machine.stdout, machine.stderr])
      for (const secret of FULL_PAYER) expect(output).not.toContain(secret);
  });

  it("shows the history of an order no notification could be applied to, and exits 1 for an unknown one", async () => {
    const unreadable = { ...JSON.parse(orderBody({ mchtOrderNo: "PO-BAD" })), payStatus: ["PAY_SUCCEED"] };
    await apply(JSON.stringify(unreadable), 1_554_990_000_000);
    const shown = await cli({ db, config }, "order", "PO-BAD");
    expect(shown.code).toBe(0);
    // The order has a row with no status (the reconciler asks about it), and the message its problem.
    expect(shown.stdout).toMatch(/pay status +-\n/);
    expect(shown.stdout).toContain("payStatus is not text");
    expect(shown.stdout).toContain("history (1, oldest first):");
    expect(await cli({ db, config }, "order", "NOPE")).toEqual({
      code: 1,
      stdout: "",
      stderr: "no such order: NOPE",
    });
  });
});

describe("expect", () => {
  it("registers orders to expect, idempotently, like POST /v1/orders/expected", async () => {
    const first = await cli({ db, config }, "expect", "EX-1", "EX-2", "--no-declare");
    expect(first).toEqual({ code: 0, stdout: "expected 2 order(s): 2 new, 0 already known", stderr: "" });
    expect(json(await cli({ db, config }, "expect", "EX-2", "EX-3", "--json"))).toEqual({
      expected: 2,
      added: 1,
    });
    const orders = await db.order.findMany({
      where: { mchtOrderNo: { startsWith: "EX-" } },
      orderBy: { mchtOrderNo: "asc" },
    });
    expect(orders.map((o) => [o.mchtOrderNo, o.payStatus, o.needDeclare, o.expectedAt !== null])).toEqual([
      ["EX-1", null, false, true],
      ["EX-2", null, false, true],
      ["EX-3", null, null, true],
    ]);
    const shown = await cli({ db, config }, "order", "EX-1");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/pay status +-/);
  });
});

describe("order retry and order query", () => {
  it("announces a retry through the operation, refuses what the state does not allow, and says when Payzero cannot be asked", async () => {
    await apply(orderBody({ mchtOrderNo: "PO-RETRY", payStatus: "PAY_FAILED" }), 1_554_990_000_000);
    const deps = { db, config };

    const announced = await cli(deps, "order", "retry", "PO-RETRY", "--kind", "pay");
    expect(announced.code).toBe(0);
    expect(announced.stdout).toMatch(/pay retry of PO-RETRY announced \(generation 1\)/);
    expect(await db.orderRetry.count({ where: { mchtOrderNo: "PO-RETRY", consumedAt: null } })).toBe(1);

    const refused = await cli(deps, "order", "retry", "PO-RETRY", "--kind", "declare");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/section 8.1 declares paid orders only/);
    await expect(cli(deps, "order", "retry", "PO-RETRY")).rejects.toThrow(/--kind pay or --kind declare/);

    // The test config has no Payzero API: nothing is asked, nothing changes.
    const query = await cli(deps, "order", "query", "PO-RETRY");
    expect(query.code).toBe(1);
    expect(query.stderr).toMatch(/Payzero's query API is not configured/);
  });
});
