import { describe, expect, it } from "vitest";
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY } from "../../../src/payzero/envelope.js";
import { parseOrderResult } from "../../../src/payzero/orderResult.js";
import { verifyPayzeroSign } from "../../../src/payzero/sign.js";
import { compactTime, generateBatch } from "../../../src/simulator/batch.js";
import { parseCommand } from "../../../src/simulator/options.js";
import { signNotification } from "../../../src/simulator/payzero-sender.js";
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

describe("signNotification", () => {
  it("signs so that the receiver's check accepts it", () => {
    const env = signNotification("tok", { msgType: "PAY_STATUS_NOTIFY", msgBody: '{"a":1}' }, 1555816968018);
    expect(verifyPayzeroSign(["tok"], "1555816968018", env.msgBody, env.sign)).toBe(true);
  });
});

describe("parseCommand", () => {
  const env = { PAYZERO_SIGN_TOKEN: "first, second", PAYZERO_APP_ID: "id" };

  it("reads batch flags, the token from the environment and defaults", () => {
    expect(
      parseCommand(["batch", "--orders", "5", "--fail-rate", "0.2", "--schedule-scale", "0.001"], env, "r"),
    ).toEqual({
      command: "batch",
      target: { url: "http://127.0.0.1:3000/payzero/notify", token: "first", scheduleScale: 0.001 },
      batch: {
        orders: 5,
        failRate: 0.2,
        loseRate: 0,
        seed: 1,
        prefix: "SIM-r-",
        concurrency: 8,
        apiUrl: null,
      },
    });
  });

  it("reads api flags without needing a token", () => {
    expect(parseCommand(["api", "--port", "4011"], {}, "r")).toEqual({
      command: "api",
      api: { port: 4011, appId: "sim-app", appKey: "sim-key", tokenTtlSeconds: 14_400 },
    });
  });

  it("reads send flags", () => {
    const cmd = parseCommand(
      ["send", "--token", "t", "--order", "A-1", "--pay-status", "PAY_SUCCEED"],
      {},
      "r",
    );
    expect(cmd).toMatchObject({
      command: "send",
      msgType: "PAY_STATUS_NOTIFY",
      order: { mchtOrderNo: "A-1", payStatus: "PAY_SUCCEED" },
    });
  });

  it.each([
    [["batch"], {}, /--token/],
    [["nope"], {}, /unknown command/],
    [[], env, /no command/],
    [["batch", "--orders", "0"], env, /--orders/],
    [["batch", "--fail-rate", "2"], env, /--fail-rate/],
    [["send", "--schedule-scale", "0"], env, /--schedule-scale/],
    [["batch", "--bogus"], env, /bogus/],
  ])("refuses %j", (argv, e, message) => {
    expect(() => parseCommand(argv, e, "r")).toThrow(message);
  });
});
