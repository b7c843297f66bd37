// A refund as /v1 shows it (GET /v1/refunds/:no, POST /v1/refunds, `refunds` of GET /v1/orders/:no).
import { type Static, Type } from "typebox";
import type { Refund } from "../generated/prisma/client.js";
import { isFinalRefundStatus } from "../payzero/refund.js";

const Time = Type.String({ format: "date-time" });

export const RefundJson = Type.Object(
  {
    mchtRefundOrderNo: Type.String(),
    mchtOrderNo: Type.String(),
    refundAmount: Type.Union([Type.Integer({ description: "fen" }), Type.Null()]),
    refundStatus: Type.Union([Type.String(), Type.Null()], {
      description: "appendix A.8 as Payzero last answered (section 9.2); null until its first answer",
    }),
    final: Type.Boolean({ description: "REFUND_SUCCEED or REFUND_FAILED: no longer asked about" }),
    version: Type.Integer({ minimum: 0, description: "+1 on every change of refundStatus" }),
    polls: Type.Integer({ minimum: 0, description: "queries asked so far" }),
    nextPollAt: Type.Union([Time, Type.Null()], {
      description: "when Payzero is asked next; null once final or given up",
    }),
    lastError: Type.Union([Type.String(), Type.Null()], { description: "the last query's failure" }),
    createdAt: Time,
    updatedAt: Time,
  },
  { description: "A refund the merchant applied for with Payzero and registered here; amounts in fen" },
);

export type RefundJson = Static<typeof RefundJson>;

export function refundJson(r: Refund): RefundJson {
  return {
    mchtRefundOrderNo: r.mchtRefundOrderNo,
    mchtOrderNo: r.mchtOrderNo,
    refundAmount: r.refundAmount === null ? null : Number(r.refundAmount),
    refundStatus: r.refundStatus,
    final: isFinalRefundStatus(r.refundStatus),
    version: r.version,
    polls: r.polls,
    nextPollAt: r.nextPollAt?.toISOString() ?? null,
    lastError: r.lastError,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
