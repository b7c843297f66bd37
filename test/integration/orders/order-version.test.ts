// order.version through the whole pipeline (receiver → queue → worker → webhook to a real endpoint, and
// the reconciler): +1 per change of the order's state, never for a resend or a message that changes nothing.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PayzeroClient } from "../../../src/payzero/query-api.js";
import { reconcileOnce } from "../../../src/reconcile/reconcile.js";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";
import type { WebhookWorkers } from "../../../src/webhooks/index.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { settings } from "../reconcile/support.js";

const APP = { appId: "version-app", appKey: "version-key" };
const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";

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
  await p?.close();
  await api?.close();
  await receiver?.close();
});

async function notify(msgType: string, msgBody: string, timestamp: number): Promise<void> {
  const res = await p.app.inject({
    method: "POST",
    url: "/payzero/notify",
    payload: signedEnvelope(msgType, msgBody, timestamp),
  });
  expect(res.body).toBe("OK");
}

interface Forwarded {
  type: string;
  source: string;
  data: { mchtOrderNo: string; payStatus: string; declareStatus: string };
  order: { version: number; payStatus: string; declareStatus: string };
}

/** What the endpoint received about this order, once `n` POSTs of it arrived (and no more came). */
async function forwarded(no: string, n: number): Promise<Forwarded[]> {
  const ours = () =>
    receiver.received.map((r) => JSON.parse(r.body) as Forwarded).filter((f) => f.data.mchtOrderNo === no);
  await waitFor(`${n} webhook POSTs of ${no}`, async () => ours().length >= n);
  await new Promise((r) => setTimeout(r, 300)); // nothing more is on its way
  return ours();
}

async function version(no: string): Promise<number> {
  const res = await p.app.inject({ url: `/v1/orders/${no}`, headers: p.authorized });
  expect(res.statusCode).toBe(200);
  return res.json().version;
}

describe("order.version", () => {
  it("goes up by one per state change, in the webhooks and GET /v1/orders/:no, never for resends or no-ops", async () => {
    const no = "VER-1";
    const body = (payStatus: string, declareStatus = "NOT_DECLARED") =>
      orderBody({ mchtOrderNo: no, payStatus, declareStatus });
    const t = Date.now() - 3 * 3_600_000;

    await notify(PAY, body("PAY_APPLIED"), t);
    await p.drained();
    await notify(PAY, body("PAY_APPLIED"), t); // Payzero's resend: a duplicate
    await notify(PAY, body("PAY_SUCCEED"), t + 3000);
    await p.drained();
    await notify(PAY, body("PAY_FAILED"), t + 2000); // stale: stored and forwarded, changes nothing
    await p.drained();
    await notify(DECLARE, body("PAY_SUCCEED", "DECLARING"), t + 4000);
    await p.drained();
    expect(await version(no)).toBe(3);

    // The reconciler's answer goes through the same apply step.
    await p.db.order.update({
      where: { mchtOrderNo: no },
      data: { updatedAt: new Date(Date.now() - 3_600_000) },
    });
    api.setOrders([JSON.parse(body("PAY_SUCCEED", "DECLARED"))]);
    const client = new PayzeroClient({ baseUrl: api.url, ...APP, sleep: async () => {} });
    const log = pino({ level: "silent" });
    expect(await reconcileOnce({ db: p.db, client, fanOut: webhooks.fanOut, log, settings })).toMatchObject({
      changed: 1,
    });

    // Sorted by version: deliveries of consecutive messages may reach the endpoint in either order.
    const received = (await forwarded(no, 5)).sort((a, b) => a.order.version - b.order.version);
    expect(
      received.map((f) => [f.source, f.order.payStatus, f.order.declareStatus, f.order.version]),
    ).toEqual([
      ["payzero-notify", "PAY_APPLIED", "NOT_DECLARED", 1],
      ["payzero-notify", "PAY_SUCCEED", "NOT_DECLARED", 2],
      ["payzero-notify", "PAY_SUCCEED", "NOT_DECLARED", 2],
      ["payzero-notify", "PAY_SUCCEED", "DECLARING", 3],
      ["payzero-query", "PAY_SUCCEED", "DECLARED", 4],
    ]);
    expect(await version(no)).toBe(4);
  });

  it("gives every change its own version when messages of one order arrive at once", async () => {
    const no = "VER-2";
    const statuses = ["NOT_PAYED", "PAY_APPLIED", "PAY_SMS_CONFIRMED", "PAY_FAILED", "PAY_SUCCEED"];
    const t = Date.now() - 3_600_000;
    const sends = [];
    for (let copy = 0; copy < 3; copy++)
      for (const [i, payStatus] of statuses.entries())
        sends.push(notify(PAY, orderBody({ mchtOrderNo: no, payStatus }), t + i * 1000));
    await Promise.all(sends);
    await p.drained();

    const stored = await p.db.notification.findMany({ where: { mchtOrderNo: no } });
    expect(stored).toHaveLength(statuses.length);
    const changes = stored.filter((n) => n.changedOrder).length;
    const received = await forwarded(no, statuses.length);
    const versions = received.map((f) => f.order.version);
    // Changes carry 1…changes, each once; a message that changed nothing carries the version it found.
    const changedVersions = stored
      .filter((n) => n.changedOrder)
      .map((n) => (n.orderAfter as { version: number }).version)
      .sort((a, b) => a - b);
    expect(changedVersions).toEqual(Array.from({ length: changes }, (_, i) => i + 1));
    expect(new Set(versions)).toEqual(new Set(changedVersions));
    expect(await version(no)).toBe(changes);
  });
});
