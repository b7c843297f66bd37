import { describe, expect, it } from "vitest";
import { maskIdNumber, maskMsgBody, maskName, maskPayer, maskPhone } from "../../../src/orders/mask.js";

describe("masking", () => {
  it("keeps a name's first character, an ID card's first and last four, a phone's 3 + 4", () => {
    expect(maskName("周Xx")).toBe("周**");
    expect(maskName("周")).toBe("周*");
    expect(maskIdNumber("610327198509271234")).toBe("6103**********1234");
    expect(maskPhone("13800138000")).toBe("138****8000");
  });

  it("stars a value too short to keep its ends", () => {
    expect(maskPhone("12345")).toBe("*****");
    expect(maskIdNumber("1234567")).toBe("*******");
    expect(maskName("")).toBe("");
  });

  it("masks the payer fields of an order and leaves the rest", () => {
    const order = { payerName: "李四", payerNumber: null, payerPhone: "13912345678", subject: "x" };
    expect(maskPayer(order)).toEqual({
      payerName: "李*",
      payerNumber: null,
      payerPhone: "139****5678",
      subject: "x",
    });
  });

  it("masks the payer fields of a notification body at any depth, and shows no body it cannot read", () => {
    const body = JSON.stringify({
      mchtOrderNo: "M-1",
      payerName: "周Xx",
      orders: [{ payerNumber: "610327198509271234", payerPhone: "13800138000", payerName: null }],
    });
    expect(JSON.parse(maskMsgBody(body)!)).toEqual({
      mchtOrderNo: "M-1",
      payerName: "周**",
      orders: [{ payerNumber: "6103**********1234", payerPhone: "138****8000", payerName: null }],
    });
    expect(maskMsgBody('{"payerName":"周Xx"')).toBeNull();
    expect(maskMsgBody(null)).toBeNull();
  });
});
