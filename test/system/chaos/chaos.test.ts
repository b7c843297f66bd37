// The worst day, compressed: a Payzero stand-in resends on a 500× faster schedule while every process
// of the service (the receiver, its workers a thread in it) is SIGKILLed mid-burst, the worker holding jobs
// it has not stored and POSTs it has not recorded, and then its Redis is stopped and restarted. Then:
// every message that was answered OK is stored, applied and forwarded; the POSTs repeated are those
// in flight at the crash, within the bound docs/guarantees.md states, each with its webhook-id.
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../../src/db/client.js";
import { bodyKey } from "../../../src/payzero/envelope.js";
import { NOTIFICATION_QUEUE, type NotificationBatch } from "../../../src/queue/queue.js";
import { sendWithResends } from "../../../src/simulator/payzero-sender.js";
import { PAYZERO_RESEND_OFFSETS_MS, scaleSchedule } from "../../../src/simulator/resend-schedule.js";
import {
  TEST_ADMIN_TOKEN,
  TEST_ALLOW_ADDRESSES,
  TEST_ENCRYPTION_KEY,
  TEST_SIGN_TOKEN,
} from "../../support/config.js";
import { createTestDatabase, type TestDatabase, testRedisPrefix } from "../../support/db.js";
import { queuedMessages } from "../../support/ingest.js";
import { orderBody } from "../../support/payzero.js";
import { type ServiceProcess, startService } from "../../support/processes.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { freePort, type OwnRedis, startOwnRedis } from "../../support/redis-server.js";
import { lockTable } from "../../support/table-lock.js";

const ORDERS = 120;
const WEBHOOK_CONCURRENCY = 8;
const WEBHOOK_ENDPOINT_CONCURRENCY = 6;
/**
 * docs/guarantees.md's bound on repeated POSTs: per worker process that crashed and per endpoint, the
 * attempts it had sent and not yet recorded, at most min(WEBHOOK_ENDPOINT_CONCURRENCY,
 * WEBHOOK_CONCURRENCY) (an attempt keeps its slot until its record). Here: one crash, one endpoint.
 */
const DUPLICATE_BOUND = 1 * 1 * Math.min(WEBHOOK_ENDPOINT_CONCURRENCY, WEBHOOK_CONCURRENCY);

let database: TestDatabase;
let db: Db;
let redis: OwnRedis;
let receiver: Receiver;
let port: number;
let env: Record<string, string>;
let service: ServiceProcess;
let redisPrefix: string;

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
  redisPrefix = testRedisPrefix();
  env = {
    PAYZERO_SIGN_TOKEN: TEST_SIGN_TOKEN,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
    WEBHOOK_ALLOW_ADDRESSES: TEST_ALLOW_ADDRESSES,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redisPrefix,
    HOST: "127.0.0.1",
    PORT: String(port),
    ENQUEUE_TIMEOUT_MS: "1000",
    WORKER_LOCK_MS: "2000",
    WEBHOOK_RETRY_SCHEDULE: "1,1,1,1,1,1,1,1,1,1",
    // Longer than the endpoint holds its POSTs before the crash: a timed-out attempt is retried, and
    // that repeat would not be the crash's.
    WEBHOOK_TIMEOUT_MS: "8000",
    WEBHOOK_CONCURRENCY: String(WEBHOOK_CONCURRENCY),
    WEBHOOK_ENDPOINT_CONCURRENCY: String(WEBHOOK_ENDPOINT_CONCURRENCY),
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
  it("loses nothing answered OK through a crash of every process and a Redis restart", async () => {
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
    // Until the crash the endpoint holds every POST: the worker has attempts in flight, not recorded.
    let held = 0;
    let openGate = () => {};
    const gate = new Promise<{ status: number }>((resolve) => {
      openGate = () => resolve({ status: 200 });
    });
    let crashed = false;
    receiver.on("/erp", () => {
      if (crashed) return { status: 200 };
      held++;
      return gate;
    });

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
    // The burst in thirds: the second starts once the test holds the notifications table (its
    // messages are answered OK and cannot be stored), the last once the service has crashed.
    const signal = () => {
      let done = () => {};
      const promise = new Promise<void>((resolve) => {
        done = resolve;
      });
      return { promise, done };
    };
    const locked = signal();
    const crash = signal();
    const third = messages.length / 3;
    const burst = (async () => {
      for (const [i, m] of messages.entries()) {
        if (i === third) await locked.promise;
        if (i === 2 * third) await crash.promise;
        senders.push(
          sendWithResends(m, {
            ...target,
            onAttempt: (r) => {
              if (r.delivered) answeredOk.add(bodyKey(m.msgBody));
            },
          }),
        );
        if (i % 10 === 9) await sleep(20);
      }
    })();

    // The worker's webhook slots for the endpoint are all taken by POSTs the endpoint holds.
    await waitUntil(
      `${WEBHOOK_ENDPOINT_CONCURRENCY} POSTs held`,
      async () => held >= WEBHOOK_ENDPOINT_CONCURRENCY,
      30_000,
    );
    // The test takes the notifications table: the worker's next transaction waits, its job in hand.
    const lock = await lockTable(database.url, "notifications");
    const okAtLock = answeredOk.size;
    locked.done();
    await waitUntil("a worker transaction waiting on the lock", () => lock.waiters(db), 30_000);
    // Answered OK while the table is locked: not stored at the crash.
    await waitUntil("10 messages answered OK since", async () => answeredOk.size >= okAtLock + 10, 30_000);

    const pids = await service.crash();
    const okAtCrash = new Set(answeredOk);
    const postsAtCrash = held;
    crashed = true;
    // What the crash left: jobs the dead worker held (Redis still says active), messages answered OK
    // and not stored. Read before the lock goes, though no process is left to commit anything.
    const storedAtCrash = await storedKeys();
    const inCrashedJobs = await activeMessages();
    await lock.release();
    openGate();
    const okNotStored = [...okAtCrash].filter((k) => !storedAtCrash.has(k)).length;
    const heldNotStored = inCrashedJobs.filter((k) => !storedAtCrash.has(k)).length;
    expect(pids.length, "the service's one process (its workers a thread in it)").toBe(1);
    expect(okNotStored).toBeGreaterThan(0);
    expect(heldNotStored).toBeGreaterThan(0);
    crash.done();

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
    const storedNow = await storedKeys();
    const lost = [...answeredOk].filter((k) => !storedNow.has(k)).length;
    const ids = receiver.received.map((r) => String(r.headers["webhook-id"]));
    const distinct = new Set(ids);
    const duplicates = ids.length - distinct.size;
    const settled = await db.order.count({ where: { payStatus: "PAY_SUCCEED", declareStatus: "DECLARED" } });
    console.log(
      [
        "chaos figures:",
        `  messages sent            ${messages.length}`,
        `  answered OK              ${answeredOk.size} (${okAtCrash.size} before the crash)`,
        `  at the crash             ${pids.length} processes SIGKILLed; ${okNotStored} answered OK and not stored; ${heldNotStored} not stored in jobs the worker held; ${postsAtCrash} POSTs in flight`,
        `  stored                   ${stored}`,
        `  lost after OK            ${lost}`,
        `  forwarded (distinct ids) ${distinct.size}`,
        `  duplicate POSTs          ${duplicates} (bound: ${DUPLICATE_BOUND}, attempts sent and not recorded at the crash)`,
        `  orders settled           ${settled} of ${ORDERS}`,
      ].join("\n"),
    );
    expect(okAtCrash.size).toBeLessThan(messages.length);
    expect(answeredOk.size).toBe(messages.length);
    expect(lost).toBe(0);
    expect(stored).toBe(messages.length);
    expect(distinct.size).toBe(messages.length);
    // The POSTs in flight at the crash are sent again (nothing recorded them), and nothing else is.
    expect(postsAtCrash).toBe(WEBHOOK_ENDPOINT_CONCURRENCY);
    expect(duplicates).toBeGreaterThanOrEqual(postsAtCrash);
    expect(duplicates).toBeLessThanOrEqual(DUPLICATE_BOUND);
    expect(settled).toBe(ORDERS);
  }, 200_000);
});

async function waitUntil(what: string, done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function storedKeys(): Promise<Set<string>> {
  const rows = await db.notification.findMany({ select: { bodyKey: true } });
  return new Set(rows.map((n) => n.bodyKey ?? ""));
}

/** The content keys of the messages in jobs Redis counts as active (held by a worker, alive or not). */
async function activeMessages(): Promise<string[]> {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue<NotificationBatch>(NOTIFICATION_QUEUE, { connection, prefix: redisPrefix });
  try {
    return (await queuedMessages(queue, ["active"])).map((m) => bodyKey(m.msgBody));
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
