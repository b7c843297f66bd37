// POST and GET /v1/refunds: a registered refund is polled with Payzero's refund status query (section
// 9.2, the simulator's fake API) until final; each change is stored and forwarded once as
// REFUND_STATUS_NOTIFY, and shows in GET /v1/orders/:no. Bad input changes nothing.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyNotification } from "../../../src/orders/apply.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { openBody } from "../../../src/orders/personal-data.js";
import { PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { PayzeroClient } from "../../../src/payzero/query-api.js";
import { pollRefundsOnce } from "../../../src/refunds/poll.js";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";
import type { WebhookWorkers } from "../../../src/webhooks/index.js";
import { waitFor } from "../../support/harness.js";
import { orderBody } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { settings } from "../reconcile/support.js";

const APP = { appId: "refund-app", appKey: "refund-key" };
let p: Pipeline;
let api: FakeApi;
let receiver: Receiver;
let webhooks: WebhookWorkers;
let client: PayzeroClient;
const log = pino({ level: "silent" });

beforeAll(async () => {
  p = await startPipeline({ webhookRetrySchedule: [0, 0, 0], webhookPollIntervalMs: 200 });
  api = await startFakeApi(APP);
  receiver = await startReceiver();
  webhooks = p.startWebhooks();
  client = new PayzeroClient({ baseUrl: api.url, ...APP, sleep: async () => {} });
  for (const [path, msgTypes] of [
    ["/every", undefined],
    ["/pay-only", ["PAY_STATUS_NOTIFY"]],
  ] as const) {
    const res = await p.app.inject({
      method: "POST",
      url: "/v1/webhooks",
      headers: p.authorized,
      payload: { url: receiver.url(path), ...(msgTypes && { msgTypes }) },
    });
    expect(res.statusCode).toBe(201);
  }
});
afterAll(async () => {
  await p.close();
  await api.close();
  await receiver.close();
});

async function paidOrder(mchtOrderNo: string): Promise<void> {
  const msgBody = orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" });
  await applyNotification(
    p.db,
    {
      msgType: PAY_STATUS_NOTIFY,
      timestamp: 1000n,
      msgBody,
      receivedAt: new Date(),
      source: "payzero-notify",
    },
    noFanOut,
  );
}

const register = (payload: unknown) =>
  p.app.inject({ method: "POST", url: "/v1/refunds", headers: p.authorized, payload: payload as object });
const getJson = async (url: string) => (await p.app.inject({ url, headers: p.authorized })).json();

/** One poll run, with every refund still polled due now (the backoff's waits skipped). */
async function pollNow() {
  await p.db.$executeRaw`UPDATE refunds SET next_poll_at = now() WHERE next_poll_at IS NOT NULL`;
  return pollRefundsOnce({ db: p.db, client, fanOut: webhooks.fanOut, log, settings });
}

const refundPosts = (path: string) =>
  receiver.received.filter((r) => r.path === path && JSON.parse(r.body).type === "REFUND_STATUS_NOTIFY");

describe("POST /v1/refunds", () => {
  it("polls a refund from REFUND_REQUESTED to REFUND_SUCCEED and forwards each state once", async () => {
    await paidOrder("RO-1");
    const versionBefore = (await getJson("/v1/orders/RO-1")).version as number;
    api.setRefunds([
      {
        mchtRefundOrderNo: "RF-1",
        mchtOrderNo: "RO-1",
        refundAmount: 1225,
        statuses: ["REFUND_REQUESTED", "REFUND_REQUESTED", "REFUND_SUCCEED"],
      },
    ]);
    const res = await register({ mchtRefundOrderNo: "RF-1", mchtOrderNo: "RO-1", refundAmount: 1225 });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ refundStatus: null, version: 0, final: false, refundAmount: 1225 });

    expect(await pollNow()).toEqual({ queried: 1, changed: 1, failed: 0 });
    expect(await pollNow()).toEqual({ queried: 1, changed: 0, failed: 0 });
    expect(await pollNow()).toEqual({ queried: 1, changed: 1, failed: 0 });
    // Final: never asked about again.
    expect(await pollNow()).toEqual({ queried: 0, changed: 0, failed: 0 });
    expect(api.state.refundQueries.filter((no) => no === "RF-1")).toHaveLength(3);

    await waitFor("two refund webhooks", async () => (refundPosts("/every").length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300)); // nothing more is on its way
    const forwarded = refundPosts("/every").map((r) => ({
      id: r.headers["webhook-id"],
      ...JSON.parse(r.body),
    }));
    expect(forwarded.map((f) => [f.source, f.data.refundStatus, f.data.mchtRefundOrderNo])).toEqual([
      ["payzero-query", "REFUND_REQUESTED", "RF-1"],
      ["payzero-query", "REFUND_SUCCEED", "RF-1"],
    ]);
    expect(new Set(forwarded.map((f) => f.id)).size).toBe(2);
    // The order rides along unchanged: a refund is its own entity.
    expect(forwarded.map((f) => [f.order.payStatus, f.order.version])).toEqual([
      ["PAY_SUCCEED", versionBefore],
      ["PAY_SUCCEED", versionBefore],
    ]);
    // An endpoint filtered to other types gets none.
    expect(refundPosts("/pay-only")).toEqual([]);

    const order = await getJson("/v1/orders/RO-1");
    expect(order.version).toBe(versionBefore);
    expect(order.payStatus).toBe("PAY_SUCCEED");
    expect(order.refunds).toEqual([
      expect.objectContaining({
        mchtRefundOrderNo: "RF-1",
        mchtOrderNo: "RO-1",
        refundAmount: 1225,
        refundStatus: "REFUND_SUCCEED",
        final: true,
        version: 2,
        polls: 3,
        nextPollAt: null,
      }),
    ]);
    expect(await getJson("/v1/refunds/RF-1")).toEqual(order.refunds[0]);
    const stored = await p.db.notification.findMany({
      where: { mchtOrderNo: "RO-1", msgType: "REFUND_STATUS_NOTIFY" },
      orderBy: { id: "asc" },
    });
    expect(
      stored.map((n) => [n.source, JSON.parse(openBody(n.contentKey, n.msgBody)!).refundStatus]),
    ).toEqual([
      ["payzero-query", "REFUND_REQUESTED"],
      ["payzero-query", "REFUND_SUCCEED"],
    ]);
  });

  it("stops polling a refund that ends at REFUND_FAILED", async () => {
    await paidOrder("RO-2");
    api.setRefunds([
      {
        mchtRefundOrderNo: "RF-2",
        mchtOrderNo: "RO-2",
        refundAmount: 500,
        statuses: ["REFUND_INIT", "REFUND_FAILED"],
      },
    ]);
    expect((await register({ mchtRefundOrderNo: "RF-2", mchtOrderNo: "RO-2" })).statusCode).toBe(201);
    await pollNow();
    await pollNow();
    const asked = api.state.refundQueries.filter((no) => no === "RF-2").length;
    expect(asked).toBe(2);
    await pollNow();
    await pollNow();
    expect(api.state.refundQueries.filter((no) => no === "RF-2")).toHaveLength(asked);
    expect(await getJson("/v1/refunds/RF-2")).toMatchObject({
      refundStatus: "REFUND_FAILED",
      refundAmount: 500, // from Payzero's answer: none was registered
      final: true,
      version: 2,
      nextPollAt: null,
    });
    await waitFor("the failure forwarded", async () =>
      refundPosts("/every").some((r) => JSON.parse(r.body).data.refundStatus === "REFUND_FAILED")
        ? true
        : undefined,
    );
  });

  it("registers once: the same refund again changes nothing, another order or amount is a 409", async () => {
    const body = { mchtRefundOrderNo: "RF-3", mchtOrderNo: "RO-3", refundAmount: 100 };
    const first = await register(body);
    expect(first.statusCode).toBe(201);
    // An order not seen yet gets a row with no status: its page shows the refund.
    expect((await getJson("/v1/orders/RO-3")).refunds).toHaveLength(1);
    const again = await register(body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const sameWithoutAmount = await register({ mchtRefundOrderNo: "RF-3", mchtOrderNo: "RO-3" });
    expect(sameWithoutAmount.statusCode).toBe(200);
    const otherOrder = await register({ ...body, mchtOrderNo: "RO-4" });
    expect(otherOrder.statusCode).toBe(409);
    expect(otherOrder.json().message).toMatch(/another order/);
    expect((await register({ ...body, refundAmount: 101 })).statusCode).toBe(409);
    expect(await p.db.refund.count({ where: { mchtRefundOrderNo: "RF-3" } })).toBe(1);
    expect(await p.db.order.count({ where: { mchtOrderNo: "RO-4" } })).toBe(0);
    expect(await p.db.auditEntry.count({ where: { action: "refund.register", target: "RF-3" } })).toBe(1);
  });

  it("answers 400 to bad input and stores nothing", async () => {
    const refunds = await p.db.refund.count();
    const audit = await p.db.auditEntry.count();
    for (const payload of [
      {},
      { mchtRefundOrderNo: "RF-BAD" },
      { mchtOrderNo: "RO-BAD" },
      { mchtRefundOrderNo: "", mchtOrderNo: "RO-BAD" },
      { mchtRefundOrderNo: "  ", mchtOrderNo: "RO-BAD" },
      { mchtRefundOrderNo: "RF-BAD", mchtOrderNo: "RO-BAD", refundAmount: 0 },
      { mchtRefundOrderNo: "RF-BAD", mchtOrderNo: "RO-BAD", refundAmount: 12.5 },
      { mchtRefundOrderNo: "RF-BAD", mchtOrderNo: "RO-BAD", refundAmount: "100" },
      { mchtRefundOrderNo: "RF-BAD", mchtOrderNo: "RO-BAD", extra: true },
      { mchtRefundOrderNo: "x".repeat(201), mchtOrderNo: "RO-BAD" },
    ]) {
      const res = await register(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ statusCode: 400, error: "Bad Request" });
    }
    expect(await p.db.refund.count()).toBe(refunds);
    expect(await p.db.auditEntry.count()).toBe(audit);
    expect(await p.db.order.count({ where: { mchtOrderNo: "RO-BAD" } })).toBe(0);
  });
});

describe("GET /v1/refunds/:mchtRefundOrderNo", () => {
  it("answers 404 for a refund never registered", async () => {
    const res = await p.app.inject({ url: "/v1/refunds/NOPE", headers: p.authorized });
    expect(res.statusCode).toBe(404);
  });
});
