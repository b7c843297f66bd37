// Section 8.1: a declaration that failed is declared again and fails again for the same reason, with a
// byte-identical msgBody. Through the receiver, the queue, the worker and the webhooks: the second
// failure is a new state (applied, forwarded under a new webhook-id), Payzero's resends are not.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBody } from "../../../src/orders/personal-data.js";
import { signedKey } from "../../../src/payzero/envelope.js";
import { PayzeroClient } from "../../../src/payzero/query-api.js";
import { reconcileOnce } from "../../../src/reconcile/reconcile.js";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";
import type { WebhookWorkers } from "../../../src/webhooks/index.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { settings } from "../reconcile/support.js";

const APP = { appId: "redeclare-app", appKey: "redeclare-key" };
let p: Pipeline;
let api: FakeApi;
let receiver: Receiver;
let webhooks: WebhookWorkers;

beforeAll(async () => {
  p = await startPipeline({ webhookRetrySchedule: [0, 0, 0], webhookPollIntervalMs: 200 });
  api = await startFakeApi(APP);
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
  await api.close();
  await receiver.close();
});

const NO = "REDECL-1";
const failed = orderBody({
  mchtOrderNo: NO,
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

const order = () => p.db.order.findUniqueOrThrow({ where: { mchtOrderNo: NO } });
const posts = (n: number) =>
  waitFor(`${n} webhook POSTs`, async () => (receiver.received.length >= n ? receiver.received : undefined));

describe("a failed declaration declared again (section 8.1)", () => {
  it("applies and forwards the identical second failure, under a new webhook-id, and no resend", async () => {
    const t0 = Date.now() - 3 * 3_600_000;
    await notify("PAY_STATUS_NOTIFY", orderBody({ mchtOrderNo: NO, payStatus: "PAY_SUCCEED" }), t0);
    const t1 = t0 + 60_000;
    await notify("DECLARE_STATUS_NOTIFY", failed, t1);
    expect((await order()).declareStatus).toBe("DECLARE_FAILED");

    // The merchant declares again; the DECLARING notification is lost, the reconciler finds it.
    await p.db.order.update({
      where: { mchtOrderNo: NO },
      data: { updatedAt: new Date(Date.now() - 3_600_000) },
    });
    api.setOrders([
      JSON.parse(orderBody({ mchtOrderNo: NO, payStatus: "PAY_SUCCEED", declareStatus: "DECLARING" })),
    ]);
    const client = new PayzeroClient({ baseUrl: api.url, ...APP, sleep: async () => {} });
    const log = pino({ level: "silent" });
    expect(await reconcileOnce({ db: p.db, client, fanOut: webhooks.fanOut, log, settings })).toMatchObject({
      changed: 1,
    });
    expect(await order()).toMatchObject({ declareStatus: "DECLARING", declareStatusAt: BigInt(t1 + 1) });

    // Payzero resends its first copy (it missed our OK): older than what the reconciler found, a resend.
    await notify("DECLARE_STATUS_NOTIFY", failed, t1);
    expect((await order()).declareStatus).toBe("DECLARING");

    // The second failure: the same body, a new timestamp. It reaches the worker and is a new state.
    const t3 = Date.now();
    await notify("DECLARE_STATUS_NOTIFY", failed, t3);
    expect(await order()).toMatchObject({ declareStatus: "DECLARE_FAILED", declareStatusAt: BigInt(t3) });
    const second = await p.db.notification.findUniqueOrThrow({
      where: { contentKey: signedKey(signedEnvelope("DECLARE_STATUS_NOTIFY", failed, t3).sign) },
    });
    expect({ ...second, msgBody: openBody(second.contentKey, second.msgBody) }).toMatchObject({
      changedOrder: true,
      timestamp: BigInt(t3),
      msgBody: failed,
    });

    // Its resends (same timestamp, or stamped anew while nothing moved) and the first copy's: nothing new.
    await notify("DECLARE_STATUS_NOTIFY", failed, t3);
    await notify("DECLARE_STATUS_NOTIFY", failed, t3 + 60_000);
    await notify("DECLARE_STATUS_NOTIFY", failed, t1);
    expect(await p.db.notification.count({ where: { mchtOrderNo: NO } })).toBe(4);
    expect(await order()).toMatchObject({ declareStatus: "DECLARE_FAILED", declareStatusAt: BigInt(t3) });

    const received = await posts(4);
    await new Promise((r) => setTimeout(r, 300)); // nothing more is on its way
    expect(receiver.received).toHaveLength(4);
    const forwarded = received.map((r) => ({ id: r.headers["webhook-id"], ...JSON.parse(r.body) }));
    expect(forwarded.map((f) => [f.type, f.source, f.order.declareStatus])).toEqual([
      ["PAY_STATUS_NOTIFY", "payzero-notify", "NOT_DECLARED"],
      ["DECLARE_STATUS_NOTIFY", "payzero-notify", "DECLARE_FAILED"],
      ["DECLARE_STATUS_NOTIFY", "payzero-query", "DECLARING"],
      ["DECLARE_STATUS_NOTIFY", "payzero-notify", "DECLARE_FAILED"],
    ]);
    expect(new Set(forwarded.map((f) => f.id)).size).toBe(4);
    expect(forwarded[1]!.id).toBe(
      `msg_${signedKey(signedEnvelope("DECLARE_STATUS_NOTIFY", failed, t1).sign)}`,
    );
    expect(forwarded[3]!.id).toBe(`msg_${second.contentKey}`);
    expect(forwarded[3]!.data).toEqual(forwarded[1]!.data);
    expect([forwarded[1]!.timestamp, forwarded[3]!.timestamp]).toEqual([t1, t3]);
  });
});
