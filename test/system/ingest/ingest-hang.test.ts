// Redis hangs (takes commands, answers nothing) while notifications keep coming: every caller is
// answered 503, and what the receiver holds for Redis meanwhile stays bounded, not one per message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEnqueue,
  type EnqueueResult,
  EnqueueTimeoutError,
  QueueUnavailableError,
} from "../../../src/ingest/enqueue.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
  type NotificationMessage,
  waitUntilConnected,
} from "../../../src/queue/queue.js";
import { testRedisPrefix } from "../../support/db.js";
import { queuedMessages } from "../../support/ingest.js";
import { standalone } from "../../support/redis.js";
import { type OwnRedis, startOwnRedis } from "../../support/redis-server.js";

let redis: OwnRedis;
beforeAll(async () => {
  redis = await startOwnRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const job = (n: number): NotificationMessage => ({
  msgType: "PAY_STATUS_NOTIFY",
  timestamp: "1554990000000",
  msgBody: `{"mchtOrderNo":"HANG-${n}"}`,
  receivedAt: new Date().toISOString(),
});

/** Tries again while the enqueue refuses at once (still holding what the hang left). */
async function enqueueOnceTaken(attempt: () => Promise<EnqueueResult>): Promise<EnqueueResult> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof QueueUnavailableError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe("the receiver's enqueue while Redis hangs", () => {
  it("keeps at most maxPending messages waiting for Redis; the rest are refused at once", async () => {
    const connection = createProducerConnection(standalone(redis.url));
    connection.on("error", () => {});
    const queue = createNotificationQueue(connection, testRedisPrefix());
    try {
      expect(await waitUntilConnected(connection, 2000)).toBe(true);
      await queue.waitUntilReady();
      const maxPending = 100;
      const enqueue = createEnqueue(queue, 300, maxPending);
      await redis.freeze();
      const outcomes = await Promise.all(
        Array.from({ length: 400 }, (_, n) =>
          enqueue(`hang-${n}`, job(n)).then(
            () => "ok",
            (err: unknown) =>
              err instanceof EnqueueTimeoutError
                ? "timeout"
                : err instanceof QueueUnavailableError
                  ? "refused"
                  : String(err),
          ),
        ),
      );
      // Nobody is told "OK" while Redis is silent.
      expect(outcomes.filter((o) => o === "ok")).toEqual([]);
      expect(outcomes.filter((o) => o === "timeout").length).toBeLessThanOrEqual(maxPending);
      await redis.thaw();
      // The receiver takes messages again once what it held is in; by the answer to this one,
      // Redis has run every add sent before it.
      expect(await enqueueOnceTaken(() => enqueue("after-hang", job(-1)))).toBe("accepted");
      // What was held meanwhile is added now (harmless: Payzero resends what got a 503).
      const held = (await queuedMessages(queue)).length - 1;
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(maxPending);
    } finally {
      await redis.thaw();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await closeConnection(connection);
    }
  });
});
