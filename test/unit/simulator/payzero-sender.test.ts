import { describe, expect, it } from "vitest";
import { verifyPayzeroSign } from "../../../src/payzero/sign.js";
import { signNotification } from "../../../src/simulator/payzero-sender.js";

describe("signNotification", () => {
  it("signs so that the receiver's check accepts it", () => {
    const env = signNotification("tok", { msgType: "PAY_STATUS_NOTIFY", msgBody: '{"a":1}' }, 1555816968018);
    expect(verifyPayzeroSign(["tok"], "1555816968018", env.msgBody, env.sign)).toBe(true);
  });
});
