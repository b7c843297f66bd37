// A worker against a Redis past maxmemory (noeviction), up close: BullMQ alone is refused its first
// job and asks again at once; BackoffWorker waits longer each time; with the take-and-hold scripts
// defined on its connection (src/queue/full-redis.ts) it takes the job and completes it.
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackoffWorker, letWorkersTakeJobsWhenFull } from "../../../src/queue/full-redis.js";
import { type OwnRedis, startOwnRedis } from "../../support/redis-server.js";

let redis: OwnRedis;
let admin: Redis;
let queue: Queue;
const QUEUE = "full";

async function oomErrors(): Promise<number> {
  const info = await admin.info("errorstats");
  return Number(/^errorstat_OOM:count=(\d+)/m.exec(info)?.[1] ?? 0);
}

beforeAll(async () => {
  redis = await startOwnRedis(["--maxmemory", "64mb"]);
  admin = new Redis(redis.url);
  queue = new Queue(QUEUE, { connection: { url: redis.url } });
  await queue.add("job", { n: 1 }, { removeOnComplete: true });
  // Filled past maxmemory by someone else: every write that may grow memory is refused.
  for (let i = 0; i < 32; i++) await admin.set(`filler:${i}`, "x".repeat(64 * 1024));
  const used = Number(/^used_memory:(\d+)/m.exec(await admin.info("memory"))?.[1]);
  await admin.config("SET", "maxmemory", String(used - 128 * 1024));
  await expect(admin.set("probe", "x")).rejects.toThrow(/^OOM /);
}, 60_000);

afterAll(async () => {
  await queue?.close();
  admin?.disconnect();
  await redis?.destroy();
});

describe("a worker against a Redis past maxmemory", () => {
  it("is refused its job and waits longer after each refusal instead of asking again at once", async () => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const worker = new BackoffWorker(QUEUE, async () => "done", { connection });
    let errors = 0;
    worker.on("error", () => errors++);
    const before = await oomErrors();
    await sleep(3000);
    await worker.close();
    connection.disconnect();
    // 100 + 200 + 400 + 800 + 1600 ms: about 5 refusals in 3 s (BullMQ alone: thousands).
    expect(await oomErrors()).toBeGreaterThan(before);
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(10);
    expect(await queue.getWaitingCount()).toBe(1);
  });

  it("takes and completes the job with the take-and-hold scripts defined on its connection", async () => {
    await expect(admin.set("probe", "x")).rejects.toThrow(/^OOM /);
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    letWorkersTakeJobsWhenFull(connection);
    const worker = new BackoffWorker(QUEUE, async () => "done", { connection });
    const completed = new Promise((resolve) => worker.once("completed", resolve));
    await completed;
    await worker.close();
    connection.disconnect();
    expect(await queue.getJobCounts("waiting", "active", "completed")).toMatchObject({
      waiting: 0,
      active: 0,
      completed: 0,
    });
  });
});
