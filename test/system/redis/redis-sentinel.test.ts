// Redis fails over under a burst: the service (receiver + worker processes) follows three Sentinels.
// Once some notifications were answered OK, the replica's link is cut (replication held back), so the
// master takes jobs no replica has: the receiver answers them 503, as WAIT gets no confirmation. The
// master is then SIGKILLed with requests still waiting on WAIT, its replica is promoted, and the old
// master comes back empty as the new master's replica. Payzero's stand-in resends whatever was not
// answered OK. Every message answered OK is stored once and forwarded once: the receiver answered OK
// only after the replica had the job (REDIS_MIN_REPLICAS_ACK, 1 by default with Sentinel); without
// WAIT, the messages answered OK while the link was cut are lost with the master.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import { bodyKey } from "../../../src/payzero/envelope.js";
import { signNotification } from "../../../src/simulator/payzero-sender.js";
import {
  TEST_ADMIN_TOKEN,
  TEST_ALLOW_ADDRESSES,
  TEST_ENCRYPTION_KEY,
  TEST_SIGN_TOKEN,
} from "../../support/config.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { orderBody } from "../../support/payzero.js";
import { type ServiceProcess, startService } from "../../support/processes.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { type SentinelSetup, startSentinelSetup, waitUntil } from "../../support/redis-ha.js";
import { freePort } from "../../support/redis-server.js";

const ORDERS = 100;
/** The master is killed once this many messages were answered OK. */
const KILL_AFTER_OK = 40;

let database: TestDatabase;
let db: Db;
let redis: SentinelSetup;
let receiver: Receiver;
let port: number;
let service: ServiceProcess | undefined;

const readyz = () =>
  fetch(`http://127.0.0.1:${port}/readyz`).then(
    (r) => r.status,
    () => null,
  );

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, 4);
  redis = await startSentinelSetup();
  receiver = await startReceiver();
  port = await freePort();
  service = startService("all", {
    PAYZERO_SIGN_TOKEN: TEST_SIGN_TOKEN,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
    WEBHOOK_ALLOW_ADDRESSES: TEST_ALLOW_ADDRESSES,
    DATABASE_URL: database.url,
    // With Sentinel, REDIS_URL gives only the password and db; the Sentinels name the master.
    REDIS_URL: "redis://127.0.0.1:1/0",
    REDIS_SENTINELS: redis.sentinelList,
    REDIS_SENTINEL_NAME: redis.masterName,
    REDIS_PREFIX: testRedisPrefix(),
    HOST: "127.0.0.1",
    PORT: String(port),
    ENQUEUE_TIMEOUT_MS: "2000",
    // A job the worker finished on the old master, unreplicated, is active again on the new one: its
    // lock runs out this soon and it runs again (a duplicate, stored and forwarded once).
    WORKER_LOCK_MS: "2000",
    WEBHOOK_RETRY_SCHEDULE: "1,1,1,1,1,1,1,1,1,1",
    WEBHOOK_POLL_INTERVAL_MS: "200",
    // A POST the loaded machine answers late must not be sent again: this test counts POSTs.
    WEBHOOK_TIMEOUT_MS: "30000",
  });
  await waitUntil("service ready", async () => ((await readyz()) === 200 ? true : undefined), 60_000).catch(
    (err) => {
      throw new Error(`${err}\n${service?.output()}`);
    },
  );
  const res = await fetch(`http://127.0.0.1:${port}/v1/webhooks`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ url: receiver.url("/erp") }),
  });
  expect(res.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await service?.stop(5000);
  await receiver?.close();
  await redis?.destroy();
  await db?.$disconnect();
  await database?.drop();
});

/** Every answer the receiver gave (status null: no answer), with when its request was sent. */
const answers: Array<{ sentAt: number; answeredAt: number; status: number | null }> = [];
/** Requests sent and not answered yet. */
let inFlight = 0;

/** Payzero's stand-in: posts the message again every second until it is answered OK. */
async function sendUntilOk(
  m: { msgType: string; msgBody: string },
  onOk: () => void,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    const sentAt = Date.now();
    inFlight++;
    const answer = await fetch(`http://127.0.0.1:${port}/payzero/notify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(signNotification(TEST_SIGN_TOKEN, m, Date.now())),
      signal: AbortSignal.timeout(5000),
    }).then(
      async (r) => ({ status: r.status, text: await r.text() }),
      (err: Error) => ({ status: null, text: err.message }),
    );
    inFlight--;
    answers.push({ sentAt, answeredAt: Date.now(), status: answer.status });
    if (answer.text === "OK") return onOk();
    await sleep(1000);
  }
}

describe("Redis Sentinel failover", () => {
  it("stores and forwards once every notification answered OK while the master is SIGKILLed", async () => {
    const messages = [];
    for (let o = 0; o < ORDERS; o++) {
      const mchtOrderNo = `FAILOVER-${o}`;
      messages.push({
        msgType: "PAY_STATUS_NOTIFY",
        msgBody: orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED" }),
      });
      messages.push({
        msgType: "DECLARE_STATUS_NOTIFY",
        msgBody: orderBody({ mchtOrderNo, payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" }),
      });
    }
    const answeredOk = new Set<string>();
    const deadline = Date.now() + 150_000;
    const senders: Array<Promise<void>> = [];
    const burst = (async () => {
      for (const [i, m] of messages.entries()) {
        const key = bodyKey(m.msgBody);
        senders.push(sendUntilOk(m, () => answeredOk.add(key), deadline));
        if (i % 5 === 4) await sleep(50);
      }
    })();

    await waitUntil("some messages answered OK", async () =>
      answeredOk.size >= KILL_AFTER_OK ? true : undefined,
    );
    // Replication held back: from here the master takes jobs its replica never gets.
    await redis.cutReplication();
    const windowOpened = Date.now();
    await waitUntil("requests sent without a replica answered", async () =>
      answers.filter((a) => a.sentAt >= windowOpened).length >= 3 ? true : undefined,
    );
    const inFlightAtKill = inFlight;
    await redis.killMaster();
    const killedAt = Date.now();
    const okBeforeKill = answeredOk.size;
    const sentBeforeKill = senders.length;
    // Every request sent once the master had no replica, and answered before the kill, was a 503.
    const inWindow = answers.filter((a) => a.sentAt >= windowOpened && a.answeredAt < killedAt);
    await waitUntil("sentinels promote the replica", async () =>
      (await redis.masterPort()) === redis.replica.port ? true : undefined,
    );
    // The new master has no replica until the old one is back as its replica: until then every
    // notification is answered 503 (nothing is answered OK that one more failover could lose).
    await redis.restartOldMaster();
    await burst;
    await Promise.all(senders);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status, `${await ready.text()}\n${service?.output().slice(-3000)}`).toBe(200);

    // Every message answered OK is stored once and forwarded once.
    let stored = 0;
    let delivered = 0;
    await waitUntil(
      "all stored and delivered",
      async () => {
        stored = await db.notification.count();
        delivered = await db.delivery.count({ where: { status: "succeeded" } });
        return stored >= answeredOk.size && delivered >= answeredOk.size ? true : undefined;
      },
      90_000,
    ).catch(() => {}); // the assertions below say what is missing
    const storedKeys = new Set(
      (await db.notification.findMany({ select: { bodyKey: true } })).map((n) => n.bodyKey),
    );
    const lost = [...answeredOk].filter((k) => !storedKeys.has(k));
    const ids = receiver.received.map((r) => String(r.headers["webhook-id"]));
    const failedAttempts = await db.deliveryAttempt.findMany({
      where: { OR: [{ statusCode: null }, { statusCode: { gte: 300 } }] },
      select: { statusCode: true, error: true, durationMs: true },
    });
    console.log(
      [
        "sentinel failover figures:",
        `  messages                 ${messages.length} (${sentBeforeKill} sent before the SIGKILL)`,
        `  answered OK              ${answeredOk.size} (${okBeforeKill} before the SIGKILL)`,
        `  replication cut          ${inWindow.length} answered meanwhile (${inWindow.filter((a) => a.status === 503).length} with 503); ${inFlightAtKill} requests in flight at the SIGKILL`,
        `  stored                   ${stored}`,
        `  forwarded POSTs          ${ids.length} (${new Set(ids).size} distinct)`,
        `  failed attempts          ${failedAttempts.length} ${JSON.stringify(failedAttempts.slice(0, 3))}`,
      ].join("\n"),
    );
    if (ids.length !== messages.length)
      console.log(
        service
          ?.output()
          .split("\n")
          .filter((l) => !l.includes("notification not kept"))
          .join("\n")
          .slice(-20000),
      );
    // The kill came mid-burst: some messages were answered OK before it, others only after it.
    expect(inWindow.length).toBeGreaterThan(0);
    expect(inWindow.map((a) => a.status)).toEqual(inWindow.map(() => 503));
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(okBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER_OK);
    expect(okBeforeKill).toBeLessThan(messages.length);
    expect(await redis.masterPort()).toBe(redis.replica.port);
    expect(answeredOk.size).toBe(messages.length);
    expect(lost).toEqual([]);
    expect(stored).toBe(messages.length);
    expect(ids.length).toBe(messages.length);
    expect(new Set(ids).size).toBe(messages.length);
    const forwarded = receiver.received.map(
      (r) => JSON.parse(r.body) as { type: string; data: { mchtOrderNo: string } },
    );
    const perMessage = new Set(forwarded.map((b) => `${b.type}:${b.data.mchtOrderNo}`));
    expect(perMessage.size).toBe(messages.length);
  }, 300_000);
});
