// The payer's personal data through the whole pipeline (receiver → queue → worker → webhooks): sealed
// at rest (a pg_dump of the database holds none of it), opened by every reader (GET /v1, the console,
// webhooks, replays, backfills), erased by DELETE /v1/orders/:no/personal-data and by
// PERSONAL_DATA_RETENTION_DAYS everywhere, and sealed by `migrate` when stored in plaintext before.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminTokenActor } from "../../../src/actor.js";

import { applyNotification } from "../../../src/orders/apply.js";
import { ordersDeps } from "../../../src/orders/deps.js";
import { maskIdNumber, maskName, maskPhone } from "../../../src/orders/mask.js";
import { noFanOut } from "../../../src/orders/notification.js";
import { openBody, openOrder, openSnapshot, personalDataKeyring } from "../../../src/orders/personal-data.js";
import { replayNotification } from "../../../src/orders/replay.js";
import { sealExistingPersonalData } from "../../../src/orders/seal-existing.js";
import { isRefusal } from "../../../src/refusal.js";
import { pruneOnce } from "../../../src/retention/prune.js";
import { waitFor } from "../../support/harness.js";
import { orderBody, signedEnvelope } from "../../support/payzero.js";
import { type Pipeline, startPipeline } from "../../support/pipeline.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";

const run = promisify(execFile);
const BURST = 50;
const PAY = "PAY_STATUS_NOTIFY";
const DECLARE = "DECLARE_STATUS_NOTIFY";

let p: Pipeline;
let receiver: Receiver;

/** Each order's own payer, so a value found in the dump names the order it leaked from. */
function payer(i: number) {
  const n = String(i).padStart(4, "0");
  return { payerName: `欧阳${n}测`, payerNumber: `11010119900307${n}`, payerPhone: `1391234${n}` };
}
const no = (i: number) => `PII-${i}`;

async function notify(msgType: string, msgBody: string, timestamp: number) {
  const res = await p.app.inject({
    method: "POST",
    url: "/payzero/notify",
    payload: signedEnvelope(msgType, msgBody, timestamp),
  });
  expect(res.body).toBe("OK");
}

const finalBody = (i: number) =>
  orderBody({ mchtOrderNo: no(i), payStatus: "PAY_SUCCEED", declareStatus: "DECLARED", ...payer(i) });

async function dump(): Promise<string> {
  const { stdout } = await run("pg_dump", ["--data-only", "--no-owner", p.database.url], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/** The payer values (of these orders) a dump holds in plaintext. */
function leaked(text: string, orders: number[]): string[] {
  return orders.flatMap((i) => Object.values(payer(i)).filter((v) => text.includes(v)));
}

async function createEndpoint(path: string, filters: Record<string, unknown> = {}): Promise<string> {
  const res = await p.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: p.authorized,
    payload: { url: receiver.url(path), ...filters },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

interface Forwarded {
  data: Record<string, unknown>;
  order: Record<string, unknown>;
}
const received = (path: string, orderNo: string): Forwarded[] =>
  receiver.received
    .filter((r) => r.path === path)
    .map((r) => JSON.parse(r.body) as Forwarded)
    .filter((f) => f.data.mchtOrderNo === orderNo);

/** The raw rows of an order as Postgres holds them, opened. */
async function storedOf(orderNo: string) {
  const order = await p.db.order.findUniqueOrThrow({ where: { mchtOrderNo: orderNo } });
  const notifications = await p.db.notification.findMany({
    where: { mchtOrderNo: orderNo },
    orderBy: { id: "asc" },
  });
  return {
    raw: { order, notifications },
    order: openOrder(order),
    bodies: notifications.map((n) => JSON.parse(openBody(n.contentKey, n.msgBody) ?? "null")),
    snapshots: notifications.map((n) => openSnapshot(n.contentKey, n.orderAfter) as Record<string, unknown>),
  };
}

beforeAll(async () => {
  p = await startPipeline({
    webhookRetrySchedule: [0, 0, 0],
    webhookPollIntervalMs: 200,
    webhookBackfillBatch: 100,
  });
  receiver = await startReceiver();
  const webhooks = p.startWebhooks();
  p.startWorker(webhooks.fanOut);
  await createEndpoint("/erp");
  const t = Date.now() - 3_600_000;
  await Promise.all(Array.from({ length: BURST }, (_, i) => notify(DECLARE, finalBody(i), t + i)));
  await p.drained();
  await waitFor(
    "the burst forwarded",
    async () => receiver.received.filter((r) => r.path === "/erp").length >= BURST,
  );
});
afterAll(async () => {
  await p?.close();
  await receiver?.close();
});

describe("personal data at rest", () => {
  it("a pg_dump after a burst holds no payer name, ID number or phone in plaintext", async () => {
    const text = await dump();
    expect(text).toContain(no(7)); // the dump holds the orders…
    expect(text).toContain("enc:v2:"); // …and sealed values…
    expect(leaked(text, [...Array(BURST).keys()])).toEqual([]); // …and none of their payers
  });

  it("GET /v1/orders/:no, GET /v1/notifications and the webhooks show them in plaintext; the console masked", async () => {
    const res = await p.app.inject({ url: `/v1/orders/${no(7)}`, headers: p.authorized });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ...payer(7), payStatus: "PAY_SUCCEED", personalDataErasedAt: null });

    const list = await p.app.inject({ url: `/v1/notifications?mchtOrderNo=${no(7)}`, headers: p.authorized });
    expect(list.json().items[0].msgBody).toBe(finalBody(7));

    const [forwarded] = received("/erp", no(7));
    expect(forwarded!.data).toMatchObject(payer(7));
    expect(forwarded!.order).toMatchObject(payer(7));

    const login = await p.app.inject({
      method: "POST",
      url: "/console/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({
        token: p.authorized.authorization.slice(7),
        next: "/console",
      }).toString(),
    });
    const cookie = `pzn_console=${login.cookies.find((c) => c.name === "pzn_console")!.value}`;
    const page = await p.app.inject({ url: `/console/orders/${no(7)}`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    const { payerName, payerNumber, payerPhone } = payer(7);
    expect(page.body).toContain(maskName(payerName));
    expect(page.body).toContain(maskIdNumber(payerNumber));
    expect(page.body).toContain(maskPhone(payerPhone));
    expect(page.body).not.toContain(payerNumber);
  });

  it("a replay and a backfill forward them in plaintext", async () => {
    const replayed = await createEndpoint("/replayed");
    const [n] = (await storedOf(no(8))).raw.notifications;
    const result = await replayNotification(
      ordersDeps(p.db, async () => {}),
      adminTokenActor,
      {
        notificationId: n!.id,
        webhookId: replayed,
      },
    );
    expect(isRefusal(result)).toBe(false);
    await waitFor("the replay", async () => received("/replayed", no(8)).length === 1);
    expect(received("/replayed", no(8))[0]!.data).toMatchObject(payer(8));
    expect(received("/replayed", no(8))[0]!.order).toMatchObject(payer(8));

    // A status filter: the backfill reads each stored (sealed) body's statuses.
    const backfilled = await createEndpoint("/backfilled", { payStatus: ["PAY_SUCCEED"] });
    const res = await p.app.inject({
      method: "POST",
      url: `/v1/webhooks/${backfilled}/backfill`,
      headers: p.authorized,
      payload: { since: new Date(Date.now() - 86_400_000).toISOString() },
    });
    expect(res.statusCode).toBeLessThan(300);
    await waitFor("the backfill", async () => received("/backfilled", no(9)).length === 1, 20_000);
    expect(received("/backfilled", no(9))[0]!.data).toMatchObject(payer(9));
  });
});

describe("erasure", () => {
  it("DELETE /v1/orders/:no/personal-data erases them everywhere and keeps the order's state and history", async () => {
    const before = (await p.app.inject({ url: `/v1/orders/${no(3)}`, headers: p.authorized })).json();
    const res = await p.app.inject({
      method: "DELETE",
      url: `/v1/orders/${no(3)}/personal-data`,
      headers: p.authorized,
    });
    expect(res.statusCode).toBe(204);

    const after = (await p.app.inject({ url: `/v1/orders/${no(3)}`, headers: p.authorized })).json();
    expect(after).toEqual({
      ...before,
      payerName: null,
      payerNumber: null,
      payerPhone: null,
      personalDataErasedAt: expect.any(String),
    });
    const stored = await storedOf(no(3));
    expect(stored.order).toMatchObject({ payerName: null, payerNumber: null, payerPhone: null });
    expect(stored.bodies[0]).toMatchObject({
      payerName: null,
      payerNumber: null,
      payerPhone: null,
      payStatus: "PAY_SUCCEED",
    });
    expect(stored.snapshots[0]).toMatchObject({
      payerName: null,
      payerNumber: null,
      payerPhone: null,
      declareStatus: "DECLARED",
    });
    expect(leaked(await dump(), [3])).toEqual([]);
    // Others keep theirs.
    expect((await storedOf(no(4))).order).toMatchObject(payer(4));

    const audit = await p.app.inject({
      url: "/v1/audit?action=order.erase-personal-data",
      headers: p.authorized,
    });
    const [entry] = audit.json().items;
    expect(entry).toMatchObject({ target: no(3) });
    expect(JSON.stringify(entry)).not.toContain(payer(3).payerPhone);

    const unknown = await p.app.inject({
      method: "DELETE",
      url: "/v1/orders/NO-SUCH-ORDER/personal-data",
      headers: p.authorized,
    });
    expect(unknown.statusCode).toBe(404);
  });

  it("an erased order stays erased: a resend, a new message and the reconciler's answer bring nothing back", async () => {
    await p.app.inject({ method: "DELETE", url: `/v1/orders/${no(5)}/personal-data`, headers: p.authorized });
    const t = Date.now();
    await notify(DECLARE, finalBody(5), t - 3_600_000 + 5); // the same message again: a duplicate
    const newer = orderBody({
      mchtOrderNo: no(5),
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARED",
      subject: "again",
      ...payer(5),
    });
    await notify(DECLARE, newer, t);
    await p.drained();
    await waitFor("the new message forwarded", async () => received("/erp", no(5)).length === 2);
    const forwarded = received("/erp", no(5))[1]!;
    expect(forwarded.data).toMatchObject({
      subject: "again",
      payerName: null,
      payerNumber: null,
      payerPhone: null,
    });
    expect(forwarded.order).toMatchObject({ payerName: null, payerNumber: null, payerPhone: null });

    const answer = orderBody({
      mchtOrderNo: no(5),
      payStatus: "PAY_SUCCEED",
      declareStatus: "DECLARED",
      subject: "asked",
      ...payer(5),
    });
    await applyNotification(
      p.db,
      {
        msgType: DECLARE,
        timestamp: BigInt(t + 1),
        msgBody: answer,
        receivedAt: new Date(),
        source: "payzero-query",
      },
      noFanOut,
    );
    const stored = await storedOf(no(5));
    expect(stored.order).toMatchObject({
      subject: "asked",
      payerName: null,
      payerNumber: null,
      payerPhone: null,
    });
    expect(stored.bodies).toHaveLength(3);
    for (const body of stored.bodies)
      expect(body).toMatchObject({ payerName: null, payerNumber: null, payerPhone: null });
    expect(leaked(await dump(), [5])).toEqual([]);
  });

  it("PERSONAL_DATA_RETENTION_DAYS erases orders final for longer, and leaves recent and unfinished ones", async () => {
    await notify(
      PAY,
      orderBody({ mchtOrderNo: no(900), payStatus: "PAY_APPLIED", ...payer(900) }),
      Date.now(),
    );
    await p.drained();
    await waitFor(
      "the unfinished order stored",
      async () => (await p.db.order.count({ where: { mchtOrderNo: no(900) } })) === 1,
    );
    const old = new Date(Date.now() - 40 * 86_400_000);
    await p.db.order.updateMany({
      where: { mchtOrderNo: { in: [no(10), no(11), no(900)] } },
      data: { updatedAt: old },
    });

    const result = await pruneOnce(p.db, { days: 0, personalDataDays: 30, batchSize: 1, pauseMs: 0 });
    expect(result).toMatchObject({ personalData: 2, notificationBodies: 0, busy: false });
    for (const i of [10, 11]) {
      const stored = await storedOf(no(i));
      expect(stored.order).toMatchObject({
        payerName: null,
        payStatus: "PAY_SUCCEED",
        declareStatus: "DECLARED",
        paymentAmount: 35302n,
      });
      expect(stored.order.personalDataErasedAt).not.toBeNull();
      expect(stored.bodies[0]).toMatchObject({ payerName: null, payerNumber: null, payerPhone: null });
      expect(stored.snapshots[0]).toMatchObject({ payerName: null });
    }
    expect((await storedOf(no(12))).order).toMatchObject(payer(12)); // final, but recent
    expect((await storedOf(no(900))).order).toMatchObject(payer(900)); // old, but not final
    expect(leaked(await dump(), [10, 11])).toEqual([]);
    expect(await pruneOnce(p.db, { days: 0, personalDataDays: 30, batchSize: 1, pauseMs: 0 })).toMatchObject({
      personalData: 0,
    });
  });
});

describe("rows stored before sealing", () => {
  it("migrate seals them, once, and every reader still opens them", async () => {
    const i = 20;
    const { raw } = await storedOf(no(i));
    const [n] = raw.notifications;
    // As an older version stored them: in plaintext.
    await p.db.order.update({ where: { mchtOrderNo: no(i) }, data: payer(i) });
    await p.db.$executeRaw`
      UPDATE notifications SET msg_body = ${finalBody(i)},
             order_after = order_after || ${JSON.stringify(payer(i))}::jsonb WHERE id = ${n!.id}`;
    expect(leaked(await dump(), [i])).toHaveLength(3);
    // Read in plaintext meanwhile.
    const meanwhile = await p.app.inject({ url: `/v1/orders/${no(i)}`, headers: p.authorized });
    expect(meanwhile.json()).toMatchObject(payer(i));

    const report = await sealExistingPersonalData(p.db, personalDataKeyring(), 7);
    expect(report).toEqual({ orders: 1, notifications: 1, unopened: 0, busy: false });
    expect(leaked(await dump(), [...Array(BURST).keys()])).toEqual([]);
    const res = await p.app.inject({ url: `/v1/orders/${no(i)}`, headers: p.authorized });
    expect(res.json()).toMatchObject(payer(i));
    const stored = await storedOf(no(i));
    expect(stored.bodies[0]).toMatchObject(payer(i));
    expect(stored.snapshots[0]).toMatchObject(payer(i));
    // Idempotent: nothing left to seal.
    expect(await sealExistingPersonalData(p.db, personalDataKeyring(), 7)).toEqual({
      orders: 0,
      notifications: 0,
      unopened: 0,
      busy: false,
    });
  });
});
