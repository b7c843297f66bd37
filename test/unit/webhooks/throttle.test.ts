// What a 429 does, as pure functions: Retry-After read, the wait, and when a 429 counts as a failure.
import { describe, expect, it } from "vitest";
import {
  retryAfterMs,
  THROTTLE_BASE_MS,
  throttledResult,
  throttleWaitMs,
} from "../../../src/webhooks/delivery/throttle.js";

describe("a 429's wait", () => {
  const now = Date.parse("2026-11-28T12:00:00Z");

  it("reads Retry-After as seconds or as an HTTP date, and nothing else", () => {
    expect(retryAfterMs("7", now)).toBe(7000);
    expect(retryAfterMs(" 0 ", now)).toBe(0);
    expect(retryAfterMs("Sat, 28 Nov 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Sat, 28 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeNull();
    expect(retryAfterMs("-5", now)).toBeNull();
    expect(retryAfterMs("soon", now)).toBeNull();
    expect(retryAfterMs("1.5", now)).toBeNull();
  });

  it("doubles per 429 in a row without Retry-After, never below the base nor above the cap", () => {
    expect([0, 1, 2, 3].map((streak) => throttleWaitMs(null, streak, 60_000))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect(throttleWaitMs(null, 40, 60_000)).toBe(60_000);
    expect(throttleWaitMs(0, 5, 60_000)).toBe(THROTTLE_BASE_MS);
    expect(throttleWaitMs(3_600_000, 0, 300_000)).toBe(300_000);
    expect(throttleWaitMs(5000, 9, 300_000)).toBe(5000);
  });

  it("is absorbed up to the delivery's limit of 429s, then is an ordinary failure", () => {
    const settings = { maxMs: 300_000, limit: 2 };
    expect(throttledResult(0, 1000, settings)).toEqual({
      status: "pending",
      retryInMs: 1000,
      throttled: true,
    });
    expect(throttledResult(1, 1000, settings)).toMatchObject({ throttled: true });
    expect(throttledResult(2, 1000, settings)).toBeNull();
    expect(throttledResult(0, 1000, { ...settings, limit: 0 })).toBeNull();
  });
});
