import { describe, expect, it } from "vitest";
import { parseCommand } from "../../../src/simulator/options.js";

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
