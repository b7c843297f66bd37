// Receiver → queue → worker → Postgres, read back through the /v1 API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBody } from "../../../src/orders/personal-data.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";

const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
  p.startWorker();
});
afterAll(() => p.close());

async function send(
  msgType: string,
  timestamp: number,
  fields: Record<string, unknown> & { mchtOrderNo: string },
) {
  const res = await p.app.inject({
    method: "POST",
    url: "/payzero/notify",
    payload: signedEnvelope(msgType, orderBody(fields), timestamp),
  });
  expect(res.body).toBe("OK");
}

async function order(mchtOrderNo: string) {
  const res = await p.app.inject({
    url: `/v1/orders/${encodeURIComponent(mchtOrderNo)}`,
    headers: p.authorized,
  });
  return res.statusCode === 200 ? res.json() : null;
}

describe("order state from notifications", () => {
  it("ends PAY_SUCCEED after PAY_APPLIED, PAY_SUCCEED, then a stale PAY_FAILED", async () => {
    await send(PAY, 1000, { mchtOrderNo: "H-1", payStatus: "PAY_APPLIED" });
    await p.drained();
    await send(PAY, 3000, { mchtOrderNo: "H-1", payStatus: "PAY_SUCCEED", paymentAmount: 35302 });
    await p.drained();
    await send(PAY, 2000, { mchtOrderNo: "H-1", payStatus: "PAY_FAILED" });
    await p.drained();
    expect(await order("H-1")).toMatchObject({
      mchtOrderNo: "H-1",
      payStatus: "PAY_SUCCEED",
      paymentAmount: 35302,
    });
    const history = await p.db.notification.findMany({
      where: { mchtOrderNo: "H-1" },
      orderBy: { id: "asc" },
    });
    expect(history.map((n) => n.changedOrder)).toEqual([true, true, false]);
  });

  it("ends DECLARED after DECLARE_FAILED, DECLARED, then a late DECLARING, and an old PAY keeps it", async () => {
    await send(DECLARE, 1000, {
      mchtOrderNo: "H-2",
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARE_FAILED",
    });
    await send(DECLARE, 2000, { mchtOrderNo: "H-2", payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" });
    await send(DECLARE, 3000, { mchtOrderNo: "H-2", payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" });
    await send(PAY, 500, { mchtOrderNo: "H-2", payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" });
    await p.drained();
    expect(await order("H-2")).toMatchObject({
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARED",
      declareStatusAt: 2000,
    });
  });

  it("stores each message once however often and however concurrently it arrives", async () => {
    const statuses = ["NOT_PAYED", "PAY_APPLIED", "PAY_SMS_CONFIRMED", "PAY_SUCCEED"];
    const sends = [];
    for (let copy = 0; copy < 5; copy++) {
      for (const [i, payStatus] of statuses.entries()) {
        sends.push(send(PAY, 10_000 + i, { mchtOrderNo: "H-3", payStatus }));
      }
    }
    await Promise.all(sends);
    await p.drained();
    expect(await p.db.notification.count({ where: { mchtOrderNo: "H-3" } })).toBe(4);
    expect(await order("H-3")).toMatchObject({ payStatus: "PAY_SUCCEED", payStatusAt: 10_003 });
  });

  it("stores and marks bodies that are not orders and unknown types, and goes on with the rest", async () => {
    const odd = [
      signedEnvelope(PAY, "not json at all"),
      signedEnvelope(PAY, '{"payStatus":"PAY_SUCCEED"}'),
      signedEnvelope(DECLARE, '{"mchtOrderNo":"H-4","declareStatus":["DECLARED"]}'),
      signedEnvelope("REFUND_STATUS_NOTIFY", '{"mchtOrderNo":"H-4","refundStatus":"DONE"}'),
    ];
    for (const env of odd) {
      expect((await p.app.inject({ method: "POST", url: "/payzero/notify", payload: env })).body).toBe("OK");
    }
    await send(PAY, 5000, { mchtOrderNo: "H-4", payStatus: "PAY_SUCCEED" });
    await p.drained();
    // Bodies are sealed at rest: found by what they open to.
    const stored = (await p.db.notification.findMany()).filter((n) =>
      odd.some((e) => e.msgBody === openBody(n.contentKey, n.msgBody)),
    );
    expect(stored.map((n) => n.problem).sort()).toEqual([
      "declareStatus is not text",
      "msgBody has no mchtOrderNo",
      "msgBody is not JSON",
      "unknown msgType REFUND_STATUS_NOTIFY",
    ]);
    expect(stored.every((n) => !n.changedOrder && !n.applied)).toBe(true);
    expect(await order("H-4")).toMatchObject({ payStatus: "PAY_SUCCEED" });
    expect(await p.queue.getJobCounts("failed")).toEqual({ failed: 0 });
  });

  it("writes an order's times with Postgres's clock, the one the reconciler measures staleness on", async () => {
    await send(PAY, 9000, { mchtOrderNo: "H-7", payStatus: "PAY_APPLIED" });
    await p.drained();
    // stored_at defaults to now() in the transaction that applied the message: the same instant.
    const [row] = await p.db.$queryRaw<Array<{ same: boolean }>>`
      SELECT o.updated_at = n.stored_at AND o.created_at = n.stored_at AS same
        FROM orders o JOIN notifications n USING (mcht_order_no) WHERE o.mcht_order_no = 'H-7'`;
    expect(row).toEqual({ same: true });
  });

  it("keeps an order whose only message has an unreadable status, with no status, for the reconciler to ask about", async () => {
    const body = JSON.stringify({ ...JSON.parse(orderBody({ mchtOrderNo: "H-6" })), payStatus: { code: 1 } });
    const res = await p.app.inject({
      method: "POST",
      url: "/payzero/notify",
      payload: signedEnvelope(PAY, body, 8000),
    });
    expect(res.body).toBe("OK");
    await p.drained();
    expect(await p.db.notification.findMany({ where: { mchtOrderNo: "H-6" } })).toEqual([
      expect.objectContaining({ applied: false, changedOrder: false, problem: "payStatus is not text" }),
    ]);
    expect(await order("H-6")).toMatchObject({ payStatus: null, declareStatus: null, version: 0 });
  });

  it("applies the status of a message with an object initResponse and a decimal amount, and reports them", async () => {
    const body = JSON.stringify({
      ...JSON.parse(orderBody({ mchtOrderNo: "H-5", payStatus: "PAY_SUCCEED" })),
      paymentAmount: "35302.00",
      initResponse: { retcode: "SUCCESS", trxstatus: "0000" },
    });
    const res = await p.app.inject({
      method: "POST",
      url: "/payzero/notify",
      payload: signedEnvelope(PAY, body, 7000),
    });
    expect(res.body).toBe("OK");
    await p.drained();
    expect(await order("H-5")).toMatchObject({
      payStatus: "PAY_SUCCEED",
      payStatusAt: 7000,
      paymentAmount: 35302,
      initResponse: '{"retcode":"SUCCESS","trxstatus":"0000"}',
      version: 1,
    });
    const res2 = await p.app.inject({ url: "/v1/notifications?mchtOrderNo=H-5", headers: p.authorized });
    const [sealed] = await p.db.notification.findMany({ where: { mchtOrderNo: "H-5" } });
    const stored = sealed && { ...sealed, msgBody: openBody(sealed.contentKey, sealed.msgBody) };
    expect(stored).toMatchObject({
      msgBody: body,
      applied: true,
      changedOrder: true,
      problem:
        'paymentAmount "35302.00" is not a whole number: read as 35302 fen; initResponse is not text: kept as its JSON',
    });
    expect(res2.json().items).toEqual([
      expect.objectContaining({ applied: true, changedOrder: true, problem: stored!.problem }),
    ]);
  });
});
