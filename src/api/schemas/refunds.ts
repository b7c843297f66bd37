// Schemas of /v1/refunds. The refund's JSON is refunds/json.ts.
import { Type } from "typebox";
import { MAX_ORDER_NO_LENGTH } from "../../orders/expected.js";

const No = (description: string) =>
  Type.String({ minLength: 1, maxLength: MAX_ORDER_NO_LENGTH, description });

export const RefundParams = Type.Object({
  mchtRefundOrderNo: No("the merchant's refund request number (section 9.1)"),
});

export const RefundBody = Type.Object(
  {
    mchtRefundOrderNo: No("as given to Payzero's refund application (section 9.1)"),
    mchtOrderNo: No("the order refunded"),
    refundAmount: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description: "fen, as applied for; absent: taken from Payzero's answer",
      }),
    ),
  },
  { additionalProperties: false },
);
