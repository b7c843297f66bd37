// The worst day, compressed: a Payzero stand-in resends on a 500× faster schedule while the service
// is SIGKILLed mid-burst and restarted, and its Redis is stopped and restarted. Then: every message
// that was answered OK is stored, applied and forwarded; duplicates at the endpoint stay within what
// was in flight at the crash, and carry the same webhook-id.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import { contentKey } from "../../../src/payzero/envelope.js";
import { sendWithResends } from "../../../src/simulator/payzero-sender.js";
import { PAYZERO_RESEND_OFFSETS_MS, scaleSchedule } from "../../../src/simulator/resend-schedule.js";
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
import { freePort, type OwnRedis, startOwnRedis } from "../../support/redis-server.js";

const ORDERS = 120;
const WEBHOOK_CONCURRENCY = 8;

let database: TestDatabase;
let db: Db;
let redis: OwnRedis;
let receiver: Receiver;
let port: number;
let env: Record<string, string>;
let service: ServiceProcess;

async function startAndWait(): Promise<ServiceProcess> {
  const s = startService("all", env);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return s;
    if (Date.now() > deadline) throw new Error(`service did not start:\n${s.output()}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, 4);
  redis = await startOwnRedis();
  receiver = await startReceiver();
  port = await freePort();
  env = {
    PAYZERO_SIGN_TOKEN: TEST_SIGN_TOKEN,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
    WEBHOOK_ALLOW_ADDRESSES: TEST_ALLOW_ADDRESSES,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: testRedisPrefix(),
    HOST: "127.0.0.1",
    PORT: String(port),
    ENQUEUE_TIMEOUT_MS: "1000",
    WORKER_LOCK_MS: "2000",
    WEBHOOK_RETRY_SCHEDULE: "1,1,1,1,1,1,1,1,1,1",
    WEBHOOK_TIMEOUT_MS: "2000",
    WEBHOOK_CONCURRENCY: String(WEBHOOK_CONCURRENCY),
    WEBHOOK_POLL_INTERVAL_MS: "200",
    // Rows a killed worker held are claimed by the next one this long after their attempt's timeout.
    WEBHOOK_LEASE_GRACE_MS: "1000",
  };
  service = await startAndWait();
  const res = await fetch(`http://127.0.0.1:${port}/v1/webhooks`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ url: receiver.url("/erp") }),
  });
  expect(res.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await service?.stop(5000);
  await receiver?.close();
  await redis?.destroy();
  await db?.$disconnect();
  await database?.drop();
});

describe("chaos", () => {
  it("loses nothing answered OK through a SIGKILL and a Redis restart", async () => {
    const messages = [];
    for (let o = 0; o < ORDERS; o++) {
      const mchtOrderNo = `CHAOS-${o}`;
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
    const target = {
      url: `http://127.0.0.1:${port}/payzero/notify`,
      signToken: TEST_SIGN_TOKEN,
      // 500× faster: the last resend comes 43 s after the first send. At 1000× (21.6 s) a restart
      // slowed down by a loaded CI machine once outlasted the whole schedule for 5 of 240 messages.
      offsetsMs: scaleSchedule(PAYZERO_RESEND_OFFSETS_MS, 0.002),
      timeoutMs: 2000,
    };
    const senders: Array<Promise<unknown>> = [];
    // The second half of the burst waits for the kill, so the kill lands mid-burst whatever the pace.
    let markKilled = () => {};
    const killed = new Promise<void>((resolve) => {
      markKilled = resolve;
    });
    const burst = (async () => {
      for (const [i, m] of messages.entries()) {
        if (i === messages.length / 2) await killed;
        senders.push(
          sendWithResends(m, {
            ...target,
            onAttempt: (r) => {
              if (r.delivered) answeredOk.add(contentKey(m.msgType, m.msgBody));
            },
          }),
        );
        if (i % 10 === 9) await sleep(20);
      }
    })();

    // SIGKILL once some messages were answered OK: those are the ones the test is about.
    await waitUntil("20 messages answered OK", () => answeredOk.size >= 20, 60_000);
    await service.kill();
    const killedAfterOk = answeredOk.size;
    markKilled();
    service = await startAndWait();
    await sleep(500);
    await redis.stop();
    await sleep(1000);
    await redis.start();
    await burst;
    await Promise.all(senders);

    // Everything answered OK ends up stored, applied and forwarded.
    const deadline = Date.now() + 90_000;
    let stored = 0;
    let delivered = 0;
    while (Date.now() < deadline) {
      stored = await db.notification.count();
      delivered = await db.delivery.count({ where: { status: "succeeded" } });
      if (stored >= answeredOk.size && delivered >= answeredOk.size) break;
      await sleep(200);
    }
    const storedKeys = new Set(
      (await db.notification.findMany({ select: { contentKey: true } })).map((n) => n.contentKey),
    );
    const lost = [...answeredOk].filter((k) => !storedKeys.has(k)).length;
    const ids = receiver.received.map((r) => String(r.headers["webhook-id"]));
    const distinct = new Set(ids);
    const duplicates = ids.length - distinct.size;
    const settled = await db.order.count({ where: { payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" } });
    console.log(
      [
        "chaos figures:",
        `  messages sent            ${messages.length}`,
        `  answered OK              ${answeredOk.size} (${killedAfterOk} before the SIGKILL)`,
        `  stored                   ${stored}`,
        `  lost after OK            ${lost}`,
        `  forwarded (distinct ids) ${distinct.size}`,
        `  duplicate POSTs          ${duplicates} (bound: ${WEBHOOK_CONCURRENCY} in flight at the crash)`,
        `  orders settled           ${settled} of ${ORDERS}`,
      ].join("\n"),
    );
    expect(killedAfterOk).toBeGreaterThanOrEqual(20);
    expect(killedAfterOk).toBeLessThan(messages.length);
    expect(answeredOk.size).toBe(messages.length);
    expect(lost).toBe(0);
    expect(stored).toBe(messages.length);
    expect(distinct.size).toBe(messages.length);
    expect(duplicates).toBeLessThanOrEqual(WEBHOOK_CONCURRENCY);
    expect(settled).toBe(ORDERS);
  }, 200_000);
});

async function waitUntil(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
