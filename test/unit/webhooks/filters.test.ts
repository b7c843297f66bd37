import { describe, expect, it } from "vitest";
import { forwardedByDefault, messageStatuses, takes } from "../../../src/webhooks/endpoints/filters.js";

const anyType = { msgTypes: [], payStatuses: [], declareStatuses: [] };
const none = { payStatus: null, declareStatus: null };

describe("an endpoint without a msgType filter", () => {
  it("takes Payzero's two notification types, whoever sent them", () => {
    for (const source of ["payzero-notify", "payzero-query"]) {
      expect(takes(anyType, { msgType: "PAY_STATUS_NOTIFY", source }, none)).toBe(true);
      expect(takes(anyType, { msgType: "DECLARE_STATUS_NOTIFY", source }, none)).toBe(true);
    }
  });

  it("takes refund events the service found by asking Payzero, not a received message naming that type", () => {
    expect(forwardedByDefault({ msgType: "REFUND_STATUS_NOTIFY", source: "payzero-query" })).toBe(true);
    // msgType is not signed: anyone holding a captured notification could post it under this name.
    expect(forwardedByDefault({ msgType: "REFUND_STATUS_NOTIFY", source: "payzero-notify" })).toBe(false);
    expect(forwardedByDefault({ msgType: "SOMETHING_ELSE", source: "payzero-query" })).toBe(false);
  });

  it("leaves any other type to the endpoints that name it", () => {
    const named = { ...anyType, msgTypes: ["REFUND_STATUS_NOTIFY"] };
    expect(takes(named, { msgType: "REFUND_STATUS_NOTIFY", source: "payzero-notify" }, none)).toBe(true);
    expect(takes(named, { msgType: "PAY_STATUS_NOTIFY", source: "payzero-notify" }, none)).toBe(false);
  });
});

describe("status filters", () => {
  it("need the status in the body", () => {
    const paid = { ...anyType, payStatuses: ["PAY_SUCCEED"] };
    const m = { msgType: "PAY_STATUS_NOTIFY", source: "payzero-notify" };
    expect(takes(paid, m, messageStatuses('{"payStatus":"PAY_SUCCEED"}'))).toBe(true);
    expect(takes(paid, m, messageStatuses('{"payStatus":"PAY_FAILED"}'))).toBe(false);
    expect(takes(paid, m, messageStatuses("not json"))).toBe(false);
  });
});
