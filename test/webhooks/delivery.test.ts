import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../../src/payzero/envelope.js";
import { runAttempt } from "../../src/webhooks/attempt.js";
import { createDeliveryStore } from "../../src/webhooks/delivery-store.js";
import { orderBody } from "../support/payzero.js";
import {
  auth,
  buildV1,
  createEndpoint,
  freePort,
  type Harness,
  log,
  storeNotification,
  useHarnessAndReceiver,
  waitFor,
  waitQueueIdle,
  waitSettled,
} from "./harness.js";
import type { Received, Receiver } from "./receiver.js";

const shared = useHarnessAndReceiver();
let h: Harness;
let rx: Receiver;
beforeAll(() => {
  ({ h, rx } = shared);
});

const on = (path: string) => rx.received.filter((r) => r.path === path);
const ids = (rs: Received[]) => rs.map((r) => String(r.headers["webhook-id"]));

describe("forwarding", () => {
  it("delivers each distinct notification once per subscribed endpoint, however often it is fanned out", async () => {
    const all = await createEndpoint(h.db, { url: rx.url("/all") });
    const declare = await createEndpoint(h.db, {
      url: rx.url("/declare"),
      msgTypes: [DECLARE_STATUS_NOTIFY],
    });
    await createEndpoint(h.db, { url: rx.url("/disabled"), enabled: false });
    const { fanOut } = h.start();

    const stored = [
      await storeNotification(h.db, fanOut, {
        msgType: PAY_STATUS_NOTIFY,
        msgBody: orderBody({ mchtOrderNo: "F-1", payStatus: "PAY_SUCCEED" }),
        orderAfter: { mchtOrderNo: "F-1", payStatus: "PAY_SUCCEED" },
        timestamp: 1_554_990_000_001,
      }),
      await storeNotification(h.db, fanOut, {
        msgType: DECLARE_STATUS_NOTIFY,
        msgBody: orderBody({ mchtOrderNo: "F-1", declareStatus: "DECLARED" }),
        orderAfter: { mchtOrderNo: "F-1", declareStatus: "DECLARED" },
      }),
      await storeNotification(h.db, fanOut, { msgType: "SOMETHING_NEW", msgBody: "not json" }),
    ];
    expect(stored.map((s) => s.deliveryIds.length)).toEqual([1, 2, 1]);

    // Fan out again: the same rows are not added twice, and their jobs are enqueued again.
    for (const { notification, deliveryIds } of stored) {
      const again = await h.db.$transaction((tx) => fanOut.inTransaction(tx, [notification]));
      expect(again).toEqual([]);
      await fanOut.afterCommit(deliveryIds);
    }
    await waitSettled(h.db);
    for (const { deliveryIds } of stored) await fanOut.afterCommit(deliveryIds);
    await waitQueueIdle(h);

    const keys = stored.map((s) => `msg_${s.notification.contentKey}`);
    expect(ids(on("/all")).sort()).toEqual([...keys].sort());
    expect(ids(on("/declare"))).toEqual([keys[1]]);
    expect(on("/disabled")).toEqual([]);
    expect(await h.db.delivery.count({ where: { status: "succeeded" } })).toBe(4);
    expect(await h.db.deliveryAttempt.count()).toBe(4);
    expect(
      (await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: declare.id } })).failingSince,
    ).toBeNull();

    for (const r of on("/all")) {
      expect(r.method).toBe("POST");
      expect(r.headers["content-type"]).toBe("application/json");
      const headers = {
        "webhook-id": String(r.headers["webhook-id"]),
        "webhook-timestamp": String(r.headers["webhook-timestamp"]),
        "webhook-signature": String(r.headers["webhook-signature"]),
      };
      expect(new Webhook(all.secret).verify(r.body, headers)).toEqual(JSON.parse(r.body));
      expect(() => new Webhook(declare.secret).verify(r.body, headers)).toThrow();
    }
    const byType = Object.fromEntries(on("/all").map((r) => [JSON.parse(r.body).type, JSON.parse(r.body)]));
    expect(byType[PAY_STATUS_NOTIFY]).toEqual({
      id: keys[0],
      type: PAY_STATUS_NOTIFY,
      timestamp: 1_554_990_000_001,
      source: "payzero-notify",
      data: JSON.parse(stored[0]!.notification.msgBody),
      order: { mchtOrderNo: "F-1", payStatus: "PAY_SUCCEED" },
    });
    expect(byType.SOMETHING_NEW).toMatchObject({ id: keys[2], data: "not json", order: null });
  });

  it("gets the message through on a later attempt when the first ones fail, with the same id", async () => {
    rx.on("/flaky", (n) => (n <= 2 ? { status: 500, body: "not yet" } : { status: 204 }));
    const ep = await createEndpoint(h.db, { url: rx.url("/flaky") });
    const { fanOut } = h.start();
    const { deliveryIds } = await storeNotification(h.db, fanOut, {
      msgType: PAY_STATUS_NOTIFY,
      msgBody: orderBody({ mchtOrderNo: "FLAKY-1" }),
    });
    await waitSettled(h.db);

    const delivery = await h.db.delivery.findUniqueOrThrow({
      where: { id: deliveryIds[0]! },
      include: { attempts: { orderBy: { id: "asc" } } },
    });
    expect(delivery.status).toBe("succeeded");
    expect(delivery.succeededAt).not.toBeNull();
    expect(delivery.attemptCount).toBe(3);
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, 500, 204]);
    expect(delivery.attempts[0]).toMatchObject({ error: "HTTP 500", responseExcerpt: "not yet" });
    expect(delivery.attempts[2]).toMatchObject({ error: null });
    expect(new Set(ids(on("/flaky")))).toHaveLength(1);
    expect(on("/flaky")).toHaveLength(3);
    const endpoint = await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
    expect(endpoint.failingSince).toBeNull();
  });

  it("records timeouts and refused connections as failed attempts", async () => {
    rx.on("/hang", () => "hang");
    await createEndpoint(h.db, { url: rx.url("/hang"), msgTypes: ["T_HANG"] });
    const refused = `http://127.0.0.1:${await freePort()}/nothing-listens`;
    await createEndpoint(h.db, { url: refused, msgTypes: ["T_HANG"] });
    const { fanOut } = h.start({ webhookRetrySchedule: [], webhookTimeoutMs: 300 });
    await storeNotification(h.db, fanOut, { msgType: "T_HANG", msgBody: "{}" });
    await waitSettled(h.db);

    const attempts = await h.db.deliveryAttempt.findMany({
      include: { delivery: { include: { endpoint: true } } },
    });
    const byUrl = Object.fromEntries(attempts.map((a) => [a.delivery.endpoint.url, a]));
    expect(byUrl[rx.url("/hang")]).toMatchObject({ statusCode: null, error: "timeout after 300 ms" });
    expect(byUrl[refused]?.error).toMatch(/ECONNREFUSED/);
    expect(attempts.every((a) => a.delivery.status === "failed")).toBe(true);
    expect(attempts.every((a) => a.delivery.endpoint.failingSince !== null)).toBe(true);
  });

  it("treats a redirect as a failure and keeps at most 1 KiB of the response", async () => {
    rx.on("/redirect", () => ({ status: 302, body: "x".repeat(5000) }));
    await createEndpoint(h.db, { url: rx.url("/redirect") });
    const { fanOut } = h.start({ webhookRetrySchedule: [] });
    await storeNotification(h.db, fanOut, { msgType: "T_REDIRECT", msgBody: "{}" });
    await waitSettled(h.db);
    const [attempt] = await h.db.deliveryAttempt.findMany({ include: { delivery: true } });
    expect(attempt?.delivery.status).toBe("failed");
    expect(attempt?.statusCode).toBe(302);
    expect(attempt?.responseExcerpt).toHaveLength(1024);
  });
});

describe("two jobs for the same row state", () => {
  it("never both post: the conditional claim lets one through", async () => {
    await createEndpoint(h.db, { url: rx.url("/race") });
    const idle = h.start({ relayIntervalMs: 60_000 });
    const { deliveryIds } = await storeNotification(
      h.db,
      idle.fanOut,
      { msgType: "T_RACE", msgBody: "{}" },
      false,
    );
    await h.stopWorkers();
    const deps = {
      db: h.db,
      store: createDeliveryStore(h.db),
      log,
      retrySchedule: [0],
      timeoutMs: 2000,
      leaseGraceMs: 1000,
      scheduleNext: async () => {},
    };
    const id = deliveryIds[0]!;
    const outcomes = await Promise.all([1, 2, 3].map(() => runAttempt(deps, id, 0)));
    expect(outcomes.sort()).toEqual(["stale", "stale", "succeeded"]);
    expect(await runAttempt(deps, id, 0)).toBe("stale");
    expect(await runAttempt(deps, id, 1)).toBe("stale");
    expect(on("/race")).toHaveLength(1);
    expect(await h.db.deliveryAttempt.count({ where: { deliveryId: id } })).toBe(1);
  });
});

describe("claims batched together", () => {
  it("give the row to the claim for its current attempt, not to a stale one for the same row", async () => {
    await createEndpoint(h.db, { url: rx.url("/claims") });
    const idle = h.start({ relayIntervalMs: 60_000 });
    const { deliveryIds } = await storeNotification(
      h.db,
      idle.fanOut,
      { msgType: "T_CLAIMS", msgBody: "{}" },
      false,
    );
    await h.stopWorkers();
    const id = deliveryIds[0]!;
    // Attempt 1 was made and failed; a late job for attempt 0 claims in the same batch as the job for attempt 1.
    await h.db.delivery.update({ where: { id }, data: { attemptCount: 1 } });
    const store = createDeliveryStore(h.db);
    const leaseUntil = new Date(Date.now() + 60_000);
    const won = await Promise.all([
      store.claim({ id, attempt: 0, leaseUntil }),
      store.claim({ id, attempt: 1, leaseUntil }),
    ]);
    expect(won).toEqual([false, true]);
    expect((await h.db.delivery.findUniqueOrThrow({ where: { id } })).attemptCount).toBe(2);
  });
});

describe("crash between commit and enqueue", () => {
  it("still delivers everything: the relay enqueues the stranded rows", async () => {
    await createEndpoint(h.db, { url: rx.url("/a") });
    await createEndpoint(h.db, { url: rx.url("/b"), msgTypes: [PAY_STATUS_NOTIFY] });
    // The "crashed" worker committed the rows and never enqueued them.
    const crashed = h.start({ relayIntervalMs: 60_000 });
    const stored = [];
    for (let i = 0; i < 5; i++) {
      const spec = { msgType: PAY_STATUS_NOTIFY, msgBody: orderBody({ mchtOrderNo: `CRASH-${i}` }) };
      stored.push(await storeNotification(h.db, crashed.fanOut, spec, false));
    }
    await h.stopWorkers();
    expect(await h.db.delivery.count({ where: { status: "pending" } })).toBe(10);
    expect(rx.received).toHaveLength(0);

    h.start();
    await waitSettled(h.db);
    await waitQueueIdle(h);
    const keys = stored.map((s) => `msg_${s.notification.contentKey}`).sort();
    expect(ids(on("/a")).sort()).toEqual(keys);
    expect(ids(on("/b")).sort()).toEqual(keys);
  });

  it("picks up a row whose attempt was claimed by a worker that died mid-send", async () => {
    const ep = await createEndpoint(h.db, { url: rx.url("/claimed") });
    const crashed = h.start({ relayIntervalMs: 60_000 });
    const { deliveryIds } = await storeNotification(
      h.db,
      crashed.fanOut,
      { msgType: "T_CLAIMED", msgBody: "{}" },
      false,
    );
    await h.stopWorkers();
    // What a claim leaves behind: one attempt counted, its lease (nextAttemptAt) already run out.
    await h.db.delivery.update({
      where: { id: deliveryIds[0]! },
      data: { attemptCount: 1, nextAttemptAt: new Date(Date.now() - 60_000) },
    });
    h.start();
    await waitSettled(h.db);
    const delivery = await h.db.delivery.findUniqueOrThrow({ where: { id: deliveryIds[0]! } });
    expect(delivery).toMatchObject({ status: "succeeded", attemptCount: 2, endpointId: ep.id });
    expect(on("/claimed")).toHaveLength(1);
  });
});

describe("a dead endpoint", () => {
  it("ends with failed deliveries that a manual retry then delivers", async () => {
    let alive = false;
    rx.on("/dead", () => (alive ? { status: 200 } : { status: 503, body: "down" }));
    const ep = await createEndpoint(h.db, { url: rx.url("/dead") });
    const { fanOut } = h.start({ webhookRetrySchedule: [0, 0] });
    const { deliveryIds } = await storeNotification(h.db, fanOut, { msgType: "T_DEAD", msgBody: '{"n":1}' });
    await waitSettled(h.db);
    const failed = await h.db.delivery.findUniqueOrThrow({ where: { id: deliveryIds[0]! } });
    expect(failed).toMatchObject({
      status: "failed",
      attemptCount: 3,
      lastError: "HTTP 503",
      nextAttemptAt: null,
    });
    expect(on("/dead")).toHaveLength(3);
    expect(
      (await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } })).failingSince,
    ).not.toBeNull();

    alive = true;
    const app = await buildV1(h);
    try {
      const res = await app.inject({
        method: "POST",
        url: `/v1/deliveries/${deliveryIds[0]}/retry`,
        headers: auth,
      });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ id: String(deliveryIds[0]), status: "pending", attemptCount: 3 });
    } finally {
      await app.close();
    }
    await waitFor(
      "the manual retry",
      async () => (await h.db.delivery.count({ where: { status: "succeeded" } })) === 1,
    );
    expect(on("/dead")).toHaveLength(4);
    expect(new Set(ids(on("/dead")))).toHaveLength(1);
    expect((await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } })).failingSince).toBeNull();
  });

  it("fails pending deliveries of an endpoint disabled meanwhile without posting", async () => {
    const ep = await createEndpoint(h.db, { url: rx.url("/soon-disabled") });
    const crashed = h.start({ relayIntervalMs: 60_000 });
    await storeNotification(h.db, crashed.fanOut, { msgType: "T_DISABLED", msgBody: "{}" }, false);
    await h.stopWorkers();
    await h.db.webhookEndpoint.update({ where: { id: ep.id }, data: { enabled: false } });
    h.start();
    await waitSettled(h.db);
    expect(await h.db.delivery.findFirst()).toMatchObject({
      status: "failed",
      lastError: "endpoint disabled",
    });
    expect(on("/soon-disabled")).toHaveLength(0);
  });
});

describe("a rotated secret", () => {
  it("signs deliveries with the old and the new secret during the overlap, then the new one only", async () => {
    const ep = await createEndpoint(h.db, { url: rx.url("/rotating") });
    const app = await buildV1(h);
    let rotated: string;
    try {
      const res = await app.inject({
        method: "PATCH",
        url: `/v1/webhooks/${ep.id}`,
        headers: auth,
        payload: { secret: null },
      });
      expect(res.statusCode).toBe(200);
      rotated = String(res.json().secret);
    } finally {
      await app.close();
    }
    const { fanOut } = h.start();
    await storeNotification(h.db, fanOut, { msgType: "T_ROTATE", msgBody: '{"n":1}' });
    await waitFor("the first delivery", async () => on("/rotating").length === 1);

    await h.db.webhookEndpoint.update({
      where: { id: ep.id },
      data: { previousSecretExpiresAt: new Date() },
    });
    await storeNotification(h.db, fanOut, { msgType: "T_ROTATE", msgBody: '{"n":2}' });
    await waitFor("the second delivery", async () => on("/rotating").length === 2);

    const [during, after] = on("/rotating").map((r) => ({
      body: r.body,
      headers: r.headers as Record<string, string>,
    }));
    for (const secret of [ep.secret, rotated])
      expect(() => new Webhook(secret).verify(during!.body, during!.headers)).not.toThrow();
    expect(() => new Webhook(rotated).verify(after!.body, after!.headers)).not.toThrow();
    expect(() => new Webhook(ep.secret).verify(after!.body, after!.headers)).toThrow();
  });
});
