import { describe, expect, it } from "vitest";
import { afterFailure, isSuccess, resultOf } from "../../../src/webhooks/delivery/retry-schedule.js";

describe("retry schedule", () => {
  const schedule = [5, 30, 120];

  it("waits schedule[n-1] seconds after the n-th failed attempt, then gives up", () => {
    expect(afterFailure(schedule, 1)).toEqual({ kind: "retry", delayMs: 5000 });
    expect(afterFailure(schedule, 2)).toEqual({ kind: "retry", delayMs: 30_000 });
    expect(afterFailure(schedule, 3)).toEqual({ kind: "retry", delayMs: 120_000 });
    expect(afterFailure(schedule, 4)).toEqual({ kind: "give-up" });
    expect(afterFailure(schedule, 9)).toEqual({ kind: "give-up" });
    expect(afterFailure([], 1)).toEqual({ kind: "give-up" });
    expect(afterFailure([0], 1)).toEqual({ kind: "retry", delayMs: 0 });
  });

  it("turns an attempt into the row's next state", () => {
    expect(resultOf(true, schedule, 1)).toEqual({ status: "succeeded", retryInMs: null });
    expect(resultOf(false, schedule, 1)).toEqual({ status: "pending", retryInMs: 5000 });
    expect(resultOf(false, schedule, 4)).toEqual({ status: "failed", retryInMs: null });
  });

  it("makes a manual retry one attempt, whatever the schedule still allows", () => {
    expect(resultOf(false, schedule, 1, true)).toEqual({ status: "failed", retryInMs: null });
    expect(resultOf(true, schedule, 1, true)).toEqual({ status: "succeeded", retryInMs: null });
  });

  it("counts any 2xx as success", () => {
    expect([200, 201, 204, 299].every(isSuccess)).toBe(true);
    expect([null, 199, 300, 302, 404, 500].some(isSuccess)).toBe(false);
  });
});
