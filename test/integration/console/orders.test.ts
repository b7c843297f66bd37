// The order pages over real Postgres and the real pipeline: search, state (payer masked), one timeline.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noFanOut } from "../../../src/orders/notification.js";
import { applyRefundAnswer } from "../../../src/refunds/apply.js";
import { registerRefund } from "../../../src/refunds/register.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import type { Pipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { type Browserish, signIn, startConsolePipeline } from "./support.js";

let p: Pipeline;
let receiver: Receiver;
let b: Browserish;

async function notify(msgType: string, fields: Parameters<typeof orderBody>[0], ts: number) {
  const res = await p.app.inject({
    method: "POST",
    url: "/payzero/notify",
    payload: signedEnvelope(msgType, orderBody(fields), ts),
  });
  expect(res.body).toBe("OK");
}

beforeAll(async () => {
  p = await startConsolePipeline();
  receiver = await startReceiver();
  receiver.on("/erp", () => ({ status: 500, body: "ERP database is down" }));
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  const created = await p.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: p.authorized,
    payload: { url: receiver.url("/erp"), description: "ERP" },
  });
  expect(created.statusCode).toBe(201);
  await notify("PAY_STATUS_NOTIFY", { mchtOrderNo: "TL-1", payStatus: "PAY_SUCCEED" }, 1_700_000_000_000);
  await notify(
    "DECLARE_STATUS_NOTIFY",
    { mchtOrderNo: "TL-1", payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" },
    1_700_000_060_000,
  );
  // Older than what is known: stored, changes nothing.
  await notify("PAY_STATUS_NOTIFY", { mchtOrderNo: "TL-1", payStatus: "PAY_APPLIED" }, 1_699_999_000_000);
  await notify("PAY_STATUS_NOTIFY", { mchtOrderNo: "OTHER-1", payStatus: "PAY_FAILED" }, 1_700_000_000_000);
  await p.drained();
  for (;;) {
    const settled = await p.db.delivery.count({ where: { status: "failed" } });
    if (settled === 4) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  b = await signIn(p.app);
});
afterAll(async () => {
  await p.close();
  await receiver.close();
});

describe("orders", () => {
  it("are found by prefix and by status", async () => {
    const byPrefix = await b.get("/console/orders?q=TL-");
    expect(byPrefix.statusCode).toBe(200);
    expect(byPrefix.body).toContain('href="/console/orders/TL-1"');
    expect(byPrefix.body).not.toContain("OTHER-1");
    // The prefix is text, not a LIKE pattern.
    expect((await b.get("/console/orders?q=TL_")).body).toContain("No order matches.");
    expect((await b.get("/console/orders?q=%25")).body).toContain("No order matches.");
    expect((await b.get("/console/orders?q=%5C")).body).toContain("No order matches.");
    await p.db.order.create({ data: { mchtOrderNo: "UND_%1" } });
    expect((await b.get("/console/orders?q=UND_%25")).body).toContain("/console/orders/UND_%251");
    const byStatus = await b.get("/console/orders?payStatus=PAY_FAILED");
    expect(byStatus.body).toContain("OTHER-1");
    expect(byStatus.body).not.toContain('href="/console/orders/TL-1"');
  });

  it("show the state with the payer masked as the CLI masks it", async () => {
    const res = await b.get("/console/orders/TL-1");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("周*");
    expect(res.body).toContain("6103**********1234");
    expect(res.body).toContain("138****8000");
    expect(res.body).not.toContain("610327198509271234");
    expect(res.body).not.toContain("13800138000");
    expect(res.body).not.toContain("周Xx");
    expect(res.body).toContain("353.02 CNY");
  });

  it("show one timeline: notifications, state changes, deliveries with attempts and a retry button", async () => {
    const body = (await b.get("/console/orders/TL-1")).body;
    const timeline = body.slice(body.indexOf('<ol class="timeline">'));
    const notifications = timeline.match(/<li class="event notification">/g) ?? [];
    const changes = timeline.match(/<li class="event state">/g) ?? [];
    const deliveries = timeline.match(/<li class="event delivery">/g) ?? [];
    expect([notifications.length, changes.length, deliveries.length]).toEqual([3, 2, 3]);
    expect(timeline).toContain("changed nothing");
    expect(timeline).toContain("payzero-notify");
    expect(timeline).toContain("HTTP 500");
    expect(timeline).toContain("ERP database is down");
    expect(timeline.match(/>Retry delivery \d+<\/button>/g)).toHaveLength(3);
    // The first change sets the pay status; the second moves the declare status on.
    expect(timeline.indexOf("PAY_SUCCEED")).toBeLessThan(timeline.indexOf("DECLARED</span>"));
  });

  it("show the order's refunds and each change of their status in the timeline", async () => {
    const registered = await registerRefund(
      { db: p.db, recordWrite: async () => {}, payzero: null },
      { kind: "cli", user: "test" },
      { mchtRefundOrderNo: "TL-RF-1", mchtOrderNo: "TL-1", refundAmount: 1225 },
    );
    expect(registered).toMatchObject({ created: true });
    const answer = {
      mchtOrderNo: "TL-1",
      mchtRefundOrderNo: "TL-RF-1",
      refundAmount: 1225,
      refundStatus: "REFUND_REQUESTED",
    };
    await applyRefundAnswer(
      p.db,
      "TL-RF-1",
      { msgBody: JSON.stringify(answer), dto: answer },
      new Date(),
      86_400,
      noFanOut,
    );
    const res = await b.get("/console/orders/TL-1");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("<caption>Refunds");
    expect(res.body).toContain("<code>TL-RF-1</code>");
    expect(res.body).toContain("12.25 CNY");
    expect(res.body).toContain("Notification REFUND_STATUS_NOTIFY");
    expect(res.body).toMatch(/refund <code>TL-RF-1<\/code>: <span[^>]*>REFUND_REQUESTED/);
  });

  it("answer 404 for an order nobody heard of", async () => {
    expect((await b.get("/console/orders/NOPE-404")).statusCode).toBe(404);
  });
});
