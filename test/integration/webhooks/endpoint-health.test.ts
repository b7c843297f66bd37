// A slow endpoint cannot starve the others; an endpoint failing for too long is disabled until PATCHed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registry } from "../../../src/ops/metrics.js";
import {
  auth,
  buildV1,
  createEndpoint,
  createHarness,
  type Harness,
  storeNotification,
  waitFor,
} from "../../support/harness.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";

let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  h = await createHarness({ webhookConcurrency: 4, webhookEndpointConcurrency: 1, webhookTimeoutMs: 5000 });
  receiver = await startReceiver();
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

describe("a slow endpoint", () => {
  it("holds at most its share of slots while a fast endpoint's deliveries go through", async () => {
    receiver.on("/slow", () => "hang");
    const slow = await createEndpoint(h.db, { url: receiver.url("/slow") });
    const fast = await createEndpoint(h.db, { url: receiver.url("/fast") });
    const workers = h.start();
    try {
      for (let i = 0; i < 6; i++) {
        await storeNotification(h.db, workers.fanOut, {
          msgType: "PAY_STATUS_NOTIFY",
          msgBody: `{"n":${i}}`,
        });
      }
      // Six fast deliveries succeed while the slow endpoint's first attempt hangs.
      await waitFor("fast deliveries", async () => {
        const n = await h.db.delivery.count({ where: { endpointId: fast.id, status: "succeeded" } });
        return n === 6;
      });
      const slowRequests = receiver.received.filter((r) => r.path === "/slow").length;
      expect(slowRequests).toBe(1);
    } finally {
      await h.stopWorkers();
      await h.db.webhookEndpoint.delete({ where: { id: slow.id } });
    }
  });
});

describe("an endpoint failing for too long", () => {
  it("is disabled, its pending deliveries fail, and PATCH enabled brings it back", async () => {
    receiver.on("/dead", () => ({ status: 500 }));
    const dead = await createEndpoint(h.db, { url: receiver.url("/dead") });
    await h.db.webhookEndpoint.update({
      where: { id: dead.id },
      data: { failingSince: new Date(Date.now() - 6 * 24 * 3600 * 1000) },
    });
    const workers = h.start({
      endpointDisableAfterSeconds: 5 * 24 * 3600,
      webhookRetrySchedule: [0, 0, 0, 0],
    });
    await storeNotification(h.db, workers.fanOut, { msgType: "PAY_STATUS_NOTIFY", msgBody: '{"dead":1}' });
    await waitFor("the endpoint to be disabled", async () => {
      const e = await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: dead.id } });
      return !e.enabled;
    });
    const delivery = await waitFor("the delivery to fail", () =>
      h.db.delivery
        .findFirst({ where: { endpointId: dead.id, status: "failed" } })
        .then((d) => d ?? undefined),
    );
    expect(delivery.lastError).toBe("endpoint disabled");
    expect(receiver.received.filter((r) => r.path === "/dead")).toHaveLength(1);
    // Counted for the PznEndpointDisabled alert (deploy/prometheus/alerts.yml).
    expect(await registry.metrics()).toMatch(
      new RegExp(`^pzn_endpoints_disabled_total\\{endpoint="${dead.id}"\\} 1$`, "m"),
    );

    const app = await buildV1(h);
    const res = await app.inject({
      method: "PATCH",
      url: `/v1/webhooks/${dead.id}`,
      headers: auth,
      payload: { enabled: true },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ enabled: true, failingSince: null });
    await app.close();
    await h.stopWorkers();
  });

  it("is not disabled while it has failed for less than the period", async () => {
    receiver.on("/flaky", () => ({ status: 500 }));
    const flaky = await createEndpoint(h.db, { url: receiver.url("/flaky") });
    const workers = h.start({ endpointDisableAfterSeconds: 5 * 24 * 3600, webhookRetrySchedule: [0] });
    await storeNotification(h.db, workers.fanOut, { msgType: "PAY_STATUS_NOTIFY", msgBody: '{"flaky":1}' });
    await waitFor(
      "the delivery to fail",
      async () => (await h.db.delivery.count({ where: { endpointId: flaky.id, status: "failed" } })) === 1,
    );
    const e = await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: flaky.id } });
    expect(e.enabled).toBe(true);
    expect(e.failingSince).not.toBeNull();
    await h.stopWorkers();
  });
});
