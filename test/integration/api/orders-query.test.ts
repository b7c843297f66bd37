// POST /v1/orders/:mchtOrderNo/query: asks the simulator's fake Payzero API at once (queryOrder, then
// /order/feedback), applies its answer through the pipeline (stored, forwarded, source payzero-query)
// and answers with the order as it then stands; Payzero failing changes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeApi, startFakeApi } from "../../../src/simulator/fake-api.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { payzeroOrder } from "../reconcile/support.js";

const APP = { appId: "query-app", appKey: "query-key" };
let p: Pipeline;
let api: FakeApi;
let receiver: Receiver;

beforeAll(async () => {
  api = await startFakeApi(APP);
  p = await startPipeline({
    webhookRetrySchedule: [0, 0, 0],
    webhookPollIntervalMs: 200,
    payzeroApi: { url: api.url, ...APP, queryPaths: ["/order/queryOrder", "/order/feedback"] },
  });
  receiver = await startReceiver();
  p.startWorker(p.startWebhooks().fanOut);
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
beforeEach(() => {
  Object.assign(api.state, { failQueries: 0, failStatus: 500 });
});

const query = (no: string) =>
  p.app.inject({
    method: "POST",
    url: `/v1/orders/${encodeURIComponent(no)}/query`,
    headers: p.authorized,
  });
const order = (no: string) => p.db.order.findUnique({ where: { mchtOrderNo: no } });

async function notify(no: string, payStatus: string): Promise<void> {
  const res = await p.app.inject({
    method: "POST",
    url: "/payzero/notify",
    payload: signedEnvelope(
      "PAY_STATUS_NOTIFY",
      orderBody({ mchtOrderNo: no, payStatus }),
      Date.now() - 60_000,
    ),
  });
  expect(res.body).toBe("OK");
  await p.drained();
}

describe("POST /v1/orders/:mchtOrderNo/query", () => {
  it("answers with Payzero's state, which the order then shows and an endpoint receives", async () => {
    const no = "QUERY-1";
    await notify(no, "PAY_APPLIED");
    api.setOrders([payzeroOrder(no, "PAY_SUCCEED", "NOT_DECLARED")]);

    const res = await query(no);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      order: { mchtOrderNo: no, payStatus: "PAY_SUCCEED", version: 2, payerName: "周**" },
      payzero: {
        known: true,
        path: "/order/queryOrder",
        payStatus: "PAY_SUCCEED",
        applied: ["PAY_STATUS_NOTIFY"],
        changedOrder: true,
      },
    });
    const shown = await p.app.inject({ url: `/v1/orders/${no}`, headers: p.authorized });
    expect(shown.json()).toMatchObject({ payStatus: "PAY_SUCCEED" });
    const sent = await waitFor("the answer forwarded", async () => {
      const found = receiver.received
        .map((r) => JSON.parse(r.body))
        .filter((f) => f.order.mchtOrderNo === no && f.source === "payzero-query");
      return found.length > 0 ? found : undefined;
    });
    expect(sent.map((f) => f.order.payStatus)).toEqual(["PAY_SUCCEED"]);

    // Asked again: Payzero says the same, nothing more is applied.
    expect((await query(no)).json().payzero).toMatchObject({ applied: [], changedOrder: false });
    expect((await order(no))?.version).toBe(2);
  });

  it("asks /order/feedback when queryOrder does not know the order, and creates it", async () => {
    const no = "QUERY-BATCH";
    api.setBatchOrders([payzeroOrder(no, "PAY_FAILED", "NOT_DECLARED")]);
    const res = await query(no);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      order: { payStatus: "PAY_FAILED" },
      payzero: { path: "/order/feedback", payStatus: "PAY_FAILED" },
    });
  });

  it("answers 502 when Payzero fails, 404 when nobody knows the order, 400 for a bad number; nothing changes", async () => {
    const no = "QUERY-FAILING";
    await notify(no, "PAY_APPLIED");
    api.setOrders([payzeroOrder(no, "PAY_SUCCEED", "NOT_DECLARED")]);
    const before = await order(no);
    const audit = await p.db.auditEntry.count();
    api.state.failQueries = 100;
    const failed = await query(no);
    expect(failed.statusCode).toBe(502);
    expect(failed.json().message).toMatch(/Payzero could not be asked .*nothing changed/);
    expect(await order(no)).toEqual(before);
    api.state.failQueries = 0;

    const unknown = await query("QUERY-NOBODY-KNOWS");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/neither this service nor Payzero knows/);
    expect(await order("QUERY-NOBODY-KNOWS")).toBeNull();

    const blank = await query("  ");
    expect(blank.statusCode).toBe(400);
    expect(blank.json().message).toMatch(/mchtOrderNo is blank/);
    expect(await p.db.auditEntry.count()).toBe(audit);
  });
});
