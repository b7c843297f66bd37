import { describe, expect, it } from "vitest";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { parseOrderResult } from "../../../src/payzero/orderResult.js";
import { compactTime, generateBatch } from "../../../src/simulator/batch.js";

describe("generateBatch", () => {
  // A fixed payment time: two batches made a second apart would differ in paymentDatetime.
  const options = {
    orders: 200,
    failRate: 0.1,
    seed: 7,
    prefix: "T-",
    paidAt: new Date("2026-11-26T09:30:00Z"),
  };
  const batch = generateBatch(options);

  it("is the same for the same seed and payment time", () => {
    expect(generateBatch({ ...options })).toEqual(batch);
  });

  it("differs for another seed", () => {
    expect(generateBatch({ ...options, seed: 8 })).not.toEqual(batch);
  });

  it("sends every payment before any declaration, each a valid orderResultDto", () => {
    const types = batch.messages.map((m) => m.msgType);
    expect(types.indexOf(DECLARE_STATUS_NOTIFY)).toBe(types.lastIndexOf(PAY_STATUS_NOTIFY) + 1);
    for (const m of batch.messages) expect(parseOrderResult(m.msgBody).ok).toBe(true);
  });

  it("pays every order once and declares the paid ones; some of each fail", () => {
    const pays = batch.messages.filter((m) => m.msgType === PAY_STATUS_NOTIFY);
    const final = new Map(batch.finalStates.map((o) => [o.mchtOrderNo, o]));
    expect(pays).toHaveLength(200);
    expect(new Set(pays.map((m) => m.mchtOrderNo)).size).toBe(200);
    const failedPays = batch.finalStates.filter((o) => o.payStatus === "PAY_FAILED");
    const failedDeclarations = batch.finalStates.filter((o) => o.declareStatus === "DECLARE_FAILED");
    expect(failedPays.length).toBeGreaterThan(0);
    expect(failedDeclarations.length).toBeGreaterThan(0);
    expect(batch.messages.length).toBe(400 - failedPays.length);
    for (const m of batch.messages.filter((x) => x.msgType === DECLARE_STATUS_NOTIFY))
      expect(JSON.parse(m.msgBody)).toEqual(final.get(m.mchtOrderNo));
  });

  it("leaves out the declarations it loses and lists their orders", () => {
    const lossy = generateBatch({ orders: 100, failRate: 0, loseRate: 0.3, seed: 3, prefix: "L-" });
    expect(lossy.lost.length).toBeGreaterThan(0);
    expect(lossy.messages).toHaveLength(200 - lossy.lost.length);
    for (const no of lossy.lost) {
      expect(lossy.messages.filter((m) => m.mchtOrderNo === no).map((m) => m.msgType)).toEqual([
        PAY_STATUS_NOTIFY,
      ]);
    }
  });

  it("writes paymentDatetime in China time", () => {
    expect(compactTime(new Date("2019-04-11T13:38:22Z"))).toBe("20190411213822");
  });
});
