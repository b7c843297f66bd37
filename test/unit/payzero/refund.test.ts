// Appendix A.8's refund statuses: which answer is a change, and how a 9.2 answer is read.
import { describe, expect, it } from "vitest";
import {
  isFinalRefundStatus,
  isRefundProgress,
  parseRefundResult,
  refundStatusRank,
} from "../../../src/payzero/refund.js";

describe("refund statuses", () => {
  it("move forward only, and a final one stays", () => {
    expect(refundStatusRank("REFUND_INIT")).toBeLessThan(refundStatusRank("REFUND_REQUESTED"));
    expect(isRefundProgress(null, "REFUND_REQUESTED")).toBe(true);
    expect(isRefundProgress("REFUND_INIT", "REFUND_REQUESTED")).toBe(true);
    expect(isRefundProgress("REFUND_REQUESTED", "REFUND_SUCCEED")).toBe(true);
    expect(isRefundProgress("REFUND_REQUESTED", "REFUND_FAILED")).toBe(true);
    expect(isRefundProgress("REFUND_REQUESTED", "REFUND_REQUESTED")).toBe(false);
    expect(isRefundProgress("REFUND_REQUESTED", "REFUND_INIT")).toBe(false);
    expect(isRefundProgress("REFUND_SUCCEED", "REFUND_FAILED")).toBe(false);
    expect(isRefundProgress("REFUND_FAILED", "REFUND_REQUESTED")).toBe(false);
    // Not in A.8: stored and forwarded, never final.
    expect(isRefundProgress("REFUND_REQUESTED", "REFUND_CLOSED")).toBe(true);
    expect(isFinalRefundStatus("REFUND_CLOSED")).toBe(false);
    expect([isFinalRefundStatus("REFUND_SUCCEED"), isFinalRefundStatus("REFUND_FAILED")]).toEqual([
      true,
      true,
    ]);
  });

  it("reads section 9.2's example answer, and refuses one without a status", () => {
    const data = {
      mchtOrderNo: "S20190501",
      mchtRefundOrderNo: "REFUND_S20190501",
      refundAmount: 1225,
      refundStatus: "REFUND_SUCCEED",
    };
    expect(parseRefundResult(data)).toEqual({ ok: true, dto: data });
    expect(parseRefundResult({ ...data, refundAmount: "1225" })).toMatchObject({
      dto: { refundAmount: 1225 },
    });
    expect(parseRefundResult({ ...data, refundStatus: undefined })).toMatchObject({ ok: false });
    expect(parseRefundResult(null)).toMatchObject({ ok: false });
  });
});
