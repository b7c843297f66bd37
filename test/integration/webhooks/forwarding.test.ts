// Payzero → receiver → worker → Postgres → webhook endpoints, end to end over real HTTP.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchQueue } from "../../../src/ops/metrics.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";

let p: Pipeline;
let receiver: Receiver;
const endpoints: Record<string, { id: string; secret: string }> = {};
const unwatch: Array<() => void> = [];

beforeAll(async () => {
  p = await startPipeline({ webhookRetrySchedule: [0, 0, 0], webhookPollIntervalMs: 200 });
  receiver = await startReceiver();
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  unwatch.push(watchQueue(p.queue));
  for (const [name, msgTypes] of [
    ["all", null],
    ["declare", ["DECLARE_STATUS_NOTIFY"]],
    ["flaky", null],
  ] as const) {
    const res = await p.app.inject({
      method: "POST",
      url: "/v1/webhooks",
      headers: p.authorized,
      payload: { url: receiver.url(`/${name}`), msgTypes, description: name },
    });
    expect(res.statusCode).toBe(201);
    endpoints[name] = res.json();
  }
  receiver.on("/flaky", (n) => (n <= 2 ? { status: 503 } : { status: 204 }));
});
afterAll(async () => {
  for (const u of unwatch) u();
  await p.close();
  await receiver.close();
});

async function settled(expected: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await p.db.delivery.count({ where: { status: "pending" } });
    const total = await p.db.delivery.count();
    if (pending === 0 && total >= expected) return;
    if (Date.now() > deadline) throw new Error(`deliveries not settled: ${pending} pending of ${total}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("forwarding", () => {
  it("delivers each distinct notification once per subscribed endpoint, signed, with the order after it", async () => {
    const pay = signedEnvelope(
      "PAY_STATUS_NOTIFY",
      orderBody({ mchtOrderNo: "E-1", payStatus: "PAY_SUCCEED" }),
      1000,
    );
    const declare = signedEnvelope(
      "DECLARE_STATUS_NOTIFY",
      orderBody({ mchtOrderNo: "E-1", payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" }),
      2000,
    );
    // The payment is applied before the declaration arrives, so the order it carries is the order after
    // it alone; sent together, the two may be applied in either order (separate jobs, concurrent workers)
    // and the payment's order would then already be declared.
    expect((await p.app.inject({ method: "POST", url: "/payzero/notify", payload: pay })).body).toBe("OK");
    await p.drained();
    for (let copy = 0; copy < 3; copy++) {
      for (const env of [pay, declare]) {
        const res = await p.app.inject({ method: "POST", url: "/payzero/notify", payload: env });
        expect(res.body).toBe("OK");
      }
    }
    await p.drained();
    await settled(5);

    const byPath = (path: string) => receiver.received.filter((r) => r.path === path);
    expect(byPath("/all")).toHaveLength(2);
    expect(byPath("/declare")).toHaveLength(1);
    // The first two POSTs to /flaky fail (whichever deliveries they belong to), then each succeeds.
    expect(byPath("/flaky")).toHaveLength(2 + 2);
    const flakyIds = byPath("/flaky").map((r) => r.headers["webhook-id"]);
    expect(new Set(flakyIds).size).toBe(2);

    for (const name of ["all", "declare", "flaky"]) {
      const wh = new Webhook(endpoints[name]!.secret);
      for (const r of byPath(`/${name}`)) {
        const body = wh.verify(r.body, r.headers as Record<string, string>) as Record<string, unknown>;
        expect(body.id).toBe(r.headers["webhook-id"]);
        expect(body.source).toBe("payzero-notify");
      }
    }
    const declared = JSON.parse(byPath("/declare")[0]!.body);
    expect(declared).toMatchObject({
      type: "DECLARE_STATUS_NOTIFY",
      timestamp: 2000,
      data: { mchtOrderNo: "E-1", declareStatus: "DECLARED" },
      order: {
        mchtOrderNo: "E-1",
        payStatus: "PAY_SUCCEED",
        declareStatus: "DECLARED",
        paymentAmount: 35302,
      },
    });
    // The two deliveries to /all may be sent at once and arrive in either order: find the payment by its type.
    const bodies = byPath("/all").map((r) => JSON.parse(r.body) as { type: string; order: unknown });
    const firstPay = bodies.find((b) => b.type === "PAY_STATUS_NOTIFY");
    expect(firstPay?.order).toMatchObject({ payStatus: "PAY_SUCCEED", declareStatus: "NOT_DECLARED" });
  });

  it("shows deliveries and attempts in /v1/deliveries and in /metrics", async () => {
    const res = await p.app.inject({
      url: `/v1/deliveries?webhookId=${endpoints.flaky!.id}&status=succeeded`,
      headers: p.authorized,
    });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ attempts: unknown[] }>;
    expect(items).toHaveLength(2);
    expect(items.reduce((n, d) => n + d.attempts.length, 0)).toBe(4);
    const metrics = (await p.app.inject({ url: "/metrics" })).body;
    expect(metrics).toContain(
      `pzn_delivery_attempts_total{endpoint="${endpoints.flaky!.id}",outcome="failed_attempt"} 2`,
    );
    expect(metrics).toContain(
      `pzn_delivery_attempts_total{endpoint="${endpoints.flaky!.id}",outcome="succeeded"} 2`,
    );
    expect(metrics).toMatch(/pzn_queue_jobs\{queue="payzero-notifications",state="waiting"\} 0/);
    expect(metrics).toContain('pzn_deliveries_held{state="in_flight"} 0');
    expect(metrics).toContain('pzn_deliveries_held{state="waiting"} 0');
  });
});
