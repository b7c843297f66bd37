// When a registered refund is asked about next, and the checks of a registration's input.
import { describe, expect, it } from "vitest";
import { refundInputProblem } from "../../../src/refunds/register.js";
import {
  FIRST_DELAY_MS,
  MAX_DELAY_MS,
  nextPollAt,
  pollDelayMs,
  runSize,
} from "../../../src/refunds/schedule.js";

describe("the refund poll schedule", () => {
  it("backs off from 10 s, doubling up to 10 minutes", () => {
    expect([1, 2, 3, 4].map(pollDelayMs)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(pollDelayMs(1)).toBe(FIRST_DELAY_MS);
    expect(pollDelayMs(30)).toBe(MAX_DELAY_MS);
  });

  it("stops at a final status and after the maximum age", () => {
    const created = new Date("2026-12-07T00:00:00Z");
    const now = new Date("2026-12-07T01:00:00Z");
    expect(nextPollAt(3, false, created, now, 86_400)).toEqual(new Date(now.getTime() + 40_000));
    expect(nextPollAt(3, true, created, now, 86_400)).toBeNull();
    expect(nextPollAt(3, false, created, now, 3_600)).toBeNull();
  });

  it("asks about at most 10 seconds' worth of refunds a run", () => {
    expect(runSize(100, 5)).toBe(50);
    expect(runSize(20, 5)).toBe(20);
    expect(runSize(100, 1000)).toBe(100);
  });
});

describe("refundInputProblem", () => {
  it("names the first problem", () => {
    const ok = { mchtRefundOrderNo: "R-1", mchtOrderNo: "O-1" };
    expect(refundInputProblem(ok)).toBeUndefined();
    expect(refundInputProblem({ ...ok, refundAmount: 1225 })).toBeUndefined();
    expect(refundInputProblem({ ...ok, mchtRefundOrderNo: " " })).toMatch(/mchtRefundOrderNo is required/);
    expect(refundInputProblem({ ...ok, mchtOrderNo: "a\u0000" })).toMatch(/mchtOrderNo is not text/);
    expect(refundInputProblem({ ...ok, refundAmount: 0 })).toMatch(/refundAmount/);
    expect(refundInputProblem({ ...ok, refundAmount: 1.5 })).toMatch(/refundAmount/);
  });
});
