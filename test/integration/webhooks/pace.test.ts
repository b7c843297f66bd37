// Rate limits and 429s: an endpoint's pace, held by two worker processes together, against a real
// receiver. Timing is asserted loosely (the machine is loaded): lower bounds on waits the service
// imposes, and upper bounds on counts with a window's slack.
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitUntilConnected } from "../../../src/queue/queue.js";
import { startWebhookWorkers, type WebhookWorkers } from "../../../src/webhooks/index.js";
import { REDIS_URL } from "../../support/env.js";
import {
  createEndpoint,
  type Harness,
  storeNotification,
  storeNotifications,
  useHarnessAndReceiver,
  waitFor,
  waitSettled,
} from "../../support/harness.js";
import type { Received, Receiver } from "../../support/receiver.js";
import { deleteKeys } from "../../support/redis.js";

const shared = useHarnessAndReceiver();
let h: Harness;
let rx: Receiver;
beforeAll(() => {
  ({ h, rx } = shared);
});
afterEach(async () => {
  await deleteKeys(REDIS_URL, `${h.config.redisPrefix}:*`);
});

const on = (path: string) => rx.received.filter((r) => r.path === path);
const gaps = (rs: Received[]) => rs.slice(1).map((r, i) => r.at - rs[i]!.at);

/** Delivery rows for `count` notifications per endpoint, due now and held by no process (a backlog). */
async function backlog(count: number, endpoints: Array<{ path: string; rateLimitPerSecond: number | null }>) {
  for (const { path, rateLimitPerSecond } of endpoints) {
    const endpoint = await createEndpoint(h.db, { url: rx.url(path) });
    await h.db.webhookEndpoint.update({ where: { id: endpoint.id }, data: { rateLimitPerSecond } });
  }
  // The rows are written with a hold that no process dispatches (as after a crash), then made due.
  const idle = h.start({ webhookPollIntervalMs: 60_000 });
  await h.stopWorkers();
  await storeNotifications(
    h.db,
    idle.fanOut,
    Array.from({ length: count }, (_, i) => ({
      msgType: "PAY_STATUS_NOTIFY",
      msgBody: `{"t":"T_PACE","n":${i}}`,
    })),
    false,
  );
  await h.db.delivery.updateMany({ data: { nextAttemptAt: new Date(Date.now() - 1000) } });
}

describe("a rate limit", () => {
  it("is held by two worker processes together, and a slow endpoint holds back no other", async () => {
    const LIMIT = 5;
    const COUNT = 40;
    rx.on("/limited", () => ({ status: 200 }));
    rx.on("/free", () => ({ status: 200 }));
    await backlog(COUNT, [
      { path: "/limited", rateLimitPerSecond: LIMIT },
      { path: "/free", rateLimitPerSecond: null },
    ]);
    // Two processes: each its own Redis connection and its own memory; only Redis is shared.
    const connections = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const limitedId = (await h.db.webhookEndpoint.findFirstOrThrow({ where: { url: rx.url("/limited") } }))
      .id;
    const made = [0, 0];
    const processes: WebhookWorkers[] = [];
    try {
      for (const c of connections) expect(await waitUntilConnected(c, 10_000)).toBe(true);
      for (const [i, redis] of connections.entries())
        processes.push(
          startWebhookWorkers({
            // Both "processes" and the receiver share this event loop: a loaded machine may stall it
            // past the harness's 2 s timeout, which would be a failed attempt and a second POST.
            config: {
              ...h.config,
              webhookConcurrency: 16,
              webhookEndpointConcurrency: 8,
              webhookTimeoutMs: 10_000,
            },
            db: h.db,
            redis,
            // Each "process" counts the attempts it made to the limited endpoint through its own log.
            log: pino(
              { level: "info" },
              {
                write: (line: string) =>
                  void (line.includes("webhook attempt") && line.includes(`"${limitedId}"`) && made[i]!++),
              },
            ),
          }),
        );
      const free = await waitFor(
        "the unlimited endpoint's rows",
        async () => on("/free").length === COUNT,
        30_000,
      );
      expect(free).toBe(true);
      // The unlimited endpoint was done long before the limited one could be.
      expect(on("/limited").length).toBeLessThan(COUNT);
      await waitSettled(h.db, 60_000);
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      for (const c of connections) c.disconnect();
    }
    const limited = on("/limited");
    const errors = await h.db.deliveryAttempt.findMany({
      where: { error: { not: null } },
      select: { error: true },
    });
    // No attempt failed (a failure would be retried and arrive twice).
    expect(errors.map((e) => e.error)).toEqual([]);
    expect(new Set(limited.map((r) => r.headers["webhook-id"])).size).toBe(COUNT);
    expect(limited).toHaveLength(COUNT);
    // Windows of one second: any 2 s span holds at most LIMIT × 3 starts; a second's slack for latency.
    for (const r of limited) {
      const within = limited.filter((o) => o.at >= r.at && o.at < r.at + 2000).length;
      expect(within).toBeLessThanOrEqual(LIMIT * 4);
    }
    // 40 at 5 a second take 8 windows (7 s from the first start to the last) together; each process
    // on its own limit (10 a second) would be done in 4.
    expect(limited.at(-1)!.at - limited[0]!.at).toBeGreaterThanOrEqual(5000);
    // Both processes sent to it: the limit held for the two together.
    expect(made.every((n) => n > 0)).toBe(true);
  }, 120_000);
});

describe("a 429", () => {
  it("with Retry-After slows the endpoint down without using up the retry schedule", async () => {
    // Two 429s (Retry-After: 1), then 200s. A schedule of one retry would have failed them.
    rx.on("/busy", (n) => (n <= 2 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 }));
    const endpoint = await createEndpoint(h.db, { url: rx.url("/busy") });
    const { fanOut } = h.start({ webhookRetrySchedule: [0], webhookEndpointConcurrency: 1 });
    const stored = await storeNotification(h.db, fanOut, {
      msgType: "PAY_STATUS_NOTIFY",
      msgBody: '{"t":"T_BUSY","n":1}',
    });
    // The record of the 429 shares the pause with every process.
    const during = await waitFor("the first 429 recorded", async () => {
      const e = await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
      return e.throttledUntil ?? undefined;
    });
    await storeNotifications(h.db, fanOut, [
      { msgType: "PAY_STATUS_NOTIFY", msgBody: '{"t":"T_BUSY","n":2}' },
      { msgType: "PAY_STATUS_NOTIFY", msgBody: '{"t":"T_BUSY","n":3}' },
    ]);
    await waitSettled(h.db, 30_000);
    const requests = on("/busy");
    // Each 429 paused the endpoint for a second before anything else went to it.
    expect(
      gaps(requests)
        .slice(0, 2)
        .every((g) => g >= 900),
    ).toBe(true);
    expect(during.getTime()).toBeGreaterThan(on("/busy")[0]!.at);
    const deliveries = await h.db.delivery.findMany({ include: { attempts: { orderBy: { id: "asc" } } } });
    expect(deliveries.map((d) => d.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    // Each message arrived once with a 2xx; the 429s are in the attempts log, not in attemptCount.
    expect(requests.filter((_, i) => i >= 2)).toHaveLength(3);
    expect(new Set(requests.slice(2).map((r) => r.headers["webhook-id"])).size).toBe(3);
    for (const d of deliveries) expect(d.attemptCount).toBe(1);
    const all = deliveries.flatMap((d) => d.attempts);
    expect(all.filter((a) => a.statusCode === 429)).toHaveLength(2);
    expect(deliveries.reduce((n, d) => n + d.throttledCount, 0)).toBe(2);
    expect(deliveries.find((d) => d.id === stored.deliveryIds[0])!.throttledCount).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("without Retry-After backs off, doubling, still without using up the retry schedule", async () => {
    rx.on("/backoff", (n) => (n <= 2 ? { status: 429 } : { status: 200 }));
    await createEndpoint(h.db, { url: rx.url("/backoff") });
    const { fanOut } = h.start({ webhookRetrySchedule: [0] });
    await storeNotification(h.db, fanOut, {
      msgType: "PAY_STATUS_NOTIFY",
      msgBody: '{"t":"T_BACKOFF","n":1}',
    });
    await waitSettled(h.db, 30_000);
    const requests = on("/backoff");
    expect(requests).toHaveLength(3);
    const [first, second] = gaps(requests);
    expect(first).toBeGreaterThanOrEqual(900);
    expect(second).toBeGreaterThanOrEqual(1900);
    const [d] = await h.db.delivery.findMany({ include: { attempts: true } });
    expect(d).toMatchObject({ status: "succeeded", attemptCount: 1, throttledCount: 2 });
    expect(d!.attempts.map((a) => a.statusCode).sort()).toEqual([200, 429, 429]);
  }, 60_000);

  it("for ever counts as a failed attempt once the delivery's 429s reach WEBHOOK_THROTTLE_LIMIT", async () => {
    rx.on("/never", () => ({ status: 429, headers: { "retry-after": "0" } }));
    await createEndpoint(h.db, { url: rx.url("/never") });
    const { fanOut } = h.start({ webhookRetrySchedule: [0], webhookThrottleLimit: 2 });
    await storeNotification(h.db, fanOut, { msgType: "PAY_STATUS_NOTIFY", msgBody: '{"t":"T_NEVER","n":1}' });
    await waitSettled(h.db, 30_000);
    const [d] = await h.db.delivery.findMany({ include: { attempts: true } });
    // Two 429s absorbed, then the schedule's two attempts: four POSTs, failed.
    expect(d).toMatchObject({ status: "failed", attemptCount: 2, throttledCount: 2 });
    expect(d!.attempts).toHaveLength(4);
    expect(on("/never")).toHaveLength(4);
  }, 60_000);
});
