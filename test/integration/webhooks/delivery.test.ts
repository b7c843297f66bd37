import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { type AttemptDeps, runAttempt } from "../../../src/webhooks/delivery/attempt.js";
import {
  claimDue,
  type HeldDelivery,
  recordAttempts,
  renewHolds,
} from "../../../src/webhooks/delivery/delivery-queue.js";
import { destinationPolicy } from "../../../src/webhooks/endpoints/address-rule.js";
import { createDestinations } from "../../../src/webhooks/transports/destination.js";
import {
  auth,
  buildV1,
  createEndpoint,
  freePort,
  type Harness,
  log,
  storeNotification,
  storeNotifications,
  testKeyring,
  useHarnessAndReceiver,
  waitFor,
  waitSettled,
} from "../../support/harness.js";
import { orderBody } from "../../support/payzero.js";
import type { Received, Receiver } from "../../support/receiver.js";

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
    // A type Payzero does not send (it does not sign msgType) goes to no endpoint without a filter.
    expect(stored.map((s) => s.deliveryIds.length)).toEqual([1, 2, 0]);

    // Fan out again: the same rows are not added twice.
    for (const { notification } of stored) {
      const again = await h.db.$transaction((tx) => fanOut.inTransaction(tx, [notification]));
      expect(again).toEqual([]);
    }
    await waitSettled(h.db);

    const keys = stored.map((s) => `msg_${s.notification.contentKey}`);
    expect(ids(on("/all")).sort()).toEqual(keys.slice(0, 2).sort());
    expect(ids(on("/declare"))).toEqual([keys[1]]);
    expect(on("/disabled")).toEqual([]);
    expect(await h.db.delivery.count({ where: { status: "succeeded" } })).toBe(3);
    expect(await h.db.deliveryAttempt.count()).toBe(3);
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
    expect(byType.SOMETHING_NEW).toBeUndefined();
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
    await storeNotification(h.db, fanOut, { msgType: "PAY_STATUS_NOTIFY", msgBody: '{"t":"T_REDIRECT"}' });
    await waitSettled(h.db);
    const [attempt] = await h.db.deliveryAttempt.findMany({ include: { delivery: true } });
    expect(attempt?.delivery.status).toBe("failed");
    expect(attempt?.statusCode).toBe(302);
    expect(attempt?.responseExcerpt).toHaveLength(1024);
  });
});

/**
 * A row stored by a "crashed" process: committed, held by nobody alive, due once its hold is over
 * (makeDue). The hold is long: with the harness's 3 s, rows stored first could fall due while a
 * loaded machine is still storing the others, and the next idle worker's first claim sent them.
 */
async function strandedRow(label: string, msgBody = "{}"): Promise<{ id: bigint; heldUntil: Date }> {
  const idle = h.start({ webhookPollIntervalMs: 60_000, webhookLeaseGraceMs: 60_000 });
  // A type Payzero sends (endpoints without a filter take only those), the label kept in the body.
  const body = JSON.stringify({ t: label, ...JSON.parse(msgBody) });
  const spec = { msgType: "PAY_STATUS_NOTIFY", msgBody: body };
  const { deliveryIds } = await storeNotification(h.db, idle.fanOut, spec, false);
  await h.stopWorkers();
  expect(deliveryIds).toHaveLength(1);
  const row = await h.db.delivery.findUniqueOrThrow({ where: { id: deliveryIds[0]! } });
  return { id: row.id, heldUntil: row.nextAttemptAt! };
}

const makeDue = (id: bigint) =>
  h.db.delivery.update({ where: { id }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });

function attemptDeps(): AttemptDeps {
  return {
    db: h.db,
    log,
    retrySchedule: [0],
    timeoutMs: 2000,
    destinations: createDestinations(log, destinationPolicy(h.config)),
    keyring: testKeyring,
    renew: async (row) => (await renewHolds(h.db, [row], 5000))[0]!,
    record: (r) => recordAttempts(h.db, [r]),
  };
}

describe("holds", () => {
  it("let one process claim a due row: claims at once each get other rows, never the same", async () => {
    await createEndpoint(h.db, { url: rx.url("/race") });
    const rows = [];
    for (let i = 0; i < 30; i++) rows.push(await strandedRow("T_RACE", `{"n":${i}}`));
    for (const r of rows) await makeDue(r.id);
    const claim = () =>
      claimDue(h.db, { total: 12, perEndpointDefault: 12, perEndpoint: new Map(), leaseMs: 60_000 });
    const claims = await Promise.all([claim(), claim(), claim(), claim()]);
    const claimed = claims.flat().map((c) => c.id);
    expect(claimed).toHaveLength(30);
    expect(new Set(claimed).size).toBe(30);
    expect(claims.every((c) => c.length <= 12)).toBe(true);
    // All held now: nothing is due.
    expect(await claim()).toEqual([]);
  });

  it("never let two copies of a row both post: a lapsed hold loses to the claim that followed it", async () => {
    await createEndpoint(h.db, { url: rx.url("/lapsed") });
    // The hold the fan-out gave the committing process.
    const first = await strandedRow("T_LAPSED");
    const deliveryIds = [first.id];
    await makeDue(first.id);
    const [claimed] = await claimDue(h.db, {
      total: 1,
      perEndpointDefault: 1,
      perEndpoint: new Map(),
      leaseMs: 60_000,
    });
    expect(claimed?.id).toBe(deliveryIds[0]);
    // The first holder wakes up late: its hold has lapsed, so it must renew first, and cannot.
    const lapsed: HeldDelivery = { ...claimed!, heldUntil: first.heldUntil, localDeadline: Date.now() };
    expect(first.heldUntil.getTime()).not.toBe(claimed!.heldUntil.getTime());
    const outcomes = await Promise.all([
      runAttempt(attemptDeps(), lapsed),
      runAttempt(attemptDeps(), claimed!),
    ]);
    expect(outcomes).toEqual(["stale", "succeeded"]);
    expect(on("/lapsed")).toHaveLength(1);
    expect(await h.db.deliveryAttempt.count({ where: { deliveryId: deliveryIds[0]! } })).toBe(1);
    // A stale record (the attempt count moved on) changes nothing.
    expect(await runAttempt(attemptDeps(), { ...claimed!, localDeadline: Date.now() })).toBe("stale");
    expect((await h.db.delivery.findUniqueOrThrow({ where: { id: deliveryIds[0]! } })).attemptCount).toBe(1);
  });

  it("renewed in one batch go to the current hold, not to a stale copy of the same row", async () => {
    await createEndpoint(h.db, { url: rx.url("/renew") });
    const row = await strandedRow("T_RENEW");
    await makeDue(row.id);
    const [current] = await claimDue(h.db, {
      total: 1,
      perEndpointDefault: 1,
      perEndpoint: new Map(),
      leaseMs: 60_000,
    });
    const stale = { ...current!, heldUntil: new Date(current!.heldUntil.getTime() - 1) };
    const renewed = await renewHolds(h.db, [stale, current!], 60_000);
    expect(renewed[0]).toBeNull();
    expect(renewed[1]?.heldUntil.getTime()).toBeGreaterThan(current!.heldUntil.getTime());
  });
});

describe("a crash", () => {
  it("between commit and dispatch loses nothing: the rows are claimed once their hold ends", async () => {
    await createEndpoint(h.db, { url: rx.url("/a") });
    await createEndpoint(h.db, { url: rx.url("/b"), msgTypes: [PAY_STATUS_NOTIFY] });
    // The "crashed" worker committed the rows and never dispatched them.
    const crashed = h.start({ webhookPollIntervalMs: 60_000 });
    const stored = [];
    for (let i = 0; i < 5; i++) {
      const spec = { msgType: PAY_STATUS_NOTIFY, msgBody: orderBody({ mchtOrderNo: `CRASH-${i}` }) };
      stored.push(await storeNotification(h.db, crashed.fanOut, spec, false));
    }
    await h.stopWorkers();
    expect(await h.db.delivery.count({ where: { status: "pending" } })).toBe(10);

    // Held by the dead process for webhookTimeoutMs + webhookLeaseGraceMs: nothing goes before that.
    const held = await h.db.delivery.findMany({ where: { status: "pending" } });
    const holdEnds = Math.min(...held.map((d) => d.nextAttemptAt!.getTime()));
    h.start();
    await waitSettled(h.db);
    const keys = stored.map((s) => `msg_${s.notification.contentKey}`).sort();
    expect(ids(on("/a")).sort()).toEqual(keys);
    expect(ids(on("/b")).sort()).toEqual(keys);
    // Every POST came once the whole hold was over, however long the wait (no fixed look).
    expect(Math.min(...[...on("/a"), ...on("/b")].map((r) => r.at))).toBeGreaterThanOrEqual(holdEnds);
  });

  it("mid-send leaves a claimed row that another claim takes once the hold has run out", async () => {
    const ep = await createEndpoint(h.db, { url: rx.url("/claimed") });
    const row = await strandedRow("T_CLAIMED");
    // What a process that died mid-POST leaves: its hold (nextAttemptAt), run out; nothing recorded.
    await makeDue(row.id);
    h.start();
    await waitSettled(h.db);
    const delivery = await h.db.delivery.findUniqueOrThrow({ where: { id: row.id } });
    expect(delivery).toMatchObject({ status: "succeeded", attemptCount: 1, endpointId: ep.id });
    expect(on("/claimed")).toHaveLength(1);
  });
});

describe("a backlog", () => {
  it("larger than the in-process queue is given back to Postgres and still delivered once each", async () => {
    rx.on("/backlog", () => ({ status: 200 }));
    await createEndpoint(h.db, { url: rx.url("/backlog") });
    const { fanOut } = h.start({
      webhookQueueLimit: 5,
      webhookConcurrency: 2,
      webhookEndpointConcurrency: 2,
    });
    // One apply batch of 60 hands 60 held rows to a queue that takes 5.
    const stored = await storeNotifications(
      h.db,
      fanOut,
      Array.from({ length: 60 }, (_, i) => ({
        msgType: "PAY_STATUS_NOTIFY",
        msgBody: `{"t":"T_BACKLOG","n":${i}}`,
      })),
    );
    await waitSettled(h.db, 30_000);
    const keys = stored.map((s) => `msg_${s.notification.contentKey}`).sort();
    expect(ids(on("/backlog")).sort()).toEqual(keys);
    expect(await h.db.deliveryAttempt.count()).toBe(60);
  });
});

async function retryByApi(deliveryId: bigint) {
  const app = await buildV1(h);
  try {
    return await app.inject({ method: "POST", url: `/v1/deliveries/${deliveryId}/retry`, headers: auth });
  } finally {
    await app.close();
  }
}

describe("a dead endpoint", () => {
  it("ends with failed deliveries; a manual retry is one attempt, and delivers once the endpoint is back", async () => {
    let alive = false;
    rx.on("/dead", () => (alive ? { status: 200 } : { status: 503, body: "down" }));
    const ep = await createEndpoint(h.db, { url: rx.url("/dead") });
    const { fanOut } = h.start({ webhookRetrySchedule: [0, 0] });
    const { deliveryIds } = await storeNotification(h.db, fanOut, {
      msgType: "PAY_STATUS_NOTIFY",
      msgBody: '{"t":"T_DEAD","n":1}',
    });
    const id = deliveryIds[0]!;
    await waitSettled(h.db);
    const failed = await h.db.delivery.findUniqueOrThrow({ where: { id } });
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

    // Still dead: the retry makes exactly one attempt and fails again.
    const first = await retryByApi(id);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ id: String(id), status: "pending", attemptCount: 3 });
    await waitSettled(h.db);
    expect(await h.db.delivery.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "failed",
      attemptCount: 4,
      manualRetry: false,
    });
    expect(on("/dead")).toHaveLength(4);

    alive = true;
    expect((await retryByApi(id)).statusCode).toBe(202);
    await waitFor(
      "the manual retry",
      async () => (await h.db.delivery.count({ where: { status: "succeeded" } })) === 1,
    );
    expect(on("/dead")).toHaveLength(5);
    expect(new Set(ids(on("/dead")))).toHaveLength(1);
    expect((await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } })).failingSince).toBeNull();
  });

  it("fails pending deliveries of an endpoint disabled meanwhile without posting", async () => {
    const ep = await createEndpoint(h.db, { url: rx.url("/soon-disabled") });
    const row = await strandedRow("T_DISABLED");
    await h.db.webhookEndpoint.update({ where: { id: ep.id }, data: { enabled: false } });
    await makeDue(row.id);
    h.start();
    await waitSettled(h.db);
    expect(await h.db.delivery.findFirst()).toMatchObject({
      status: "failed",
      lastError: "endpoint disabled",
    });
    expect(on("/soon-disabled")).toHaveLength(0);
  });

  it("re-enabled: a delivery its disabling failed gets one attempt on retry, not the rest of the schedule", async () => {
    rx.on("/back", () => ({ status: 500 }));
    const ep = await createEndpoint(h.db, { url: rx.url("/back") });
    const row = await strandedRow("T_BACK");
    await h.db.webhookEndpoint.update({ where: { id: ep.id }, data: { enabled: false } });
    await makeDue(row.id);
    h.start({ webhookRetrySchedule: [0, 0, 0, 0] });
    await waitSettled(h.db);
    expect(await h.db.delivery.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      status: "failed",
      attemptCount: 0,
    });
    await h.db.webhookEndpoint.update({ where: { id: ep.id }, data: { enabled: true } });
    expect((await retryByApi(row.id)).statusCode).toBe(202);
    await waitSettled(h.db);
    expect(await h.db.delivery.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      status: "failed",
      attemptCount: 1,
      lastError: "HTTP 500",
    });
    expect(on("/back")).toHaveLength(1);
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
    await storeNotification(h.db, fanOut, {
      msgType: "PAY_STATUS_NOTIFY",
      msgBody: '{"t":"T_ROTATE","n":1}',
    });
    await waitFor("the first delivery", async () => on("/rotating").length === 1);

    await h.db.webhookEndpoint.update({
      where: { id: ep.id },
      data: { previousSecretExpiresAt: new Date() },
    });
    await storeNotification(h.db, fanOut, {
      msgType: "PAY_STATUS_NOTIFY",
      msgBody: '{"t":"T_ROTATE","n":2}',
    });
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
