// The reconciler's last runs as the overview reads them, from a real BullMQ queue in Redis.
import { Queue, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcileRuns } from "../../../src/console/overview-data.js";
import {
  closeConnection,
  createProducerConnection,
  createReconcileQueue,
  createWorkerConnection,
  RECONCILE_QUEUE,
} from "../../../src/queue/queue.js";
import { testRedisPrefix } from "../../support/db.js";
import { REDIS_URL } from "../../support/env.js";
import { standalone } from "../../support/redis.js";

const prefix = testRedisPrefix();
const producer = createProducerConnection(standalone(REDIS_URL));
const workerConnection = createWorkerConnection(standalone(REDIS_URL));
let queue: Queue;

beforeAll(async () => {
  // Two runs as the reconciler's worker ends them: one with its result, one failed.
  const jobs = new Queue(RECONCILE_QUEUE, { connection: producer, prefix });
  let n = 0;
  const worker = new Worker(
    RECONCILE_QUEUE,
    async () => {
      n += 1;
      if (n === 2) throw new Error("Payzero refused our credentials");
      return { queried: 3, changed: 1, failed: 0 };
    },
    { connection: workerConnection, prefix, concurrency: 1 },
  );
  const finished = new Promise<void>((resolve) => {
    let done = 0;
    const count = () => {
      done += 1;
      if (done === 2) resolve();
    };
    worker.on("completed", count);
    worker.on("failed", count);
  });
  await jobs.add("reconcile", {}, { attempts: 1 });
  await jobs.add("reconcile", {}, { attempts: 1, delay: 20 });
  await finished;
  await worker.close();
  await jobs.close();
  queue = createReconcileQueue(producer, prefix);
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await closeConnection(producer);
  await closeConnection(workerConnection);
});

describe("reconcileRuns", () => {
  it("lists the runs newest first, with each one's result or failure", async () => {
    const runs = await reconcileRuns(queue);
    expect(runs).toHaveLength(2);
    expect(runs![0]).toMatchObject({ ok: false, reason: "Payzero refused our credentials" });
    expect(runs![1]).toMatchObject({ ok: true, result: { queried: 3, changed: 1, failed: 0 } });
    expect(runs![0]!.finishedAt.getTime()).toBeGreaterThanOrEqual(runs![1]!.finishedAt.getTime());
  });

  it("is null without a queue (reconciler off)", async () => {
    expect(await reconcileRuns(undefined)).toBeNull();
  });
});
