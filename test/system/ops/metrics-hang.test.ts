// A hung Redis (connected, silent) must not take /metrics with it: the queue gauges are left out and
// the rest is answered, so monitoring still sees the receiver's 503s while it lasts.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchQueue } from "../../../src/ops/metrics.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
  waitUntilConnected,
} from "../../../src/queue/queue.js";
import { buildApp } from "../../../src/server.js";
import { testConfig } from "../../support/config.js";
import { testRedisPrefix } from "../../support/db.js";
import { standalone } from "../../support/redis.js";
import { type OwnRedis, startOwnRedis } from "../../support/redis-server.js";

let redis: OwnRedis;
beforeAll(async () => {
  redis = await startOwnRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

describe("/metrics while Redis hangs", () => {
  it("answers without the queue gauges instead of waiting for Redis", async () => {
    const connection = createProducerConnection(standalone(redis.url));
    connection.on("error", () => {});
    const queue = createNotificationQueue(connection, testRedisPrefix());
    const unwatch = watchQueue(queue);
    const app = await buildApp({ config: testConfig({ logLevel: "silent" }), probes: {} });
    try {
      expect(await waitUntilConnected(connection, 2000)).toBe(true);
      const before = await app.inject({ method: "GET", url: "/metrics" });
      expect(before.body).toContain('pzn_queue_jobs{queue="payzero-notifications"');
      await redis.freeze();
      // Redis stays frozen far longer than an answer needs: a scrape that waits for it never comes back.
      const during = await Promise.race([
        app.inject({ method: "GET", url: "/metrics" }),
        sleep(8000).then(() => null),
      ]);
      expect(during?.statusCode).toBe(200);
      expect(during?.body).toContain("pzn_notifications_received_total");
      expect(during?.body).not.toContain('pzn_queue_jobs{queue="payzero-notifications"');
    } finally {
      await redis.thaw();
      unwatch();
      await app.close();
      await queue.close();
      await closeConnection(connection);
    }
  }, 15_000);
});
