// The relay against real Postgres and Redis, without delivery workers: which overdue rows it reaches.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FanOut } from "../../src/orders/fanout.js";
import { insertDeliveries } from "../../src/webhooks/fanout.js";
import { attemptJob, createDeliveryQueue, deliveryJobId } from "../../src/webhooks/queue.js";
import { type RelayCursor, relayOnce, startRelay } from "../../src/webhooks/relay.js";
import { createEndpoint, createHarness, type Harness, log, storeNotification, waitFor } from "./harness.js";

let h: Harness;
/** Writes the delivery rows and enqueues nothing (the test does, or loses the job). */
const outbox: FanOut = { inTransaction: insertDeliveries, afterCommit: async () => {} };
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("the relay", () => {
  it("reaches a lost row of one endpoint behind more than a batch of another's rows whose jobs live", async () => {
    const slow = await createEndpoint(h.db, { url: "http://127.0.0.1:9/slow", msgTypes: ["T_SLOW"] });
    await createEndpoint(h.db, { url: "http://127.0.0.1:9/lost", msgTypes: ["T_LOST"] });
    const queue = createDeliveryQueue(h.connection, h.config.redisPrefix);
    // The slow endpoint's backlog: three batches of overdue rows, each with its job waiting its turn.
    const backlog: bigint[] = [];
    for (let i = 0; i < 30; i++) {
      const { deliveryIds } = await storeNotification(h.db, outbox, {
        msgType: "T_SLOW",
        msgBody: `{"i":${i}}`,
      });
      backlog.push(...deliveryIds);
    }
    await queue.addBulk(backlog.map((id) => attemptJob(id, 0, 3_600_000)));
    await h.db.delivery.updateMany({
      where: { endpointId: slow.id },
      data: { nextAttemptAt: new Date(Date.now() - 120_000) },
    });
    // A newer row of the other endpoint whose job was lost (never enqueued).
    const {
      deliveryIds: [lost],
    } = await storeNotification(h.db, outbox, { msgType: "T_LOST", msgBody: "{}" });
    await h.db.delivery.update({
      where: { id: lost! },
      data: { nextAttemptAt: new Date(Date.now() - 60_000) },
    });

    const relay = startRelay({ db: h.db, queue, log, intervalMs: 20, graceMs: 1000, batchSize: 10 });
    try {
      const state = await waitFor("the lost row's job", async () => {
        const s = await queue.getJobState(deliveryJobId(lost!, 0));
        return s === "unknown" ? undefined : s;
      });
      expect(state).toBe("waiting");
    } finally {
      await relay.stop();
      await queue.close();
    }
  });

  it("reaches every overdue row without a next attempt time, more than a batch of them, when the first ones' jobs live", async () => {
    await h.db.delivery.deleteMany({}); // the other test's backlog
    await createEndpoint(h.db, { url: "http://127.0.0.1:9/nulls", msgTypes: ["T_NULL"] });
    const queue = createDeliveryQueue(h.connection, h.config.redisPrefix);
    const ids: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const { deliveryIds } = await storeNotification(h.db, outbox, {
        msgType: "T_NULL",
        msgBody: `{"n":${i}}`,
      });
      ids.push(...deliveryIds);
    }
    // Rows written before next_attempt_at was set at insert: null, and long overdue by createdAt.
    await h.db.delivery.updateMany({
      where: { id: { in: ids } },
      data: { nextAttemptAt: null, createdAt: new Date(Date.now() - 120_000) },
    });
    const lost = ids.at(-1)!;
    await queue.addBulk(ids.slice(0, -1).map((id) => attemptJob(id, 0, 3_600_000)));
    try {
      // Enough passes to walk the five rows twice, two at a time.
      let cursor: RelayCursor | null = null;
      for (let pass = 0; pass < 6; pass++) {
        ({ next: cursor } = await relayOnce(
          { db: h.db, queue, log, intervalMs: 20, graceMs: 1000, batchSize: 2 },
          cursor,
        ));
      }
      expect(await queue.getJobState(deliveryJobId(lost, 0))).toBe("waiting");
    } finally {
      await h.db.delivery.deleteMany({ where: { id: { in: ids } } });
      await queue.close();
    }
  });
});
