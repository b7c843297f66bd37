import { describe, expect, it } from "vitest";
import {
  delayBefore,
  PAYZERO_RESEND_OFFSETS_MS,
  scaleSchedule,
} from "../../../src/simulator/resend-schedule.js";

describe("resend schedule", () => {
  it("is Payzero's: the first send, then 1m, 5m, 10m, 1h and 6h after it", () => {
    expect(PAYZERO_RESEND_OFFSETS_MS).toEqual([0, 60_000, 300_000, 600_000, 3_600_000, 21_600_000]);
  });

  it("scales: 0.001 turns 1 minute into 60 ms", () => {
    expect(scaleSchedule(PAYZERO_RESEND_OFFSETS_MS, 0.001)).toEqual([0, 60, 300, 600, 3600, 21_600]);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("refuses the scale %d", (k) => {
    expect(() => scaleSchedule(PAYZERO_RESEND_OFFSETS_MS, k)).toThrow(RangeError);
  });

  it("waits for what is left until the next offset", () => {
    expect(delayBefore([0, 60, 300], 0, 0)).toBe(0);
    expect(delayBefore([0, 60, 300], 1, 10)).toBe(50);
    expect(delayBefore([0, 60, 300], 2, 400)).toBe(0);
  });
});
