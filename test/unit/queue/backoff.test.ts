// A notification job that fails (Postgres down) is retried 1 s, 2 s, 4 s … later, never more than
// 60 s apart however long the outage: the queue's own schedule, as the workers get it.
import type { Job } from "bullmq";
import { describe, expect, it } from "vitest";
import { notificationJobOptions, notificationWorkerOptions } from "../../../src/queue/queue.js";
import type { RedisClient } from "../../../src/queue/redis.js";

// The options only carry the connection: none is opened here.
const options = notificationWorkerOptions({} as RedisClient, {
  redisPrefix: "unit",
  workerConcurrency: 1,
  workerLockMs: 30_000,
});
const delayAfter = (attemptsMade: number) =>
  options.settings!.backoffStrategy!(attemptsMade, "capped", new Error("db down"), {} as Job);

describe("the notification jobs' backoff", () => {
  it("doubles from 1 s and stops growing at 60 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(delayAfter)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });

  it("stays at 60 s for as long as the job keeps failing, and the job is never given up", () => {
    for (const attempts of [100, 1000, 10_000, 999_999]) expect(delayAfter(attempts)).toBe(60_000);
    expect(notificationJobOptions.backoff).toEqual({ type: "capped" });
    // A million attempts 60 s apart: about two years of an outage.
    expect(notificationJobOptions.attempts).toBeGreaterThanOrEqual(1_000_000);
  });
});
