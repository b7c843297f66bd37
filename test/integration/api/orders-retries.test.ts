// POST /v1/orders/:mchtOrderNo/retries: an announced re-declaration (section 8.1) or new payment (2.7,
// 4.2, 5.5, 6.2) makes the next notification of its kind a new event even when it repeats an earlier
// one word for word. Through the receiver, the queue, the worker and the webhooks, real HTTP both ways.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebhookWorkers } from "../../../src/webhooks/index.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";

let p: Pipeline;
let receiver: Receiver;
let webhooks: WebhookWorkers;

beforeAll(async () => {
  p = await startPipeline({ webhookRetrySchedule: [0, 0, 0], webhookPollIntervalMs: 200 });
  receiver = await startReceiver();
  webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  const res = await p.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: p.authorized,
    payload: { url: receiver.url("/erp") },
  });
  expect(res.statusCode).toBe(201);
});
afterAll(async () => {
  await p.close();
  await receiver.close();
});

const failedDeclaration = (no: string) =>
  orderBody({
    mchtOrderNo: no,
    payStatus: "PAY_SUCCEED",
    declareStatus: "DECLARE_FAILED",
    declareFailReason: "支付人姓名和证件号不匹配",
  });

async function notify(msgType: string, msgBody: string, timestamp: number): Promise<void> {
  const res = await p.app.inject({
    method: "POST",
    url: "/payzero/notify",
    payload: signedEnvelope(msgType, msgBody, timestamp),
  });
  expect(res.body).toBe("OK");
  await p.drained();
}

const announce = (no: string, payload: unknown) =>
  p.app.inject({
    method: "POST",
    url: `/v1/orders/${encodeURIComponent(no)}/retries`,
    headers: p.authorized,
    payload: payload as object,
  });

/** The webhooks received about one order so far, once every delivery of it has settled. */
async function forwarded(no: string) {
  await waitFor("deliveries settled", async () =>
    (await p.db.delivery.count({ where: { status: "pending", notification: { mchtOrderNo: no } } })) === 0
      ? true
      : undefined,
  );
  return receiver.received
    .map((r) => ({ id: String(r.headers["webhook-id"]), ...JSON.parse(r.body) }))
    .filter((f) => f.order?.mchtOrderNo === no);
}

/** A paid order whose declaration failed once (t0, t1), as Payzero notifies it. */
async function failedOnce(no: string): Promise<number> {
  const t0 = Date.now() - 3 * 3_600_000;
  await notify("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: no, payStatus: "PAY_SUCCEED" }), t0);
  await notify("DECLARE_STATUS_NOTIFY", failedDeclaration(no), t0 + 60_000);
  return t0 + 60_000;
}

describe("POST /v1/orders/:mchtOrderNo/retries", () => {
  it("without an announcement, an identical second DECLARE_FAILED is taken for a resend", async () => {
    const no = "RETRY-UNANNOUNCED";
    await failedOnce(no);
    await notify("DECLARE_STATUS_NOTIFY", failedDeclaration(no), Date.now());
    expect(await p.db.notification.count({ where: { mchtOrderNo: no } })).toBe(2);
    expect((await forwarded(no)).map((f) => f.type)).toEqual(["PAY_STATUS_NOTIFY", "DECLARE_STATUS_NOTIFY"]);
  });

  it("after an announced re-declaration, forwards the identical DECLARE_FAILED once more, and no resend of it", async () => {
    const no = "RETRY-DECLARE";
    const t1 = await failedOnce(no);
    const before = await p.db.order.findUniqueOrThrow({ where: { mchtOrderNo: no } });

    const res = await announce(no, { kind: "declare" });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ mchtOrderNo: no, kind: "declare", generation: 1, added: true });
    expect(res.json().order).toMatchObject({ declareStatus: "DECLARE_FAILED", payerName: "周**" });
    // Announced twice before the outcome: one announcement, unchanged.
    expect((await announce(no, { kind: "declare" })).json()).toMatchObject({ generation: 1, added: false });

    // Payzero resends its first copy (same timestamp): still a resend, the announcement stays.
    await notify("DECLARE_STATUS_NOTIFY", failedDeclaration(no), t1);
    expect(await p.db.notification.count({ where: { mchtOrderNo: no } })).toBe(2);

    // The outcome: the same body, a new timestamp, two copies at once (two api processes, two workers).
    const t3 = Date.now();
    const copies = await Promise.all(
      [1, 2].map(() =>
        p.app.inject({
          method: "POST",
          url: "/payzero/notify",
          payload: signedEnvelope("DECLARE_STATUS_NOTIFY", failedDeclaration(no), t3),
        }),
      ),
    );
    expect(copies.map((c) => c.body)).toEqual(["OK", "OK"]);
    await p.drained();
    // Its resends afterwards: the same copy, and one stamped anew.
    await notify("DECLARE_STATUS_NOTIFY", failedDeclaration(no), t3);
    await notify("DECLARE_STATUS_NOTIFY", failedDeclaration(no), t3 + 60_000);

    expect(await p.db.notification.count({ where: { mchtOrderNo: no } })).toBe(3);
    const after = await p.db.order.findUniqueOrThrow({ where: { mchtOrderNo: no } });
    expect(after).toMatchObject({ declareStatus: "DECLARE_FAILED", version: before.version + 1 });
    const retry = await p.db.orderRetry.findUniqueOrThrow({
      where: { mchtOrderNo_kind: { mchtOrderNo: no, kind: "declare" } },
    });
    expect(retry.consumedAt).not.toBeNull();

    const sent = await forwarded(no);
    expect(sent.map((f) => [f.type, f.order.declareStatus, f.order.version])).toEqual([
      ["PAY_STATUS_NOTIFY", "NOT_DECLARED", 1],
      ["DECLARE_STATUS_NOTIFY", "DECLARE_FAILED", 2],
      ["DECLARE_STATUS_NOTIFY", "DECLARE_FAILED", 3],
    ]);
    expect(sent[2]!.id).not.toBe(sent[1]!.id);
    expect(sent[2]!.data).toEqual(sent[1]!.data);
    expect(sent[2]!.timestamp).toBe(t3);

    // Announced again: the next generation, and the next identical failure is one more event.
    expect((await announce(no, { kind: "declare" })).json()).toMatchObject({ generation: 2, added: true });
    await notify("DECLARE_STATUS_NOTIFY", failedDeclaration(no), t3 + 120_000);
    expect((await forwarded(no)).map((f) => f.order.version)).toEqual([1, 2, 3, 4]);
  });

  it("registers a pay retry of an order not known yet, like an expected order", async () => {
    const res = await announce("RETRY-NEW", { kind: "pay" });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ registered: true, order: { payStatus: null } });
    expect(
      (await p.db.order.findUniqueOrThrow({ where: { mchtOrderNo: "RETRY-NEW" } })).expectedAt,
    ).not.toBeNull();
  });

  it("answers 409 when the order's state allows no such retry, 400 for bad input; nothing changes", async () => {
    const paid = "RETRY-PAID";
    await notify("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: paid, payStatus: "PAY_SUCCEED" }), Date.now());
    const unpaid = "RETRY-UNPAID";
    await notify(
      "PAY_STATUS_NOTIFY",
      orderBody({ mchtOrderNo: unpaid, payStatus: "PAY_FAILED" }),
      Date.now(),
    );
    const rows = () => p.db.orderRetry.count();
    const audit = () => p.db.auditEntry.count();
    const orders = () => p.db.order.count();
    const state = async () => [await rows(), await audit(), await orders()];
    const start = await state();

    const cases: Array<[string, unknown, number, RegExp]> = [
      [paid, { kind: "pay" }, 409, /PAY_SUCCEED/],
      [unpaid, { kind: "declare" }, 409, /paid orders only/],
      ["RETRY-NEVER-SEEN", { kind: "declare" }, 409, /not known to be paid/],
      [unpaid, { kind: "refund" }, 400, /kind must be "pay" or "declare"/],
      [unpaid, {}, 400, /kind/],
      [unpaid, { kind: "pay", extra: 1 }, 400, /extra|additional/i],
      ["bad\u0000no", { kind: "pay" }, 400, /NUL/],
      ["  ", { kind: "pay" }, 400, /mchtOrderNo is blank/],
    ];
    for (const [no, body, status, message] of cases) {
      const res = await announce(no, body);
      expect([no.slice(0, 20), res.statusCode]).toEqual([no.slice(0, 20), status]);
      expect(res.json().message).toMatch(message);
    }
    expect(await state()).toEqual(start);
  });
});
